import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// Membership changes of running stateful tiers are refused before the first write, with the
/// tier's own procedure named; new tiers, stateless services and added bookies go through.
@Suite("Membership changes against a fake swarm")
struct MembershipGuardTests {
    typealias Cluster = FakeSwarmDeployTests.Cluster

    /// The lab inventory with roles added to some hosts.
    static func lab(adding roles: [String: [String]]) throws -> Cluster {
        var text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        for (host, extra) in roles {
            let pattern = "  - name: \(host)\n    address: "
            let start = try #require(text.range(of: pattern))
            let line = try #require(text.range(of: "    roles: [", range: start.upperBound..<text.endIndex))
            let close = try #require(text.range(of: "]", range: line.upperBound..<text.endIndex))
            text.replaceSubrange(close.lowerBound..<close.lowerBound, with: ", " + extra.joined(separator: ", "))
        }
        return try Cluster(InventoryLoader.parse(text, file: "lab.yml"))
    }

    static func refusal(_ cluster: Cluster, on swarm: FakeSwarm) async throws -> StageFailure.Reason {
        let writes = await swarm.writes
        let failure = try await #require(throws: StageFailure.self) { try await FakeSwarmDeployTests.deploy(cluster, on: swarm) }
        #expect(await swarm.writes == writes, "a refused membership change wrote to the Engine")
        #expect(failure.reason.isRefusal)
        let plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        #expect(plans.flatMap(\.problems).contains(failure.reason), "--plan shows the same refusal")
        return failure.reason
    }

    static func deployed() async throws -> (Cluster, FakeSwarm) {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        return (cluster, swarm)
    }

    @Test func etcdAndZooKeeperDoNotGrowByNewServices() async throws {
        let (_, swarm) = try await Self.deployed()
        let grown = try Self.lab(adding: ["lab-node4": ["etcd", "zk"], "lab-manager": ["etcd", "zk"]])
        await swarm.label(grown.inventory)
        guard case .membershipChangeRefused(let tier, let running, let wanted, let added, let removed, let procedure)
            = try await Self.refusal(grown, on: swarm) else { Issue.record("not a membership refusal"); return }
        #expect(tier == "etcd" && running == 3 && wanted == 5 && removed.isEmpty)
        #expect(added == ["lab-storage_etcd4", "lab-storage_etcd5"])
        #expect(procedure.contains("etcdctl member add"))
        // ZooKeeper's growth is refused too (stage 2), and nothing of stage 1 was written first.
        var onlyPulsar = grown
        onlyPulsar.stages = grown.stages.filter { $0.stage == .pulsar }
        let reason = try await Self.refusal(onlyPulsar, on: swarm)
        guard case .membershipChangeRefused("zookeeper", 3, 5, _, [], let zkProcedure) = reason else { Issue.record("\(reason)"); return }
        #expect(zkProcedure.contains("majority of the old ensemble"))
    }

    @Test func minioNeitherGrowsInItsPoolNorShrinks() async throws {
        let (cluster, swarm) = try await Self.deployed()
        let grown = try Self.lab(adding: ["lab-manager": ["minio"]])
        await swarm.label(grown.inventory)
        guard case .membershipChangeRefused("minio", 4, 5, ["lab-storage_minio5"], [], let procedure) = try await Self.refusal(grown, on: swarm)
        else { Issue.record("not a MinIO growth refusal"); return }
        #expect(procedure.contains("new server pool of at least 4 hosts"))

        await swarm.label(cluster.inventory)
        var shrunk = cluster
        let storage = try #require(shrunk.stages.firstIndex { $0.stage == .storage })
        shrunk.stages[storage].spec.services.removeAll { $0.Name == "lab-storage_minio4" }
        guard case .membershipChangeRefused("minio", 4, 3, [], ["lab-storage_minio4"], let shrinking) = try await Self.refusal(shrunk, on: swarm)
        else { Issue.record("not a MinIO shrink refusal"); return }
        #expect(shrinking.contains("cannot be removed"))
    }

    @Test func aBookieIsAddedFreelyButNotRemovedWithoutDecommission() async throws {
        let (cluster, swarm) = try await Self.deployed()
        var fewer = cluster
        let pulsar = try #require(fewer.stages.firstIndex { $0.stage == .pulsar })
        fewer.stages[pulsar].spec.services.removeAll { $0.Name == "lab-pulsar_bookie3" }
        guard case .membershipChangeRefused("bookie", 3, 2, [], ["lab-pulsar_bookie3"], let procedure) = try await Self.refusal(fewer, on: swarm)
        else { Issue.record("not a bookie removal refusal"); return }
        #expect(procedure.contains("decommissionbookie"))

        let more = try Self.lab(adding: ["lab-node1": ["bookie"]])
        await swarm.label(more.inventory)
        try await FakeSwarmDeployTests.deploy(more, on: swarm)
        #expect(await swarm.serviceList.filter { $0.Spec.Labels?["io.swarmstage.component"] == "bookie" }.count == 4)
    }

    @Test func aTierThatDoesNotRunYetIsCreatedWithAnyMembers() async throws {
        let grown = try Self.lab(adding: ["lab-node4": ["etcd", "zk"], "lab-manager": ["etcd", "zk", "minio"]])
        let swarm = FakeSwarm(inventory: grown.inventory)
        try await FakeSwarmDeployTests.deploy(grown, on: swarm)
        #expect(await swarm.serviceList.filter { $0.Spec.Labels?["io.swarmstage.component"] == "etcd" }.count == 5)
    }
}
