import Blueprint
import Foundation
import Inventory
import StackConvert
import SwarmModel

/// Servers the inventory adds to a running ZooKeeper ensemble, by the rolling procedure for a
/// static server list (ZooKeeper Administrator's Guide, "Clustered (Multi-Server) Setup": every
/// server reads the list from its configuration file; ZooKeeper's "Dynamic Reconfiguration" page
/// describes the rolling restart it replaces since 3.5, where `reconfig` is off by default and
/// needs the super user; DAY2-NOTES: "a rolling restart with the new server list that keeps a
/// majority of the old ensemble at each step").
///
/// One server per round, because a list grown by one cannot make two disjoint majorities: with
/// `n` servers on the old list and `r` of them restarted on the new list of `n + 1`, the old list
/// has a majority only while `n - r > n / 2` and the new one only once `r + 1 > (n + 1) / 2`,
/// never both. (Two servers at once could: 3 -> 5 with one old server restarted gives the new
/// list 3 of 5 while the two old servers still hold 2 of 3.) So 3 -> 5 is two rounds, through a
/// list of 4 that no file of the stack names: each round writes its list as a config of its own.
/// A round: the config with the list grown by one; the new server created on it (it runs, and
/// serves only once a majority of its list names it); each running server restarted on it, one at
/// a time, each healthy before the next; then every server of the list must serve, with one
/// leader, each naming exactly that list (`srvr` and `conf`, `ZooKeeperStatus`). The last round's
/// list is the stack's own config, and its servers get their whole new spec.
/// Running servers must be the first servers of the inventory's list, with the same numbers: a
/// server whose number changed would be another server with the old one's data.
public enum ZooKeeperGrowth {
    /// A server line of zookeeper.conf: `server.4=zk4:2888:3888`.
    public struct Server: Sendable, Equatable {
        public var id: Int
        public var host: String

        public init(id: Int, host: String) {
            self.id = id
            self.host = host
        }
    }

    /// The servers a zookeeper.conf (or a `conf` answer) lists, by number.
    public static func servers(in text: String) -> [Server] {
        text.split(separator: "\n").compactMap { raw -> Server? in
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("server."), let equals = line.firstIndex(of: "="),
                  let id = Int(line[line.index(line.startIndex, offsetBy: 7)..<equals]) else { return nil }
            let host = line[line.index(after: equals)...].prefix { $0 != ":" && $0 != ";" }
            return host.isEmpty ? nil : Server(id: id, host: String(host))
        }.sorted { $0.id < $1.id }
    }

    /// `text` with only the server lines of `ids`.
    public static func keeping(_ text: String, ids: Set<Int>) -> String {
        let kept = text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            guard let server = servers(in: String(line)).first else { return true }
            return ids.contains(server.id)
        }
        return kept.joined(separator: "\n")
    }

    /// The name of the config a ZooKeeper service mounts as its zookeeper.conf.
    public static func configName(_ spec: ServiceSpec) -> String? {
        spec.TaskTemplate.ContainerSpec?.Configs?.first { $0.File?.Name.hasSuffix("zookeeper.conf") == true }?.ConfigName
    }

    /// `spec` mounting the config `name` as its zookeeper.conf.
    public static func mounting(_ spec: ServiceSpec, config name: String) -> ServiceSpec {
        var next = spec
        next.TaskTemplate.ContainerSpec?.Configs = spec.TaskTemplate.ContainerSpec?.Configs?.map { reference in
            guard reference.File?.Name.hasSuffix("zookeeper.conf") == true else { return reference }
            var swapped = reference
            swapped.ConfigName = name
            swapped.ConfigID = ""
            return swapped
        }
        return next
    }

    /// A service's host name on the network (`lab-pulsar_zk4` is `zk4`).
    static func host(of spec: ServiceSpec) -> String {
        spec.TaskTemplate.ContainerSpec?.Hostname ?? ZooKeeperSyncWait.host(of: spec.Name)
    }

    /// The steps of a growth, planned.
    public struct Plan: Sendable, Equatable {
        /// Every step, in order: the rounds, each ending with `waitForZooKeeper`.
        public var actions: [DeployAction] = []
        /// The lists of the rounds before the last, made as configs of their own: removed once the stage is healthy.
        public var roundConfigs: [String] = []
        public var problems: [StageFailure.Reason] = []
    }

    /// The growth of the ZooKeeper ensemble `spec` asks of the running `existing` services; nil
    /// when it asks none (no server runs, none is added, or one is removed: `MembershipGuard`).
    public static func plan(_ stage: Stage, spec: StackSpec, existing: [SwarmService], snapshot: SwarmSnapshot) -> Plan? {
        let isServer = { (labels: [String: String]?) in labels?[Component.label] == Component.zookeeper.rawValue }
        let wanted = spec.services.filter { isServer($0.Labels) }
        let running = existing.filter { isServer($0.Spec.Labels) }
        let runningNames = Set(running.map(\.Spec.Name))
        guard !running.isEmpty, wanted.contains(where: { !runningNames.contains($0.Name) }),
              running.allSatisfy({ current in wanted.contains { $0.Name == current.Spec.Name } }) else { return nil }
        var plan = Plan()
        func refuse(_ reason: String) -> Plan {
            plan.problems = [.rollingChangeUnsafe(service: wanted.filter { !runningNames.contains($0.Name) }.map(\.Name).joined(separator: ", "),
                                                  reason: reason)]
            return plan
        }
        guard let finalName = wanted.first.flatMap(configName), wanted.allSatisfy({ configName($0) == finalName }),
              let finalConfig = spec.configs.first(where: { $0.name == finalName }) else {
            return refuse("the ZooKeeper servers do not all mount one zookeeper.conf of the stack: their server list is not known")
        }
        let finalText = String(decoding: finalConfig.data, as: UTF8.self)
        let list = servers(in: finalText)
        // Each server of the list is a service of the stack, by its host name.
        var serviceOf: [Int: ServiceSpec] = [:]
        for server in list {
            guard let service = wanted.first(where: { host(of: $0) == server.host }) else {
                return refuse("zookeeper.conf lists server.\(server.id)=\(server.host), which no ZooKeeper service of the stack is")
            }
            serviceOf[server.id] = service
        }
        guard serviceOf.count == wanted.count else {
            return refuse("the stack's ZooKeeper services and zookeeper.conf's server list differ")
        }
        // What each running server's list is now (its config as the swarm holds it).
        let heldLists = running.map { current -> [Server] in
            guard let name = configName(current.Spec),
                  let stored = snapshot.configs.first(where: { $0.Spec.Name == name })?.Spec.Data,
                  let data = Data(base64Encoded: stored), !data.isEmpty else {
                return list.filter { server in runningNames.contains(serviceOf[server.id]?.Name ?? "") }
            }
            return servers(in: String(decoding: data, as: UTF8.self))
        }
        let runningPrefix = list.prefix(running.count)
        guard runningPrefix.allSatisfy({ runningNames.contains(serviceOf[$0.id]?.Name ?? "") }),
              heldLists.allSatisfy({ held in !held.isEmpty && Array(list.prefix(held.count)) == held }) else {
            return refuse("the running servers (\(running.map { host(of: $0.Spec) }.sorted().joined(separator: ", "))) are not the first servers "
                + "of the inventory's list with the same numbers (\(list.map { "server.\($0.id)=\($0.host)" }.joined(separator: ", "))): "
                + "a server whose number changes is another server with the old one's data (ZooKeeper Administrator's Guide, myid); "
                + "keep the running zk hosts first and in their order in the inventory, and add new ones after them")
        }
        // A growth cut short leaves servers on two lists: it goes on from the shorter one's next round.
        let start = (heldLists.map(\.count).min() ?? running.count) + 1
        guard start <= list.count else { return nil }
        let byName = Dictionary(running.map { ($0.Spec.Name, $0) }, uniquingKeysWith: { first, _ in first })
        for size in start...list.count {
            let members = Array(list.prefix(size))
            let isLast = size == list.count
            var roundConfig = finalName
            if !isLast {
                let text = keeping(finalText, ids: Set(members.map(\.id)))
                let stem = finalName.split(separator: "-").dropLast().joined(separator: "-")
                roundConfig = "\(stem.isEmpty ? finalName : stem)-\(ContentHash.short(text))"
                plan.roundConfigs.append(roundConfig)
                if snapshot.configIDs[roundConfig] == nil {
                    plan.actions.append(.createConfig(FileObjectSpec(name: roundConfig, labels: finalConfig.labels, data: Array(text.utf8))))
                }
            }
            let fields = ["configs: zookeeper.conf lists \(size) servers"]
            // The new server first: it runs, and serves once a majority of its list names it.
            if let added = members.last.flatMap({ serviceOf[$0.id] }), byName[added.Name] == nil {
                plan.actions.append(.createService(isLast ? added : mounting(added, config: roundConfig)))
                plan.actions.append(.waitForService(stage, name: added.Name))
            }
            for server in members.dropLast() {
                guard let desired = serviceOf[server.id] else { continue }
                let step: DeployAction
                if let current = byName[desired.Name] {
                    if isLast {
                        step = DeployPlanner.serviceAction(desired, current: current, snapshot: snapshot)
                    } else if configName(current.Spec) == roundConfig {
                        step = .leaveService(name: desired.Name)
                    } else {
                        step = .updateService(id: current.ID, spec: mounting(current.Spec, config: roundConfig), fields: fields)
                    }
                } else {
                    // Created in an earlier round of this deploy: the Engine finds it by name.
                    step = .updateService(id: desired.Name, spec: isLast ? desired : mounting(desired, config: roundConfig), fields: fields)
                }
                plan.actions.append(step)
                if case .updateService = step { plan.actions.append(.waitForService(stage, name: desired.Name)) }
            }
            plan.actions.append(.waitForZooKeeper(stage, servers: members.compactMap { serviceOf[$0.id]?.Name }))
        }
        return plan
    }
}
