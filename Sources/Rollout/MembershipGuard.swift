import Blueprint
import Foundation
import Inventory
import StackConvert
import SwarmModel

/// Membership changes of a running stateful tier that a plain service create or remove would
/// turn into data loss, refused before the first write. Each tier changes members only by its
/// own procedure, one member at a time; until swarmstage carries those out, deploy keeps a
/// running tier's members as they are and says what the procedure is:
/// - etcd: membership is fixed at bootstrap (`--initial-cluster-state new`); a member joins with
///   `etcdctl member add` and `--initial-cluster-state existing`, and leaves with `etcdctl member
///   remove` before it stops (etcd docs, "Runtime reconfiguration"): deploy does both.
/// - ZooKeeper: the server list is static; a change is a rolling restart that keeps a majority
///   of the old ensemble at every step (ZooKeeper Administrator's Guide; dynamic reconfiguration
///   needs `reconfigEnabled`): deploy adds servers by rounds of one (`ZooKeeperGrowth`) and
///   refuses removing one.
/// - MinIO: the erasure set is fixed when the deployment is made; a server cannot be removed and
///   growth is only by a new server pool (MinIO docs, "Expand a MinIO deployment"): deploy adds
///   one whole pool (`MinioPoolGrowth`) and refuses any other change of the servers.
/// - BookKeeper: a bookie leaves only after `bin/bookkeeper shell decommissionbookie` has
///   re-replicated its ledgers (BookKeeper docs, "Decommission bookies"): deploy does it, one per
///   deploy and never below the ensemble size (`bookieRefusal`); adding one is safe.
/// A tier that does not run yet is created freely, and so are stateless services.
public enum MembershipGuard {
    /// The tiers whose members hold data or a quorum, in the order the stacks start them.
    public static let tiers: [Component] = [.etcd, .zookeeper, .minio, .bookie]

    /// The refusals for `prepared`, given the services its stack runs now.
    public static func problems(_ prepared: PreparedStage, running: [SwarmService]) -> [StageFailure.Reason] {
        guard !running.isEmpty else { return [] }
        var problems: [StageFailure.Reason] = []
        for tier in tiers {
            let now = Set(running.filter { $0.Spec.Labels?[Component.label] == tier.rawValue }.map(\.Spec.Name))
            guard !now.isEmpty else { continue }
            let wanted = Set(prepared.spec.services.filter { $0.Labels?[Component.label] == tier.rawValue }.map(\.Name))
            let added = wanted.subtracting(now).sorted(), removed = now.subtracting(wanted).sorted()
            guard !added.isEmpty || !removed.isEmpty else { continue }
            // etcd's members join and leave by etcd's procedure (`EtcdGrowth`, `Deployer.removeEtcdMember`);
            // a bookie added is safe as it is, and one leaves by decommission (`Deployer.decommissionBookie`).
            if tier == .etcd { continue }
            // Servers added to ZooKeeper's list join by its rolling procedure, one per round (`ZooKeeperGrowth`).
            if tier == .zookeeper, removed.isEmpty { continue }
            if tier == .bookie {
                if let refusal = bookieRefusal(added: added, removed: removed, wanted: wanted.count,
                                               ensemble: DeployPlanner.ensembleSize(prepared.spec)) {
                    problems.append(.membershipChangeRefused(tier: tier.rawValue, running: now.count, wanted: wanted.count,
                                                             added: added, removed: removed, procedure: refusal))
                }
                continue
            }
            if tier == .minio, removed.isEmpty {
                let growth = MinioPoolGrowth(running: running, wanted: prepared.spec.services)
                if growth.isNewPool { continue }
                problems.append(.membershipChangeRefused(tier: tier.rawValue, running: now.count, wanted: wanted.count,
                                                         added: added, removed: removed, procedure: growth.refusal))
                continue
            }
            problems.append(.membershipChangeRefused(tier: tier.rawValue, running: now.count, wanted: wanted.count,
                                                     added: added, removed: removed, procedure: procedure(tier, growing: removed.isEmpty)))
        }
        return problems
    }

    /// Every refusal of the stages to apply, against one snapshot: checked before anything is written.
    public static func problems(_ stages: [PreparedStage], snapshot: SwarmSnapshot) -> [(Stage, StageFailure.Reason)] {
        stages.flatMap { prepared in problems(prepared, running: snapshot.services(of: prepared.spec.name)).map { (prepared.stage, $0) } }
    }

    /// Bookies leave one per deploy, by decommission, and never below the ensemble size
    /// (BookKeeper docs, "Decommission Bookies": EnsembleSize >= WriteQuorum >= AckQuorum must
    /// hold with one bookie less; no other operation at the same time).
    static func bookieRefusal(added: [String], removed: [String], wanted: Int, ensemble: Int?) -> String? {
        guard !removed.isEmpty else { return nil }
        if !added.isEmpty {
            return "bookies are added or decommissioned, not both in one deploy (a decommission re-replicates ledgers onto "
                + "the bookies that stay, and nothing else may change meanwhile; BookKeeper docs, Decommission Bookies): "
                + "deploy the added bookies first, then remove the other"
        }
        if removed.count > 1 {
            return "one bookie is decommissioned per deploy (its ledgers re-replicated before the next goes; BookKeeper docs, "
                + "Decommission Bookies): remove one bookie host from the inventory, deploy, then the next"
        }
        if let ensemble, wanted < ensemble {
            return "\(wanted) bookies would stay, fewer than the ensemble size \(ensemble): ledgers could not be re-replicated "
                + "and Pulsar could not write (BookKeeper docs, Decommission Bookies: EnsembleSize >= WriteQuorum >= AckQuorum "
                + "must hold with one bookie less); add a bookie host first, or lower bookkeeper.ensemble in the inventory"
        }
        return nil
    }

    static func procedure(_ tier: Component, growing: Bool) -> String {
        switch tier {
        case .zookeeper:
            return "ZooKeeper's server list is static: changing it is a rolling restart that keeps a majority of the old ensemble "
                + "at every step (ZooKeeper Administrator's Guide); swarmstage adds servers that way, one per round, and does not "
                + "remove one: keep the inventory's running zk hosts, and add new ones after them"
        case .minio:
            return growing
                ? MinioPoolGrowth.sameSetRefusal + "N` in the inventory"
                : "a MinIO server cannot be removed from its erasure set, and a pool only leaves whole after `mc admin decommission` "
                    + "(MinIO docs, Decommission a server pool): keep the inventory's minio hosts as they run"
        default:
            return ""
        }
    }
}

/// A member of a running stateful tier that a label change would move to another node, where it
/// would start with an empty data directory under its old identity: the dangerous half of
/// replacing a dead host. Swarm keeps a member on the node whose labels match its constraint
/// (`node.labels.etcd2==true`); `label` moving that label to a spare node lets Swarm start the
/// member there as soon as the old node is down or loses the label. What each tier needs instead:
/// - etcd: a member whose data is gone must leave the cluster first (`etcdctl member remove`),
///   then join again as a new member (`member add`, started with `--initial-cluster-state
///   existing` and an empty data directory); restarting it under its old ID with no data breaks
///   the raft log's guarantees (etcd docs, "Runtime reconfiguration": replace a failed member).
/// - BookKeeper: a bookie with empty disks is refused by its cookie check; its ledgers are
///   re-replicated after `decommissionbookie` or the replacement is admitted with its cookie
///   removed (BookKeeper docs, "Bookie cookies"/"Decommission bookies").
/// - ZooKeeper: a server with an empty data directory syncs from the leader, one at a time and
///   only while a majority of the ensemble holds the data (ZooKeeper Administrator's Guide).
/// - MinIO: a server with empty drives is healed from the others; the heal must finish before
///   another server is replaced (MinIO docs, "Recover after drive failure"/"Recover after node failure").
/// swarmstage carries out etcd's (deploy, `EtcdReplacement`), MinIO's (`label` waits for the
/// heal, `MinioHealWait`, one server at a time), ZooKeeper's (`label` checks the others'
/// quorum first and waits until the server serves, `ZooKeeperSyncWait`, one at a time) and
/// BookKeeper's (`label` decommissions the bookie before it writes, then waits until it takes
/// writes on its new host, `BookieHandOverRun`, one at a time) for a member whose host is down;
/// moving a member off a host that still runs, `label` refuses before any write.
public enum MemberMoveGuard {
    public struct Move: Sendable, Equatable, CustomStringConvertible {
        public var tier: String
        public var service: String
        /// The node the member last ran on (where its data is), and that node's state.
        public var from: String
        public var fromState: String
        public var to: String
        /// Why this move, which its tier's procedure could carry out alone, is refused (MinIO: more than one at once).
        public var note: String?

        public init(tier: String, service: String, from: String, fromState: String, to: String, note: String? = nil) {
            self.tier = tier
            self.service = service
            self.from = from
            self.fromState = fromState
            self.to = to
            self.note = note
        }

        public var description: String {
            "\(service) (\(tier)) would move from \(from) (\(fromState)), where its data is, to \(to), and start there "
                + "with an empty data directory under its old identity; \(note ?? MemberMoveGuard.procedure(tier))"
        }
    }

    /// The moves `plan` would cause: each running member of a stateful tier that the new labels
    /// make eligible on a node other than the one it last ran on, while that node is down or
    /// stops being eligible. Those a procedure carries out are not refused: an etcd member whose
    /// host is down (deploy replaces it, `EtcdReplacement`), and one MinIO server whose host is
    /// down (MinIO heals it, `label` waits: `minioHandOvers`).
    public static func moves(_ plan: NodeLabelPlan, nodes: [SwarmNode], services: [SwarmService], tasks: [SwarmTask]) -> [Move] {
        let all = candidates(plan, nodes: nodes, services: services, tasks: tasks)
        let handedOver = Set(handOvers(all).map(\.service) + zooKeeperHandOvers(all, services: services).map(\.service)
            + bookieHandOvers(all, services: services).map(\.service))
        return all.filter { candidate in
            // Swarm's start of an etcd member on the new host before deploy replaces it is refused by
            // etcd itself ("member ... has already been bootstrapped"), with nothing written to the data.
            if candidate.move.tier == Component.etcd.rawValue, candidate.homeDown { return false }
            return !handedOver.contains(candidate.move.service)
        }.map { candidate in
            var move = candidate.move
            if move.tier == Component.minio.rawValue, candidate.homeDown {
                move.note = "MinIO heals one replaced server at a time (MinIO docs, Recover after node failure): hand on one, "
                    + "let `label` wait for its heal, then the next"
            }
            if move.tier == Component.bookie.rawValue, candidate.homeDown {
                move.note = "BookKeeper re-replicates one lost bookie at a time (BookKeeper docs, Decommission Bookies): hand on one, "
                    + "let `label` decommission it and wait until it takes writes on its new host, then the next"
            }
            if move.tier == Component.zookeeper.rawValue, candidate.homeDown {
                move.note = "ZooKeeper takes one empty server at a time, while the others keep a majority that holds the data "
                    + "(ZooKeeper Administrator's Guide): hand on one, let `label` wait until it serves, then the next"
            }
            return move
        }
    }

    /// The MinIO server `plan` hands from a host that is down to another, when it is the only
    /// MinIO server moving (two at once would heal from fewer drives than MinIO's read quorum
    /// may leave: they are refused, one at a time).
    public static func minioHandOvers(_ plan: NodeLabelPlan, nodes: [SwarmNode], services: [SwarmService],
                                      tasks: [SwarmTask]) -> [MinioHandOver] {
        handOvers(candidates(plan, nodes: nodes, services: services, tasks: tasks))
    }

    /// The ZooKeeper server `plan` hands from a host that is down to another, when it is the only
    /// one moving (`label` checks the others' quorum before it writes, `ZooKeeperSyncWait`).
    public static func zooKeeperHandOvers(_ plan: NodeLabelPlan, nodes: [SwarmNode], services: [SwarmService],
                                          tasks: [SwarmTask]) -> [ZooKeeperHandOver] {
        zooKeeperHandOvers(candidates(plan, nodes: nodes, services: services, tasks: tasks), services: services)
    }

    static func zooKeeperHandOvers(_ candidates: [Candidate], services: [SwarmService]) -> [ZooKeeperHandOver] {
        let moving = candidates.filter { $0.move.tier == Component.zookeeper.rawValue }
        guard moving.count == 1, let only = moving.first, only.homeDown else { return [] }
        let ensemble = services.filter { $0.Spec.Labels?[Component.label] == Component.zookeeper.rawValue }
        let host = ensemble.first { $0.Spec.Name == only.move.service }?.Spec.TaskTemplate.ContainerSpec?.Hostname
            ?? ZooKeeperSyncWait.host(of: only.move.service)
        return [ZooKeeperHandOver(service: only.move.service, host: host, from: only.move.from, to: only.move.to, toNodeID: only.toNodeID,
                                  others: ensemble.map(\.Spec.Name).filter { $0 != only.move.service }.sorted())]
    }

    /// The bookie `plan` hands from a host that is down to another, when it is the only bookie
    /// moving (`label` decommissions it before it writes, `BookieHandOverRun`).
    public static func bookieHandOvers(_ plan: NodeLabelPlan, nodes: [SwarmNode], services: [SwarmService],
                                       tasks: [SwarmTask]) -> [BookieHandOver] {
        bookieHandOvers(candidates(plan, nodes: nodes, services: services, tasks: tasks), services: services)
    }

    static func bookieHandOvers(_ candidates: [Candidate], services: [SwarmService]) -> [BookieHandOver] {
        let moving = candidates.filter { $0.move.tier == Component.bookie.rawValue }
        guard moving.count == 1, let only = moving.first, only.homeDown,
              let service = services.first(where: { $0.Spec.Name == only.move.service }) else { return [] }
        let bookies = services.filter { $0.Spec.Labels?[Component.label] == Component.bookie.rawValue }
        let ensemble = DeployPlanner.ensembleSize(services.map(\.Spec))
        return [BookieHandOver(service: only.move.service, bookie: DeployPlanner.bookieID(service.Spec), from: only.move.from,
                               to: only.move.to, toNodeID: only.toNodeID,
                               others: bookies.map(\.Spec.Name).filter { $0 != only.move.service }.sorted(), ensemble: ensemble)]
    }

    struct Candidate {
        var move: Move
        var homeDown: Bool
        var toNodeID: String
    }

    static func handOvers(_ candidates: [Candidate]) -> [MinioHandOver] {
        let minio = candidates.filter { $0.move.tier == Component.minio.rawValue }
        guard minio.count == 1, let only = minio.first, only.homeDown else { return [] }
        return [MinioHandOver(service: only.move.service, from: only.move.from, to: only.move.to, toNodeID: only.toNodeID)]
    }

    static func candidates(_ plan: NodeLabelPlan, nodes: [SwarmNode], services: [SwarmService], tasks: [SwarmTask]) -> [Candidate] {
        let labelsAfter = labels(after: plan)
        func facts(_ node: SwarmNode, after: Bool) -> NodeFacts { after ? Self.facts(node, labelsAfter: labelsAfter) : node.facts }
        var candidates: [Candidate] = []
        let tiers = Set(MembershipGuard.tiers.map(\.rawValue))
        for service in services.sorted(by: { $0.Spec.Name < $1.Spec.Name }) {
            guard let tier = service.Spec.Labels?[Component.label], tiers.contains(tier) else { continue }
            let constraints = service.Spec.TaskTemplate.constraints
            guard !constraints.isEmpty else { continue }
            // Where its data is: the node of its newest task that was placed.
            let placed = tasks.filter { $0.ServiceID == service.ID && $0.NodeID != nil }
            guard let last = placed.max(by: { ($0.CreatedAt ?? EngineTime(nanoseconds: 0)) < ($1.CreatedAt ?? EngineTime(nanoseconds: 0)) }),
                  let home = nodes.first(where: { $0.ID == last.NodeID }) else { continue }
            let homeStays = home.state == .ready && PlacementConstraint.allSatisfied(constraints, by: facts(home, after: true))
            guard !homeStays else { continue }
            for node in nodes where node.ID != home.ID {
                let before = PlacementConstraint.allSatisfied(constraints, by: facts(node, after: false))
                let after = PlacementConstraint.allSatisfied(constraints, by: facts(node, after: true))
                if after, !before {
                    candidates.append(Candidate(move: Move(tier: tier, service: service.Spec.Name, from: home.hostname,
                                                           fromState: home.state.rawValue, to: node.hostname),
                                                homeDown: home.state != .ready, toNodeID: node.ID))
                }
            }
        }
        return candidates
    }

    /// A running member of a stateful tier that `plan` would stop where it runs: its host is ready
    /// and loses the label its constraints name, and no ready node would carry it. Swarm's
    /// constraint enforcer shuts such a task down at once (SwarmKit, manager/orchestrator/
    /// constraintenforcer), before any procedure: an etcd member still counted in the quorum, a
    /// bookie not decommissioned.
    public struct Stop: Sendable, Equatable, CustomStringConvertible {
        public var tier: String
        public var service: String
        public var host: String

        public var description: String {
            "\(service) (\(tier)) runs on \(host), where its data is, and would stop there as its label goes; "
                + (tier == Component.etcd.rawValue
                    ? "deploy first: it removes an etcd member the inventory no longer has by etcd's procedure (member remove "
                        + "while the others are healthy, then its service); then label"
                    : tier == Component.bookie.rawValue
                    ? "deploy first: it decommissions a bookie the inventory no longer has (stops it, re-replicates its ledgers "
                        + "with bookkeeper shell decommissionbookie, then removes its service); then label"
                    : "\(MemberMoveGuard.leaving(tier)); keep the host's label in the inventory")
        }
    }

    public static func stops(_ plan: NodeLabelPlan, nodes: [SwarmNode], services: [SwarmService], tasks: [SwarmTask]) -> [Stop] {
        let labelsAfter = labels(after: plan)
        let tiers = Set(MembershipGuard.tiers.map(\.rawValue))
        var stops: [Stop] = []
        for service in services.sorted(by: { $0.Spec.Name < $1.Spec.Name }) {
            guard let tier = service.Spec.Labels?[Component.label], tiers.contains(tier) else { continue }
            let constraints = service.Spec.TaskTemplate.constraints
            guard !constraints.isEmpty else { continue }
            let running = tasks.filter { $0.ServiceID == service.ID && $0.DesiredState == .running && $0.Status.State == .running }
            for task in running {
                guard let home = nodes.first(where: { $0.ID == task.NodeID }), home.state == .ready else { continue }
                let eligibleAfter = nodes.filter { node in
                    node.state == .ready && PlacementConstraint.allSatisfied(constraints, by: Self.facts(node, labelsAfter: labelsAfter))
                }
                if eligibleAfter.isEmpty { stops.append(Stop(tier: tier, service: service.Spec.Name, host: home.hostname)) }
            }
        }
        return stops
    }

    /// Each node's whole label set once `plan` is applied, by node ID.
    static func labels(after plan: NodeLabelPlan) -> [String: [String: String]] {
        Dictionary(plan.updates.map { ($0.nodeID, $0.labels) }, uniquingKeysWith: { first, _ in first })
    }

    /// What placement sees of `node` with the labels `plan` leaves it.
    static func facts(_ node: SwarmNode, labelsAfter: [String: [String: String]]) -> NodeFacts {
        var facts = node.facts
        if let labels = labelsAfter[node.ID] { facts.labels = labels }
        return facts
    }

    static func leaving(_ tier: String) -> String {
        switch tier {
        case Component.zookeeper.rawValue:
            return "ZooKeeper's server list changes only by a rolling restart that keeps a majority of the old ensemble "
                + "(ZooKeeper Administrator's Guide), which swarmstage does not carry out yet"
        default:
            return "a MinIO server cannot leave its erasure set (MinIO docs, Decommission a server pool)"
        }
    }

    static func procedure(_ tier: String) -> String {
        switch tier {
        case Component.etcd.rawValue:
            return "a member whose host still runs keeps its data there; swarmstage replaces an etcd member (member remove, "
                + "member add, started with --initial-cluster-state existing) only once its host is down: stop that host first"
        case Component.bookie.rawValue:
            return "a bookie with empty disks fails its cookie check (BookKeeper docs, Bookie cookies), and swarmstage hands "
                + "one on (decommissioning it first: `bookkeeper shell decommissionbookie`, its ledgers re-replicated, its cookie "
                + "removed) only once its host is down: stop that host first, or drop the bookie from the inventory and deploy "
                + "(which decommissions it), then give the new host the bookie role"
        case Component.zookeeper.rawValue:
            return "a ZooKeeper server with an empty data directory syncs from the leader while the rest of the ensemble keeps "
                + "its majority, and swarmstage hands one on (and waits until it serves) only once its host is down: stop that host first"
        default:
            return "a MinIO server with empty drives is healed from the others, and swarmstage hands one on (and waits for "
                + "its heal) only once its host is down: stop that host first"
        }
    }
}

/// A MinIO deployment grown by server pools, the only way MinIO grows (MinIO docs, "Expand a
/// MinIO deployment"): every server, old and new, is started with the existing pools followed by
/// the new one (`minio server http://minio{1...4}/disk{1...2} http://minio{5...8}/disk{1...2}`),
/// the old servers restarted together (they check that their peers name the same pools, and
/// new objects go to the pool with the most free space; existing ones stay where they are). The
/// old pools' ranges cannot change: a server added to an existing pool changes its erasure set,
/// and MinIO refuses to start on drives formatted for another one.
public struct MinioPoolGrowth: Sendable, Equatable {
    /// The pools the running servers name, and those the stack's servers name.
    public var runningPools: [String]
    public var wantedPools: [String]

    public init(running: [SwarmService], wanted: [ServiceSpec]) {
        let isServer = { (spec: ServiceSpec) in spec.Labels?[Component.label] == Component.minio.rawValue }
        runningPools = running.map(\.Spec).filter(isServer).map(Self.pools).max { $0.count < $1.count } ?? []
        wantedPools = wanted.filter(isServer).map(Self.pools).max { $0.count < $1.count } ?? []
    }

    /// The endpoint ranges of a server's command, one per pool.
    public static func pools(_ spec: ServiceSpec) -> [String] {
        (spec.TaskTemplate.ContainerSpec?.Args ?? spec.TaskTemplate.ContainerSpec?.Command ?? []).filter { $0.hasPrefix("http://") }
    }

    /// The stack keeps every running pool as it is and adds exactly one after them.
    public var isNewPool: Bool {
        !runningPools.isEmpty && wantedPools.count == runningPools.count + 1 && Array(wantedPools.prefix(runningPools.count)) == runningPools
    }

    static let sameSetRefusal = "MinIO's erasure set is fixed when the deployment is made: more servers in the same pool change every "
        + "server's command and the servers refuse to start on drives formatted for the old set; MinIO grows only by a new "
        + "server pool of at least 4 hosts (MinIO docs, Expand a MinIO deployment): give the new hosts `minio_pool: "

    /// Why the stack's servers are not the running pools plus one new pool, and what to write instead.
    public var refusal: String {
        let kept = Array(wantedPools.prefix(runningPools.count)) == runningPools
        if kept && wantedPools.count > runningPools.count + 1 {
            return "the stack adds \(wantedPools.count - runningPools.count) MinIO server pools at once (\(wantedPools.dropFirst(runningPools.count).joined(separator: ", "))): "
                + "add one pool per deploy, each healthy before the next (MinIO docs, Expand a MinIO deployment)"
        }
        return Self.sameSetRefusal + "\(runningPools.count + 1)` in the inventory, numbered after minio\(Self.lastServer(runningPools).map(String.init) ?? "N"); "
            + "the running pools (\(runningPools.joined(separator: " "))) stay as they are"
    }

    /// The highest server number the pools name (`http://minio{1...4}/...` -> 4).
    static func lastServer(_ pools: [String]) -> Int? {
        pools.compactMap { serverRange($0)?.upperBound }.max()
    }

    /// The server numbers a pool's endpoints name: `http://minio{5...8}/disk{1...2}` -> 5...8.
    static func serverRange(_ pool: String) -> ClosedRange<Int>? {
        let host = pool.dropFirst("http://".count).prefix { $0 != "/" }
        guard let open = host.firstIndex(of: "{"), let close = host.firstIndex(of: "}") else { return nil }
        let bounds = host[host.index(after: open)..<close].components(separatedBy: "...").compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return nil }
        return bounds[0]...bounds[1]
    }

    /// The pool (1, 2, ...) a MinIO server belongs to, when its command names more than one: each
    /// pool is an erasure set with a write quorum of its own, so health and the down-host
    /// tolerance count a server among its pool's. Nil for one pool or another service.
    public static func pool(of spec: ServiceSpec) -> Int? {
        let pools = pools(spec)
        guard pools.count > 1, let hostname = spec.TaskTemplate.ContainerSpec?.Hostname,
              let number = Int(hostname.drop { !$0.isNumber }) else { return nil }
        return pools.firstIndex { serverRange($0)?.contains(number) == true }.map { $0 + 1 }
    }
}
