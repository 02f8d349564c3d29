import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// A MinIO server whose host died, handed to another host by `label`: allowed alone, its task
/// waited for on the new node and its heal until MinIO reports every object healed; two at once,
/// or one off a host that still runs, refused before any write.
@Suite("MinIO servers handed on from dead hosts")
struct MinioHandOverTests {
    /// Heal statuses in order, the last one repeated; counts the requests.
    actor ScriptedHeal: MinioHealStatus {
        var statuses: [String]
        private(set) var asked: [String] = []

        init(_ statuses: [String]) { self.statuses = statuses }

        func status(of server: SwarmService) async throws -> String {
            asked.append(server.Spec.Name)
            let next = statuses.count > 1 ? statuses.removeFirst() : (statuses.first ?? "")
            if next.hasPrefix("error:") { throw MinioHealError(service: server.Spec.Name, problem: String(next.dropFirst(6))) }
            return next
        }
    }

    /// The deployed lab with lab-node4 dead and its minio4 handed to lab-manager3 in the inventory.
    static func minio4HandedOn() async throws -> (plan: NodeLabelPlan, nodes: [SwarmNode], swarm: FakeSwarm, inventory: Inventory,
                                                 services: [SwarmService], tasks: [SwarmTask]) {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        await swarm.loseNode("lab-node4")
        let inventory = try InventoryLoader.parse(try LabInventoryEdits.handingMinioServer(4, from: "lab-node4", to: "lab-manager3"),
                                                  file: "lab.yml")
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let plan = NodeLabelPlan.make(inventory: inventory, nodes: nodes)
        #expect(plan.problems.isEmpty, "\(plan.problems)")
        return (plan, nodes, swarm, inventory, services, tasks)
    }

    @Test func oneServerOffADeadHostIsHandedOnAndNothingElseIsRefused() async throws {
        let (plan, nodes, _, _, services, tasks) = try await Self.minio4HandedOn()
        #expect(MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks).isEmpty)
        let handOvers = MemberMoveGuard.minioHandOvers(plan, nodes: nodes, services: services, tasks: tasks)
        let manager3 = try #require(nodes.first { $0.hostname == "lab-manager3" })
        #expect(handOvers == [MinioHandOver(service: "lab-storage_minio4", from: "lab-node4", to: "lab-manager3", toNodeID: manager3.ID)])
        #expect(handOvers.first?.description.contains("which MinIO heals from the other servers") == true)
    }

    @Test func twoServersAtOnceAreRefusedOneAtATime() async throws {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        await swarm.loseNode("lab-node4")
        await swarm.loseNode("lab-node2")
        let one = try LabInventoryEdits.handingMinioServer(4, from: "lab-node4", to: "lab-manager3")
        let both = try LabInventoryEdits.handingMinioServer(2, from: "lab-node2", to: "lab-manager2", in: one)
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let plan = NodeLabelPlan.make(inventory: try InventoryLoader.parse(both, file: "lab.yml"), nodes: nodes)
        #expect(plan.problems.isEmpty, "\(plan.problems)")
        let moves = MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks)
        #expect(moves.map(\.service) == ["lab-storage_minio2", "lab-storage_minio4"], "\(moves)")
        #expect(moves.allSatisfy { $0.description.contains("MinIO heals one replaced server at a time") }, "\(moves)")
        #expect(MemberMoveGuard.minioHandOvers(plan, nodes: nodes, services: services, tasks: tasks).isEmpty)
    }

    @Test func aServerOffAHostThatRunsIsRefused() async throws {
        let (cluster, swarm) = try await MembershipGuardTests.deployed()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        let nodes = try await swarm.nodes(addressedAs: cluster.inventory)
        let moved = try LabInventoryEdits.handingMinioServer(4, from: "lab-node4", to: "lab-manager3")
        let plan = NodeLabelPlan.make(inventory: try InventoryLoader.parse(moved, file: "lab.yml"), nodes: nodes)
        let moves = MemberMoveGuard.moves(plan, nodes: nodes, services: services, tasks: tasks)
        #expect(moves.map(\.service) == ["lab-storage_minio4"])
        #expect(moves.first?.description.contains("only once its host is down: stop that host first") == true, "\(moves)")
        #expect(MemberMoveGuard.minioHandOvers(plan, nodes: nodes, services: services, tasks: tasks).isEmpty)
    }

    @Test func theWaitEndsWhenTheServerRunsOnItsNewHostAndReportsEveryObjectHealed() async throws {
        let (plan, nodes, swarm, inventory, services, tasks) = try await Self.minio4HandedOn()
        let handOver = try #require(MemberMoveGuard.minioHandOvers(plan, nodes: nodes, services: services, tasks: tasks).first)
        await swarm.label(inventory)
        let heal = ScriptedHeal(["error: mc admin heal failed: no answer", "starting: drives not checked yet",
                                 "healing: 2 of 5 objects", "healed 5 of 5"])
        let progress = Recorder()
        // A generous bound: the wait ends at "healed"; on two busy cores a task can be held for seconds.
        let outcome = try await MinioHealWait(swarm: swarm, heal: heal, timeout: .seconds(300), poll: .milliseconds(1))
            .wait(handOver) { progress.add($0) }
        #expect(outcome == .healed(objects: 5))
        #expect(await heal.asked == Array(repeating: "lab-storage_minio4", count: 4))
        #expect(progress.all == ["lab-storage_minio4: starting: drives not checked yet", "lab-storage_minio4: healing: 2 of 5 objects"])
        let running = try await swarm.tasks().filter { $0.Status.State == .running && $0.DesiredState == .running }
        let minio4 = try await swarm.service("lab-storage_minio4")
        #expect(running.contains { $0.ServiceID == minio4.ID && $0.NodeID == handOver.toNodeID })
    }

    @Test func aHealThatLeavesObjectsBehindOrNeverEndsIsAnError() async throws {
        let (plan, nodes, swarm, inventory, services, tasks) = try await Self.minio4HandedOn()
        let handOver = try #require(MemberMoveGuard.minioHandOvers(plan, nodes: nodes, services: services, tasks: tasks).first)
        await swarm.label(inventory)
        let partial = MinioHealWait(swarm: swarm, heal: ScriptedHeal(["healed 3 of 5"]), timeout: .seconds(300), poll: .milliseconds(1))
        let left = try await #require(throws: MinioHealError.self) { try await partial.wait(handOver) { _ in } }
        #expect(left.description == "lab-storage_minio4: MinIO healed 3 of 5 objects; the others have no read quorum")
        let endless = MinioHealWait(swarm: swarm, heal: ScriptedHeal(["healing: 1 of 5 objects"]), timeout: .milliseconds(50), poll: .milliseconds(5))
        let stuck = try await #require(throws: MinioHealError.self) { try await endless.wait(handOver) { _ in } }
        #expect(stuck.description.hasPrefix("lab-storage_minio4: not healed on lab-manager3 within"), "\(stuck)")
        #expect(stuck.description.hasSuffix(": healing: 1 of 5 objects"), "\(stuck)")
    }

    @Test func theWaitNamesATaskThatDoesNotStartOnTheNewHost() async throws {
        let (plan, nodes, swarm, _, services, tasks) = try await Self.minio4HandedOn()
        let handOver = try #require(MemberMoveGuard.minioHandOvers(plan, nodes: nodes, services: services, tasks: tasks).first)
        // Labels not written: nothing runs minio4 on lab-manager3, and MinIO is never asked.
        let heal = ScriptedHeal(["healed 5 of 5"])
        let wait = MinioHealWait(swarm: swarm, heal: heal, timeout: .milliseconds(50), poll: .milliseconds(5))
        let error = try await #require(throws: MinioHealError.self) { try await wait.wait(handOver) { _ in } }
        #expect(error.description.contains("its task has not started on lab-manager3"), "\(error)")
        #expect(await heal.asked.isEmpty)
    }

    @Test func theWaitSaysWhatItsTaskOnTheNewHostDoes() async throws {
        let (plan, nodes, swarm, inventory, services, tasks) = try await Self.minio4HandedOn()
        let handOver = try #require(MemberMoveGuard.minioHandOvers(plan, nodes: nodes, services: services, tasks: tasks).first)
        // It cannot start there (as when its drive folders are missing): Swarm's retries are shown, MinIO is never asked.
        await swarm.failTasks(of: "lab-storage_minio4")
        await swarm.label(inventory)
        let heal = ScriptedHeal(["healed 5 of 5"])
        let progress = Recorder()
        let wait = MinioHealWait(swarm: swarm, heal: heal, timeout: .milliseconds(100), poll: .milliseconds(5))
        let error = try await #require(throws: MinioHealError.self) { try await wait.wait(handOver) { progress.add($0) } }
        #expect(progress.all == ["lab-storage_minio4: its task on lab-manager3 is starting"], "\(progress.all)")
        #expect(error.description.hasSuffix(": its task on lab-manager3 is starting"), "\(error)")
        #expect(await heal.asked.isEmpty)
    }

    @Test(arguments: [("no heal needed", MinioHealWait.Outcome.nothingToHeal), ("healed 0 of 0", .healed(objects: 0)),
                      ("progress\nhealed 7 of 7", .healed(objects: 7))])
    func statusLinesThatEndTheWait(_ status: String, _ outcome: MinioHealWait.Outcome) throws {
        #expect(try MinioHealWait.reading(status).get() == outcome)
    }

    @Test(arguments: ["starting: drives not checked yet", "healing: 0 of 3 objects", "", "healed 2 of"])
    func statusLinesThatDoNot(_ status: String) throws {
        #expect(try MinioHealWait.reading(status).get() == nil)
    }
}
