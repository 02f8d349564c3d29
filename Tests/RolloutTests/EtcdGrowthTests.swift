import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// Members the inventory adds to a running etcd cluster join by etcd's procedure (learner,
/// start as `existing`, promote), one at a time, with every member healthy before each; the
/// members that run are not restarted. The lab proves it with the real etcd (LabEtcdGrowthTests).
@Suite("etcd growth against a fake swarm")
struct EtcdGrowthTests {
    typealias Cluster = FakeSwarmDeployTests.Cluster

    /// The lab deployed with three members, the inventory grown to five and labelled.
    static func grown() async throws -> (Cluster, FakeSwarm, FakeEtcd) {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let etcd = FakeEtcd(members: ["etcd1", "etcd2", "etcd3"], swarm: swarm)
        let five = try Cluster(InventoryLoader.parse(try LabInventoryEdits.growingEtcd(), file: "lab.yml"))
        await swarm.label(five.inventory)
        return (five, swarm, etcd)
    }

    @Test func learnerOutputIsRead() {
        let list = """
            8e9e05c52164694d, started, etcd1, http://etcd1:2380, http://etcd1:2379, false
            2f0b3b3c5a9e4d21, unstarted, , http://etcd4:2380, , true
            """
        #expect(EtcdMember.parseList(list).map(\.isLearner) == [false, true])
    }

    @Test func theJoiningMembersInitialClusterIsWhatEtcdListsAndItself() {
        let members = [
            EtcdMember(id: "a", name: "etcd1", peerURLs: ["http://etcd1:2380"], started: true),
            EtcdMember(id: "b", name: "etcd2", peerURLs: ["http://etcd2:2380"], started: true),
            EtcdMember(id: "c", name: "", peerURLs: ["http://etcd4:2380"], started: false, isLearner: true),
        ]
        #expect(EtcdGrowth.initialCluster(members, adding: "etcd4", peerURL: "http://etcd4:2380")
            == "etcd1=http://etcd1:2380,etcd2=http://etcd2:2380,etcd4=http://etcd4:2380")
    }

    @Test func twoMembersJoinOneAtATimeAsLearnersAndTheRunningOnesAreNotRestarted() async throws {
        let (cluster, swarm, etcd) = try await Self.grown()
        let plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        let storage = try #require(plans.first { $0.stage == .storage })
        #expect(storage.problems.isEmpty, "\(storage.problems)")
        let added = storage.actions.compactMap { action -> String? in
            if case .addEtcdMember(let spec) = action { return spec.Name }
            return nil
        }
        #expect(added == ["lab-storage_etcd4", "lab-storage_etcd5"])
        // Each addition is its own step, with its gate, before the next.
        let steps = storage.actions.map { action -> String in
            switch action {
            case .addEtcdMember(let spec): return "add \(spec.Name)"
            case .waitForService(_, let name): return "wait \(name)"
            default: return ""
            }
        }.filter { !$0.isEmpty }
        #expect(steps.starts(with: ["add lab-storage_etcd4", "wait lab-storage_etcd4", "add lab-storage_etcd5", "wait lab-storage_etcd5"]), "\(steps)")
        // --initial-cluster is read only at bootstrap: the three members that run are left as they are.
        #expect(!storage.writes.contains { ["lab-storage_etcd1", "lab-storage_etcd2", "lab-storage_etcd3"].contains($0.serviceName ?? "") },
                "\(storage.writes.map(\.serviceName))")

        let report = try await EtcdReplacementTests.deploy(cluster, on: swarm, etcd: etcd)
        #expect(report.changes[.storage]?["lab-storage_etcd4"] == .memberAdded)
        #expect(await etcd.commands == ["member add etcd4 http://etcd4:2380 --learner", "member promote etcd4",
                                        "member add etcd5 http://etcd5:2380 --learner", "member promote etcd5"])
        let members = await etcd.list
        #expect(members.map(\.name).sorted() == ["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"])
        #expect(members.allSatisfy { $0.started && !$0.isLearner })
        let services = await swarm.serviceList
        let etcd4 = try #require(services.first { $0.Spec.Name == "lab-storage_etcd4" })
        let etcd5 = try #require(services.first { $0.Spec.Name == "lab-storage_etcd5" })
        #expect(EtcdReplacement.clusterState(etcd4.Spec) == "existing" && EtcdReplacement.clusterState(etcd5.Spec) == "existing")
        #expect(EtcdReplacement.argument(EtcdGrowth.initialClusterFlag, in: etcd4.Spec)
            == "etcd1=http://etcd1:2380,etcd2=http://etcd2:2380,etcd3=http://etcd3:2380,etcd4=http://etcd4:2380")
        #expect(EtcdReplacement.argument(EtcdGrowth.initialClusterFlag, in: etcd5.Spec)?.contains("etcd4=http://etcd4:2380,etcd5=") == true)
        let nodes = await swarm.nodeList
        let placed = await swarm.taskList.filter { $0.ServiceID == etcd5.ID && $0.DesiredState == .running }
            .compactMap { task in nodes.first { $0.ID == task.NodeID }?.hostname }
        #expect(placed == ["lab-manager3"])

        // Done: the next deploy adds nothing and writes nothing.
        let writes = await swarm.writes
        #expect(try await EtcdReplacementTests.deploy(cluster, on: swarm, etcd: etcd).writes == 0)
        #expect(await swarm.writes == writes)
        #expect(await etcd.commands.count == 4)
    }

    @Test func noMemberIsAddedWhileAnotherDoesNotAnswer() async throws {
        let (cluster, swarm, etcd) = try await Self.grown()
        await etcd.setDown("etcd3")
        let failure = try await #require(throws: StageFailure.self) { try await EtcdReplacementTests.deploy(cluster, on: swarm, etcd: etcd) }
        guard case .rollingChangeUnsafe(let service, let reason) = failure.reason else { Issue.record("\(failure.reason)"); return }
        #expect(service == "lab-storage_etcd4")
        #expect(reason.contains("etcd at http://etcd3:2379 does not answer; a member is added only while every member is healthy"), "\(reason)")
        #expect(await etcd.commands.isEmpty, "etcd was not changed")
        #expect(!(await swarm.serviceList.contains { $0.Spec.Name == "lab-storage_etcd4" }))
    }

    @Test func aDeployCutShortAfterMemberAddGoesOnWithTheStartAndPromotion() async throws {
        let (cluster, swarm, etcd) = try await Self.grown()
        try await etcd.addMember(name: "etcd4", peerURL: "http://etcd4:2380", asLearner: true, endpoints: ["http://etcd1:2379"])
        _ = try await EtcdReplacementTests.deploy(cluster, on: swarm, etcd: etcd)
        #expect(await etcd.commands == ["member add etcd4 http://etcd4:2380 --learner", "member promote etcd4",
                                        "member add etcd5 http://etcd5:2380 --learner", "member promote etcd5"],
                "the add that etcd shows done is not repeated")
    }
}
