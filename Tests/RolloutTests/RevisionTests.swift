import Blueprint
import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// Revisions: what a deploy applied, kept in the swarm and applied again.
@Suite("Revisions")
struct RevisionTests {
    @Test func aRevisionIsReadBackAsItWasRecorded() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        let store = RevisionStore(swarm: swarm, cluster: "lab")
        #expect(try await store.list().isEmpty)
        let files = StackSource.rendered(cluster.blueprint, folder: "stacks/lab")
        let recorded = try await store.record(files: files, inventory: cluster.inventory, reason: "deploy")
        #expect(recorded.number == 1)
        let loaded = try await store.load(1)
        #expect(loaded == recorded)
        #expect(loaded.stageFiles.map(\.text) == files.map(\.text))
        #expect(loaded.stageFiles.map(\.configData) == files.map(\.configData))
        #expect(loaded.images["milvus"] == cluster.inventory.images[.milvus])
        // No credential in what is stored: secrets come from the environment when applied.
        let data = try #require(await swarm.configList.first { $0.Spec.Name == "lab_revision-1" }?.Spec.Data)
        let text = String(decoding: try #require(Data(base64Encoded: data)), as: UTF8.self)
        #expect(!text.contains("minioadmin123"))
    }

    @Test func onlyTheNewestAreKept() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        let store = RevisionStore(swarm: swarm, cluster: "lab")
        let files = StackSource.rendered(cluster.blueprint, folder: "stacks/lab")
        for _ in 0..<(RevisionStore.kept + 3) { try await store.record(files: files, inventory: cluster.inventory, reason: "deploy") }
        let numbers = try await store.list().map(\.number)
        #expect(numbers == Array((4...(RevisionStore.kept + 3)).reversed()))
        await #expect(throws: RevisionMissing.self) { try await store.load(1) }
    }

    @Test func anEarlierRevisionAppliedAgainPutsItsImagesBackInOrder() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        let store = RevisionStore(swarm: swarm, cluster: "lab")
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        try await store.record(files: StackSource.rendered(cluster.blueprint, folder: "stacks/lab"), inventory: cluster.inventory, reason: "deploy")

        var newer = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        newer.images = newer.images.overriding([.milvus: "milvus:2.3.1"])
        let upgraded = try FakeSwarmDeployTests.Cluster(newer)
        try await FakeSwarmDeployTests.deploy(upgraded, on: swarm)
        #expect(await swarm.serviceList.first { $0.Spec.Name == "lab-milvus_rootcoord" }?.Spec.TaskTemplate.ContainerSpec?.Image == "milvus:2.3.1")

        let first = try await store.load(1)
        let stages = try StackSource.prepare(first.stageFiles)
        let before = await swarm.writeLog.count
        _ = try await Deployer(swarm: swarm, options: FakeSwarmDeployTests.fast())
            .deploy(stages, secrets: cluster.blueprint.secrets, values: cluster.values, stagesToApply: Set(Stage.allCases))
        let images = await swarm.serviceList.filter { $0.Spec.Name.hasPrefix("lab-milvus_") && $0.Spec.Name != "lab-milvus_milvus-lb" }
            .map { $0.Spec.TaskTemplate.ContainerSpec?.Image }
        #expect(images.allSatisfy { $0 == cluster.inventory.images[.milvus] })
        let updates = await swarm.writeLog.dropFirst(before).filter { $0.hasPrefix("update service") }
        #expect(updates.first == "update service lab-milvus_indexnode1" && updates.last == "update service lab-milvus_proxy",
                "a rollback goes in the rolling order too: \(updates)")
    }
}
