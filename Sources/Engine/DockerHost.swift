/// Where the Engine listens. Only Unix sockets: swarmstage never speaks to a
/// daemon over TCP (no TLS handling, and the socket's permissions are the access control).
public struct DockerHost: Sendable, Equatable, CustomStringConvertible {
    public static let defaultSocket = "/var/run/docker.sock"

    public var socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    /// From `--host`, else `DOCKER_HOST`, else the default socket.
    public static func resolve(flag: String?, environment: [String: String]) throws -> DockerHost {
        if let flag { return try parse(flag, source: "--host") }
        if let value = environment["DOCKER_HOST"], !value.isEmpty { return try parse(value, source: "DOCKER_HOST") }
        return DockerHost(socketPath: defaultSocket)
    }

    public static func parse(_ value: String, source: String) throws -> DockerHost {
        if value.hasPrefix("unix://") {
            let path = String(value.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw DockerHostError(value: value, source: source, reason: "a unix:// host needs an absolute path, e.g. unix:///var/run/docker.sock") }
            return DockerHost(socketPath: path)
        }
        if value.hasPrefix("/") { return DockerHost(socketPath: value) }
        if let scheme = value.range(of: "://").map({ String(value[..<$0.lowerBound]) }) {
            throw DockerHostError(value: value, source: source,
                                  reason: "\(scheme):// hosts are not supported; swarmstage talks to the Engine only over its Unix socket (unix:///path/to/docker.sock). Run it on a manager, or forward the socket with `ssh -L /tmp/docker.sock:/var/run/docker.sock manager`")
        }
        throw DockerHostError(value: value, source: source, reason: "expected unix:///path/to/docker.sock")
    }

    public var description: String { "unix://\(socketPath)" }
}

public struct DockerHostError: Error, Sendable, CustomStringConvertible {
    public var value: String
    public var source: String
    public var reason: String

    public var description: String { "\(source) '\(value)': \(reason)" }
}
