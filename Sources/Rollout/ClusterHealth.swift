import Blueprint
import Foundation
import SwarmModel
import Inventory
import StackConvert
import struct Inventory.Host

/// The cluster's health against the inventory: nodes, managers, label drift, and per
/// stage and service the tasks that run. Pure: a function of what the Engine reports.
public struct ClusterHealth: Sendable {
    public enum Status: String, Sendable, Comparable, Codable {
        case healthy, degraded, failed

        public static func < (lhs: Status, rhs: Status) -> Bool {
            let order: [Status] = [.healthy, .degraded, .failed]
            return (order.firstIndex(of: lhs) ?? 0) < (order.firstIndex(of: rhs) ?? 0)
        }
    }

    public struct NodeReport: Sendable, Codable {
        public var host: String
        public var nodeID: String?
        /// As the managers see it; `missing` for a host with no node.
        public var state: NodeState
        public var availability: String
        public var manager: Bool
        public var reachable: Bool?
        public var labelDrift: [String]
    }

    public struct ServiceReport: Sendable, Codable {
        public var name: String
        public var component: String
        public var desired: Int
        public var running: Int
        public var updateState: String?
        public var status: Status
        public var problem: String?
    }

    public struct StageReport: Sendable, Codable {
        public var stage: String
        public var stack: String
        public var status: Status
        public var services: [ServiceReport]
    }

    /// Members up per family that needs a majority (etcd, ZooKeeper, MinIO's write quorum).
    public struct QuorumReport: Sendable, Codable, Equatable {
        public var family: String
        public var up: Int
        public var members: Int
        public var needed: Int

        public init(family: String, up: Int, members: Int, needed: Int) {
            self.family = family
            self.up = up
            self.members = members
            self.needed = needed
        }
    }

    /// A port Swarm publishes (host mode: on every address of each node that runs a task).
    public struct PublishedReport: Sendable, Codable, Equatable {
        public var service: String
        public var port: Int
        /// Hosts where a task of the service runs now, so where the port listens.
        public var hosts: [String]
        /// Whether the inventory asks for it (Milvus's client port, or a name in `expose:`).
        public var expected: Bool

        public init(service: String, port: Int, hosts: [String], expected: Bool) {
            self.service = service
            self.port = port
            self.hosts = hosts
            self.expected = expected
        }
    }

    /// A stateful tier whose members in the swarm are not the inventory's: what deploy refuses
    /// to change by plain service creates and removes (see MembershipGuard).
    public struct MembershipDrift: Sendable, Codable, Equatable {
        public var tier: String
        /// Member services the swarm runs, and the ones the inventory makes.
        public var running: [String]
        public var inventory: [String]

        public init(tier: String, running: [String], inventory: [String]) {
            self.tier = tier
            self.running = running
            self.inventory = inventory
        }

        public var added: [String] { inventory.filter { !running.contains($0) } }
        public var removed: [String] { running.filter { !inventory.contains($0) } }
    }

    public var status: Status
    /// etcd's own member list and alarms, when health asked etcd (`health --members`).
    public var etcdMembers: EtcdMemberReport?
    /// Stateful tiers whose running members differ from the inventory's.
    public var membershipDrift: [MembershipDrift] = []
    /// Every published port of the cluster's stacks.
    public var published: [PublishedReport] = []
    /// Milvus's `common.security.authorizationEnabled`, as the running milvus.yaml says (nil: not deployed).
    public var milvusAuthorization: Bool?
    public var nodes: [NodeReport]
    public var managersReachable: Int
    public var managers: Int
    public var stages: [StageReport]
    public var quorums: [QuorumReport]
    /// Every reason the status is not healthy, most severe first.
    public var problems: [String]

    /// - Parameter milvusConfig: the milvus.yaml the Milvus proxy runs with, when it could be read.
    public static func evaluate(inventory: Inventory, nodes: [SwarmNode], services: [SwarmService], tasks: [SwarmTask],
                                milvusConfig: String? = nil) -> ClusterHealth {
        var problems: [(Status, String)] = []

        // Nodes and managers.
        let plan = NodeLabelPlan.make(inventory: inventory, nodes: nodes)
        var nodeReports: [NodeReport] = []
        for host in inventory.hosts {
            let update = plan.updates.first { $0.host == host.name }
            let node = update.flatMap { update in nodes.first { $0.ID == update.nodeID } }
            guard let node else {
                nodeReports.append(NodeReport(host: host.name, nodeID: nil, state: "missing", availability: "-", manager: host.has(.manager),
                                              reachable: nil, labelDrift: []))
                problems.append((.degraded, "host \(host.name) is not in the swarm"))
                continue
            }
            var drift: [String] = []
            if let update {
                drift += update.added.keys.sorted().map { "+\($0)" }
                drift += update.changed.keys.sorted().map { "~\($0)" }
                drift += update.removed.keys.sorted().map { "-\($0)" }
            }
            let state = node.state
            let reachable = node.ManagerStatus.map { $0.Reachability == .reachable }
            nodeReports.append(NodeReport(host: host.name, nodeID: node.ID, state: state, availability: node.Spec.Availability ?? "active",
                                          manager: node.isManager, reachable: reachable, labelDrift: drift))
            if state != .ready { problems.append((.degraded, "node \(host.name) is \(state)")) }
            if !drift.isEmpty { problems.append((.degraded, "node \(host.name) labels differ from the inventory (\(drift.joined(separator: " "))); run `swarmstage label`")) }
        }
        let managerNodes = nodes.filter(\.isManager)
        let reachable = managerNodes.filter { $0.ManagerStatus?.Reachability == .reachable }.count
        if !managerNodes.isEmpty, reachable <= managerNodes.count / 2 {
            problems.append((.failed, "Swarm manager quorum lost: \(reachable) of \(managerNodes.count) managers reachable"))
        } else if reachable < managerNodes.count {
            problems.append((.degraded, "\(managerNodes.count - reachable) of \(managerNodes.count) managers unreachable (quorum held)"))
        }

        // Stages and services.
        var stageReports: [StageReport] = []
        var quorums: [QuorumReport] = []
        for stage in Stage.allCases {
            let stack = inventory.cluster.stackName(for: stage)
            let stackServices = services.filter { $0.Spec.Labels?[StackLabels.namespace] == stack }.sorted { $0.Spec.Name < $1.Spec.Name }
            guard !stackServices.isEmpty else {
                problems.append((.failed, "stage \(stage.rawValue): stack \(stack) is not deployed"))
                stageReports.append(StageReport(stage: stage.rawValue, stack: stack, status: .failed, services: []))
                continue
            }
            var reports = stackServices.map { service -> ServiceReport in
                let health = StageHealth.evaluate(service, tasks: tasks.filter { $0.ServiceID == service.ID })
                let component = service.Spec.Labels?[Component.label] ?? service.Spec.Name
                var problem: String?
                switch health.state {
                case .healthy: problem = nil
                case .waiting(let why), .unschedulable(let why), .failed(let why): problem = why
                }
                let oneShot = Component(rawValue: component)?.availability == .oneShot
                let status: Status = health.isHealthy ? .healthy : (oneShot ? .degraded : .failed)
                return ServiceReport(name: service.Spec.Name, component: component, desired: health.desired, running: health.running,
                                     updateState: service.UpdateStatus?.State?.rawValue, status: status, problem: problem)
            }
            // Severity by family: a member down in a redundant family is degraded; a quorum lost is failed.
            // A service whose component is not known (not made by swarmstage) counts as essential.
            // MinIO's servers count within their pool: each pool is an erasure set with its own write quorum.
            let families = Dictionary(grouping: reports.indices) { index -> String in
                MinioPoolGrowth.pool(of: stackServices[index].Spec).map { "\(reports[index].component) pool \($0)" } ?? reports[index].component
            }
            for family in families.keys.sorted() {
                let members = families[family] ?? []
                let component = reports[members.first ?? 0].component
                let up = members.filter { reports[$0].status == .healthy }.count
                let down = members.count - up
                let availability = Component(rawValue: component)?.availability ?? .essential
                if availability == .quorum { quorums.append(QuorumReport(family: family, up: up, members: members.count, needed: Component.majority(of: members.count))) }
                guard down > 0 else { continue }
                let severity: Status
                switch availability {
                case .quorum:
                    severity = up > members.count / 2 ? .degraded : .failed
                    let what = component == Component.minio.rawValue ? "write quorum" : "quorum"
                    problems.append((severity, "\(family): \(up) of \(members.count) members up (\(severity == .failed ? "\(what) lost" : "\(what) held"))"))
                case .redundant:
                    severity = members.contains { reports[$0].running > 0 } ? .degraded : .failed
                case .monitoring, .oneShot:
                    severity = .degraded
                case .essential:
                    severity = .failed
                }
                for index in members where reports[index].status != .healthy {
                    let member = reports[index]
                    // A member of a replicated service that still runs some tasks is degraded, not failed.
                    let memberSeverity = member.running > 0 && severity == .failed && availability != .quorum ? .degraded : severity
                    reports[index].status = memberSeverity
                    problems.append((memberSeverity, "\(member.name): \(member.running)/\(member.desired) running\(member.problem.map { "; \($0)" } ?? "")"))
                }
            }
            let stageStatus = reports.map(\.status).max() ?? .healthy
            stageReports.append(StageReport(stage: stage.rawValue, stack: stack, status: stageStatus, services: reports))
        }

        // Membership drift: a stateful tier that runs other members than the inventory makes.
        let drift = membershipDrift(inventory: inventory, services: services)
        for tier in drift {
            let change = (tier.added.map { "+\($0)" } + tier.removed.map { "-\($0)" }).joined(separator: " ")
            problems.append((.degraded, "\(tier.tier) membership: the swarm runs \(tier.running.count) members, the inventory makes "
                + "\(tier.inventory.count) (\(change)); deploy does not change a running tier's members (see the README's runbook)"))
        }

        let status = problems.map(\.0).max() ?? .healthy
        let ordered = problems.sorted { $0.0 > $1.0 }.map(\.1)
        var health = ClusterHealth(status: status, nodes: nodeReports, managersReachable: reachable, managers: managerNodes.count,
                                   stages: stageReports, quorums: quorums, problems: ordered)
        health.membershipDrift = drift
        health.published = publishedPorts(inventory: inventory, nodes: nodes, services: services, tasks: tasks)
        health.milvusAuthorization = milvusConfig.map(authorizationEnabled)
        return health
    }

    /// The stateful tiers (etcd, ZooKeeper, MinIO, bookies) whose member services in the swarm
    /// are not the ones the inventory makes. A tier that does not run at all is not drift (it is
    /// reported as not deployed).
    static func membershipDrift(inventory: Inventory, services: [SwarmService]) -> [MembershipDrift] {
        let planned = MilvusBlueprint.make(inventory).services
        var drift: [MembershipDrift] = []
        for tier in MembershipGuard.tiers {
            let running = services.filter { $0.Spec.Labels?[Component.label] == tier.rawValue }.map(\.Spec.Name).sorted()
            guard !running.isEmpty else { continue }
            let wanted = planned.filter { $0.component == tier }
                .map { "\(inventory.cluster.stackName(for: $0.stage))_\($0.service.name)" }.sorted()
            if running != wanted { drift.append(MembershipDrift(tier: tier.rawValue, running: running, inventory: wanted)) }
        }
        return drift
    }

    /// The published ports of the stacks' services, with the hosts that run their tasks.
    static func publishedPorts(inventory: Inventory, nodes: [SwarmNode], services: [SwarmService], tasks: [SwarmTask]) -> [PublishedReport] {
        let expectedPorts = Set([19530] + inventory.cluster.exposed.map(\.port))
        let hostnames = Dictionary(nodes.map { ($0.ID, $0.hostname) }, uniquingKeysWith: { first, _ in first })
        var reports: [PublishedReport] = []
        for service in services.sorted(by: { $0.Spec.Name < $1.Spec.Name }) {
            let running = tasks.filter { $0.ServiceID == service.ID && $0.Status.State == .running }
            let hosts = Set(running.compactMap { $0.NodeID.flatMap { hostnames[$0] } }).sorted()
            for port in service.Spec.EndpointSpec?.Ports ?? [] {
                let number = Int(port.PublishedPort ?? port.TargetPort)
                reports.append(PublishedReport(service: service.Spec.Name, port: number, hosts: hosts, expected: expectedPorts.contains(number)))
            }
        }
        return reports
    }

    /// `common.security.authorizationEnabled` in a milvus.yaml (Milvus's default: false).
    public static func authorizationEnabled(_ yaml: String) -> Bool {
        var inCommon = false, inSecurity = false
        for line in yaml.split(separator: "\n") {
            let indent = line.prefix { $0 == " " }.count
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            if indent == 0 { inCommon = text == "common:"; inSecurity = false; continue }
            if inCommon, indent == 2 { inSecurity = text == "security:"; continue }
            if inCommon, inSecurity, text.hasPrefix("authorizationEnabled:") {
                return text.dropFirst("authorizationEnabled:".count).trimmingCharacters(in: .whitespaces) == "true"
            }
        }
        return false
    }

    /// Adds what asking etcd found: its problems join the others by severity (most severe first).
    public mutating func adding(_ report: EtcdMemberReport, inventoryMembers: [String]) {
        etcdMembers = report
        adding(report.problems(inventoryMembers: inventoryMembers))
    }

    /// More problems, joined to the others by severity (most severe first).
    public mutating func adding(_ found: [(Status, String)]) {
        problems = found.filter { $0.0 == .failed }.map(\.1) + problems + found.filter { $0.0 != .failed }.map(\.1)
        status = max(status, found.map(\.0).max() ?? .healthy)
    }

    /// An etcd member that fails to start because etcd says its data is lost where it runs (its
    /// logs, a read): named with what deploy does about it.
    static func etcdDataLost(_ services: [SwarmService], tasks: [SwarmTask], engine: any SwarmAPI) async -> [(Status, String)] {
        var found: [(Status, String)] = []
        for member in services where member.Spec.Labels?[Component.label] == Component.etcd.rawValue
            && EtcdReplacement.isFailingToStart(member, tasks: tasks) {
            guard let said = try? await SwarmSnapshot.etcdDataLost(member, tasks: tasks, swarm: engine) else { continue }
            found.append((.degraded, "\(member.Spec.Name): etcd says this member's data is lost where it runs (\(said)): its data "
                + "directory is empty while the cluster knows the member, so it cannot start; `swarmstage deploy` replaces it there "
                + "by etcd's procedure (member remove, member add, start with --initial-cluster-state existing)"))
        }
        return found
    }

    /// Reads everything the report needs from the Engine. With `askEtcd`, also asks etcd itself
    /// for its member list and alarms (`EtcdMemberReport`): through short-lived Swarm jobs unless
    /// `etcd` is given, so not read-only; without it, health makes no write to the Engine.
    public static func read(_ engine: any SwarmAPI, inventory: Inventory, askEtcd: Bool = false,
                            etcd: (any EtcdControl)? = nil) async throws -> ClusterHealth {
        let nodes = try await engine.nodes()
        var services: [SwarmService] = [], tasks: [SwarmTask] = []
        for stage in Stage.allCases {
            let namespace = Filters.stack(inventory.cluster.stackName(for: stage))
            let stackServices = try await engine.services(filters: namespace, status: true)
            let ids = Set(stackServices.map(\.ID))
            services += stackServices
            tasks += try await engine.tasks(filters: namespace).filter { ids.contains($0.ServiceID) }
        }
        // The milvus.yaml the proxy runs with: whether Milvus checks who calls it.
        var milvusConfig: String?
        let proxy = services.first { $0.Spec.Labels?[Component.label] == Component.proxy.rawValue }
        if let reference = proxy?.Spec.TaskTemplate.ContainerSpec?.Configs?.first(where: { $0.File?.Name == "/milvus/configs/milvus.yaml" }),
           let config = try? await engine.config(reference.ConfigID), let data = config.Spec.Data.flatMap({ Data(base64Encoded: $0) }) {
            milvusConfig = String(decoding: data, as: UTF8.self)
        }
        var health = evaluate(inventory: inventory, nodes: nodes, services: services, tasks: tasks, milvusConfig: milvusConfig)
        health.adding(await etcdDataLost(services, tasks: tasks, engine: engine))
        if askEtcd, let report = await EtcdMemberReport.read(engine, inventory: inventory, services: services, tasks: tasks, control: etcd) {
            health.adding(report, inventoryMembers: EtcdMemberReport.inventoryMembers(inventory))
        }
        return health
    }
}
