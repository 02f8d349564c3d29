import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// ZooKeeper grown from 3 servers to 5 on a running ensemble: by rounds of one server (a list
/// grown by one cannot make two disjoint majorities), each on a list of its own, each running
/// server restarted on it one at a time, and every server serving on that list before the next
/// round; refused before any write when a running server's number would change or one is removed.
@Suite("ZooKeeper growth against a fake swarm")
struct ZooKeeperGrowthTests {
    typealias Cluster = FakeSwarmDeployTests.Cluster

    static func deploy(_ cluster: Cluster, on swarm: FakeSwarm, zooKeeper: FakeZooKeeper, timeout: Duration = .seconds(60)) async throws {
        var options = FakeSwarmDeployTests.fast()
        options.stageTimeout = timeout
        _ = try await Deployer(swarm: swarm, options: options, zooKeeper: zooKeeper)
            .deploy(cluster.stages, secrets: cluster.blueprint.secrets, values: cluster.values, stagesToApply: Set(Stage.allCases))
    }

    static func grown() throws -> Cluster { try Cluster(InventoryLoader.parse(LabInventoryEdits.growingZooKeeper(), file: "lab.yml")) }

    static func steps(_ plan: StagePlan) -> [String] {
        plan.actions.compactMap { action -> String? in
            let short = { (name: String) in String(name.split(separator: "_").last ?? "") }
            switch action {
            case .createConfig(let config): return "config \(ZooKeeperGrowth.servers(in: String(decoding: config.data, as: UTF8.self)).count)"
            case .createService(let spec) where spec.Labels?["io.swarmstage.component"] == "zookeeper":
                return "create \(short(spec.Name))"
            case .updateService(_, let spec, _) where spec.Labels?["io.swarmstage.component"] == "zookeeper":
                return "update \(short(spec.Name))"
            case .waitForZooKeeper(_, let servers): return "serving \(servers.map(short).joined(separator: ","))"
            case .removeConfig(let id, let name): return "remove \(id.isEmpty ? "round" : "stale") \(name.hasPrefix("lab_zookeeper") ? "zk" : name)"
            default: return nil
            }
        }
    }

    @Test func aServerListIsReadAndCutToTheServersOfARound() {
        let text = "tickTime=2000\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.10=zk10:2888:3888\nclientPort=2181\n"
        #expect(ZooKeeperGrowth.servers(in: text) == [.init(id: 1, host: "zk1"), .init(id: 2, host: "zk2"), .init(id: 10, host: "zk10")])
        #expect(ZooKeeperGrowth.keeping(text, ids: [1, 2]) == "tickTime=2000\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nclientPort=2181\n")
        // `conf`'s membership lines (3.5 form, with role and client port) name the same hosts.
        let conf = "serverId=2\nmembership: \nserver.1=zk1:2888:3888:participant;0.0.0.0:2181\nserver.2=zk2:2888:3888:participant;0.0.0.0:2181\nversion=0"
        #expect(ZooKeeperGrowth.servers(in: conf).map(\.host) == ["zk1", "zk2"])
        let answer = "== zk2\nZookeeper version: 3.9.1\nMode: follower\nNode count: 12\n\n" + conf + "\n"
        #expect(ZooKeeperServerState.reading(answer, hosts: ["zk2"]) == [ZooKeeperServerState(host: "zk2", mode: "follower", nodeCount: 12,
                                                                                                members: ["zk1", "zk2"])])
    }

    /// The plan: round 1 on a list of 4 (its own config), round 2 on the stack's list of 5; each
    /// new server created before the running ones restart naming it; the round's list removed
    /// once the stage is healthy.
    @Test func threeServersGrowToFiveInTwoRoundsOfOne() async throws {
        let (_, swarm) = try await MembershipGuardTests.deployed()
        let grown = try Self.grown()
        await swarm.label(grown.inventory)
        let plans = try await FakeSwarmDeployTests.plan(grown, on: swarm)
        let pulsar = try #require(plans.first { $0.stage == .pulsar })
        #expect(pulsar.problems.isEmpty, "\(pulsar.problems)")
        let steps = Self.steps(pulsar)
        #expect(steps.first == "config 5", "the stack's own config, as for any change: \(steps)")
        #expect(Array(steps.dropFirst()) == [
            "config 4", "create zk4", "update zk1", "update zk2", "update zk3", "serving zk1,zk2,zk3,zk4",
            "create zk5", "update zk1", "update zk2", "update zk3", "update zk4", "serving zk1,zk2,zk3,zk4,zk5",
            "remove round zk", "remove stale zk",
        ], "\(steps)")
        // Each step of a round waits until its server is healthy before the next one restarts.
        for (index, action) in pulsar.actions.enumerated() {
            guard case .updateService(_, let spec, _) = action, spec.Labels?["io.swarmstage.component"] == "zookeeper" else { continue }
            #expect(pulsar.actions[index + 1] == .waitForService(.pulsar, name: spec.Name))
        }
        // The round's list: the first four servers, numbers kept.
        let round = try #require(pulsar.actions.compactMap { action -> String? in
            guard case .createConfig(let config) = action, config.name != grown.stages.first(where: { $0.stage == .pulsar })?.spec.configs.first?.name
            else { return nil }
            return String(decoding: config.data, as: UTF8.self)
        }.first { ZooKeeperGrowth.servers(in: $0).count == 4 })
        #expect(ZooKeeperGrowth.servers(in: round).map { "\($0.id)=\($0.host)" } == ["1=zk1", "2=zk2", "3=zk3", "4=zk4"])
        // The clients (bookies, brokers, proxies) follow with the new connect string, after ZooKeeper.
        let lastServing = try #require(pulsar.actions.lastIndex { if case .waitForZooKeeper = $0 { return true }; return false })
        let clients = pulsar.actions.enumerated().filter { _, action in
            if case .updateService(_, let spec, _) = action { return spec.Labels?["io.swarmstage.component"] != "zookeeper" }
            return false
        }
        #expect(!clients.isEmpty && clients.allSatisfy { $0.offset > lastServing })
    }

    /// Carried out: every round's servers serve on its list before the next; five servers on the
    /// stack's config at the end, the round's config gone, and a second deploy writes nothing.
    @Test func theGrowthIsCarriedOutAndASecondDeployWritesNothing() async throws {
        let (_, swarm) = try await MembershipGuardTests.deployed()
        let grown = try Self.grown()
        await swarm.label(grown.inventory)
        let zooKeeper = FakeZooKeeper(swarm: swarm)
        try await Self.deploy(grown, on: swarm, zooKeeper: zooKeeper)
        let asked = await zooKeeper.asked
        #expect(asked.contains(["zk1 leader zk1,zk2,zk3,zk4", "zk2 follower zk1,zk2,zk3,zk4", "zk3 follower zk1,zk2,zk3,zk4",
                                "zk4 follower zk1,zk2,zk3,zk4"]), "\(asked)")
        #expect(asked.last == (1...5).map { "zk\($0) \($0 == 1 ? "leader" : "follower") zk1,zk2,zk3,zk4,zk5" }, "\(asked)")
        let servers = try await swarm.services().filter { $0.Spec.Labels?["io.swarmstage.component"] == "zookeeper" }
        let final = try #require(grown.stages.first { $0.stage == .pulsar }?.spec.services.first { $0.Name == "lab-pulsar_zk1" })
        #expect(servers.count == 5 && Set(servers.map { ZooKeeperGrowth.configName($0.Spec) }) == [ZooKeeperGrowth.configName(final)])
        let configs = try await swarm.configs().map(\.Spec.Name).filter { $0.contains("zookeeper") }
        #expect(configs == [ZooKeeperGrowth.configName(final)], "the round's list is removed: \(configs)")
        let writes = await swarm.writes
        try await Self.deploy(grown, on: swarm, zooKeeper: zooKeeper)
        #expect(await swarm.writes == writes, "a second deploy writes nothing")
    }

    /// A growth cut short (round 1's servers never serve on their list) fails with what they said;
    /// the next deploy goes on from where it stopped: no round made again, zk5 on the stack's list.
    @Test func aGrowthCutShortGoesOnFromItsLastRound() async throws {
        let (_, swarm) = try await MembershipGuardTests.deployed()
        let grown = try Self.grown()
        await swarm.label(grown.inventory)
        let failure = try await #require(throws: StageFailure.self) {
            try await Self.deploy(grown, on: swarm, zooKeeper: FakeZooKeeper(swarm: swarm, failingSize: 4), timeout: .seconds(2))
        }
        #expect(failure.services.first?.reason.contains("do not all serve on one list of 4") == true, "\(failure)")
        let plan = try #require(try await FakeSwarmDeployTests.plan(grown, on: swarm).first { $0.stage == .pulsar })
        #expect(Array(Self.steps(plan).prefix(7)) == ["create zk5", "update zk1", "update zk2", "update zk3", "update zk4",
                                                      "serving zk1,zk2,zk3,zk4,zk5", "remove stale zk"], "\(Self.steps(plan))")
        try await Self.deploy(grown, on: swarm, zooKeeper: FakeZooKeeper(swarm: swarm))
        #expect(try await swarm.services().filter { $0.Spec.Labels?["io.swarmstage.component"] == "zookeeper" }.count == 5)
    }

    /// A zk host put before the running ones renumbers them: zk1 (its name, its `myid`) would move
    /// to the new host and start there empty while its host runs. `label` refuses that before
    /// any write (the growth never reaches deploy); with the new hosts after the running ones,
    /// nothing moves.
    @Test func aRenumberingOfRunningServersIsRefusedByLabel() async throws {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let renumbered = try MembershipGuardTests.lab(adding: ["lab-node4": ["zk"], "lab-manager": ["zk"]])
        let moves = MemberMoveGuard.moves(NodeLabelPlan.make(inventory: renumbered.inventory, nodes: nodes), nodes: nodes,
                                          services: services, tasks: tasks)
        #expect(moves.map(\.service) == ["lab-pulsar_zk1", "lab-pulsar_zk2", "lab-pulsar_zk3"], "\(moves)")
        let appended = NodeLabelPlan.make(inventory: try Self.grown().inventory, nodes: nodes)
        #expect(appended.problems.isEmpty && MemberMoveGuard.moves(appended, nodes: nodes, services: services, tasks: tasks).isEmpty)
    }

    @Test func aServerRemovedIsRefusedWithTheProcedure() async throws {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        var shrunk = cluster
        let pulsar = try #require(shrunk.stages.firstIndex { $0.stage == .pulsar })
        shrunk.stages[pulsar].spec.services.removeAll { $0.Name == "lab-pulsar_zk3" }
        let reason = try await MembershipGuardTests.refusal(shrunk, on: swarm)
        guard case .membershipChangeRefused("zookeeper", 3, 2, [], ["lab-pulsar_zk3"], let procedure) = reason else {
            Issue.record("\(reason)"); return
        }
        #expect(procedure.contains("does not remove one"), "\(procedure)")
    }
}
