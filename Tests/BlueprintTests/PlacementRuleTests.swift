import Blueprint
import Compose
import Inventory
import struct Inventory.Host
import SwarmModel
import Testing
import TestSupport

@Suite("Blueprint placement rules")
struct PlacementRuleTests {
    static let inventories = [RepositoryPaths.referenceInventory, RepositoryPaths.labInventory]

    /// Services pinned to one numbered host, and the role whose number they carry.
    static let numberedFamilies: [(Component, Role, String)] = [
        (.etcd, .etcd, "etcd"), (.minio, .minio, "minio"), (.zookeeper, .zk, "zk"), (.bookie, .bookie, "bookie"),
        (.querynode, .query, "querynode"), (.indexnode, .index, "indexnode"),
    ]

    @Test(arguments: inventories)
    func numberedServicesRunOnlyOnTheirNumberedHost(_ path: String) throws {
        let inventory = try RepositoryPaths.inventory(path)
        let blueprint = MilvusBlueprint.make(inventory)
        for (component, role, prefix) in Self.numberedFamilies {
            let services = blueprint.services.filter { $0.component == component }
            #expect(services.count == inventory.hosts(with: role).count, "\(component)")
            for planned in services {
                let number = try #require(Int(planned.service.name.dropFirst(prefix.count)))
                let expected = inventory.hosts.filter { $0.roleNumbers[role] == number }.map(\.name)
                #expect(planned.eligibleHosts.map(\.name) == expected, "\(planned.service.name)")
                #expect(expected.count == 1)
            }
        }
    }

    @Test(arguments: inventories)
    func brokersAndDataNodesHaveOneHostEach(_ path: String) throws {
        let inventory = try RepositoryPaths.inventory(path)
        let blueprint = MilvusBlueprint.make(inventory)
        for (component, role) in [(Component.broker, Role.broker), (.datanode, .coord)] {
            let hosts = blueprint.services.filter { $0.component == component }.map { $0.eligibleHosts.map(\.name) }
            #expect(hosts.allSatisfy { $0.count == 1 }, "\(component): \(hosts)")
            #expect(hosts.flatMap { $0 }.sorted() == inventory.hosts(with: role).map(\.name).sorted(), "\(component)")
        }
    }

    @Test(arguments: inventories)
    func proxiesAndBalancersRunOnManagersOnly(_ path: String) throws {
        let inventory = try RepositoryPaths.inventory(path)
        let blueprint = MilvusBlueprint.make(inventory)
        let managers = inventory.hosts(with: .manager).map(\.name)
        for component in [Component.minioLB, .pulsarProxy, .proxy, .milvusLB] {
            let planned = try #require(blueprint.services.first { $0.component == component })
            #expect(planned.eligibleHosts.map(\.name) == managers, "\(component)")
            let replicas = planned.service.deploy.mode == .global ? managers.count : (planned.service.deploy.replicas ?? 1)
            #expect(replicas <= managers.count, "\(component) cannot have more tasks than managers with host-mode ports")
        }
        let coordinators = blueprint.services.filter { [.rootcoord, .datacoord, .querycoord].contains($0.component) }
        #expect(coordinators.count == 3)
        #expect(coordinators.allSatisfy { $0.eligibleHosts.map(\.name) == inventory.hosts(with: .coord).map(\.name) })
        let cadvisor = try #require(blueprint.services.first { $0.component == .cadvisor })
        #expect(cadvisor.service.deploy.mode == .global && cadvisor.eligibleHosts.count == inventory.hosts.count)
    }

    @Test(arguments: inventories)
    func noTwoInstancesOfOneComponentShareAHost(_ path: String) throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(path))
        for component in Component.allCases where component.isSpreadOnePerHost {
            let instances = blueprint.services.filter { $0.component == component }
            #expect(instances.allSatisfy { $0.isSingleHost }, "\(component) instances must each be pinned to one host")
            let hosts = instances.flatMap { $0.eligibleHosts.map(\.name) }
            #expect(Set(hosts).count == hosts.count, "\(component) has two instances on one host: \(hosts)")
        }
    }

    @Test(arguments: inventories)
    func everyLongRunningServiceHasAHealthcheckAndNoAttemptLimit(_ path: String) throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(path))
        for planned in blueprint.services {
            let service = planned.service
            if service.deploy.mode == .replicatedJob {
                // A job's health is its exit code; it retries a bounded number of times.
                #expect(service.deploy.restartPolicy.condition == .onFailure)
                #expect(service.deploy.restartPolicy.maxAttempts != nil)
                continue
            }
            let test = try #require(service.healthcheck?.test, "\(service.name) has no healthcheck")
            if planned.component == .etcd {
                // The one exception: Swarm would keep a member out of DNS until a quorum
                // exists, which needs the members in DNS. The etcd-quorum job is the gate.
                #expect(test == ["NONE"], "\(service.name)")
                let quorum = try #require(blueprint.services.first { $0.component == .etcdQuorum })
                #expect(quorum.stage == planned.stage)
                #expect(quorum.service.command?.contains { $0.contains("http://\(service.name):2379") } == true)
            } else {
                #expect(["CMD", "CMD-SHELL"].contains(test.first ?? ""), "\(service.name)")
            }
            #expect(service.deploy.restartPolicy.condition == .any, "\(service.name)")
            #expect(service.deploy.restartPolicy.maxAttempts == nil, "\(service.name) would stay down after an outage")
            #expect(service.deploy.limits != nil, "\(service.name) has no resource limits")
            #expect(!service.deploy.constraints.isEmpty || service.deploy.mode == .global, "\(service.name) floats freely")
        }
    }

    @Test(arguments: inventories)
    func healthchecksUseToolsTheirImageHas(_ path: String) throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(path))
        for planned in blueprint.services {
            guard let test = planned.service.healthcheck?.test else { continue }
            // cAdvisor's image (Alpine) has wget, not curl.
            if planned.component == .cadvisor { #expect(test.dropFirst().first == "wget") }
        }
    }

    @Test(arguments: inventories)
    func globalServicesHaveNoReplicaCount(_ path: String) throws {
        // docker stack deploy refuses `replicas` on a global service.
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(path))
        for planned in blueprint.services where planned.service.deploy.mode == .global {
            #expect(planned.service.deploy.replicas == nil, "\(planned.service.name)")
        }
        #expect(blueprint.services.filter { $0.service.deploy.mode == .global }.count == 3)
    }

    @Test func serviceNamesAreUniqueAcrossStagesAndStagesAreInOrder() throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.referenceInventory))
        let names = blueprint.services.map(\.service.name)
        #expect(Set(names).count == names.count)
        #expect(blueprint.stacks.map(\.stage) == Stage.allCases)
        #expect(blueprint.stacks.map(\.stage.fileName) == ["1-storage.yml", "2-pulsar.yml", "3-milvus.yml"])
        #expect(blueprint.stack(.milvus)?.services.count == 16)
        #expect(blueprint.stack(.storage)?.services.map(\.component).filter { $0 == .etcdQuorum }.count == 1)
    }

    @Test func limitsComeFromHostSizes() throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.referenceInventory))
        func limits(_ name: String) throws -> ResourceLimits {
            try #require(blueprint.services.first { $0.service.name == name }?.service.deploy.limits)
        }
        // A query host (16 CPUs, 64 GiB) runs only its query node: 90% of it.
        #expect(try limits("querynode1") == ResourceLimits(centiCPUs: 1440, memoryMiB: 58982))
        // etcd shares a 8 CPU / 16 GiB host with ZooKeeper: half of 90% each.
        #expect(try limits("etcd2") == ResourceLimits(centiCPUs: 360, memoryMiB: 7372))
        #expect(try limits("zk2") == ResourceLimits(centiCPUs: 360, memoryMiB: 7372))
        // Bookies get the seed's JVM shape from their 32 GiB host.
        let bookie = try #require(blueprint.services.first { $0.service.name == "bookie1" })
        #expect(bookie.service.environment["PULSAR_MEM"] == "-Xms7372m -Xmx7372m -XX:MaxDirectMemorySize=14745m")
    }

    @Test func hostsAreJudgedByTheSameConstraintsAsNodes() throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.referenceInventory))
        let managers = blueprint.inventory.hosts.filter { $0.has(.manager) }
        let worker = try #require(blueprint.inventory.hosts.first { !$0.has(.manager) })
        #expect(managers.allSatisfy { PlacementConstraint.manager.isSatisfied(by: $0) })
        #expect(!PlacementConstraint.manager.isSatisfied(by: worker))
        let notManager = try #require(PlacementConstraint(parsing: "node.role != manager"))
        #expect(notManager.isSatisfied(by: worker) && !managers.contains { notManager.isSatisfied(by: $0) })
        #expect(PlacementConstraint.pinned(to: worker).isSatisfied(by: worker))
        #expect(!PlacementConstraint.pinned(to: worker).isSatisfied(by: managers[0]))
    }
}

/// Every generated service can be updated to completion (see `UpdateProgress`).
@Suite("Updates that can progress")
struct UpdateProgressTests {
    @Test(arguments: [RepositoryPaths.referenceInventory, RepositoryPaths.labInventory, "inventory/lab-26.yml"])
    func everyGeneratedServiceCanBeUpdatedToTheEnd(_ path: String) throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(path))
        for planned in blueprint.services {
            #expect(UpdateProgress.blocker(planned.service, eligibleNodes: planned.eligibleHosts.count) == nil, "\(planned.service.name)")
        }
    }

    @Test func startFirstWithNoFreeSlotIsNamed() throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.referenceInventory))
        var proxy = try #require(blueprint.services.first { $0.service.name == "proxy" })
        proxy.service.deploy.updateConfig?.order = .startFirst
        proxy.service.volumes = []
        // What older versions generated: three replicas, one per manager, three managers.
        #expect(UpdateProgress.blocker(proxy.service, eligibleNodes: 3)
            == "update_config order start-first cannot progress: 3 replicas, at most 1 per node on the 3 nodes its constraints allow, leave no free slot for the new task; use stop-first")
        #expect(UpdateProgress.blocker(proxy.service, eligibleNodes: 4) == nil, "a fourth manager leaves a slot")
        #expect(UpdateProgress.blocker(proxy.service, eligibleNodes: nil) == nil, "unknown nodes: not judged")
    }
}
