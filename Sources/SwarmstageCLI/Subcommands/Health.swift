import ArgumentParser
import Foundation
import Inventory
import Rollout
import SwarmModel

/// Reports the cluster's health against the inventory, for people and for monitoring.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report the cluster's health: nodes, managers, label drift, every stage and service.",
        discussion: """
        Exit code: 0 healthy; 1 degraded (a replica down, a node down, label drift, a quorum held with a \
        member down); 2 failed (manager or etcd/ZooKeeper/MinIO quorum lost, a stage missing or a service \
        with no task running, with --members an etcd alarm); 3 usage or configuration error; 4 Engine unreachable or not a manager. \
        --json prints one object with numeric fields for monitoring. Plain health only reads from the \
        Engine; --members also asks etcd itself (its member list and alarms, e.g. NOSPACE, which the swarm \
        cannot show) through two short-lived Swarm jobs, removed afterwards.
        """
    )

    @OptionGroup var inventoryOptions: InventoryOptions
    @OptionGroup var engineOptions: EngineOptions

    @Flag(help: "Print JSON (status, exitCode, nodes, stages, services with desired/running counts, problems).")
    var json = false

    @Flag(help: "Also ask etcd for its member list and alarms (two short-lived Swarm jobs: not read-only).")
    var members = false

    @Option(help: ArgumentHelp("Refresh every N seconds until interrupted.", valueName: "seconds"))
    var watch: Int?

    mutating func run() async throws {
        let inventory = try inventoryOptions.load()
        let engine = try await engineOptions.connectToManager()
        repeat {
            let health = try await ClusterHealth.read(engine, inventory: inventory, askEtcd: members)
            if watch != nil, Terminal.isInteractive, !json { print(Terminal.clearScreen, terminator: "") }
            Console.out(json ? HealthText.json(health) : HealthText.render(health, cluster: inventory.cluster.name))
            if let watch {
                try await Task.sleep(for: .seconds(max(watch, 1)))
                continue
            }
            switch health.status {
            case .healthy: return
            case .degraded: throw Failure(message: "", code: .degraded)
            case .failed: throw Failure(message: "", code: .failed)
            }
        } while true
    }
}

enum HealthText {
    static func code(_ status: ClusterHealth.Status) -> StatusCode {
        switch status {
        case .healthy: return .success
        case .degraded: return .degraded
        case .failed: return .failed
        }
    }

    static func label(_ status: ClusterHealth.Status) -> String {
        switch status {
        case .healthy: return Terminal.paint("healthy", .green)
        case .degraded: return Terminal.paint("DEGRADED", .yellow)
        case .failed: return Terminal.paint("FAILED", .red)
        }
    }

    static func render(_ health: ClusterHealth, cluster: String) -> String {
        var lines = ["cluster \(cluster): \(label(health.status))"]
        let ready = health.nodes.filter { $0.state == .ready }.count
        let drift = health.nodes.filter { !$0.labelDrift.isEmpty }.count
        lines.append("nodes: \(ready)/\(health.nodes.count) ready; managers: \(health.managersReachable)/\(health.managers) reachable; label drift on \(drift) node\(drift == 1 ? "" : "s")")
        for stage in health.stages {
            lines.append("stage \(stage.stage) (\(stage.stack)): \(label(stage.status))")
            let width = stage.services.map(\.name.count).max() ?? 10
            for service in stage.services {
                let counts = "\(service.running)/\(service.desired)".padding(toLength: 7, withPad: " ", startingAt: 0)
                var line = "  \(service.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(counts)"
                if service.status != .healthy { line += "  \(label(service.status))" + (service.problem.map { ": \($0)" } ?? "") }
                lines.append(line)
            }
        }
        for port in health.published {
            let hosts = port.hosts.isEmpty ? "no host (no task running)" : port.hosts.joined(separator: ", ")
            lines.append("published: \(port.port) (\(port.service)) on \(hosts)"
                + (port.expected ? "" : "  " + Terminal.paint("not asked for by the inventory", .yellow)))
        }
        if health.milvusAuthorization == false {
            lines.append(Terminal.paint("warning", .yellow) + ": Milvus authorization is off (common.security.authorizationEnabled): "
                + "anyone who reaches 19530 can drop collections; remove security.milvus_authorization: false from the inventory")
        }
        if let etcd = health.etcdMembers {
            let listed = etcd.members.sorted { $0.name < $1.name }.map { $0.name.isEmpty ? "(unstarted \($0.id))" : $0.name + ($0.learner ? " (learner)" : "") }
            if !etcd.members.isEmpty { lines.append("etcd members (etcd's own list): \(listed.joined(separator: ", "))") }
            let alarms = etcd.alarms.map { "\($0.alarm) (\($0.member ?? $0.memberID))" }
            let unknown = etcd.unanswered.contains { $0.contains("alarm list") || $0.contains("no etcd member") }
            lines.append("etcd alarms: " + (unknown ? "unknown (etcd did not answer)" : alarms.isEmpty ? "none" : alarms.joined(separator: ", ")))
        }
        if !health.problems.isEmpty {
            lines.append("problems:")
            lines += health.problems.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ health: ClusterHealth) -> String {
        struct Document: Encodable {
            var status: ClusterHealth.Status
            var exitCode: Int32
            var nodesReady: Int
            var nodesTotal: Int
            var managersReachable: Int
            var managersTotal: Int
            var servicesHealthy: Int
            var servicesTotal: Int
            var nodes: [ClusterHealth.NodeReport]
            var stages: [ClusterHealth.StageReport]
            var quorums: [ClusterHealth.QuorumReport]
            var published: [ClusterHealth.PublishedReport]
            var milvusAuthorization: Bool?
            var membershipDrift: [ClusterHealth.MembershipDrift]
            var etcdMembers: EtcdMemberReport?
            var problems: [String]
        }
        let services = health.stages.flatMap(\.services)
        let document = Document(status: health.status, exitCode: code(health.status).rawValue,
                                nodesReady: health.nodes.filter { $0.state == .ready }.count, nodesTotal: health.nodes.count,
                                managersReachable: health.managersReachable, managersTotal: health.managers,
                                servicesHealthy: services.filter { $0.status == .healthy }.count, servicesTotal: services.count,
                                nodes: health.nodes, stages: health.stages, quorums: health.quorums, published: health.published,
                                milvusAuthorization: health.milvusAuthorization, membershipDrift: health.membershipDrift,
                                etcdMembers: health.etcdMembers, problems: health.problems)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(document), as: UTF8.self)) ?? "{}"
    }
}
