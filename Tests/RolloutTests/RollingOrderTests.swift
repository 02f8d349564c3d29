import Blueprint
import Foundation
import Inventory
import Rollout
import StackConvert
import SwarmModel
import Testing
import TestSupport

/// Changes to a running stage go one service at a time, in the rolling order, each healthy
/// before the next; a stage made from nothing starts at once.
@Suite("Rolling order")
struct RollingOrderTests {
    typealias Cluster = FakeSwarmDeployTests.Cluster

    /// The cluster with every image of one stage replaced.
    static func upgraded(_ cluster: Cluster, stage: Stage, to tag: String) -> Cluster {
        var changed = cluster
        if let index = changed.stages.firstIndex(where: { $0.stage == stage }) {
            for service in changed.stages[index].spec.services.indices {
                changed.stages[index].spec.services[service].TaskTemplate.ContainerSpec?.Image = tag
            }
        }
        return changed
    }

    static func updates(in log: [String]) -> [String] {
        log.filter { $0.hasPrefix("update service ") }.map { String($0.dropFirst("update service ".count)) }
    }

    /// The Milvus coordinators are written twice: stopped (0 replicas), then updated.
    static func twiceForCoordinators(_ names: [String]) -> [String] {
        names.flatMap { ["rootcoord", "datacoord", "querycoord"].contains($0) ? [$0, $0] : [$0] }
    }

    @Test func theTableCoversEveryComponentOnce() {
        let listed = RollingOrder.table.values.flatMap { $0 }
        #expect(Set(listed) == Set(Component.allCases))
        #expect(listed.count == Component.allCases.count)
        // milvus-operator's order for 2.3 (pkg/controllers/dependency_graph.go).
        #expect(RollingOrder.table[.milvus] == [.indexnode, .rootcoord, .datacoord, .querycoord, .querynode, .datanode, .proxy, .milvusLB])
        #expect(RollingOrder.rank(.etcd, in: .storage) < RollingOrder.rank(.minio, in: .storage))
        #expect(RollingOrder.rank(nil, in: .pulsar) == RollingOrder.table[.pulsar]?.count)
    }

    @Test func aStageMadeFromNothingStartsAtOnce() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        let plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        for plan in plans {
            #expect(!plan.actions.contains { if case .waitForService = $0 { return true }; return false })
            #expect(plan.actions.filter { if case .waitForGate = $0 { return true }; return false }.count == 1)
        }
    }

    @Test func aMilvusUpgradeGoesOneServiceAtATimeInTheOperatorsOrder() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let upgraded = Self.upgraded(cluster, stage: .milvus, to: "milvus:2.3.1")
        let plan = try #require(try await FakeSwarmDeployTests.plan(upgraded, on: swarm).first { $0.stage == .milvus })
        let expected = ["indexnode1", "indexnode2", "rootcoord", "datacoord", "querycoord", "querynode1", "querynode2",
                        "datanode1", "datanode2", "proxy", "milvus-lb"].map { "lab-milvus_\($0)" }
        // Each change is followed by its own gate.
        var steps: [String] = []
        for (index, action) in plan.actions.enumerated() {
            guard case .updateService(_, let spec, _) = action else { continue }
            steps.append(spec.Name)
            #expect(plan.actions[index + 1] == .waitForService(.milvus, name: spec.Name))
        }
        #expect(steps == expected)

        let before = await swarm.writeLog.count
        let report = try await FakeSwarmDeployTests.deploy(upgraded, on: swarm)
        #expect(Self.updates(in: Array(await swarm.writeLog.dropFirst(before)))
            == Self.twiceForCoordinators(expected.map { String($0.dropFirst("lab-milvus_".count)) }).map { "lab-milvus_\($0)" })
        #expect(Array(report.executed.suffix(plan.actions.count)) == plan.actions, "what --plan showed is what ran")
        let images = await swarm.serviceList.filter { $0.Spec.Name.hasPrefix("lab-milvus_") }.map { $0.Spec.TaskTemplate.ContainerSpec?.Image }
        #expect(images.allSatisfy { $0 == "milvus:2.3.1" })
        let writes = await swarm.writes
        try await FakeSwarmDeployTests.deploy(upgraded, on: swarm)
        #expect(await swarm.writes == writes, "the upgraded cluster redeploys with no write")
    }

    @Test func aCoordinatorWaitsForItsEtcdSessionBeforeItStartsAgain() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let upgraded = Self.upgraded(cluster, stage: .milvus, to: "milvus:2.3.1")
        let plan = try #require(try await FakeSwarmDeployTests.plan(upgraded, on: swarm).first { $0.stage == .milvus })
        let stops = plan.actions.compactMap { action -> String? in
            guard case .stopForSessionExpiry(_, let name, let seconds) = action else { return nil }
            #expect(seconds == cluster.inventory.cluster.milvusSessionTTLSeconds)
            return name
        }
        #expect(stops == ["lab-milvus_rootcoord", "lab-milvus_datacoord", "lab-milvus_querycoord"])
        for name in stops {
            let index = try #require(plan.actions.firstIndex { if case .stopForSessionExpiry(_, name, _) = $0 { return true }; return false })
            guard case .updateService(_, let spec, _) = plan.actions[index + 1] else {
                Issue.record("\(name): the stop is not followed by its update")
                continue
            }
            #expect(spec.Name == name)
        }
        // Executed: each coordinator went to 0 replicas and its tasks stopped before the update.
        let before = await swarm.writeLog.count
        try await FakeSwarmDeployTests.deploy(upgraded, on: swarm)
        let log = Array(await swarm.writeLog.dropFirst(before))
        #expect(Self.updates(in: log).filter { $0 == "lab-milvus_rootcoord" }.count == 2)
        let rootcoord = try #require(await swarm.serviceList.first { $0.Spec.Name == "lab-milvus_rootcoord" })
        #expect(rootcoord.Spec.Mode?.Replicated?.Replicas == 1, "the update brings the coordinator back")
        // Run again after an interruption between the stop and the update: the stop writes nothing more.
        var stopped = rootcoord.Spec
        stopped.Mode?.Replicated?.Replicas = 0
        stopped.TaskTemplate.ContainerSpec?.Image = "milvus:2.3.0"
        try await swarm.updateService(rootcoord.ID, version: rootcoord.Version, spec: stopped)
        let resumed = await swarm.writeLog.count
        try await FakeSwarmDeployTests.deploy(upgraded, on: swarm)
        #expect(Self.updates(in: Array(await swarm.writeLog.dropFirst(resumed))) == ["lab-milvus_rootcoord"])
    }

    /// The wait is the lease the running coordinator's process holds (its label, written with the
    /// milvus.yaml it runs), not the new spec's: a TTL lowered in the same deploy still waits the old one.
    @Test func theWaitIsTheSessionTTLTheRunningCoordinatorStartedWith() async throws {
        func waits(_ cluster: Cluster, on swarm: FakeSwarm) async throws -> [String: Int] {
            let plan = try #require(try await FakeSwarmDeployTests.plan(cluster, on: swarm).first { $0.stage == .milvus })
            var waits: [String: Int] = [:]
            for case .stopForSessionExpiry(_, let name, let seconds) in plan.actions { waits[name] = seconds }
            return waits
        }
        let coordinators = ["rootcoord", "datacoord", "querycoord"].map { "lab-milvus_\($0)" }
        var inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        inventory.cluster.milvusSessionTTLSeconds = 45
        let swarm = FakeSwarm(inventory: inventory)
        try await FakeSwarmDeployTests.deploy(try Cluster(inventory), on: swarm)
        inventory.cluster.milvusSessionTTLSeconds = 10
        let lowered = Self.upgraded(try Cluster(inventory), stage: .milvus, to: "milvus:2.3.1")
        #expect(try await waits(lowered, on: swarm) == Dictionary(uniqueKeysWithValues: coordinators.map { ($0, 45) }))
        try await FakeSwarmDeployTests.deploy(lowered, on: swarm)
        let next = Self.upgraded(try Cluster(inventory), stage: .milvus, to: "milvus:2.3.2")
        #expect(try await waits(next, on: swarm) == Dictionary(uniqueKeysWithValues: coordinators.map { ($0, 10) }))
        // A coordinator deployed without the label (by an older swarmstage) holds Milvus's default lease.
        let rootcoord = try #require(await swarm.serviceList.first { $0.Spec.Name == "lab-milvus_rootcoord" })
        var unlabelled = rootcoord.Spec
        unlabelled.Labels?[GracefulStop.sessionTTLLabel] = nil
        try await swarm.updateService(rootcoord.ID, version: rootcoord.Version, spec: unlabelled)
        #expect(try await waits(next, on: swarm)["lab-milvus_rootcoord"] == GracefulStop.milvusSessionTTL)
        // Giving it the label alone (the first deploy by this swarmstage) leaves its task running: no stop, no wait.
        let current = lowered
        let plan = try #require(try await FakeSwarmDeployTests.plan(current, on: swarm).first { $0.stage == .milvus })
        let updated = plan.actions.compactMap { action -> [String]? in
            guard case .updateService(_, let spec, let fields) = action, spec.Name == "lab-milvus_rootcoord" else { return nil }
            return fields
        }
        #expect(updated == [["Labels.io.swarmstage.session-ttl"]], "\(plan.actions)")
        #expect(try await waits(current, on: swarm).isEmpty)
        let tasks = try await swarm.tasks(filters: .service(rootcoord.ID)).filter { $0.DesiredState == .running }.map(\.ID)
        try await FakeSwarmDeployTests.deploy(current, on: swarm)
        #expect(try await swarm.tasks(filters: .service(rootcoord.ID)).filter { $0.DesiredState == .running }.map(\.ID) == tasks,
                "the coordinator's task runs on")
    }

    @Test func bookiesAreNotRestartedWhenNoneIsSpareBeyondTheEnsemble() async throws {
        var inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        inventory.cluster.bookkeeper.ensemble = 3
        let cluster = try Cluster(inventory)
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let upgraded = Self.upgraded(cluster, stage: .pulsar, to: "pulsar:3.1.1")
        let writes = await swarm.writes
        let failure = try await #require(throws: StageFailure.self) { try await FakeSwarmDeployTests.deploy(upgraded, on: swarm) }
        #expect(failure.stage == .pulsar)
        #expect(failure.reason == .rollingChangeUnsafe(service: "lab-pulsar_bookie1", reason:
            "with 3 bookies and an ensemble of 3, restarting one leaves 2 writable, fewer than the ensemble, and Pulsar stops taking "
            + "writes; add a bookie host first (or lower bookkeeper.ensemble in the inventory)"))
        #expect(await swarm.writes == writes, "nothing of the stage was written")
        // The lab's own 3 bookies over an ensemble of 2 keep one spare: the same upgrade goes through.
        let lab = try FakeSwarmDeployTests.lab()
        let labSwarm = FakeSwarm(inventory: lab.inventory)
        try await FakeSwarmDeployTests.deploy(lab, on: labSwarm)
        try await FakeSwarmDeployTests.deploy(Self.upgraded(lab, stage: .pulsar, to: "pulsar:3.1.1"), on: labSwarm)
    }

    @Test func storageAndPulsarChangeMembersOneAtATime() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let upgraded = Self.upgraded(Self.upgraded(cluster, stage: .storage, to: "store:2"), stage: .pulsar, to: "pulsar:3.1.1")
        let before = await swarm.writeLog.count
        try await FakeSwarmDeployTests.deploy(upgraded, on: swarm)
        let updates = Self.updates(in: Array(await swarm.writeLog.dropFirst(before)))
        // The jobs (etcd-quorum, pulsar-init) have done their work: not run again.
        #expect(updates == ["etcd1", "etcd2", "etcd3", "minio1", "minio2", "minio3", "minio4", "minio-lb", "cadvisor"].map { "lab-storage_\($0)" }
            + ["zk1", "zk2", "zk3", "bookie1", "bookie2", "bookie3", "broker1", "broker2", "pulsar-proxy"].map { "lab-pulsar_\($0)" })
    }

    @Test func anUpgradeThatFailsStopsAtThatServiceAndLeavesTheRestOnTheOldVersion() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let upgraded = Self.upgraded(cluster, stage: .milvus, to: "milvus:broken")
        await swarm.failTasks(of: "lab-milvus_querycoord")
        let before = await swarm.writeLog.count
        let failure = try await #require(throws: StageFailure.self) { try await FakeSwarmDeployTests.deploy(upgraded, on: swarm) }
        #expect(failure.stage == .milvus && failure.services.map(\.service) == ["lab-milvus_querycoord"])
        #expect(Self.updates(in: Array(await swarm.writeLog.dropFirst(before)))
            == Self.twiceForCoordinators(["indexnode1", "indexnode2", "rootcoord", "datacoord", "querycoord"]).map { "lab-milvus_\($0)" })
        let untouched = await swarm.serviceList.filter { ["lab-milvus_querynode1", "lab-milvus_proxy"].contains($0.Spec.Name) }
        #expect(untouched.count == 2 && untouched.allSatisfy { $0.Spec.TaskTemplate.ContainerSpec?.Image != "milvus:broken" })
    }

    @Test func anUpdateWithNoFreeSlotOnTheseNodesIsRefusedBeforeAnyWrite() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        // Stacks from before: the proxy (one per manager, three managers) updated start-first, with a new image.
        var changed = Self.upgraded(cluster, stage: .milvus, to: "milvus:2.3.1")
        let index = try #require(changed.stages.firstIndex { $0.stage == .milvus })
        let proxy = try #require(changed.stages[index].compose.services.firstIndex { $0.name == "proxy" })
        changed.stages[index].compose.services[proxy].deploy.updateConfig?.order = .startFirst
        changed.stages[index].compose.services[proxy].volumes = []
        let writes = await swarm.writes
        let failure = try await #require(throws: StageFailure.self) { try await FakeSwarmDeployTests.deploy(changed, on: swarm) }
        #expect(failure.stage == .milvus)
        guard case .updateCannotProgress(let service, let reason) = failure.reason else {
            Issue.record("expected updateCannotProgress, got \(failure.reason)")
            return
        }
        #expect(service == "lab-milvus_proxy")
        #expect(reason.contains("3 replicas, at most 1 per node on the 3 nodes its constraints allow"), "\(reason)")
        #expect(await swarm.writes == writes, "nothing of the stage was written")
    }
}
