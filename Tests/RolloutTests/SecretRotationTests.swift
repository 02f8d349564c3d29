import Blueprint
import Foundation
import Inventory
import Rollout
import SecretDigest
import StackConvert
import SwarmModel
import Testing
import TestSupport

/// Rotating a credential: detected by its fingerprint, served by a new secret, services moved
/// in the component's order, the old secret removed; decided against a fake swarm.
@Suite("Secret rotation against a fake swarm")
struct SecretRotationTests {
    typealias Cluster = FakeSwarmDeployTests.Cluster

    static func values(password: String) throws -> SecretValues {
        try SecretValues(environment: ["MINIO_ROOT_USER": "minioadmin", "MINIO_ROOT_PASSWORD": password], secretsFile: nil)
    }

    static func deployed() async throws -> (Cluster, FakeSwarm) {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        return (cluster, swarm)
    }

    @Test func theSameValueChangesNothing() async throws {
        let (cluster, swarm) = try await Self.deployed()
        var again = cluster
        again.values = try Self.values(password: "minioadmin123")
        let writes = await swarm.writes
        #expect(try await FakeSwarmDeployTests.plan(again, on: swarm).allSatisfy(\.isNoOp))
        try await FakeSwarmDeployTests.deploy(again, on: swarm)
        #expect(await swarm.writes == writes)
    }

    @Test func aNewPasswordIsARotationStepAndMovesTheServices() async throws {
        let (cluster, swarm) = try await Self.deployed()
        var rotated = cluster
        rotated.values = try Self.values(password: "a-new-password-456")
        let plans = try await FakeSwarmDeployTests.plan(rotated, on: swarm)

        // Storage: the password's secret rotates (the user's does not), every MinIO server moves at
        // once (all updates before any wait), the old secret goes after the gate.
        let storage = try #require(plans.first { $0.stage == .storage })
        let rotations = storage.actions.compactMap { action -> SecretChoice? in
            if case .rotateSecret(let choice, _) = action { return choice }
            return nil
        }
        #expect(rotations.map(\.name) == ["lab_minio_root_password.v2"])
        #expect(rotations.first?.replacing == ["lab_minio_root_password"])
        #expect(rotations.first?.cost?.contains("every MinIO server restarts at once") == true)
        let minioUpdates = storage.actions.enumerated().filter { _, action in
            if case .updateService(_, let spec, _) = action { return spec.Name.hasPrefix("lab-storage_minio") && spec.Name != "lab-storage_minio-lb" }
            return false
        }
        #expect(minioUpdates.count == cluster.inventory.hosts(with: .minio).count)
        let firstWait = try #require(storage.actions.firstIndex { if case .waitForService = $0 { return true }; return false })
        #expect(minioUpdates.allSatisfy { $0.offset < firstWait }, "MinIO servers must move together")
        #expect(storage.actions.contains { if case .removeSecret(_, "lab_minio_root_password") = $0 { return true }; return false })
        let gate = try #require(storage.actions.firstIndex(of: .waitForGate(.storage)))
        let removal = try #require(storage.actions.firstIndex { if case .removeSecret = $0 { return true }; return false })
        #expect(removal > gate)

        // Milvus: its credentials file rotates and the Milvus services roll one at a time.
        let milvus = try #require(plans.first { $0.stage == .milvus })
        #expect(milvus.actions.contains { if case .rotateSecret(let choice, _) = $0 { return choice.name == "lab_milvus_minio_credentials.v2" }; return false })
        let milvusUpdates = milvus.actions.filter { if case .updateService = $0 { return true }; return false }
        let milvusWaits = milvus.actions.filter { if case .waitForService = $0 { return true }; return false }
        #expect(milvusUpdates.count >= 10 && milvusWaits.count == milvusUpdates.count)
        #expect(plans.first { $0.stage == .pulsar }?.isNoOp == true)

        try await FakeSwarmDeployTests.deploy(rotated, on: swarm)
        let secrets = await swarm.secretList
        #expect(Set(secrets.map(\.Spec.Name)) == ["lab_minio_root_user", "lab_minio_root_password.v2", "lab_milvus_minio_credentials.v2"])
        let services = await swarm.serviceList
        let mounted = Set(services.flatMap { $0.Spec.TaskTemplate.ContainerSpec?.Secrets ?? [] }.map(\.SecretName))
        #expect(mounted == ["lab_minio_root_user", "lab_minio_root_password.v2", "lab_milvus_minio_credentials.v2"])
        // Nothing stored shows the value: the label is a salted scrypt fingerprint that matches it.
        let newest = try #require(secrets.first { $0.Spec.Name == "lab_minio_root_password.v2" })
        let labels = newest.Spec.Labels ?? [:]
        #expect(!labels.values.contains { $0.contains("a-new-password-456") || $0.contains(Data("a-new-password-456".utf8).base64EncodedString()) })
        #expect(SecretDigest.matches(labels[SecretRotation.digestLabel] ?? "", value: Array("a-new-password-456".utf8)))
        #expect(labels[SecretRotation.generationLabel] == "2")

        let writes = await swarm.writes
        try await FakeSwarmDeployTests.deploy(rotated, on: swarm)
        #expect(await swarm.writes == writes, "a second deploy with the rotated value wrote")
    }

    @Test func aSecretWithoutFingerprintIsReplacedOnce() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        // Made by hand (docker secret create), as for `docker stack deploy`: no labels.
        for name in ["lab_minio_root_user", "lab_minio_root_password"] {
            _ = try await swarm.createSecret(name: name, labels: [:], data: Data("whatever".utf8))
        }
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let names = Set(await swarm.secretList.map(\.Spec.Name))
        #expect(names == ["lab_minio_root_user.v2", "lab_minio_root_password.v2", "lab_milvus_minio_credentials"])
        let writes = await swarm.writes
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        #expect(await swarm.writes == writes)
    }

    @Test func withoutCredentialsThePlanKeepsWhatRuns() async throws {
        let (cluster, swarm) = try await Self.deployed()
        var blind = cluster
        blind.values = try SecretValues(environment: [:], secretsFile: nil)
        #expect(try await FakeSwarmDeployTests.plan(blind, on: swarm).allSatisfy(\.isNoOp))
    }

    @Test func choosingPicksTheGenerationThatHoldsTheValue() async throws {
        let spec = SecretSpec(key: "minio_root_password", name: "lab_minio_root_password", content: .minioRootPassword)
        let values = try Self.values(password: "old-password-1")
        func secret(_ name: String, generation: Int, password: String) throws -> SwarmFileObject {
            SwarmFileObject(ID: name, Spec: .init(Name: name, Labels: [
                SecretRotation.familyLabel: spec.name, SecretRotation.generationLabel: String(generation),
                SecretRotation.digestLabel: try SecretDigest.make(for: Array(password.utf8)),
            ]))
        }
        let existing = [try secret("lab_minio_root_password", generation: 1, password: "old-password-1"),
                        try secret("lab_minio_root_password.v2", generation: 2, password: "newer-password-2")]
        // Going back to an earlier value uses the generation that holds it.
        let back = try #require(try await SecretRotation.choose([spec], values: values, existing: existing)[spec.name])
        #expect(back.name == "lab_minio_root_password" && !back.isRotation)
        // A third value makes the third generation, replacing both.
        let thirdValues = try Self.values(password: "third-password-3")
        let third = try #require(try await SecretRotation.choose([spec], values: thirdValues, existing: existing)[spec.name])
        #expect(third.name == "lab_minio_root_password.v3")
        #expect(third.replacing == ["lab_minio_root_password", "lab_minio_root_password.v2"])
        #expect(third.reason?.contains("differs from the one lab_minio_root_password.v2 was made from") == true)
    }
}

/// The shared network's encryption is fixed when it is made.
@Suite("Encrypted overlay against a fake swarm")
struct EncryptedNetworkTests {
    @Test func encryptionIsMadeWithTheNetworkAndAChangeIsRefusedBeforeAnyWrite() async throws {
        var cluster = try FakeSwarmDeployTests.lab()
        let storage = try #require(cluster.stages.firstIndex { $0.stage == .storage })
        cluster.stages[storage].spec.networks[0].encrypted = true
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        #expect(await swarm.networkList.first { $0.Name == "lab-net" }?.Options == ["encrypted": ""])

        var plain = cluster
        plain.stages[storage].spec.networks[0].encrypted = false
        let writes = await swarm.writes
        let failure = try await #require(throws: StageFailure.self) { try await FakeSwarmDeployTests.deploy(plain, on: swarm) }
        #expect(failure.reason == .networkEncryptionDiffers("lab-net", wanted: false))
        #expect(await swarm.writes == writes)
    }
}
