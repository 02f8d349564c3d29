import Engine
import Foundation
import Rollout
import SwarmModel
import Testing
import TestSupport

/// Writing one service against the lab's Engine.
@Suite("Converging services on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabConvergeTests {
    @Test func updateOutOfSequenceIsRetriedWithAFreshRead() async throws {
        try await LabLock.sharing {
            let engine = try await EngineClient.connect(DockerHost(socketPath: try Lab.require().managerSocket))
            let name = "sstest-seq-\(UUID().uuidString.prefix(6).lowercased())"
            var spec = ServiceSpec(
                Name: name, Labels: ["io.swarmstage.test": "sequence"],
                TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: try Lab.require().probeImage, Args: ["sleep 300"], Env: ["A=1"]),
                                       RestartPolicy: RestartPolicy(Condition: "none"), Placement: Placement(Constraints: ["node.role==manager"])),
                Mode: ServiceMode(Replicated: .init(Replicas: 0)))
            let id = try await engine.createService(spec)
            let stale = try await engine.service(id)
            // Someone else changes the service meanwhile: the version we read is no longer current.
            var other = stale.Spec
            other.Labels?["touched"] = "yes"
            try await engine.updateService(id, version: stale.Version, spec: other)
            #expect(try await engine.service(id).Version != stale.Version)

            // The plan was made from the stale read; executing it meets "update out of sequence".
            spec.TaskTemplate.ContainerSpec?.Env = ["A=2"]
            let action = DeployPlanner.serviceAction(spec, current: stale, snapshot: SwarmSnapshot())
            #expect(action == .updateService(id: id, spec: spec, fields: ["TaskTemplate.ContainerSpec.Env"]))
            try await Deployer(swarm: engine).write(spec, over: id)
            #expect(try await engine.service(id).Spec.TaskTemplate.ContainerSpec?.Env == ["A=2"])
            try await engine.removeService(id)
        }
    }
}
