import ArgumentParser
import Engine
import Inventory
import Rollout
import SwarmModel

/// Puts the inventory's labels on the swarm's nodes.
struct Label: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put the inventory's labels on the swarm's nodes (idempotent).",
        discussion: """
        Each host is matched to a node by node_id, else by hostname, and cross-checked by address. \
        The plan is printed, then applied (use --dry-run to only print it). Labels the inventory does \
        not manage are kept unless --prune. A second run changes nothing. If any host cannot be \
        matched, or the new labels would move a running etcd, ZooKeeper, MinIO or bookie member to \
        another node (where it would start with no data) or stop it where it runs (an etcd member \
        the inventory drops leaves by deploy's member remove first: deploy, then label), nothing is written and the exit code is 3. \
        Four exceptions, each a tier's procedure for a host that is down: an etcd member handed on \
        (deploy replaces it); one MinIO server handed on: label waits until it runs on its new \
        host and MinIO has healed its empty drives from the other servers; one ZooKeeper server \
        handed on: label first asks the other servers (srvr) and writes nothing (exit 3) unless a \
        majority of the ensemble serves among them with a leader, then waits until the moved server \
        has synced and serves; and one bookie handed on: label writes nothing (exit 3) unless every \
        other bookie takes writes and they are at least the ensemble size, decommissions the bookie \
        (bookkeeper shell decommissionbookie: its ledgers re-replicated, its cookie removed) before \
        it writes the labels, then waits until the bookie takes writes on its new host \
        (--heal-timeout for each wait; exit 2 if not). Exit 4 when the Engine is unreachable or not \
        a manager.
        """
    )

    @OptionGroup var inventoryOptions: InventoryOptions
    @OptionGroup var engineOptions: EngineOptions

    @Flag(help: "Print the plan and write nothing.")
    var dryRun = false

    @Flag(help: "Also remove labels the inventory does not manage.")
    var prune = false

    @Option(help: "Seconds (1 to 86400) to wait for a MinIO server handed to a new host to run there and heal its drives, a ZooKeeper server to sync and serve, or a bookie to be decommissioned and take writes again.")
    var healTimeout = 900

    func validate() throws {
        guard (1...86_400).contains(healTimeout) else { throw ValidationError("--heal-timeout must be 1 to 86400 seconds, not \(healTimeout)") }
    }

    mutating func run() async throws {
        let inventory = try inventoryOptions.load()
        let engine = try await engineOptions.connectToManager()
        let labeler = NodeLabeler(engine: engine)
        let plan = try await labeler.plan(inventory, prune: prune)
        Console.out(LabelPlanText.render(plan))
        guard plan.problems.isEmpty else {
            throw Failure(message: plan.problems.map { "error: \($0)" }.joined(separator: "\n")
                + "\nthe inventory does not match the swarm; nothing was written", code: .usage)
        }
        // A member of a running stateful tier must not be moved to another node by its labels, nor
        // stopped where it runs before its tier's procedure has removed it (one read of the swarm for
        // all); a MinIO or ZooKeeper server or a bookie whose host is down is handed on by its tier's procedure.
        let changes = try await Self.memberChanges(plan, inventory: inventory, engine: engine)
        guard changes.moves.isEmpty else {
            throw Failure(message: changes.moves.map { "error: \($0)" }.joined(separator: "\n")
                + "\nkeep the member's label on the node that holds its data (see the README's runbook, \"A host died\"); nothing was written",
                code: .usage)
        }
        guard changes.stops.isEmpty else {
            throw Failure(message: changes.stops.map { "error: \($0)" }.joined(separator: "\n") + "\nnothing was written", code: .usage)
        }
        if plan.changes.isEmpty {
            Console.out("all \(plan.updates.count) nodes already carry their labels; nothing to do")
            return
        }
        for handOver in changes.minio { Console.out("note: \(handOver)") }
        for handOver in changes.zooKeeper { Console.out("note: \(handOver)") }
        for handOver in changes.bookies { Console.out("note: \(handOver)") }
        if dryRun {
            if !changes.zooKeeper.isEmpty { Console.out("note: before writing, label asks the other ZooKeeper servers whether a majority serves") }
            if !changes.bookies.isEmpty {
                Console.out("note: before writing, label checks that every other bookie takes writes, then decommissions the bookie")
            }
            Console.out("dry run: \(plan.changes.count) nodes would change; nothing was written")
            return
        }
        let zooKeeper = ZooKeeperSyncWait(swarm: engine, status: ZooKeeperStatusJob(swarm: engine), timeout: .seconds(healTimeout))
        for handOver in changes.zooKeeper {
            do {
                let states = try await zooKeeper.checkQuorum(handOver)
                Console.out("\(handOver.service): the other servers hold the quorum (\(states.map(\.description).joined(separator: "; ")))")
            } catch let error as ZooKeeperHandOverError {
                throw Failure(message: "error: \(error)\nnothing was written", code: .usage)
            }
        }
        let bookies = BookieHandOverRun(swarm: engine, timeout: .seconds(healTimeout))
        try await Self.decommission(changes.bookies, run: bookies)
        let updated = try await labeler.apply(plan, inventory: inventory, prune: prune)
        Console.out("labelled \(updated) node\(updated == 1 ? "" : "s")")
        try await Self.waitForHeals(changes.minio, engine: engine, timeout: .seconds(healTimeout))
        try await Self.waitForSyncs(changes.zooKeeper, wait: zooKeeper)
        try await Self.waitForBookies(changes.bookies, run: bookies)
    }
}

extension Label {
    /// Waits for each MinIO server handed on to run on its new host and report its drives healed.
    static func waitForHeals(_ handOvers: [MinioHandOver], engine: any SwarmAPI, timeout: Duration) async throws {
        let wait = MinioHealWait(swarm: engine, heal: JobMinioHeal(swarm: engine), timeout: timeout)
        for handOver in handOvers {
            Console.out("\(handOver.service): waiting until it runs on \(handOver.to) and MinIO has healed its drives")
            do {
                switch try await wait.wait(handOver, progress: { Console.out($0) }) {
                case .healed(let objects):
                    Console.out("\(handOver.service): healed on \(handOver.to) (\(objects) object\(objects == 1 ? "" : "s"))")
                case .nothingToHeal:
                    Console.out("\(handOver.service): runs on \(handOver.to); MinIO found nothing to heal")
                }
            } catch let error as MinioHealError {
                throw Failure(message: "error: \(error); the labels are written and MinIO goes on healing by itself: follow it "
                    + "with `mc admin heal ALIAS` and change nothing else in MinIO until it has finished", code: .failed)
            }
        }
    }
}

extension Label {
    /// Waits for each ZooKeeper server handed on to run on its new host and serve (synced from the leader).
    static func waitForSyncs(_ handOvers: [ZooKeeperHandOver], wait: ZooKeeperSyncWait) async throws {
        for handOver in handOvers {
            Console.out("\(handOver.service): waiting until it runs on \(handOver.to) and serves, synced from the leader")
            do {
                let state = try await wait.wait(handOver, progress: { Console.out($0) })
                Console.out("\(handOver.service): serves on \(handOver.to) (\(state))")
            } catch let error as ZooKeeperHandOverError {
                throw Failure(message: "error: \(error); the labels are written: follow it with `echo srvr | nc \(handOver.host) 2181` "
                    + "from the cluster's network and change nothing else in ZooKeeper until it serves", code: .failed)
            }
        }
    }
}

extension Label {
    /// Decommissions each bookie handed on, before any label is written: a check that fails
    /// writes nothing (exit 3); a decommission that fails leaves the labels unwritten (exit 2).
    static func decommission(_ handOvers: [BookieHandOver], run: BookieHandOverRun) async throws {
        for handOver in handOvers {
            do {
                let others = try await run.decommission(handOver, progress: { Console.out($0) })
                Console.out("\(handOver.service): decommissioned \(handOver.bookie); its ledgers are on \(others.joined(separator: ", "))")
            } catch let error as HandOverError {
                throw Failure(message: "error: \(error)\nnothing was written", code: .usage)
            } catch let failed as BookieHandOverRun.Failed {
                throw Failure(message: "error: \(failed)\nthe labels are not written; run label again once BookKeeper has "
                    + "re-replicated the bookie's ledgers (`bookkeeper shell listunderreplicated`)", code: .failed)
            }
        }
    }

    /// Waits for each bookie handed on to take writes on its new host.
    static func waitForBookies(_ handOvers: [BookieHandOver], run: BookieHandOverRun) async throws {
        for handOver in handOvers {
            Console.out("\(handOver.service): waiting until \(handOver.bookie) takes writes on \(handOver.to)")
            do {
                try await run.wait(handOver, progress: { Console.out($0) })
                Console.out("\(handOver.service): \(handOver.bookie) takes writes on \(handOver.to)")
            } catch let error as HandOverError {
                throw Failure(message: "error: \(error); the labels are written and the bookie is decommissioned: follow it with "
                    + "`bookkeeper shell listbookies -rw` and the bookie's log on \(handOver.to)", code: .failed)
            }
        }
    }
}

extension Label {
    /// What a label change does to the members of the cluster's stateful tiers.
    struct MemberChanges {
        var moves: [MemberMoveGuard.Move] = []
        var stops: [MemberMoveGuard.Stop] = []
        var minio: [MinioHandOver] = []
        var zooKeeper: [ZooKeeperHandOver] = []
        var bookies: [BookieHandOver] = []
    }

    /// The members of the cluster's stateful tiers that `plan` would move, those it would stop
    /// where they run, and those it hands on from a host that is down (MemberMoveGuard), from one
    /// read of the swarm.
    static func memberChanges(_ plan: NodeLabelPlan, inventory: Inventory, engine: any SwarmAPI) async throws -> MemberChanges {
        guard !plan.changes.isEmpty else { return MemberChanges() }
        var services: [SwarmService] = [], tasks: [SwarmTask] = []
        for stage in Stage.allCases {
            let namespace = Filters.stack(inventory.cluster.stackName(for: stage))
            services += try await engine.services(filters: namespace, status: false)
            tasks += try await engine.tasks(filters: namespace)
        }
        guard !services.isEmpty else { return MemberChanges() }
        let nodes = try await engine.nodes()
        return MemberChanges(moves: MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks),
                             stops: MemberMoveGuard.stops(plan, nodes: nodes, services: services, tasks: tasks),
                             minio: MemberMoveGuard.minioHandOvers(plan, nodes: nodes, services: services, tasks: tasks),
                             zooKeeper: MemberMoveGuard.zooKeeperHandOvers(plan, nodes: nodes, services: services, tasks: tasks),
                             bookies: MemberMoveGuard.bookieHandOvers(plan, nodes: nodes, services: services, tasks: tasks))
    }
}

enum LabelPlanText {
    static func render(_ plan: NodeLabelPlan) -> String {
        var lines: [String] = []
        let width = plan.updates.map(\.host.count).max() ?? 4
        for update in plan.updates.sorted(by: { $0.host < $1.host }) {
            let node = String(update.nodeID.prefix(12))
            if update.isEmpty {
                lines.append("\(update.host.padded(width))  \(node)  unchanged")
                continue
            }
            var parts: [String] = []
            parts += update.added.sorted { $0.key < $1.key }.map { "+\($0.key)=\($0.value)" }
            parts += update.changed.sorted { $0.key < $1.key }.map { "~\($0.key)=\($0.value.from)->\($0.value.to)" }
            parts += update.removed.sorted { $0.key < $1.key }.map { "-\($0.key)=\($0.value)" }
            lines.append("\(update.host.padded(width))  \(node)  \(parts.joined(separator: " "))")
        }
        for notice in plan.notices { lines.append("note: \(notice)") }
        return lines.joined(separator: "\n")
    }
}
