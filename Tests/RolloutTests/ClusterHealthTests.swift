import Engine
import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// Health severity from what the Engine reports, without a daemon.
@Suite("Cluster health")
struct ClusterHealthTests {
    static let template = StageHealthTests.template

    /// A service of the lab's stacks, as the Engine lists it.
    static func service(_ stack: String, _ name: String, component: String, replicas: Int = 1) throws -> SwarmService {
        let object: [String: Any] = [
            "ID": "id-\(stack)_\(name)", "Version": ["Index": 1], "CreatedAt": "2026-11-21T20:00:00Z",
            "Spec": ["Name": "\(stack)_\(name)", "Labels": ["com.docker.stack.namespace": stack, "io.swarmstage.component": component],
                     "TaskTemplate": try JSONSerialization.jsonObject(with: JSONEncoder().encode(template)),
                     "Mode": ["Replicated": ["Replicas": replicas]]],
            "ServiceStatus": ["RunningTasks": replicas, "DesiredTasks": replicas],
        ]
        return try JSONDecoder().decode(SwarmService.self, from: JSONSerialization.data(withJSONObject: object))
    }

    /// The whole lab deployed: every service with its tasks running, unless listed as down.
    static func lab(down: Set<String> = [], managersDown: Int = 0, drift: Bool = false) throws -> ClusterHealth {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        var services: [SwarmService] = []
        let layout: [(String, [(String, String)])] = [
            ("lab-storage", [("etcd1", "etcd"), ("etcd2", "etcd"), ("etcd3", "etcd"), ("minio1", "minio"), ("minio2", "minio"),
                             ("minio3", "minio"), ("minio4", "minio"), ("minio-lb", "minio-lb")]),
            ("lab-pulsar", [("zk1", "zookeeper"), ("zk2", "zookeeper"), ("zk3", "zookeeper"), ("broker1", "broker"), ("broker2", "broker")]),
            ("lab-milvus", [("rootcoord", "rootcoord"), ("querynode1", "querynode"), ("querynode2", "querynode"), ("proxy", "proxy")]),
        ]
        var tasks: [SwarmTask] = []
        for (stack, members) in layout {
            for (name, component) in members {
                services.append(try service(stack, name, component: component))
                if !down.contains(name) { tasks.append(try StageHealthTests.task("\(stack)_\(name)", "running")) }
            }
        }
        let labels = Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, $0.labels) })
        var nodes = try NodeLabelPlanTests.labSwarm(labels: labels)
        if drift, let node1 = nodes.firstIndex(where: { $0.hostname == "lab-node1" }) { nodes[node1].Spec.Labels?["etcd1"] = nil }
        for index in nodes.indices.filter({ nodes[$0].isManager }).prefix(managersDown) { nodes[index].ManagerStatus?.Reachability = "unreachable" }
        return ClusterHealth.evaluate(inventory: inventory, nodes: nodes, services: services, tasks: tasks)
    }

    @Test func authorizationIsReadFromTheRunningMilvusYAML() throws {
        #expect(ClusterHealth.authorizationEnabled("common:\n  security:\n    authorizationEnabled: true\n"))
        #expect(!ClusterHealth.authorizationEnabled("common:\n  security:\n    authorizationEnabled: false\n"))
        // Milvus's default is off; another section's key of the same name does not count.
        #expect(!ClusterHealth.authorizationEnabled("common:\n  session:\n    ttl: 30\n"))
        #expect(!ClusterHealth.authorizationEnabled("other:\n  security:\n    authorizationEnabled: true\n"))
        let committed = try String(contentsOfFile: RepositoryPaths.path("stacks/lab/configs/milvus.yaml"), encoding: .utf8)
        #expect(ClusterHealth.authorizationEnabled(committed))
    }

    @Test func publishedPortsAreListedWithTheirHostsAndWhetherAskedFor() throws {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        var balancer = try Self.service("lab-milvus", "milvus-lb", component: "milvus-lb")
        balancer.Spec.EndpointSpec = EndpointSpec(Mode: "dnsrr", Ports: [PortConfig(TargetPort: 19530, PublishedPort: 19530, PublishMode: "host")])
        var console = try Self.service("lab-storage", "minio-lb", component: "minio-lb")
        console.Spec.EndpointSpec = EndpointSpec(Mode: "dnsrr", Ports: [PortConfig(TargetPort: 9090, PublishedPort: 9090, PublishMode: "host")])
        let nodes = try NodeLabelPlanTests.labSwarm()
        let manager = try #require(nodes.first { $0.hostname == "lab-manager" })
        var task = try StageHealthTests.task("lab-milvus_milvus-lb", "running")
        task.NodeID = manager.ID
        let health = ClusterHealth.evaluate(inventory: inventory, nodes: nodes, services: [balancer, console], tasks: [task],
                                            milvusConfig: "common:\n  security:\n    authorizationEnabled: false\n")
        #expect(health.published == [
            .init(service: "lab-milvus_milvus-lb", port: 19530, hosts: ["lab-manager"], expected: true),
            .init(service: "lab-storage_minio-lb", port: 9090, hosts: [], expected: false),
        ])
        #expect(health.milvusAuthorization == false)
    }

    @Test func everythingRunningIsHealthy() throws {
        let health = try Self.lab()
        #expect(health.status == .healthy, "\(health.problems)")
        #expect(health.stages.allSatisfy { $0.status == .healthy })
    }

    @Test func oneQueryNodeDownIsDegradedAndNamed() throws {
        let health = try Self.lab(down: ["querynode2"])
        #expect(health.status == .degraded)
        #expect(health.problems.contains { $0.hasPrefix("lab-milvus_querynode2: 0/1 running") }, "\(health.problems)")
    }

    @Test func anEtcdQuorumLostIsFailedAndOneMemberDownIsDegraded() throws {
        #expect(try Self.lab(down: ["etcd2"]).status == .degraded)
        let lost = try Self.lab(down: ["etcd2", "etcd3"])
        #expect(lost.status == .failed)
        #expect(lost.problems.first == "etcd: 1 of 3 members up (quorum lost)", "\(lost.problems)")
    }

    @Test func quorumFamiliesReportMembersUpEvenWhenAllAreUp() throws {
        let all: [ClusterHealth.QuorumReport] = [
            .init(family: "etcd", up: 3, members: 3, needed: 2),
            .init(family: "minio", up: 4, members: 4, needed: 3),
            .init(family: "zookeeper", up: 3, members: 3, needed: 2),
        ]
        #expect(try Self.lab().quorums == all)
        let down = try Self.lab(down: ["etcd2", "minio1", "minio3"])
        #expect(down.quorums.map(\.up) == [2, 2, 3])
    }

    @Test func minioNeedsMoreThanHalf() throws {
        #expect(try Self.lab(down: ["minio1"]).status == .degraded)
        #expect(try Self.lab(down: ["minio1", "minio2"]).status == .failed)
    }

    @Test func everyReplicaOfAServiceDownOrACoordinatorDownIsFailed() throws {
        #expect(try Self.lab(down: ["querynode1", "querynode2"]).status == .failed)
        #expect(try Self.lab(down: ["rootcoord"]).status == .failed)
    }

    @Test func managerQuorumAndLabelDrift() throws {
        let one = try Self.lab(managersDown: 1)
        #expect(one.status == .degraded)
        #expect(one.problems == ["1 of 3 managers unreachable (quorum held)"])
        let lost = try Self.lab(managersDown: 2)
        #expect(lost.status == .failed)
        #expect(lost.problems.contains { $0.hasPrefix("Swarm manager quorum lost") })
        let drift = try Self.lab(drift: true)
        #expect(drift.status == .degraded)
        #expect(drift.problems.contains { $0.contains("labels differ from the inventory (+etcd1)") }, "\(drift.problems)")
    }

    @Test func aStageThatIsNotDeployedIsFailed() throws {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        let health = ClusterHealth.evaluate(inventory: inventory, nodes: try NodeLabelPlanTests.labSwarm(), services: [], tasks: [])
        #expect(health.status == .failed)
        #expect(health.problems.contains("stage storage: stack lab-storage is not deployed"))
    }
}
