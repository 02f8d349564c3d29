import Foundation
import Rollout
import SwarmModel

/// MinIO's objects in the lab, through the stand-in's `mc` (Sources/standin/Storage.swift), run
/// where a client of the cluster runs: a one-shot job on the stacks' network (`SwarmJob`).
public enum LabMinio {
    public struct Result: Sendable {
        public var succeeded: Bool
        public var output: String
    }

    public static func mc(_ engine: some SwarmAPI, _ arguments: [String], network: String = "lab-net",
                          timeout: Duration = .seconds(60)) async throws -> Result {
        let job = SwarmJob(swarm: engine, image: try Lab.require().image("minio"), network: network,
                           constraints: ["node.role==manager"], timeout: timeout, namePrefix: "sstest-mc")
        let (succeeded, output) = try await job.run(command: ["/usr/bin/mc"], args: arguments, label: "mc \(arguments.first ?? "")")
        return Result(succeeded: succeeded, output: output)
    }

    /// Sets a service's replicas (0 stops its task, as a host that is down does, keeping its data).
    public static func scale(_ engine: some SwarmAPI, service name: String, to replicas: UInt64) async throws {
        for attempt in 1...5 {
            var service = try await engine.service(name)
            service.Spec.Mode?.Replicated?.Replicas = replicas
            do {
                try await engine.updateService(service.ID, version: service.Version, spec: service.Spec)
                return
            } catch let error as EngineError where error.isOutOfSequence && attempt < 5 {
                continue
            }
        }
    }
}
