import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// A bookie whose host died, handed to another host by `label`: allowed alone and only while
/// every other bookie takes writes and they are at least the ensemble size (checked before
/// anything is written); decommissioned before its labels are written (its ledgers moved to the
/// others, its cookie removed), then waited for until it takes writes on its new host. Two at
/// once, or one off a host that still runs, refused before any write.
@Suite("Bookies handed on from dead hosts")
struct BookieHandOverTests {
    /// The deployed lab with lab-node2 dead and its bookie1 handed to lab-manager3 in the inventory,
    /// and BookKeeper with three ledgers, two of them on bookie1.
    static func bookie1HandedOn() async throws -> (handOver: BookieHandOver, swarm: FakeSwarm, bookKeeper: FakeBookKeeper,
                                                  inventory: Inventory) {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let bookKeeper = FakeBookKeeper(ledgers: [1: ["bookie1:3181", "bookie2:3181"], 2: ["bookie2:3181", "bookie3:3181"],
                                                  3: ["bookie1:3181", "bookie3:3181"]], swarm: swarm)
        #expect(try await bookKeeper.writableBookies() == ["bookie1:3181", "bookie2:3181", "bookie3:3181"])
        await bookKeeper.forgetCommands()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        await swarm.loseNode("lab-node2")
        let inventory = try InventoryLoader.parse(try LabInventoryEdits.handingBookie(1, from: "lab-node2", to: "lab-manager3"), file: "lab.yml")
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let plan = NodeLabelPlan.make(inventory: inventory, nodes: nodes)
        #expect(plan.problems.isEmpty, "\(plan.problems)")
        #expect(MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks).isEmpty)
        let handOver = try #require(MemberMoveGuard.bookieHandOvers(plan, nodes: nodes, services: services, tasks: tasks).first)
        return (handOver, swarm, bookKeeper, inventory)
    }

    @Test func oneBookieOffADeadHostIsHandedOnWithTheOthersAndTheEnsembleNamed() async throws {
        let (handOver, swarm, _, _) = try await Self.bookie1HandedOn()
        let manager3 = try #require(try await swarm.nodes().first { $0.hostname == "lab-manager3" })
        #expect(handOver == BookieHandOver(service: "lab-pulsar_bookie1", bookie: "bookie1:3181", from: "lab-node2", to: "lab-manager3",
                                           toNodeID: manager3.ID, others: ["lab-pulsar_bookie2", "lab-pulsar_bookie3"], ensemble: 2))
        #expect(handOver.description.contains("BookKeeper decommissions bookie1:3181 first"), "\(handOver)")
    }

    @Test func theBookieIsDecommissionedBeforeTheLabelsAndTakesWritesOnItsNewHost() async throws {
        let (handOver, swarm, bookKeeper, inventory) = try await Self.bookie1HandedOn()
        let run = BookieHandOverRun(swarm: swarm, control: bookKeeper, timeout: .seconds(300), poll: .milliseconds(1))
        let progress = Recorder()
        let others = try await run.decommission(handOver) { progress.add($0) }
        #expect(others == ["bookie2:3181", "bookie3:3181"])
        #expect(await bookKeeper.commands == ["listbookies -rw", "decommissionbookie -bookieid bookie1:3181",
                                             "listledgers -bookieid bookie1:3181"])
        // Every ledger that named bookie1 has two replicas on the bookies that stay.
        let ledgers = await bookKeeper.ledgers
        #expect(ledgers == [1: ["bookie2:3181", "bookie3:3181"], 2: ["bookie2:3181", "bookie3:3181"], 3: ["bookie2:3181", "bookie3:3181"]])
        #expect(progress.all == ["lab-pulsar_bookie1: decommissioning bookie1:3181 (bookkeeper shell decommissionbookie, from lab-pulsar_bookie2)"])

        await swarm.label(inventory)
        try await run.wait(handOver) { progress.add($0) }
        #expect(try await bookKeeper.writableBookies() == ["bookie1:3181", "bookie2:3181", "bookie3:3181"])
        let bookie1 = try await swarm.service("lab-pulsar_bookie1")
        let running = try await swarm.tasks().filter { $0.ServiceID == bookie1.ID && $0.Status.State == .running && $0.DesiredState == .running }
        #expect(running.map(\.NodeID) == [handOver.toNodeID])
    }

    /// Without the decommission, the bookie started on empty disks fails its cookie check: the
    /// wait says so instead of ending.
    @Test func aBookieStartedOnEmptyDisksWithoutTheDecommissionNeverTakesWrites() async throws {
        let (handOver, swarm, bookKeeper, inventory) = try await Self.bookie1HandedOn()
        let run = BookieHandOverRun(swarm: swarm, control: bookKeeper, timeout: .milliseconds(100), poll: .milliseconds(5))
        let notStarted = try await #require(throws: HandOverError.self) { try await run.wait(handOver) { _ in } }
        #expect(notStarted.description.hasSuffix("its task has not started on lab-manager3"), "\(notStarted)")
        await swarm.label(inventory)
        let refused = try await #require(throws: HandOverError.self) { try await run.wait(handOver) { _ in } }
        #expect(refused.description.hasPrefix("lab-pulsar_bookie1: does not take writes on lab-manager3 within"), "\(refused)")
        #expect(refused.description.hasSuffix("BookKeeper does not list bookie1:3181 as writable yet"), "\(refused)")
    }

    @Test func everyOtherBookieMustTakeWritesBeforeAnything() async throws {
        let (handOver, swarm, bookKeeper, _) = try await Self.bookie1HandedOn()
        await bookKeeper.setDown("bookie3:3181")
        let run = BookieHandOverRun(swarm: swarm, control: bookKeeper, timeout: .seconds(5), poll: .milliseconds(1))
        let refused = try await #require(throws: HandOverError.self) { try await run.decommission(handOver) { _ in } }
        #expect(refused.description == "lab-pulsar_bookie1: BookKeeper does not list bookie3:3181 as writable; a bookie is handed on "
                + "only while every other bookie takes writes (its ledgers are re-replicated onto them; BookKeeper docs, Decommission "
                + "Bookies): bring it back first")
        #expect(await bookKeeper.commands == ["listbookies -rw"], "nothing but the check")
    }

    @Test func fewerOtherBookiesThanTheEnsembleAreRefusedWithoutAsking() async throws {
        var (handOver, swarm, bookKeeper, _) = try await Self.bookie1HandedOn()
        handOver.ensemble = 3
        let run = BookieHandOverRun(swarm: swarm, control: bookKeeper, timeout: .seconds(5), poll: .milliseconds(1))
        let refused = try await #require(throws: HandOverError.self) { try await run.decommission(handOver) { _ in } }
        #expect(refused.description.contains("2 other bookies are fewer than the ensemble size 3"), "\(refused)")
        #expect(await bookKeeper.commands.isEmpty)
    }

    @Test func withNoOtherBookieRunningTheHandOverIsRefused() async throws {
        let (handOver, swarm, bookKeeper, _) = try await Self.bookie1HandedOn()
        await swarm.loseNode("lab-node3")
        await swarm.loseNode("lab-node4")
        let run = BookieHandOverRun(swarm: swarm, control: bookKeeper, timeout: .seconds(5), poll: .milliseconds(1))
        let refused = try await #require(throws: HandOverError.self) { try await run.decommission(handOver) { _ in } }
        #expect(refused.description.contains("no other bookie runs"), "\(refused)")
        #expect(await bookKeeper.commands.isEmpty)
    }

    /// A decommission that cannot place a ledger (no writable bookie outside its ensemble) has
    /// started: it is a failure of the procedure, not a refusal, and the labels stay unwritten.
    @Test func aDecommissionThatFailsIsReportedAsSuch() async throws {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let bookKeeper = FakeBookKeeper(ledgers: [1: ["bookie1:3181", "bookie2:3181", "bookie3:3181"]], swarm: swarm)
        _ = try await bookKeeper.writableBookies()
        await swarm.loseNode("lab-node2")
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let inventory = try InventoryLoader.parse(try LabInventoryEdits.handingBookie(1, from: "lab-node2", to: "lab-manager3"), file: "lab.yml")
        let handOver = try #require(MemberMoveGuard.bookieHandOvers(NodeLabelPlan.make(inventory: inventory, nodes: nodes), nodes: nodes,
                                                                    services: try await swarm.services(), tasks: try await swarm.tasks()).first)
        let run = BookieHandOverRun(swarm: swarm, control: bookKeeper, timeout: .seconds(5), poll: .milliseconds(1))
        let failed = try await #require(throws: BookieHandOverRun.Failed.self) { try await run.decommission(handOver) { _ in } }
        #expect(failed.description == "lab-pulsar_bookie1: bookkeeper shell decommissionbookie -bookieid bookie1:3181 failed: "
                + "ledger 1: no writable bookie outside its ensemble")
    }

    @Test func twoBookiesAtOnceAreRefusedOneAtATime() async throws {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        await swarm.loseNode("lab-node2")
        await swarm.loseNode("lab-node3")
        let one = try LabInventoryEdits.handingBookie(1, from: "lab-node2", to: "lab-manager3")
        let both = try LabInventoryEdits.handingBookie(2, from: "lab-node3", to: "lab-manager2", in: one)
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let plan = NodeLabelPlan.make(inventory: try InventoryLoader.parse(both, file: "lab.yml"), nodes: nodes)
        #expect(plan.problems.isEmpty, "\(plan.problems)")
        let moves = MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks).filter { $0.tier == "bookie" }
        #expect(moves.map(\.service) == ["lab-pulsar_bookie1", "lab-pulsar_bookie2"], "\(moves)")
        #expect(moves.allSatisfy { $0.description.contains("BookKeeper re-replicates one lost bookie at a time") }, "\(moves)")
        #expect(MemberMoveGuard.bookieHandOvers(plan, nodes: nodes, services: services, tasks: tasks).isEmpty)
    }

    @Test func aBookieOffAHostThatRunsIsRefused() async throws {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let moved = try LabInventoryEdits.handingBookie(1, from: "lab-node2", to: "lab-manager3")
        let plan = NodeLabelPlan.make(inventory: try InventoryLoader.parse(moved, file: "lab.yml"), nodes: nodes)
        let moves = MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks)
        #expect(moves.map(\.service) == ["lab-pulsar_bookie1"])
        #expect(moves.first?.description.contains("only once its host is down: stop that host first") == true, "\(moves)")
        #expect(MemberMoveGuard.bookieHandOvers(plan, nodes: nodes, services: services, tasks: tasks).isEmpty)
    }
}
