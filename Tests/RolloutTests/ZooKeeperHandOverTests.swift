import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// A ZooKeeper server whose host died, handed to another host by `label`: allowed alone and only
/// while a majority of the ensemble serves among the others with a leader (checked before any
/// write); its task waited for on the new node and the server until it serves (synced). Two at
/// once, or one off a host that still runs, refused before any write.
@Suite("ZooKeeper servers handed on from dead hosts")
struct ZooKeeperHandOverTests {
    /// `srvr` answers by host, in order per host, the last one repeated; records who was asked from where.
    actor ScriptedStatus: ZooKeeperStatus {
        var answers: [String: [String]]
        private(set) var asked: [(hosts: [String], from: String)] = []

        init(_ answers: [String: [String]]) { self.answers = answers }

        func states(of hosts: [String], from member: SwarmService) async throws -> [ZooKeeperServerState] {
            asked.append((hosts, member.Spec.Name))
            var output = ""
            for host in hosts {
                var queue = answers[host] ?? []
                let next = queue.count > 1 ? queue.removeFirst() : (queue.first ?? "")
                answers[host] = queue
                output += "== \(host)\n\(next)\n"
            }
            return ZooKeeperServerState.reading(output, hosts: hosts)
        }
    }

    static let leader = "Zookeeper version: 3.9.1\nZxid: 0x200000007\nMode: leader\nNode count: 12"
    static let follower = "Zookeeper version: 3.9.1\nZxid: 0x200000007\nMode: follower\nNode count: 12"
    static let notServing = "This ZooKeeper instance is not currently serving requests"

    /// The deployed lab with lab-node2 dead and its zk2 handed to lab-manager3 in the inventory.
    static func zk2HandedOn() async throws -> (handOver: ZooKeeperHandOver, swarm: FakeSwarm, inventory: Inventory, nodes: [SwarmNode]) {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        await swarm.loseNode("lab-node2")
        let inventory = try InventoryLoader.parse(try LabInventoryEdits.handingZooKeeperServer(2, from: "lab-node2", to: "lab-manager3"),
                                                  file: "lab.yml")
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let plan = NodeLabelPlan.make(inventory: inventory, nodes: nodes)
        #expect(plan.problems.isEmpty, "\(plan.problems)")
        #expect(MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks).isEmpty)
        let handOver = try #require(MemberMoveGuard.zooKeeperHandOvers(plan, nodes: nodes, services: services, tasks: tasks).first)
        return (handOver, swarm, inventory, nodes)
    }

    @Test func oneServerOffADeadHostIsHandedOnWithTheOthersNamed() async throws {
        let (handOver, _, _, nodes) = try await Self.zk2HandedOn()
        let manager3 = try #require(nodes.first { $0.hostname == "lab-manager3" })
        #expect(handOver == ZooKeeperHandOver(service: "lab-pulsar_zk2", host: "zk2", from: "lab-node2", to: "lab-manager3",
                                              toNodeID: manager3.ID, others: ["lab-pulsar_zk1", "lab-pulsar_zk3"]))
        #expect(handOver.needed == 2, "a majority of 3")
    }

    @Test func twoServersAtOnceAreRefusedOneAtATime() async throws {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        await swarm.loseNode("lab-node2")
        await swarm.loseNode("lab-node3")
        let one = try LabInventoryEdits.handingZooKeeperServer(2, from: "lab-node2", to: "lab-manager3")
        let both = try LabInventoryEdits.handingZooKeeperServer(3, from: "lab-node3", to: "lab-manager2", in: one)
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let plan = NodeLabelPlan.make(inventory: try InventoryLoader.parse(both, file: "lab.yml"), nodes: nodes)
        #expect(plan.problems.isEmpty, "\(plan.problems)")
        let moves = MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks).filter { $0.tier == "zookeeper" }
        #expect(moves.map(\.service) == ["lab-pulsar_zk2", "lab-pulsar_zk3"], "\(moves)")
        #expect(moves.allSatisfy { $0.description.contains("ZooKeeper takes one empty server at a time") }, "\(moves)")
        #expect(MemberMoveGuard.zooKeeperHandOvers(plan, nodes: nodes, services: services, tasks: tasks).isEmpty)
    }

    @Test func aServerOffAHostThatRunsIsRefused() async throws {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let moved = try LabInventoryEdits.handingZooKeeperServer(2, from: "lab-node2", to: "lab-manager3")
        let plan = NodeLabelPlan.make(inventory: try InventoryLoader.parse(moved, file: "lab.yml"), nodes: nodes)
        let moves = MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks)
        #expect(moves.map(\.service) == ["lab-pulsar_zk2"])
        #expect(moves.first?.description.contains("only once its host is down: stop that host first") == true, "\(moves)")
        #expect(MemberMoveGuard.zooKeeperHandOvers(plan, nodes: nodes, services: services, tasks: tasks).isEmpty)
    }

    @Test func theOthersMustServeAsAMajorityWithALeaderBeforeAnyWrite() async throws {
        let (handOver, swarm, _, _) = try await Self.zk2HandedOn()
        let good = ScriptedStatus(["zk1": [Self.leader], "zk3": [Self.follower]])
        let states = try await ZooKeeperSyncWait(swarm: swarm, status: good, timeout: .seconds(5)).checkQuorum(handOver)
        #expect(states.map(\.description) == ["zk1: leader, 12 znodes", "zk3: follower, 12 znodes"])
        let asked = await good.asked
        #expect(asked.count == 1 && asked.first?.hosts == ["zk1", "zk3"] && asked.first?.from == "lab-pulsar_zk1", "asked from a running server")

        let oneShort = ScriptedStatus(["zk1": [Self.leader], "zk3": [Self.notServing]])
        let short = try await #require(throws: ZooKeeperHandOverError.self) {
            try await ZooKeeperSyncWait(swarm: swarm, status: oneShort, timeout: .seconds(5)).checkQuorum(handOver)
        }
        #expect(short.description == "lab-pulsar_zk2: 1 of the other 2 servers serve (zk1: leader, 12 znodes; zk3: This ZooKeeper "
                + "instance is not currently serving requests); an empty server joins safely only while 2 of the ensemble's 3 hold the "
                + "data with a leader (ZooKeeper Administrator's Guide): bring the others back first")

        let leaderless = ScriptedStatus(["zk1": [Self.follower], "zk3": [Self.follower]])
        let noLeader = try await #require(throws: ZooKeeperHandOverError.self) {
            try await ZooKeeperSyncWait(swarm: swarm, status: leaderless, timeout: .seconds(5)).checkQuorum(handOver)
        }
        #expect(noLeader.description.contains("2 of the other 2 servers serve"), "\(noLeader)")
    }

    @Test func withNoOtherServerRunningTheHandOverIsRefused() async throws {
        let (handOver, swarm, _, _) = try await Self.zk2HandedOn()
        for name in handOver.others {
            let service = try await swarm.service(name)
            var spec = service.Spec
            spec.Mode = ServiceMode(Replicated: .init(Replicas: 0))
            try await swarm.updateService(service.ID, version: service.Version, spec: spec)
        }
        let status = ScriptedStatus([:])
        let error = try await #require(throws: ZooKeeperHandOverError.self) {
            try await ZooKeeperSyncWait(swarm: swarm, status: status, timeout: .seconds(5)).checkQuorum(handOver)
        }
        #expect(error.description.contains("no other server of the ensemble runs"), "\(error)")
        #expect(await status.asked.isEmpty)
    }

    /// A server whose node is down still has a task Swarm calls running; a job placed by its
    /// constraints could never start, so it is not asked from there.
    @Test func aServerOnADownNodeIsNotAskedFrom() async throws {
        let (handOver, swarm, _, _) = try await Self.zk2HandedOn()
        await swarm.loseNode("lab-node1")
        let status = ScriptedStatus(["zk1": [Self.notServing], "zk3": [Self.notServing]])
        let refused = try await #require(throws: ZooKeeperHandOverError.self) {
            try await ZooKeeperSyncWait(swarm: swarm, status: status, timeout: .seconds(5)).checkQuorum(handOver)
        }
        #expect(refused.description.contains("0 of the other 2 servers serve"), "\(refused)")
        #expect(await status.asked.map(\.from) == ["lab-pulsar_zk3"], "asked from lab-node3's server, not lab-node1's")
    }

    @Test func theWaitEndsWhenTheServerRunsOnItsNewHostAndServes() async throws {
        let (handOver, swarm, inventory, _) = try await Self.zk2HandedOn()
        await swarm.label(inventory)
        let status = ScriptedStatus(["zk2": ["", Self.notServing, Self.follower]])
        let progress = Recorder()
        let state = try await ZooKeeperSyncWait(swarm: swarm, status: status, timeout: .seconds(300), poll: .milliseconds(1))
            .wait(handOver) { progress.add($0) }
        #expect(state.description == "zk2: follower, 12 znodes")
        #expect(progress.all == ["lab-pulsar_zk2: no answer", "lab-pulsar_zk2: This ZooKeeper instance is not currently serving requests"],
                "\(progress.all)")
        #expect(await status.asked.allSatisfy { $0.hosts == ["zk2"] && $0.from == "lab-pulsar_zk1" })
        let zk2 = try await swarm.service("lab-pulsar_zk2")
        let running = try await swarm.tasks().filter { $0.ServiceID == zk2.ID && $0.Status.State == .running && $0.DesiredState == .running }
        #expect(running.map(\.NodeID) == [handOver.toNodeID])
    }

    @Test func theWaitNamesATaskThatDoesNotStartAndAServerThatNeverServes() async throws {
        let (handOver, swarm, inventory, _) = try await Self.zk2HandedOn()
        // Labels not written: nothing runs zk2 on lab-manager3, and ZooKeeper is never asked.
        let unasked = ScriptedStatus(["zk2": [Self.follower]])
        let notStarted = try await #require(throws: ZooKeeperHandOverError.self) {
            try await ZooKeeperSyncWait(swarm: swarm, status: unasked, timeout: .milliseconds(50), poll: .milliseconds(5)).wait(handOver) { _ in }
        }
        #expect(notStarted.description.hasSuffix("its task has not started on lab-manager3"), "\(notStarted)")
        #expect(await unasked.asked.isEmpty)

        await swarm.label(inventory)
        let never = ScriptedStatus(["zk2": [Self.notServing]])
        let stuck = try await #require(throws: ZooKeeperHandOverError.self) {
            try await ZooKeeperSyncWait(swarm: swarm, status: never, timeout: .milliseconds(100), poll: .milliseconds(5)).wait(handOver) { _ in }
        }
        #expect(stuck.description.hasPrefix("lab-pulsar_zk2: does not serve on lab-manager3 within"), "\(stuck)")
        #expect(stuck.description.hasSuffix(": This ZooKeeper instance is not currently serving requests"), "\(stuck)")
    }

    @Test func srvrAnswersAreReadPerHost() {
        let output = "== zk1\n\(Self.leader)\n\n== zk2\n\(Self.notServing)\n\n== zk3\n\n"
        let states = ZooKeeperServerState.reading(output, hosts: ["zk1", "zk2", "zk3", "zk4"])
        #expect(states == [
            ZooKeeperServerState(host: "zk1", mode: "leader", nodeCount: 12),
            ZooKeeperServerState(host: "zk2", mode: nil, problem: Self.notServing),
            ZooKeeperServerState(host: "zk3", mode: nil, problem: "no answer"),
            ZooKeeperServerState(host: "zk4", mode: nil, problem: "no answer"),
        ])
        #expect(ZooKeeperServerState.reading("== zk1\nMode: standalone\n", hosts: ["zk1"]).first?.serves == true)
    }
}

/// The inventory edit the lab's host-replacement test makes: two members handed to one host.
@Suite("Lab inventory edits")
struct LabInventoryEditTests {
    @Test func membersHandedToOneHostShareItsLabels() throws {
        let text = try LabInventoryEdits.handingZooKeeperServer(2, from: "lab-node2", to: "lab-manager3",
                                                                in: try LabInventoryEdits.handingNode2sEtcdMember(to: "lab-manager3"))
        let inventory = try InventoryLoader.parse(text, file: "lab.yml")
        let manager3 = try #require(inventory.hosts.first { $0.name == "lab-manager3" })
        #expect(manager3.labels["etcd2"] == "true" && manager3.labels["zk2"] == "true", "\(manager3.labels)")
    }
}
