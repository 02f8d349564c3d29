import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// `health --members`: what etcd itself says (member list, alarms) against the inventory. The
/// lab proves it with the real etcd and a NOSPACE alarm (LabHealthAndFaultTests).
@Suite("etcd's own members and alarms in health")
struct EtcdMemberCheckTests {
    static let lab = ["etcd1", "etcd2", "etcd3"]

    static func member(_ name: String, _ id: String, started: Bool = true, learner: Bool = false) -> EtcdMember {
        EtcdMember(id: id, name: started ? name : "", peerURLs: ["http://\(name):2380"], started: started, isLearner: learner)
    }

    static let listed = [member("etcd1", "8e9e05c52164694d"), member("etcd2", "91bc3c398fb3c146"), member("etcd3", "fd422379fda50e48")]

    @Test func alarmListIsReadAsEtcd34PrintsItWithDecimalIDs() {
        // Debian's etcdctl 3.4.23, one alarm raised by a member whose hex ID is 2e1259d415f2a040.
        let output = """
            memberID:3319814642761637952 alarm:NOSPACE 
            {"level":"warn","msg":"some log line"}
            memberID:notanumber alarm:CORRUPT
            memberID:10276657743932975437 alarm:CORRUPT
            """
        #expect(EtcdAlarm.parseList(output) == [EtcdAlarm(memberID: "2e1259d415f2a040", alarm: "NOSPACE"),
                                                EtcdAlarm(memberID: "8e9e05c52164694d", alarm: "CORRUPT")])
        #expect(EtcdAlarm.parseList("").isEmpty)
    }

    @Test func theInventorysMembersWithNoAlarmAreHealthy() {
        let report = EtcdMemberReport.make(inventoryMembers: Self.lab, listed: Self.listed, alarms: [])
        #expect(report.problems(inventoryMembers: Self.lab).isEmpty)
        #expect(report.members.map(\.name) == Self.lab && report.members.allSatisfy(\.inInventory))
    }

    @Test func anAlarmFailsTheClusterAndNamesTheMemberThatRaisedIt() {
        let report = EtcdMemberReport.make(inventoryMembers: Self.lab, listed: Self.listed,
                                           alarms: [EtcdAlarm(memberID: "91bc3c398fb3c146", alarm: "NOSPACE")])
        let problems = report.problems(inventoryMembers: Self.lab)
        #expect(problems.count == 1)
        #expect(problems.first?.0 == .failed)
        let text = problems.first?.1 ?? ""
        #expect(text.contains("etcd alarm NOSPACE (raised by etcd2 91bc3c398fb3c146)"), "\(text)")
        #expect(text.contains("refuses every write") && text.contains("etcdctl alarm disarm"), "\(text)")

        let corrupt = EtcdMemberReport.make(inventoryMembers: Self.lab, listed: Self.listed,
                                            alarms: [EtcdAlarm(memberID: "fd422379fda50e48", alarm: "CORRUPT")])
        #expect(corrupt.problems(inventoryMembers: Self.lab).map(\.0) == [.failed])
        #expect(corrupt.problems(inventoryMembers: Self.lab).first?.1.contains("CORRUPT (raised by etcd3") == true)
    }

    @Test func aMemberEtcdStillListsButTheInventoryDropsIsNamedWithTheCommandThatRemovesIt() {
        let four = Self.listed + [Self.member("etcd4", "1e9e05c52165694d")]
        let problems = EtcdMemberReport.make(inventoryMembers: Self.lab, listed: four, alarms: []).problems(inventoryMembers: Self.lab)
        #expect(problems.map(\.0) == [.degraded])
        #expect(problems.first?.1.contains("etcd lists member etcd4 (1e9e05c52165694d) that the inventory does not have") == true)
        #expect(problems.first?.1.contains("quorum (3 of 4 voting members)") == true, "\(problems)")
        #expect(problems.first?.1.contains("etcdctl member remove 1e9e05c52165694d") == true)
    }

    @Test func anUnstartedMemberALearnerAndAMissingMemberAreEachNamed() {
        let listed = [Self.listed[0], Self.member("etcd2", "aaaa", started: false), Self.member("etcd3", "fd422379fda50e48", learner: true)]
        let problems = EtcdMemberReport.make(inventoryMembers: Self.lab, listed: listed, alarms: []).problems(inventoryMembers: Self.lab)
        let texts = problems.map(\.1)
        #expect(problems.allSatisfy { $0.0 == .degraded })
        #expect(texts.contains { $0.contains("member aaaa, added but never started") && $0.contains("2 of 2 voting members") }, "\(texts)")
        #expect(texts.contains { $0.contains("etcd member etcd3 (fd422379fda50e48) is a learner") })
        // etcd2 is not listed by name (only its unstarted replacement is).
        #expect(texts.contains { $0.contains("the inventory's etcd member etcd2 is not in etcd's member list") })
        #expect(texts.count == 3)
    }

    @Test func etcdThatDoesNotAnswerIsSaidAndNotTakenForAnEmptyList() {
        let report = EtcdMemberReport.make(inventoryMembers: Self.lab, listed: nil, alarms: nil,
                                           unanswered: ["`alarm list`: etcdctl alarm list failed: context deadline exceeded"])
        let problems = report.problems(inventoryMembers: Self.lab)
        #expect(problems.map(\.0) == [.degraded])
        #expect(problems.first?.1.hasPrefix("etcd did not answer `alarm list`") == true)
    }

    @Test func healthAsksEtcdOnlyWhenToldAndOrdersItsProblemsBySeverity() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let etcd = FakeEtcd(members: Self.lab, swarm: swarm)
        await etcd.raise("NOSPACE", by: "etcd1")

        let writesBefore = await swarm.writes
        let plain = try await ClusterHealth.read(swarm, inventory: cluster.inventory, etcd: etcd)
        // (The fake swarm's nodes are not the inventory's hosts: that is reported too, as degraded.)
        #expect(plain.etcdMembers == nil && plain.status != .failed && !plain.problems.contains { $0.contains("etcd") }, "\(plain.problems)")
        let asked = try await ClusterHealth.read(swarm, inventory: cluster.inventory, askEtcd: true, etcd: etcd)
        #expect(asked.status == .failed)
        #expect(asked.problems.first?.hasPrefix("etcd alarm NOSPACE (raised by etcd1") == true, "\(asked.problems)")
        #expect(asked.etcdMembers?.members.map(\.name) == Self.lab)
        #expect(await swarm.writes == writesBefore, "health wrote to the Engine")

        // Without a quorum etcd cannot list alarms: said, and the swarm's own quorum report fails the cluster.
        await etcd.setDown("etcd2")
        await etcd.setDown("etcd3")
        let unanswered = try await ClusterHealth.read(swarm, inventory: cluster.inventory, askEtcd: true, etcd: etcd)
        #expect(unanswered.etcdMembers?.unanswered.first?.contains("alarm list") == true, "\(String(describing: unanswered.etcdMembers))")
        #expect(unanswered.etcdMembers?.alarms.isEmpty == true)
    }
}
