import Foundation
import SwarmModel

/// `etcdctl` against the lab's etcd, run where a client of the cluster runs: a one-shot Swarm job
/// on the stacks' overlay network with the lab's etcd image (Debian's real etcdctl 3.4), its
/// output read back through the manager's service logs. The job is removed afterwards.
public enum LabEtcd {
    public static let endpoints = "http://etcd1:2379,http://etcd2:2379,http://etcd3:2379"

    public struct Result: Sendable {
        public var succeeded: Bool
        public var output: String
    }

    public static func etcdctl(_ engine: some SwarmAPI, _ arguments: [String], network: String = "lab-net",
                               timeout: Duration = .seconds(90)) async throws -> Result {
        let name = "sstest-etcdctl-\(UUID().uuidString.prefix(8).lowercased())"
        let command = ["etcdctl", "--endpoints=\(endpoints)", "--dial-timeout=3s", "--command-timeout=5s"] + arguments
        let spec = ServiceSpec(
            Name: name, Labels: ["io.swarmstage.test": "etcd"],
            TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: try Lab.require().image("etcd"), Args: command),
                                   RestartPolicy: RestartPolicy(Condition: "none"),
                                   Placement: Placement(Constraints: ["node.role==manager"]),
                                   Networks: [NetworkAttachment(Target: network)]),
            Mode: ServiceMode(ReplicatedJob: .init(MaxConcurrent: 1, TotalCompletions: 1)))
        let id = try await engine.createService(spec)
        do {
            let deadline = ContinuousClock.now + timeout
            var state: TaskState?
            while ContinuousClock.now < deadline {
                let tasks = try await engine.tasks(filters: Filters([("service", id)]))
                if let ended = tasks.first(where: { [.complete, .failed, .rejected].contains($0.Status.State) }) {
                    state = ended.Status.State
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            var lines: [String] = []
            for try await line in try await engine.serviceLogs(id, tail: 1000, follow: false) { lines.append(line.text) }
            try await engine.removeService(id)
            guard let state else {
                throw LabEtcdError("etcdctl \(arguments.joined(separator: " ")) did not end within \(timeout): \(lines.joined(separator: "\n"))")
            }
            return Result(succeeded: state == .complete, output: lines.joined(separator: "\n"))
        } catch {
            try? await engine.removeService(id)
            throw error
        }
    }

    /// The members etcd itself lists: name → member ID (hex), from `member list`, whose simple
    /// format is `ID, status, name, peer URLs, client URLs, is learner` per line.
    public static func members(_ engine: some SwarmAPI) async throws -> [String: String] {
        let listed = try await etcdctl(engine, ["member", "list"])
        guard listed.succeeded else { throw LabEtcdError("etcdctl member list failed: \(listed.output)") }
        var result: [String: String] = [:]
        for line in listed.output.split(separator: "\n") {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.count >= 4, fields[1] == "started" || fields[1] == "unstarted" { result[fields[2]] = fields[0] }
        }
        return result
    }
}

public struct LabEtcdError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
