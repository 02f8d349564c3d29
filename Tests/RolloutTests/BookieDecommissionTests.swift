import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// A bookie the inventory drops leaves by BookKeeper's decommission (stopped, its ledgers
/// re-replicated, no ledger naming it, then its service removed), one per deploy, never below
/// the ensemble and not while another bookie that stays is down. The lab proves it with the
/// stand-in's ledgers (LabBookieTests).
@Suite("Bookie decommission against a fake swarm")
struct BookieDecommissionTests {
    typealias Cluster = FakeSwarmDeployTests.Cluster

    /// The lab deployed; the inventory without lab-node4's bookie (bookie3), not labelled yet.
    static func droppingBookie3() async throws -> (Cluster, FakeSwarm, FakeBookKeeper) {
        let (_, swarm) = try await MembershipGuardTests.deployed()
        var text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        text = text.replacingOccurrences(of: "    roles: [minio, bookie, coord, index]\n", with: "    roles: [minio, coord, index]\n")
        let fewer = try Cluster(InventoryLoader.parse(text, file: "lab.yml"))
        let bookkeeper = FakeBookKeeper(ledgers: [1: ["bookie1:3181", "bookie3:3181"], 2: ["bookie2:3181", "bookie3:3181"],
                                                  3: ["bookie1:3181", "bookie2:3181"]], swarm: swarm)
        return (fewer, swarm, bookkeeper)
    }

    static func deploy(_ cluster: Cluster, on swarm: FakeSwarm, bookies: FakeBookKeeper,
                       only: Set<Stage> = Set(Stage.allCases)) async throws -> DeployReport {
        try await Deployer(swarm: swarm, options: FakeSwarmDeployTests.fast(), bookies: bookies)
            .deploy(cluster.stages, secrets: cluster.blueprint.secrets, values: cluster.values, stagesToApply: only)
    }

    @Test func aBookieTheInventoryDropsIsStoppedDecommissionedCheckedAndThenRemoved() async throws {
        let (fewer, swarm, bookkeeper) = try await Self.droppingBookie3()
        let plans = try await FakeSwarmDeployTests.plan(fewer, on: swarm)
        let pulsar = try #require(plans.first { $0.stage == .pulsar })
        #expect(pulsar.problems.isEmpty, "\(pulsar.problems)")
        let decommission = try #require(pulsar.actions.firstIndex {
            if case .decommissionBookie(_, "lab-pulsar_bookie3", "bookie3:3181") = $0 { return true }
            return false
        }, "\(pulsar.actions)")
        let gate = try #require(pulsar.actions.firstIndex { if case .waitForGate = $0 { return true }; return false })
        #expect(decommission < gate)
        #expect(!pulsar.actions.contains { if case .removeService(_, "lab-pulsar_bookie3") = $0 { return true }; return false },
                "a bookie is never just removed")

        let before = await swarm.writes
        let report = try await Self.deploy(fewer, on: swarm, bookies: bookkeeper)
        // The fake refuses a decommission while the bookie still runs: it was stopped first.
        let commands = await bookkeeper.commands
        // Listed, stopped, listed again (until BookKeeper no longer has it), decommissioned, checked.
        #expect(commands == ["listbookies -rw", "listbookies -rw", "decommissionbookie -bookieid bookie3:3181", "listledgers -bookieid bookie3:3181"], "\(commands)")
        let log = await swarm.writeLog.dropFirst(before)
        #expect(log.filter { $0.contains("bookie3") } == ["update service lab-pulsar_bookie3", "remove service lab-pulsar_bookie3"], "\(log)")
        #expect(report.changes[.pulsar]?["lab-pulsar_bookie3"] == .bookieDecommissioned(bookie: "bookie3:3181"))
        let ledgers = await bookkeeper.ledgers
        #expect(ledgers.values.allSatisfy { $0.count == 2 && !$0.contains("bookie3:3181") && Set($0).count == 2 }, "\(ledgers)")

        let writes = await swarm.writes
        _ = try await Self.deploy(fewer, on: swarm, bookies: bookkeeper)
        #expect(await swarm.writes == writes, "the second deploy writes nothing")
    }

    /// The runbook's "a host died", for its bookie: dropped from the inventory, it is decommissioned
    /// from the copies on the other bookies; its task, listed as running on the dead node, is not waited for.
    @Test func aDeadHostsBookieIsDecommissionedWithoutWaitingForItsTask() async throws {
        let (fewer, swarm, bookkeeper) = try await Self.droppingBookie3()
        await swarm.loseNode("lab-node4")
        await bookkeeper.setDown("bookie3:3181")
        let started = ContinuousClock.now
        // (Stage 3 waits for lab-node4's coordinator: the runbook hands it on first.)
        let report = try await Self.deploy(fewer, on: swarm, bookies: bookkeeper, only: [.pulsar])
        // The bookie's stop grace period is 60 s: not waited out.
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(report.changes[.pulsar]?["lab-pulsar_bookie3"] == .bookieDecommissioned(bookie: "bookie3:3181"))
        #expect(await !swarm.serviceList.contains { $0.Spec.Name == "lab-pulsar_bookie3" })
        let ledgers = await bookkeeper.ledgers
        #expect(ledgers.values.allSatisfy { !$0.contains("bookie3:3181") && Set($0).count == 2 }, "\(ledgers)")
    }

    @Test func aBookieIsNotDecommissionedWhileABookieThatStaysIsDown() async throws {
        let (fewer, swarm, bookkeeper) = try await Self.droppingBookie3()
        await bookkeeper.setDown("bookie1:3181")
        let writes = await swarm.writeLog
        let failure = try await #require(throws: StageFailure.self) { try await Self.deploy(fewer, on: swarm, bookies: bookkeeper) }
        guard case .rollingChangeUnsafe("lab-pulsar_bookie3", let reason) = failure.reason else { Issue.record("\(failure.reason)"); return }
        #expect(reason.contains("BookKeeper does not list bookie1:3181 as writable") && reason.contains("bring it back first"), "\(reason)")
        #expect(await bookkeeper.commands == ["listbookies -rw"])
        #expect(await swarm.writeLog.dropFirst(writes.count).allSatisfy { !$0.contains("bookie3") }, "bookie3 was not stopped")
        #expect(await swarm.serviceList.contains { $0.Spec.Name == "lab-pulsar_bookie3" })
    }

    @Test func bookiesLeaveOneAtATimeNeverBelowTheEnsembleAndNotWhileOthersAreAdded() async throws {
        let (_, swarm) = try await MembershipGuardTests.deployed()
        let lab = try FakeSwarmDeployTests.lab()
        let pulsar = try #require(lab.stages.firstIndex { $0.stage == .pulsar })

        var two = lab
        two.stages[pulsar].spec.services.removeAll { $0.Name == "lab-pulsar_bookie2" || $0.Name == "lab-pulsar_bookie3" }
        // Two of three leave: one would be left, fewer than the ensemble of 2 as well; one per deploy is said first.
        guard case .membershipChangeRefused("bookie", 3, 1, [], ["lab-pulsar_bookie2", "lab-pulsar_bookie3"], let oneAtATime)
            = try await MembershipGuardTests.refusal(two, on: swarm) else { Issue.record("not a bookie refusal"); return }
        #expect(oneAtATime.contains("one bookie is decommissioned per deploy"), "\(oneAtATime)")

        var swapped = try MembershipGuardTests.lab(adding: ["lab-node1": ["bookie"]])
        swapped.stages[pulsar].spec.services.removeAll { $0.Name == "lab-pulsar_bookie3" }
        await swarm.label(swapped.inventory)
        guard case .membershipChangeRefused("bookie", 3, 3, let added, ["lab-pulsar_bookie3"], let notBoth)
            = try await MembershipGuardTests.refusal(swapped, on: swarm) else { Issue.record("not a bookie refusal"); return }
        #expect(!added.isEmpty)
        #expect(notBoth.contains("not both in one deploy"), "\(notBoth)")
        await swarm.label(lab.inventory)

        var wide = lab
        wide.stages[pulsar].spec.services.removeAll { $0.Name == "lab-pulsar_bookie3" }
        wide.stages[pulsar].spec.services = wide.stages[pulsar].spec.services.map { service in
            var service = service
            let environment = service.TaskTemplate.ContainerSpec?.Env?.map {
                $0.hasPrefix("managedLedgerDefaultEnsembleSize=") ? "managedLedgerDefaultEnsembleSize=3" : $0
            }
            service.TaskTemplate.ContainerSpec?.Env = environment
            return service
        }
        guard case .membershipChangeRefused("bookie", 3, 2, [], ["lab-pulsar_bookie3"], let ensemble)
            = try await MembershipGuardTests.refusal(wide, on: swarm) else { Issue.record("not a bookie refusal"); return }
        #expect(ensemble.contains("2 bookies would stay, fewer than the ensemble size 3"), "\(ensemble)")
    }
}
