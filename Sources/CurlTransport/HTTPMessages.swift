import Foundation

public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST", delete = "DELETE", put = "PUT", head = "HEAD" }

    public var method: Method
    /// Path with its already-encoded query, e.g. `/v1.41/nodes?filters=...`.
    public var path: String
    public var headers: [String: String]
    public var body: Data?
    /// Whole-transfer limit; nil for streams that stay open.
    public var timeout: Duration?
    /// How long a connection may take to open.
    public var connectTimeoutMilliseconds = 10_000

    public init(method: Method, path: String, headers: [String: String] = [:], body: Data? = nil, timeout: Duration? = .seconds(60)) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A response whose body arrives while the transfer runs.
public struct StreamingResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    /// Body chunks as they arrive. Stop iterating (or cancel the task) to end the transfer.
    public var body: AsyncThrowingStream<Data, any Error>
}

/// Why a request never got an HTTP answer.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case socketMissing
        case notASocket
        case permissionDenied
        case connectionRefused
        case timedOut
        case cancelled
        case other
    }

    public var kind: Kind
    public var socketPath: String
    public var detail: String

    public init(kind: Kind, socketPath: String, detail: String) {
        self.kind = kind
        self.socketPath = socketPath
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .socketMissing:
            return "no Docker socket at \(socketPath): is dockerd running there? Point --host or DOCKER_HOST at a manager's socket"
        case .notASocket:
            return "\(socketPath) exists but is not a Unix socket"
        case .permissionDenied:
            return "permission denied on \(socketPath): run as root or as a member of the socket's group (usually docker)"
        case .connectionRefused:
            return "nothing is listening on \(socketPath) (a stale socket; is dockerd running?)"
        case .timedOut:
            return "the Docker Engine at \(socketPath) did not answer in time (\(detail))"
        case .cancelled:
            return "the request to \(socketPath) was cancelled"
        case .other:
            return "cannot talk to the Docker Engine at \(socketPath): \(detail)"
        }
    }
}
