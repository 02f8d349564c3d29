import Compose
import Foundation
import Inventory
import SwarmModel
import struct Inventory.Host

/// The Milvus 2.3 topology (../shared/TOPOLOGY.md): inventory in, three stacks out.
/// Pure: the same inventory always gives the same blueprint.
public enum MilvusBlueprint {
    public static func make(_ inventory: Inventory) -> Blueprint {
        var builder = Builder(inventory: inventory)
        let drafts = [
            (Stage.storage, builder.storageStage()),
            (Stage.pulsar, builder.pulsarStage()),
            (Stage.milvus, builder.milvusStage()),
        ]
        // Limits depend on how many services share each host, across all stages.
        let sizing = Sizing(services: drafts.flatMap { $0.1.services })
        let stacks = drafts.map { stage, draft in
            let services = draft.services.map { planned -> PlannedService in
                var planned = planned
                planned.service = planned.service.canonical
                planned.service.deploy.limits = sizing.limits(for: planned)
                builder.applyMemorySettings(&planned)
                // Swarm's updater sleeps update_config.delay after every task it replaces, the last one
                // too, before its monitor period (swarmkit manager/orchestrator/update/updater.go,
                // `worker`): with one replica the delay separates nothing and only slows each step.
                if planned.service.deploy.mode == .replicated, planned.service.deploy.replicas == 1 {
                    planned.service.deploy.updateConfig?.delaySeconds = 0
                    planned.service.deploy.rollbackConfig?.delaySeconds = 0
                }
                return planned
            }
            let compose = ComposeFile(
                services: services.map(\.service),
                networks: [Network(key: Builder.networkKey, name: inventory.cluster.network, external: stage != .storage,
                                   encrypted: inventory.cluster.encryptedNetwork)],
                configs: draft.configs,
                secrets: draft.secrets.map { SecretDefinition(key: $0.key, name: $0.name) }
            )
            return StackPlan(stage: stage, stackName: inventory.cluster.stackName(for: stage), compose: compose,
                             configFiles: draft.files, services: services)
        }
        return Blueprint(inventory: inventory, stacks: stacks, secrets: builder.allSecrets)
    }
}

/// The services of one stage before limits are known.
struct StageDraft {
    var services: [PlannedService] = []
    var configs: [ConfigDefinition] = []
    var files: [GeneratedFile] = []
    var secrets: [SecretSpec] = []
}

struct Builder {
    static let networkKey = "cluster"
    static let stageLabel = "io.swarmstage.stage"
    static let componentLabel = Component.label

    let inventory: Inventory
    var allSecrets: [SecretSpec] = []
    /// Host positions by what constraints ask for, so placement costs no scan of all hosts.
    private let hostsByLabel: [String: [Int]]
    private let hostsByName: [String: Int]
    private let hostsByNodeID: [String: Int]
    private let managerHosts: [Int]

    init(inventory: Inventory) {
        self.inventory = inventory
        var byLabel: [String: [Int]] = [:], byName: [String: Int] = [:], byNodeID: [String: Int] = [:], managers: [Int] = []
        for (index, host) in inventory.hosts.enumerated() {
            // Swarm compares constraint values without regard to case.
            for (key, value) in host.labels { byLabel["\(key)=\(value.lowercased())", default: []].append(index) }
            byName[host.name.lowercased()] = index
            if let nodeID = host.nodeID { byNodeID[nodeID.lowercased()] = index }
            if host.has(.manager) { managers.append(index) }
        }
        hostsByLabel = byLabel
        hostsByName = byName
        hostsByNodeID = byNodeID
        managerHosts = managers
        etcdHosts = inventory.hosts(with: .etcd)
        zkHosts = inventory.hosts(with: .zk)
        etcdNames = etcdHosts.indices.map { "etcd\($0 + 1)" }
        zkNames = zkHosts.indices.map { "zk\($0 + 1)" }
        brokerNames = inventory.hosts(with: .broker).indices.map { "broker\($0 + 1)" }
        zkConnect = zkNames.map { "\($0):2181" }.joined(separator: ",")
        managerCount = managers.count
    }

    var cluster: ClusterSettings { inventory.cluster }
    var images: ImageMap { inventory.images }
    var dataRoot: String { cluster.dataRoot }

    // MARK: names every stage uses

    // Computed once: every service of a large inventory refers to them.
    let etcdHosts: [Host]
    let zkHosts: [Host]
    let etcdNames: [String]
    let zkNames: [String]
    let brokerNames: [String]
    let zkConnect: String
    let managerCount: Int

    /// The host-mode ports of the endpoints the inventory exposes, among `endpoints`.
    func published(_ endpoints: [ExposedEndpoint]) -> [PublishedPort] {
        endpoints.filter { inventory.cluster.exposed.contains($0) }.map { PublishedPort(target: $0.port, published: $0.port) }
    }

    func secret(_ content: SecretSpec.Content, key: String) -> SecretSpec {
        SecretSpec(key: key, name: "\(cluster.name)_\(key)", content: content)
    }

    func config(_ key: String, file: String, contents: String, into draft: inout StageDraft) {
        draft.configs.append(ConfigDefinition(key: key, name: "\(cluster.name)_\(key)-\(ContentHash.short(contents))",
                                              file: "./configs/\(file)"))
        draft.files.append(GeneratedFile(path: "configs/\(file)", contents: contents))
    }

    // MARK: stages, each a list of components (Components/*.swift)

    mutating func storageStage() -> StageDraft {
        var draft = StageDraft()
        etcdMembers(into: &draft)
        etcdQuorumJob(into: &draft)
        minioServers(into: &draft)
        minioBalancer(into: &draft)
        cadvisor(into: &draft)
        allSecrets += draft.secrets
        return draft
    }

    mutating func pulsarStage() -> StageDraft {
        var draft = StageDraft()
        zookeeperMembers(into: &draft)
        pulsarMetadataJob(into: &draft)
        bookies(into: &draft)
        brokers(into: &draft)
        pulsarProxy(into: &draft)
        return draft
    }

    mutating func milvusStage() -> StageDraft {
        var draft = StageDraft()
        milvusShared(into: &draft)
        milvusCoordinators(into: &draft)
        milvusDataNodes(into: &draft)
        milvusQueryNodes(into: &draft)
        milvusIndexNodes(into: &draft)
        milvusProxy(into: &draft)
        milvusBalancer(into: &draft)
        allSecrets += draft.secrets
        return draft
    }

    // MARK: shared shapes

    /// Defaults every long-running service shares: restart whatever happens (no
    /// attempt limit, so a long outage does not leave it down), update one at a
    /// time and roll back on failure, DNS round-robin (no VIP).
    func base(_ name: String, image: String, stage: Stage, component: Component) -> Service {
        var service = Service(name: name, image: image, deploy: Deploy(
            mode: .replicated, replicas: 1, endpointMode: .dnsrr,
            labels: [Builder.stageLabel: stage.rawValue, Builder.componentLabel: component.rawValue],
            restartPolicy: RestartPolicy(condition: .any, delaySeconds: 5),
            updateConfig: UpdateConfig(monitorSeconds: inventory.cluster.updateMonitorSeconds),
            rollbackConfig: UpdateConfig(failureAction: .pause, monitorSeconds: inventory.cluster.updateMonitorSeconds)))
        service.networks = [Builder.networkKey]
        service.stopGracePeriodSeconds = component.stopGracePeriodSeconds
        return service
    }

    /// Places a service: its constraints, typed, written into the compose service once, and
    /// the hosts whose nodes satisfy them.
    func place(_ service: Service, _ component: Component, stage: Stage, on constraints: [PlacementConstraint]) -> PlannedService {
        var service = service
        service.deploy.constraints = constraints.map(\.description)
        return PlannedService(stage: stage, component: component, service: service, constraints: constraints,
                              eligibleHosts: eligible(constraints))
    }

    /// One service per member, pinned to its host by the member's numbered label (`etcd2==true`).
    func member(_ service: Service, _ component: Component, stage: Stage, label: String) -> PlannedService {
        place(service, component, stage: stage, on: [.label(label, equals: "true")])
    }

    /// Hosts whose nodes satisfy every constraint, in inventory order. The first equality
    /// constraint with an index narrows the search; every constraint then decides.
    func eligible(_ constraints: [PlacementConstraint]) -> [Host] {
        var candidates: [Int]?
        for constraint in constraints where constraint.equals && candidates == nil {
            let value = constraint.value.lowercased()
            switch constraint.field {
            case .label(let key): candidates = hostsByLabel["\(key)=\(value)"] ?? []
            case .role where value == NodeRole.manager.rawValue: candidates = managerHosts
            case .hostname: candidates = hostsByName[value].map { [$0] } ?? []
            case .nodeID: candidates = hostsByNodeID[value].map { [$0] } ?? []
            default: continue
            }
        }
        let pool = candidates.map { $0.map { inventory.hosts[$0] } } ?? inventory.hosts
        return pool.filter { host in PlacementConstraint.allSatisfied(constraints, by: host.nodeFacts) }
    }

    /// Memory settings that depend on the service's final limits.
    func applyMemorySettings(_ planned: inout PlannedService) {
        let limits = planned.service.deploy.limits
        switch planned.component {
        case .bookie, .broker:
            planned.service.environment["PULSAR_MEM"] = Sizing.jvmOptions(limits, heapFraction: 4, directFraction: 2)
        case .zookeeper, .pulsarProxy:
            planned.service.environment["PULSAR_MEM"] = Sizing.jvmOptions(limits, heapFraction: 2, directFraction: 4, heapCapMiB: 2048)
        case .pulsarInit:
            planned.service.environment["PULSAR_MEM"] = "-Xms256m -Xmx256m -XX:MaxDirectMemorySize=256m"
        default:
            break
        }
    }
}
