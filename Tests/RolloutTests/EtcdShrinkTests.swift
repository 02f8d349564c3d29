import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// Members the inventory drops leave a running etcd cluster by etcd's procedure (`member remove`
/// while every member that stays is healthy, then the service), one at a time; `label` does not
/// stop them first. The lab proves it with the real etcd (LabEtcdGrowthTests shrinks 5 -> 3).
@Suite("etcd shrinking against a fake swarm")
struct EtcdShrinkTests {
    typealias Cluster = FakeSwarmDeployTests.Cluster

    /// Five members deployed and running; the inventory back to the lab's three (not labelled
    /// yet: the members that leave keep their labels until deploy has removed them).
    static func shrinking() async throws -> (Cluster, FakeSwarm, FakeEtcd) {
        let five = try Cluster(InventoryLoader.parse(try LabInventoryEdits.growingEtcd(), file: "lab.yml"))
        let swarm = FakeSwarm(inventory: five.inventory)
        try await FakeSwarmDeployTests.deploy(five, on: swarm)
        let etcd = FakeEtcd(members: ["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"], swarm: swarm)
        return (try FakeSwarmDeployTests.lab(), swarm, etcd)
    }

    static let leaving = ["lab-storage_etcd4", "lab-storage_etcd5"]

    @Test func twoMembersLeaveOneAtATimeByMemberRemoveBeforeTheirServicesGo() async throws {
        let (three, swarm, etcd) = try await Self.shrinking()
        let plans = try await FakeSwarmDeployTests.plan(three, on: swarm)
        let storage = try #require(plans.first { $0.stage == .storage })
        #expect(storage.problems.isEmpty, "\(storage.problems)")
        print("WRITES", storage.writes.map { "\($0.serviceName ?? "-") \(String(describing: $0).prefix(60))" })
        let steps = storage.actions.compactMap { action -> String? in
            switch action {
            case .removeEtcdMember(_, let name, let member, let peerURL): return "remove \(name) \(member) \(peerURL)"
            case .waitForService(_, let name) where Self.leaving.contains(name): return "wait \(name)"
            case .removeService(_, let name): return "plain remove \(name)"
            default: return nil
            }
        }
        #expect(steps == ["remove lab-storage_etcd4 etcd4 http://etcd4:2380", "wait lab-storage_etcd4",
                          "remove lab-storage_etcd5 etcd5 http://etcd5:2380", "wait lab-storage_etcd5"], "\(steps)")
        // The members that stay are not restarted (their --initial-cluster is read only at bootstrap).
        #expect(!storage.writes.contains { ["lab-storage_etcd1", "lab-storage_etcd2", "lab-storage_etcd3"].contains($0.serviceName ?? "") })

        let report = try await EtcdReplacementTests.deploy(three, on: swarm, etcd: etcd)
        #expect(report.changes[.storage]?["lab-storage_etcd5"] == .memberRemoved)
        #expect(await etcd.commands == ["member remove etcd4", "member remove etcd5"])
        #expect(await etcd.list.map(\.name) == ["etcd1", "etcd2", "etcd3"])
        let names = await swarm.serviceList.map(\.Spec.Name)
        #expect(!names.contains("lab-storage_etcd4") && !names.contains("lab-storage_etcd5") && names.contains("lab-storage_etcd3"))

        // Done: the next deploy removes nothing and writes nothing.
        let writes = await swarm.writes
        #expect(try await EtcdReplacementTests.deploy(three, on: swarm, etcd: etcd).writes == 0)
        #expect(await swarm.writes == writes)
        #expect(await etcd.commands.count == 2)
    }

    @Test func noMemberLeavesWhileOneThatStaysDoesNotAnswer() async throws {
        let (three, swarm, etcd) = try await Self.shrinking()
        await etcd.setDown("etcd2")
        let writes = await swarm.writes
        let failure = try await #require(throws: StageFailure.self) { try await EtcdReplacementTests.deploy(three, on: swarm, etcd: etcd) }
        guard case .rollingChangeUnsafe(let service, let reason) = failure.reason else { Issue.record("\(failure.reason)"); return }
        #expect(service == "lab-storage_etcd4")
        #expect(reason.contains("etcd at http://etcd2:2379 does not answer; a member is removed only while every member that stays is healthy"),
                "\(reason)")
        #expect(await etcd.commands.isEmpty, "etcd was not changed")
        #expect(await swarm.writes == writes, "nothing was written")
        #expect(await swarm.serviceList.contains { $0.Spec.Name == "lab-storage_etcd4" })
    }

    @Test func aDeployCutShortAfterMemberRemoveGoesOnWithTheService() async throws {
        let (three, swarm, etcd) = try await Self.shrinking()
        let etcd4 = try #require(await etcd.list.first { $0.name == "etcd4" })
        try await etcd.removeMember(id: etcd4.id, endpoints: ["http://etcd1:2379"])
        _ = try await EtcdReplacementTests.deploy(three, on: swarm, etcd: etcd)
        #expect(await etcd.commands == ["member remove etcd4", "member remove etcd5"], "the removal etcd shows done is not repeated")
        #expect(!(await swarm.serviceList.contains { Self.leaving.contains($0.Spec.Name) }))
    }

    @Test func membershipChangesWaitWhileEtcdSaysTheClusterIsSettling() async throws {
        // etcd refuses a change until every member has been connected for 5 s ("unhealthy cluster").
        let (three, swarm, etcd) = try await Self.shrinking()
        await etcd.refuseWhileSettling(2)
        _ = try await EtcdReplacementTests.deploy(three, on: swarm, etcd: etcd)
        #expect(await etcd.commands == ["member remove etcd4", "member remove etcd5"])
        let five = try Cluster(InventoryLoader.parse(try LabInventoryEdits.growingEtcd(), file: "lab.yml"))
        await etcd.refuseWhileSettling(2)
        _ = try await EtcdReplacementTests.deploy(five, on: swarm, etcd: etcd)
        #expect(await etcd.list.map(\.name).sorted() == ["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"])
    }

    @Test func aMemberAddedAgainStartsInADataDirectoryOfItsOwn() async throws {
        // Shrunk to three, then grown back: etcd4's host still has the removed member's data directory.
        let (three, swarm, etcd) = try await Self.shrinking()
        _ = try await EtcdReplacementTests.deploy(three, on: swarm, etcd: etcd)
        let five = try Cluster(InventoryLoader.parse(try LabInventoryEdits.growingEtcd(), file: "lab.yml"))
        _ = try await EtcdReplacementTests.deploy(five, on: swarm, etcd: etcd)
        let added = try #require(await etcd.list.first { $0.name == "etcd4" })
        let service = try #require(await swarm.serviceList.first { $0.Spec.Name == "lab-storage_etcd4" })
        #expect(EtcdReplacement.argument(EtcdReplacement.dataDirFlag, in: service.Spec) == "/var/etcd/member-\(added.id)")
        #expect(await etcd.commands.suffix(2) == ["member add etcd5 http://etcd5:2380 --learner", "member promote etcd5"])
    }

    @Test func labelDoesNotStopAMemberBeforeItsProcedureRemovesIt() async throws {
        let (three, swarm, _) = try await Self.shrinking()
        let services = try await swarm.services(), tasks = try await swarm.tasks()
        let nodes = try await swarm.nodes(addressedAs: three.inventory)
        let plan = NodeLabelPlan.make(inventory: three.inventory, nodes: nodes)
        #expect(plan.problems.isEmpty, "\(plan.problems)")
        let stops = MemberMoveGuard.stops(plan, nodes: nodes, services: services, tasks: tasks)
        #expect(stops.map(\.service) == Self.leaving)
        #expect(stops.map(\.host) == ["lab-node4", "lab-manager3"])
        #expect(stops.first?.description.contains("deploy first") == true)
        // Labelling as deployed stops nothing; once deploy has removed them, neither does the smaller inventory.
        let same = NodeLabelPlan.make(inventory: try Cluster(InventoryLoader.parse(try LabInventoryEdits.growingEtcd(), file: "lab.yml")).inventory,
                                      nodes: nodes)
        #expect(MemberMoveGuard.stops(same, nodes: nodes, services: services, tasks: tasks).isEmpty)
        let staying = services.filter { !Self.leaving.contains($0.Spec.Name) }
        #expect(MemberMoveGuard.stops(plan, nodes: nodes, services: staying, tasks: tasks).isEmpty)
        // A bookie whose label goes would stop without being decommissioned: named with its procedure.
        var text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        text = text.replacingOccurrences(of: "    roles: [minio, bookie, coord, index]\n", with: "    roles: [minio, coord, index]\n")
        let fewerBookies = NodeLabelPlan.make(inventory: try InventoryLoader.parse(text, file: "lab.yml"), nodes: nodes)
        let bookie = MemberMoveGuard.stops(fewerBookies, nodes: nodes, services: staying, tasks: tasks)
        #expect(bookie.map(\.tier) == ["bookie"], "\(bookie)")
        #expect(bookie.first?.description.contains("decommissionbookie") == true)
    }
}
