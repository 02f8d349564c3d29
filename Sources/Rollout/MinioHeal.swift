import Blueprint
import Foundation
import SwarmModel

/// A MinIO server handed from a host that is down to another one (MinIO docs, "Recover after
/// node failure": the replacement host takes the failed server's hostname, here the service's
/// name on the overlay network, so the server command `http://minio{1...N}/...` is unchanged;
/// MinIO formats the empty drives from the other servers' format and heals every object onto
/// them in the background, cmd/background-newdisks-heal-ops.go). Swarm starts the server on the
/// node that now carries its label as soon as `label` writes it; `MinioHealWait` then waits
/// until it runs there and reports its drives healed, before anything else changes.
public struct MinioHandOver: Sendable, Equatable, CustomStringConvertible {
    public var service: String
    /// The node its data was on (down) and the one it starts on.
    public var from: String
    public var to: String
    public var toNodeID: String

    public init(service: String, from: String, to: String, toNodeID: String) {
        self.service = service
        self.from = from
        self.to = to
        self.toNodeID = toNodeID
    }

    public var description: String {
        "\(service) (minio) moves from \(from) (down) to \(to): it starts there with empty drives, which MinIO heals from the other servers"
    }
}

/// How a MinIO server's heal progress is read.
public protocol MinioHealStatus: Sendable {
    /// The server's report: `starting...` (drives not looked at yet), `no heal needed`,
    /// `healing: ...`, or `healed N of M` (objects).
    func status(of server: SwarmService) async throws -> String
}

/// A member handed on whose check or wait failed, or a hand-over its tier refuses: the service
/// and what went wrong.
public struct HandOverError: Error, Sendable, CustomStringConvertible {
    public var service: String
    public var problem: String
    public var description: String { "\(service): \(problem)" }

    public init(service: String, problem: String) {
        self.service = service
        self.problem = problem
    }
}

/// A heal-status request MinIO refused or that could not be made.
public typealias MinioHealError = HandOverError

/// Where a handed-over member's task stands on its new node.
enum HandOverTask {
    /// Whether a task of `service` runs on `nodeID` (named `host`); if not, what its newest task
    /// there does, with Swarm's error (nil while none was placed there).
    static func onNewNode(_ swarm: any SwarmAPI, service: SwarmService, nodeID: String, host: String) async throws
        -> (running: Bool, state: String?) {
        let tasks = try await swarm.tasks(filters: .service(service.ID))
        if tasks.contains(where: { $0.NodeID == nodeID && $0.DesiredState == .running && $0.Status.State == .running }) { return (true, nil) }
        guard let newest = tasks.filter({ $0.NodeID == nodeID })
            .max(by: { ($0.CreatedAt ?? EngineTime(nanoseconds: 0)) < ($1.CreatedAt ?? EngineTime(nanoseconds: 0)) }) else { return (false, nil) }
        return (false, "its task on \(host) is \(newest.Status.State.rawValue)" + (newest.Status.Err.map { ": \($0)" } ?? ""))
    }

    /// What a hand-over's check found once the member's task runs on its new node.
    enum Check<Done> {
        case done(Done)
        /// Not yet, and what the member said: told as progress when it changes.
        case said(String)
        /// Not yet, for a passing reason (a job that did not end, a name not in DNS yet): asked again.
        case quiet(String)
    }

    /// Polls until `service`'s task runs on `nodeID` (named `host`) and `check` says it is done.
    /// Progress names each change of what the member or its task says (a task Swarm rejects there,
    /// its folders missing, shows at once); throws "`failing` on HOST within TIMEOUT: what it said last".
    static func wait<Done>(_ swarm: any SwarmAPI, service name: String, nodeID: String, host: String, timeout: Duration, poll: Duration,
                           failing: String, progress: @Sendable (String) -> Void,
                           check: (SwarmService) async throws -> Check<Done>) async throws -> Done {
        let deadline = ContinuousClock.now + timeout
        var last = "its task has not started on \(host)"
        while ContinuousClock.now < deadline {
            let service = try await swarm.service(name)
            let task = try await onNewNode(swarm, service: service, nodeID: nodeID, host: host)
            var said = task.state, told = true
            if task.running {
                switch try await check(service) {
                case .done(let done): return done
                case .said(let text): said = text
                case .quiet(let text): (said, told) = (text, false)
                }
            }
            if let said {
                if told, said != last { progress("\(name): \(said)") }
                last = said
            }
            try await Task.sleep(for: poll)
        }
        throw HandOverError(service: name, problem: "\(failing) on \(host) within \(timeout): \(last)")
    }

    /// The services named `names` that exist, in that order.
    static func services(_ swarm: any SwarmAPI, named names: [String]) async throws -> [SwarmService] {
        var services: [SwarmService] = []
        for name in names {
            if let service = try? await swarm.service(name) { services.append(service) }
        }
        return services
    }

    /// Those of `services` (by name, in that order) with a task running on a ready node: a job
    /// placed by their constraints can run there (a task on a node that is down, which Swarm keeps
    /// listing as running, cannot).
    static func running(_ swarm: any SwarmAPI, services names: [String]) async throws -> [SwarmService] {
        try await running(swarm, among: try await services(swarm, named: names))
    }

    /// Those of `services` with a task running on a ready node, in their order.
    static func running(_ swarm: any SwarmAPI, among services: [SwarmService]) async throws -> [SwarmService] {
        let ready = Set(try await swarm.nodes().filter { $0.state == .ready }.map(\.ID))
        var running: [SwarmService] = []
        for service in services {
            let tasks = try await swarm.tasks(filters: .service(service.ID))
            if tasks.contains(where: { $0.DesiredState == .running && $0.Status.State == .running && ready.contains($0.NodeID ?? "") }) {
                running.append(service)
            }
        }
        return running
    }
}

/// Asks MinIO's admin API, as `mc admin heal ALIAS` does, from a one-shot job on the server's
/// network and from its image, placed by its constraints (where it runs, so the image is there).
/// The job mounts the server's own credential secrets under the same files and its command names
/// only those files: `mc` takes the alias and its credentials from `MC_HOST_<alias>` (mc docs,
/// "MC_HOST_<alias>"), set inside the job's shell, so no credential is an argument, a label or
/// a log line.
public struct JobMinioHeal: MinioHealStatus {
    public let swarm: any SwarmAPI
    public let timeout: Duration

    public init(swarm: any SwarmAPI, timeout: Duration = .seconds(60)) {
        self.swarm = swarm
        self.timeout = timeout
    }

    /// The job's shell script; $1 and $2 are the credential files, $3 the server's host name.
    static let script = #"MC_HOST_server="http://$(cat "$1"):$(cat "$2")@$3:9000" exec /usr/bin/mc admin heal server"#

    public func status(of server: SwarmService) async throws -> String {
        let name = server.Spec.Name
        let container = server.Spec.TaskTemplate.ContainerSpec
        let environment = Dictionary((container?.Env ?? []).map { entry -> (String, String) in
            let parts = entry.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }, uniquingKeysWith: { _, last in last })
        guard let userFile = environment["MINIO_ROOT_USER_FILE"], let passwordFile = environment["MINIO_ROOT_PASSWORD_FILE"] else {
            throw MinioHealError(service: name, problem: "its credentials are not files (MINIO_ROOT_USER_FILE, MINIO_ROOT_PASSWORD_FILE)")
        }
        guard let image = container?.Image, let network = server.Spec.TaskTemplate.Networks?.first?.Target else {
            throw MinioHealError(service: name, problem: "its spec names no image or network")
        }
        let host = container?.Hostname ?? String(name.split(separator: "_").last ?? Substring(name))
        let job = SwarmJob(swarm: swarm, image: image, network: network,
                           constraints: server.Spec.TaskTemplate.Placement?.Constraints ?? [], timeout: timeout,
                           namePrefix: "swarmstage-mc", secrets: container?.Secrets ?? [])
        let (succeeded, output) = try await job.run(command: ["/bin/sh", "-c", Self.script, "sh"],
                                                    args: [userFile, passwordFile, host], label: "mc admin heal")
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard succeeded else { throw MinioHealError(service: name, problem: "mc admin heal failed: \(text.isEmpty ? "no output" : text)") }
        return text
    }
}

/// Waits for a handed-over MinIO server: its task running on the new node, then its heal done.
public struct MinioHealWait: Sendable {
    public let swarm: any SwarmAPI
    public let heal: any MinioHealStatus
    public let timeout: Duration
    public let poll: Duration

    public init(swarm: any SwarmAPI, heal: any MinioHealStatus, timeout: Duration, poll: Duration = .seconds(2)) {
        self.swarm = swarm
        self.heal = heal
        self.timeout = timeout
        self.poll = poll
    }

    public enum Outcome: Sendable, Equatable {
        case healed(objects: Int)
        case nothingToHeal
    }

    /// What a status line says: done (with the objects healed), not yet, or a heal that left objects behind.
    public static func reading(_ status: String) -> Result<Outcome?, MinioHealError> {
        let line = status.split(separator: "\n").last.map(String.init) ?? ""
        if line == "no heal needed" { return .success(.nothingToHeal) }
        if let match = line.wholeMatch(of: /healed (\d+) of (\d+)/), let healed = Int(match.1), let total = Int(match.2) {
            return healed == total ? .success(.healed(objects: total))
                : .failure(MinioHealError(service: "", problem: "MinIO healed \(healed) of \(total) objects; the others have no read quorum"))
        }
        return .success(nil)
    }

    public func wait(_ handOver: MinioHandOver, progress: @Sendable (String) -> Void) async throws -> Outcome {
        try await HandOverTask.wait(swarm, service: handOver.service, nodeID: handOver.toNodeID, host: handOver.to, timeout: timeout,
                                    poll: poll, failing: "not healed", progress: progress) { service in
            let status: String
            do {
                status = try await heal.status(of: service)
            } catch let error as MinioHealError {
                // Not answering yet (the server starts, its name is not in DNS yet): asked again.
                return .quiet(error.problem)
            } catch is SwarmJob.NotEnded {
                return .quiet("mc admin heal did not end")
            }
            switch Self.reading(status) {
            case .success(let outcome?): return .done(outcome)
            case .success(nil): return .said(status)
            case .failure(let error): throw MinioHealError(service: handOver.service, problem: error.problem)
            }
        }
    }
}
