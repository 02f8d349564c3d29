import Foundation

/// What swarmstage needs from a Swarm manager's Engine API. `EngineClient` speaks it over
/// the Unix socket; tests use an in-memory swarm. Everything above the Engine client
/// (planning, applying, gating, health) is written against this, so the decisions can be
/// tested in milliseconds and proven against a real Engine in the lab.
/// Errors are `EngineError`s: their `kind` says unreachable, transient, refused, not found
/// or conflict.
public protocol SwarmAPI: Sendable {
    /// The API version requests are made with: the Engine keeps only the fields it knows at it.
    var apiVersion: APIVersion { get }

    func info() async throws -> SystemInfo

    func nodes() async throws -> [SwarmNode]
    func node(_ id: String) async throws -> SwarmNode
    func updateNode(_ id: String, version: ObjectVersion, spec: NodeSpec) async throws

    func services(filters: Filters, status: Bool) async throws -> [SwarmService]
    func service(_ id: String) async throws -> SwarmService
    func createService(_ spec: ServiceSpec) async throws -> String
    func updateService(_ id: String, version: ObjectVersion, spec: ServiceSpec) async throws
    func removeService(_ id: String) async throws
    func tasks(filters: Filters) async throws -> [SwarmTask]

    func networks(filters: Filters) async throws -> [SwarmNetwork]
    func createNetwork(_ request: NetworkCreateRequest) async throws -> String
    func removeNetwork(_ id: String) async throws

    func configs(filters: Filters) async throws -> [SwarmFileObject]
    /// One config with its data.
    func config(_ id: String) async throws -> SwarmFileObject
    func createConfig(name: String, labels: [String: String], data: Data) async throws -> String
    func removeConfig(_ id: String) async throws

    func secrets(filters: Filters) async throws -> [SwarmFileObject]
    func createSecret(name: String, labels: [String: String], data: Data) async throws -> String
    func removeSecret(_ id: String) async throws

    /// Events from now on: a wake-up, not the truth.
    func events(filters: Filters) async throws -> AsyncThrowingStream<EngineEvent, any Error>
    /// The last `tail` lines of a service's logs from all its tasks; with `since`, only lines
    /// written at or after it (the Engine's `since`, by the clock of the host that ran each task).
    func serviceLogs(_ service: String, tail: Int, since: EngineTime?, follow: Bool) async throws -> AsyncThrowingStream<LogLine, any Error>
}

extension SwarmAPI {
    public func serviceLogs(_ service: String, tail: Int, follow: Bool) async throws -> AsyncThrowingStream<LogLine, any Error> {
        try await serviceLogs(service, tail: tail, since: nil, follow: follow)
    }

    public func services(filters: Filters = Filters()) async throws -> [SwarmService] {
        try await services(filters: filters, status: false)
    }

    public func tasks() async throws -> [SwarmTask] { try await tasks(filters: Filters()) }
    public func networks() async throws -> [SwarmNetwork] { try await networks(filters: Filters()) }
    public func configs() async throws -> [SwarmFileObject] { try await configs(filters: Filters()) }
    public func secrets() async throws -> [SwarmFileObject] { try await secrets(filters: Filters()) }

    /// Fails with a clear message unless this daemon is an active Swarm manager.
    public func requireManager(describing host: String) async throws -> SystemInfo {
        let info = try await info()
        let state = info.Swarm?.LocalNodeState ?? "inactive"
        guard state == "active" else {
            throw EngineRequirementError("the Engine at \(host) is not part of an active swarm (state: \(state)); run `docker swarm init` on the first manager, or point --host at a manager")
        }
        guard info.Swarm?.ControlAvailable == true else {
            throw EngineRequirementError("the Engine at \(host) is a swarm worker, not a manager; point --host or DOCKER_HOST at a manager's socket")
        }
        return info
    }
}

public enum LogStream: UInt8, Sendable { case stdin = 0, stdout = 1, stderr = 2 }

/// One line of a service's logs.
public struct LogLine: Sendable, Equatable {
    public var stream: LogStream
    public var text: String

    public init(stream: LogStream, text: String) {
        self.stream = stream
        self.text = text
    }
}
