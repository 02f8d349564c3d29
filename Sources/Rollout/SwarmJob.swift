import Foundation
import SwarmModel

/// A command run once where a client of the cluster runs: a one-shot Swarm job (`replicated-job`,
/// no restart) on the stacks' overlay network, from an image the cluster's nodes already have
/// (placed by `constraints` where that image runs: no registry needed), its output read back
/// from the service's logs. The job is removed afterwards; a cancelled caller waits for that.
public struct SwarmJob: Sendable {
    public let swarm: any SwarmAPI
    public let image: String
    public let network: String
    public let constraints: [String]
    public let timeout: Duration
    public let namePrefix: String
    /// Swarm secrets the job's container gets as files (a credential is read from one, never
    /// passed as an argument: a job's arguments are in its spec, readable by anyone with the API).
    public let secrets: [SecretReference]
    /// The job's environment: where the cluster is (addresses, never a credential: a spec's
    /// environment is readable by anyone with the API).
    public let environment: [String]

    public struct NotEnded: Error {}

    public init(swarm: any SwarmAPI, image: String, network: String, constraints: [String], timeout: Duration, namePrefix: String,
                secrets: [SecretReference] = [], environment: [String] = []) {
        self.swarm = swarm
        self.image = image
        self.network = network
        self.constraints = constraints
        self.timeout = timeout
        self.namePrefix = namePrefix
        self.secrets = secrets
        self.environment = environment
    }

    /// Runs `command` (replacing the image's entrypoint) or `args` (after it); whether it exited
    /// 0, and what it printed. Throws `NotEnded` when it did not end within the timeout.
    public func run(command: [String]? = nil, args: [String], label: String) async throws -> (succeeded: Bool, output: String) {
        // Not cut short by the caller's cancellation: a job whose create reached the Engine but
        // whose answer was abandoned would be left behind, holding the network (seen in CI).
        let job = self
        return try await Task { try await job.runToEnd(command: command, args: args, label: label) }.value
    }

    private func runToEnd(command: [String]?, args: [String], label: String) async throws -> (succeeded: Bool, output: String) {
        let name = "\(namePrefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let spec = ServiceSpec(
            Name: name, Labels: ["io.swarmstage.job": label],
            TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: image, Command: command, Args: args, Env: environment.isEmpty ? nil : environment,
                                                                 Secrets: secrets.isEmpty ? nil : secrets),
                                   RestartPolicy: RestartPolicy(Condition: "none"),
                                   Placement: Placement(Constraints: constraints),
                                   Networks: [NetworkAttachment(Target: network)]),
            Mode: ServiceMode(ReplicatedJob: .init(MaxConcurrent: 1, TotalCompletions: 1)))
        let id = try await swarm.createService(spec)
        do {
            let deadline = ContinuousClock.now + timeout
            var ended: TaskState?
            while ContinuousClock.now < deadline {
                let tasks = try await swarm.tasks(filters: .service(id))
                if let done = tasks.first(where: { [.complete, .failed, .rejected].contains($0.Status.State) }) {
                    ended = done.Status.State
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            var lines: [String] = []
            for try await line in try await swarm.serviceLogs(id, tail: 1000, follow: false) { lines.append(line.text) }
            try await swarm.removeService(id)
            guard let ended else { throw NotEnded() }
            return (ended == .complete, lines.joined(separator: "\n"))
        } catch {
            try? await swarm.removeService(id)
            throw error
        }
    }
}
