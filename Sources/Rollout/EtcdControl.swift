import Blueprint
import Foundation
import SwarmModel

/// What deploy asks of a running etcd cluster while it replaces a member.
public protocol EtcdControl: Sendable {
    /// `etcdctl member list` through any of `endpoints`.
    func members(endpoints: [String]) async throws -> [EtcdMember]
    /// The endpoints among `endpoints` that answer `etcdctl endpoint health` (a leader, a committed proposal).
    func healthy(endpoints: [String]) async throws -> Set<String>
    func removeMember(id: String, endpoints: [String]) async throws
    /// `member add`; as a learner (`--learner`, etcd 3.4+), the member does not count towards the
    /// quorum until `promoteMember`.
    func addMember(name: String, peerURL: String, asLearner: Bool, endpoints: [String]) async throws
    /// `member promote`: etcd refuses it until the learner's log has caught up with the leader's.
    func promoteMember(id: String, endpoints: [String]) async throws
    /// `etcdctl alarm list`: the alarms the cluster holds (a raft request: it needs a quorum).
    func alarms(endpoints: [String]) async throws -> [EtcdAlarm]
}

/// An etcdctl command etcd refused, with what it said.
public typealias EtcdCommandError = MemberCommandError<Etcdctl>

/// etcd's command-line client.
public enum Etcdctl: MemberCommandTool {
    public static let name = "etcdctl"
}

/// Runs `etcdctl` where a client of the cluster runs: a one-shot Swarm job on the stack's
/// overlay network, from the etcd members' own image (which has etcdctl) and placed where a
/// member runs (so the image is there without a registry), its output read back from the
/// service's logs; the job is removed afterwards. Each command is one job: a few seconds, and
/// only while a member is being replaced (a deploy with nothing to replace runs none).
public struct JobEtcdControl: EtcdControl {
    /// Where and how each command runs (the jobs' names begin with its `namePrefix`).
    public let job: SwarmJob

    public init(swarm: any SwarmAPI, image: String, network: String, constraints: [String], timeout: Duration = .seconds(120),
                namePrefix: String = "swarmstage-etcdctl") {
        job = SwarmJob(swarm: swarm, image: image, network: network, constraints: constraints, timeout: timeout, namePrefix: namePrefix)
    }

    /// The control for a stage's etcd members: their image, network and a healthy member's placement.
    public static func forMembers(_ services: [SwarmService], swarm: any SwarmAPI, healthyMember: String?,
                                  timeout: Duration = .seconds(120), namePrefix: String = "swarmstage-etcdctl") -> JobEtcdControl? {
        let members = services.filter { $0.Spec.Labels?[Component.label] == Component.etcd.rawValue }
        guard let chosen = members.first(where: { $0.Spec.Name == healthyMember }) ?? members.first,
              let image = chosen.Spec.TaskTemplate.ContainerSpec?.Image,
              let network = chosen.Spec.TaskTemplate.Networks?.first?.Target else { return nil }
        return JobEtcdControl(swarm: swarm, image: image, network: network,
                              constraints: chosen.Spec.TaskTemplate.Placement?.Constraints ?? [], timeout: timeout, namePrefix: namePrefix)
    }

    public func members(endpoints: [String]) async throws -> [EtcdMember] {
        let (succeeded, output) = try await run(["member", "list"], endpoints: endpoints)
        guard succeeded else { throw EtcdCommandError(command: "member list", output: output) }
        return EtcdMember.parseList(output)
    }

    public func healthy(endpoints: [String]) async throws -> Set<String> {
        // Exits 1 when any endpoint is unhealthy; the healthy ones are still named.
        EtcdMember.healthyEndpoints(try await run(["endpoint", "health"], endpoints: endpoints).output)
    }

    public func removeMember(id: String, endpoints: [String]) async throws {
        let (succeeded, output) = try await run(["member", "remove", id], endpoints: endpoints)
        guard succeeded else { throw EtcdCommandError(command: "member remove \(id)", output: output) }
    }

    public func addMember(name: String, peerURL: String, asLearner: Bool, endpoints: [String]) async throws {
        let (succeeded, output) = try await run(["member", "add", name, "--peer-urls=\(peerURL)"] + (asLearner ? ["--learner"] : []),
                                                endpoints: endpoints)
        guard succeeded else { throw EtcdCommandError(command: "member add \(name)", output: output) }
    }

    public func promoteMember(id: String, endpoints: [String]) async throws {
        let (succeeded, output) = try await run(["member", "promote", id], endpoints: endpoints)
        guard succeeded else { throw EtcdCommandError(command: "member promote \(id)", output: output) }
    }

    public func alarms(endpoints: [String]) async throws -> [EtcdAlarm] {
        let (succeeded, output) = try await run(["alarm", "list"], endpoints: endpoints)
        guard succeeded else { throw EtcdCommandError(command: "alarm list", output: output) }
        return EtcdAlarm.parseList(output)
    }

    /// One etcdctl command; whether it exited 0, and what it printed.
    public func run(_ arguments: [String], endpoints: [String]) async throws -> (succeeded: Bool, output: String) {
        let command = ["etcdctl", "--endpoints=\(endpoints.joined(separator: ","))", "--dial-timeout=3s", "--command-timeout=10s"]
            + arguments
        do {
            return try await job.run(args: command, label: arguments.prefix(2).joined(separator: " "))
        } catch is SwarmJob.NotEnded {
            throw EtcdCommandError(command: arguments.joined(separator: " "), output: "did not end within \(job.timeout)")
        }
    }
}
