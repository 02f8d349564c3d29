import Engine
import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// `label` against the lab's real swarm. Serialized: every test here changes node labels.
@Suite("Labelling the lab", .enabled(if: Lab.enabled), .serialized)
struct LabLabelTests {
    static func manager() async throws -> EngineClient {
        try await EngineClient.connect(DockerHost(socketPath: try Lab.require().managerSocket))
    }

    /// Strips every label from every node, as on a freshly built swarm.
    static func clearLabels(_ engine: EngineClient) async throws {
        for node in try await engine.nodes() where !(node.Spec.Labels ?? [:]).isEmpty {
            var spec = node.Spec
            spec.Labels = [:]
            try await engine.updateNode(node.ID, version: node.Version, spec: spec)
        }
    }

    static func labelsByHostname(_ engine: EngineClient) async throws -> [String: [String: String]] {
        Dictionary(uniqueKeysWithValues: try await engine.nodes().map { ($0.hostname, $0.Spec.Labels ?? [:]) })
    }

    @Test func labelsAFreshSwarmExactlyAndTheSecondRunWritesNothing() async throws {
        try await LabLock.run {
            let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
            let setup = try await Self.manager()
            try await Self.clearLabels(setup)

            let engine = try await Self.manager()
            let labeler = NodeLabeler(engine: engine)
            let plan = try await labeler.plan(inventory, prune: false)
            #expect(plan.problems.isEmpty)
            #expect(try await labeler.apply(plan, inventory: inventory, prune: false) == 4)
            let labels = try await Self.labelsByHostname(engine)
            for host in inventory.hosts {
                #expect(labels[host.name] == host.labels, "\(host.name)")
            }

            // Second run: no update call, and no node's version moved (the Engine's own count of writes).
            let versions = Dictionary(uniqueKeysWithValues: try await engine.nodes().map { ($0.ID, $0.Version.Index) })
            let again = try await Self.manager()
            let secondLabeler = NodeLabeler(engine: again)
            let secondPlan = try await secondLabeler.plan(inventory, prune: false)
            #expect(secondPlan.changes.isEmpty)
            #expect(try await secondLabeler.apply(secondPlan, inventory: inventory, prune: false) == 0)
            #expect(again.writes.value == 0)
            let after = Dictionary(uniqueKeysWithValues: try await again.nodes().map { ($0.ID, $0.Version.Index) })
            #expect(after == versions)
        }
    }

    @Test func handMadeDriftIsShownAndFixedWhileForeignLabelsStay() async throws {
        try await LabLock.run {
            let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
            let engine = try await Self.manager()
            let labeler = NodeLabeler(engine: engine)
            try await labeler.apply(try await labeler.plan(inventory, prune: false), inventory: inventory, prune: false)

            // By hand, as `docker node update --label-add` would: a wrong etcd number and a rack label.
            let node = try #require(try await engine.nodes().first { $0.hostname == "lab-node3" })
            var spec = node.Spec
            spec.Labels?["etcd3"] = nil
            spec.Labels?["etcd1"] = "true"
            spec.Labels?["rack"] = "r7"
            try await engine.updateNode(node.ID, version: node.Version, spec: spec)

            let plan = try await labeler.plan(inventory, prune: false)
            let drift = try #require(plan.changes.first)
            #expect(plan.changes.count == 1)
            #expect(drift.host == "lab-node3")
            #expect(drift.added == ["etcd3": "true"])
            #expect(drift.removed == ["etcd1": "true"])
            #expect(try await labeler.apply(plan, inventory: inventory, prune: false) == 1)
            let labels = try await Self.labelsByHostname(engine)["lab-node3"] ?? [:]
            var expected = inventory.host(named: "lab-node3")?.labels ?? [:]
            expected["rack"] = "r7"
            #expect(labels == expected)

            // --prune removes the foreign label too.
            #expect(try await labeler.apply(try await labeler.plan(inventory, prune: true), inventory: inventory, prune: true) == 1)
            #expect(try await Self.labelsByHostname(engine)["lab-node3"] == inventory.host(named: "lab-node3")?.labels)
        }
    }

    @Test func aServiceLandsOnlyOnTheLabelledNode() async throws {
        try await LabLock.run {
            let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
            let engine = try await Self.manager()
            let labeler = NodeLabeler(engine: engine)
            try await labeler.apply(try await labeler.plan(inventory, prune: false), inventory: inventory, prune: false)

            let name = "sstest-place-\(UUID().uuidString.prefix(6).lowercased())"
            let spec = ServiceSpec(
                Name: name, Labels: ["io.swarmstage.test": "placement"],
                TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: try Lab.require().probeImage, Args: ["sleep 300"]),
                                       RestartPolicy: RestartPolicy(Condition: "none"),
                                       Placement: Placement(Constraints: ["node.labels.bookie2==true"])),
                Mode: ServiceMode(Replicated: .init(Replicas: 3)))
            let id = try await engine.createService(spec)
            let expectedNode = try #require(try await engine.nodes().first { $0.hostname == "lab-node3" })
            let deadline = ContinuousClock.now + .seconds(60)
            var tasks: [SwarmTask] = []
            while ContinuousClock.now < deadline {
                tasks = try await engine.tasks(filters: Filters([("service", id)]))
                if tasks.count == 3, tasks.allSatisfy({ $0.Status.State == "running" }) { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            try await engine.removeService(id)
            #expect(tasks.count == 3)
            #expect(tasks.allSatisfy { $0.Status.State == "running" }, "\(tasks.map { "\($0.Status.State) \($0.Status.Err ?? "")" })")
            #expect(Set(tasks.compactMap(\.NodeID)) == [expectedNode.ID])
        }
    }
}
