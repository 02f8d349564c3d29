import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// Membership changes of running stateful tiers are refused before the first write, with the
/// tier's own procedure named; new tiers, stateless services and added bookies go through.
@Suite("Membership changes against a fake swarm")
struct MembershipGuardTests {
    typealias Cluster = FakeSwarmDeployTests.Cluster

    /// The lab inventory with roles added to some hosts.
    static func lab(adding roles: [String: [String]]) throws -> Cluster {
        var text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        for (host, extra) in roles {
            let pattern = "  - name: \(host)\n    address: "
            let start = try #require(text.range(of: pattern))
            let line = try #require(text.range(of: "    roles: [", range: start.upperBound..<text.endIndex))
            let close = try #require(text.range(of: "]", range: line.upperBound..<text.endIndex))
            text.replaceSubrange(close.lowerBound..<close.lowerBound, with: ", " + extra.joined(separator: ", "))
        }
        return try Cluster(InventoryLoader.parse(text, file: "lab.yml"))
    }

    static func refusal(_ cluster: Cluster, on swarm: FakeSwarm) async throws -> StageFailure.Reason {
        let writes = await swarm.writes
        let failure = try await #require(throws: StageFailure.self) { try await FakeSwarmDeployTests.deploy(cluster, on: swarm) }
        #expect(await swarm.writes == writes, "a refused membership change wrote to the Engine")
        #expect(failure.reason.isRefusal)
        let plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        #expect(plans.flatMap(\.problems).contains(failure.reason), "--plan shows the same refusal")
        return failure.reason
    }

    static func deployed() async throws -> (Cluster, FakeSwarm) {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        return (cluster, swarm)
    }

    @Test func minioNeitherGrowsInItsPoolNorShrinks() async throws {
        let (cluster, swarm) = try await Self.deployed()
        let grown = try Self.lab(adding: ["lab-manager": ["minio"]])
        await swarm.label(grown.inventory)
        guard case .membershipChangeRefused("minio", 4, 5, ["lab-storage_minio5"], [], let procedure) = try await Self.refusal(grown, on: swarm)
        else { Issue.record("not a MinIO growth refusal"); return }
        #expect(procedure.contains("new server pool of at least 4 hosts") && procedure.contains("`minio_pool: 2`")
            && procedure.contains("numbered after minio4"), "\(procedure)")

        await swarm.label(cluster.inventory)
        var shrunk = cluster
        let storage = try #require(shrunk.stages.firstIndex { $0.stage == .storage })
        shrunk.stages[storage].spec.services.removeAll { $0.Name == "lab-storage_minio4" }
        guard case .membershipChangeRefused("minio", 4, 3, [], ["lab-storage_minio4"], let shrinking) = try await Self.refusal(shrunk, on: swarm)
        else { Issue.record("not a MinIO shrink refusal"); return }
        #expect(shrinking.contains("cannot be removed"))
    }

    /// MinIO grows by a whole new pool: its servers are created, then every running server is
    /// updated to name both pools, all at once (they check that their peers name the same pools),
    /// and only then waited for; a second deploy writes nothing.
    @Test func minioGrowsByANewPoolWithTheRunningServersRestartedTogether() async throws {
        let (_, swarm) = try await Self.deployed()
        let grown = try Cluster(InventoryLoader.parse(LabInventoryEdits.growingMinioByAPool(), file: "lab.yml"))
        await swarm.label(grown.inventory)
        let plan = try #require(try await FakeSwarmDeployTests.plan(grown, on: swarm).first { $0.stage == .storage })
        #expect(plan.problems.isEmpty, "\(plan.problems)")
        let steps = plan.actions.compactMap { action -> String? in
            switch action {
            case .createService(let spec): return "create \(spec.Name)"
            case .updateService(_, let spec, _): return "update \(spec.Name)"
            case .waitForService(_, let name): return "wait \(name)"
            default: return nil
            }
        }
        let servers = (1...4).map { "lab-storage_minio\($0)" }, added = (5...8).map { "lab-storage_minio\($0)" }
        #expect(steps.filter { $0.hasPrefix("create ") } == added.map { "create \($0)" })
        let updates = servers.map { "update \($0)" }
        let first = try #require(steps.firstIndex(of: updates[0]))
        #expect(Array(steps[first..<first + 4]) == updates, "the running servers move together: \(steps)")
        #expect(Array(steps[(first + 4)...].prefix(4)) == servers.map { "wait \($0)" })
        #expect(steps.lastIndex { $0.hasPrefix("create ") }.map { $0 < first } == true, "the new pool starts before the running servers name it")
        // ... and runs before they restart: MinIO serves again only once every pool answers.
        #expect(Array(steps[(first - 4)..<first]) == added.map { "wait \($0)" }, "\(steps)")

        try await FakeSwarmDeployTests.deploy(grown, on: swarm)
        let services = try await swarm.services().filter { $0.Spec.Labels?["io.swarmstage.component"] == "minio" }
        #expect(services.count == 8)
        #expect(Set(services.map { MinioPoolGrowth.pools($0.Spec) }) == [["http://minio{1...4}/disk{1...2}", "http://minio{5...8}/disk{1...2}"]])
        let writes = await swarm.writes
        try await FakeSwarmDeployTests.deploy(grown, on: swarm)
        #expect(await swarm.writes == writes, "a second deploy writes nothing")
    }

    /// Each pool is an erasure set with its own write quorum: two servers of the first pool down
    /// lose its write quorum however many servers the new pool has up.
    @Test func healthCountsAMinioServerAmongItsPoolsServers() async throws {
        let (_, swarm) = try await Self.deployed()
        let grown = try Cluster(InventoryLoader.parse(LabInventoryEdits.growingMinioByAPool(), file: "lab.yml"))
        await swarm.label(grown.inventory)
        try await FakeSwarmDeployTests.deploy(grown, on: swarm)
        let steady = try await ClusterHealth.read(swarm, inventory: grown.inventory)
        #expect(steady.quorums.filter { $0.family.hasPrefix("minio") }.map { "\($0.family) \($0.up)/\($0.members) \($0.needed)" }
                == ["minio pool 1 4/4 3", "minio pool 2 4/4 3"])

        await swarm.failTasks(of: "lab-storage_minio5")
        let onePool2ServerDown = try await ClusterHealth.read(swarm, inventory: grown.inventory)
        #expect(onePool2ServerDown.problems.contains("minio pool 2: 3 of 4 members up (write quorum held)"), "\(onePool2ServerDown.problems)")
        await swarm.failTasks(of: "lab-storage_minio1")
        await swarm.failTasks(of: "lab-storage_minio2")
        let health = try await ClusterHealth.read(swarm, inventory: grown.inventory)
        #expect(health.status == .failed)
        // Counted over all eight servers, 5 of 8 up would have read as a write quorum held.
        #expect(health.problems.contains("minio pool 1: 2 of 4 members up (write quorum lost)"), "\(health.problems)")
    }

    /// A deploy leaves a server whose host was already down only while its pool keeps its write
    /// quorum: two of pool 2's four hosts down are not left, though six of eight servers run.
    @Test(arguments: [(["lab-pool2-1"], ["lab-storage_minio5"]), (["lab-pool2-1", "lab-pool2-2"], [])])
    func aDownHostsMinioServerIsLeftOnlyWhileItsPoolKeepsItsQuorum(down hosts: [String], left: [String]) async throws {
        let (_, swarm) = try await Self.deployed()
        let grown = try Cluster(InventoryLoader.parse(LabInventoryEdits.growingMinioByAPool(), file: "lab.yml"))
        await swarm.label(grown.inventory)
        try await FakeSwarmDeployTests.deploy(grown, on: swarm)
        for host in hosts { await swarm.loseNode(host) }
        let storage = try #require(grown.stages.first { $0.stage == .storage })
        let servers = (1...8).map { "lab-storage_minio\($0)" }
        let downServers = servers.prefix(4 + hosts.count).suffix(hosts.count)
        let verdict = StageVerdict(services: servers.map { name in
            downServers.contains(name) ? ServiceHealth(name: name, state: .waiting("its node is down"), running: 0, desired: 1)
                : ServiceHealth(name: name, state: .healthy, running: 1, desired: 1)
        })
        let nodes = try await swarm.nodes()
        let tolerated = DownHostTolerance.tolerated(verdict, stack: storage.spec, services: try await swarm.services(), tasks: try await swarm.tasks(),
                                                    nodes: nodes, downAtStart: Set(nodes.filter { hosts.contains($0.hostname) }.map(\.ID)))
        #expect(tolerated.keys.sorted() == left, "\(tolerated)")
        if let reason = tolerated["lab-storage_minio5"] { #expect(reason.hasSuffix("minio pool 2 keeps its quorum: 3 of 4 members healthy (3 needed)"), "\(reason)") }
    }

    @Test func minioGrowsByOnePoolPerDeploy() async throws {
        let (_, swarm) = try await Self.deployed()
        let two = try LabInventoryEdits.growingMinioByAPool(pool: 3, text: LabInventoryEdits.growingMinioByAPool())
        let grown = try Cluster(InventoryLoader.parse(two, file: "lab.yml"))
        await swarm.label(grown.inventory)
        guard case .membershipChangeRefused("minio", 4, 12, let added, [], let procedure) = try await Self.refusal(grown, on: swarm)
        else { Issue.record("not a MinIO growth refusal"); return }
        #expect(added.count == 8)
        #expect(procedure.contains("adds 2 MinIO server pools at once") && procedure.contains("add one pool per deploy"), "\(procedure)")
    }

    /// Removing one is a decommission (BookieDecommissionTests).
    @Test func aBookieIsAddedFreely() async throws {
        let (_, swarm) = try await Self.deployed()
        let more = try Self.lab(adding: ["lab-node1": ["bookie"]])
        await swarm.label(more.inventory)
        try await FakeSwarmDeployTests.deploy(more, on: swarm)
        #expect(await swarm.serviceList.filter { $0.Spec.Labels?["io.swarmstage.component"] == "bookie" }.count == 4)
    }

    @Test func aTierThatDoesNotRunYetIsCreatedWithAnyMembers() async throws {
        let grown = try Self.lab(adding: ["lab-node4": ["etcd", "zk"], "lab-manager": ["etcd", "zk", "minio"]])
        let swarm = FakeSwarm(inventory: grown.inventory)
        try await FakeSwarmDeployTests.deploy(grown, on: swarm)
        #expect(await swarm.serviceList.filter { $0.Spec.Labels?["io.swarmstage.component"] == "etcd" }.count == 5)
    }

    @Test func healthNamesATierWhoseRunningMembersAreNotTheInventorys() async throws {
        let (cluster, swarm) = try await Self.deployed()
        let steady = try await ClusterHealth.read(swarm, inventory: cluster.inventory)
        #expect(steady.membershipDrift.isEmpty, "\(steady.membershipDrift)")

        // Two more etcd hosts and a fifth MinIO host in the inventory: the swarm still runs 3 and 4.
        let grown = try Self.lab(adding: ["lab-node4": ["etcd"], "lab-manager": ["etcd", "minio"]])
        await swarm.label(grown.inventory)
        let health = try await ClusterHealth.read(swarm, inventory: grown.inventory)
        let etcd = try #require(health.membershipDrift.first { $0.tier == "etcd" })
        #expect(etcd.running == ["lab-storage_etcd1", "lab-storage_etcd2", "lab-storage_etcd3"])
        #expect(etcd.added == ["lab-storage_etcd4", "lab-storage_etcd5"] && etcd.removed.isEmpty)
        let minio = try #require(health.membershipDrift.first { $0.tier == "minio" })
        #expect(minio.added == ["lab-storage_minio5"] && minio.running.count == 4)
        #expect(!health.membershipDrift.contains { $0.tier == "zookeeper" || $0.tier == "bookie" })
        #expect(health.status == .degraded)
        #expect(health.problems.contains { $0.hasPrefix("etcd membership: the swarm runs 3 members, the inventory makes 5 (+lab-storage_etcd4 +lab-storage_etcd5)") },
                "\(health.problems)")
    }

    /// The lab inventory with lab-node2 gone and its stateful members given to other hosts
    /// under their numbers, as an operator replaces a dead host.
    static func replacingNode2() throws -> Inventory {
        try InventoryLoader.parse(try LabInventoryEdits.replacingNode2(), file: "lab.yml")
    }

    @Test func labelRefusesToMoveARunningMemberOffTheNodeThatHoldsItsData() async throws {
        let (cluster, swarm) = try await Self.deployed()
        let services = try await swarm.services(), tasks = try await swarm.tasks()

        // Labelling again as deployed moves nothing.
        let same = NodeLabelPlan.make(inventory: cluster.inventory, nodes: try await swarm.nodes())
        #expect(same.changes.isEmpty)
        #expect(MemberMoveGuard.moves(same, nodes: try await swarm.nodes(), services: services, tasks: tasks).isEmpty)

        // lab-node2 dies; its members' labels go to lab-node4.
        await swarm.loseNode("lab-node2")
        let replaced = try Self.replacingNode2()
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let plan = NodeLabelPlan.make(inventory: replaced, nodes: nodes)
        #expect(plan.problems.isEmpty, "\(plan.problems)")
        let moves = MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks)
        // etcd2 is handed on: deploy replaces it by etcd's procedure (EtcdReplacementTests); minio2 too,
        // MinIO heals it and label waits (MinioHandOverTests); zk2 too, label checks the others' quorum
        // and waits until it serves (ZooKeeperHandOverTests); bookie1 too, label decommissions it
        // first and waits until it takes writes (BookieHandOverTests). Nothing is refused.
        #expect(moves.isEmpty, "\(moves)")
        #expect(MemberMoveGuard.minioHandOvers(plan, nodes: nodes, services: services, tasks: tasks).map(\.service) == ["lab-storage_minio2"])
        let zk = try #require(MemberMoveGuard.zooKeeperHandOvers(plan, nodes: nodes, services: services, tasks: tasks).first)
        #expect(zk.service == "lab-pulsar_zk2" && zk.from == "lab-node2" && zk.to == "lab-node4")
        #expect(zk.description.contains("empty data directory") && zk.description.contains("syncs the tree from the leader"))
        let bookie = try #require(MemberMoveGuard.bookieHandOvers(plan, nodes: nodes, services: services, tasks: tasks).first)
        #expect(bookie.service == "lab-pulsar_bookie1" && bookie.bookie == "bookie1:3181" && bookie.to == "lab-manager3", "\(bookie)")

        // Numbers left to the inventory's order would move etcd3 and zk3 as well (lab-node3 is
        // alive, but loses etcd3 to lab-node4 and gains etcd2): each is named.
        var text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        text = text.replacingOccurrences(of: "    roles: [etcd, zk, minio, bookie, broker, index]\n", with: "    roles: [minio, coord]\n")
        text = text.replacingOccurrences(of: "    roles: [minio, bookie, coord, index]\n", with: "    roles: [etcd, zk, minio, bookie, broker, index]\n")
        let renumbered = NodeLabelPlan.make(inventory: try InventoryLoader.parse(text, file: "lab.yml"), nodes: nodes)
        let shuffled = MemberMoveGuard.moves(renumbered, nodes: nodes, services: services, tasks: tasks).map(\.service)
        // etcd3 would leave lab-node3, which runs: refused. etcd2 moves off the dead lab-node2: deploy's to replace.
        #expect(shuffled.contains("lab-storage_etcd3") && !shuffled.contains("lab-storage_etcd2"), "\(shuffled)")
        let live = try #require(MemberMoveGuard.moves(renumbered, nodes: nodes, services: services, tasks: tasks).first { $0.service == "lab-storage_etcd3" })
        #expect(live.description.contains("only once its host is down"))
    }
}
