import CurlTransport
import Foundation
import SwarmModel

/// The Docker Engine API over its Unix socket, at the API version both sides speak.
public final class EngineClient: Sendable {
    /// The newest API version swarmstage knows (Engine 27). The oldest it accepts is 1.41 (Engine 20.10).
    public static let newestVersion = APIVersion.newestSpoken
    public static let oldestVersion = APIVersion(1, 41)

    public let host: DockerHost
    public let apiVersion: APIVersion
    public let serverVersion: String
    let transport: UnixSocketTransport
    /// Requests that change state (POST, PUT, DELETE) sent through this client.
    public let writes = Counter()
    /// Transfers still running on their threads (streams included).
    public var activeTransfers: Int { transport.activeTransfers.value }

    init(host: DockerHost, transport: UnixSocketTransport, apiVersion: APIVersion, serverVersion: String) {
        self.host = host
        self.transport = transport
        self.apiVersion = apiVersion
        self.serverVersion = serverVersion
    }

    /// Connects and negotiates: the lower of our newest and the server's version,
    /// refused when that is below what either side supports.
    public static func connect(_ host: DockerHost) async throws -> EngineClient {
        let transport = UnixSocketTransport(socketPath: host.socketPath)
        try unansweredNow("GET", "/_ping") { try transport.checkSocket() }
        let ping = try await unanswered("GET", "/_ping") { try await transport.send(HTTPRequest(method: .get, path: "/_ping", timeout: .seconds(15))) }
        guard ping.status == 200 else {
            throw EngineError(method: "GET", path: "/_ping", status: ping.status, message: String(decoding: ping.body, as: UTF8.self))
        }
        let versionResponse = try await unanswered("GET", "/version") { try await transport.send(HTTPRequest(method: .get, path: "/version", timeout: .seconds(15))) }
        guard versionResponse.status == 200 else {
            throw EngineError(method: "GET", path: "/version", status: versionResponse.status, message: errorMessage(versionResponse.body))
        }
        let version = try decode(EngineVersion.self, versionResponse.body, path: "/version")
        let pinged = ping.headers["api-version"].flatMap(APIVersion.init(parsing:))
        guard let serverNewest = APIVersion(parsing: version.ApiVersion) ?? pinged else {
            throw EngineRequirementError("the Engine at \(host) reported no API version")
        }
        let serverOldest = version.MinAPIVersion.flatMap(APIVersion.init(parsing:)) ?? oldestVersion
        let chosen = min(newestVersion, serverNewest)
        guard chosen >= oldestVersion, chosen >= serverOldest else {
            throw EngineRequirementError("the Engine at \(host) speaks API \(serverOldest)...\(serverNewest); swarmstage needs a version between \(oldestVersion) and \(newestVersion) (Engine 20.10 or newer)")
        }
        return EngineClient(host: host, transport: transport, apiVersion: chosen, serverVersion: version.Version ?? "unknown")
    }

    // MARK: requests

    func path(_ path: String, _ query: [(String, String)] = []) -> String {
        "/v\(apiVersion)\(path)\(Query.string(query))"
    }

    public func request(_ method: HTTPRequest.Method, _ path: String, query: [(String, String)] = [], body: Data? = nil,
                        headers: [String: String] = [:], timeout: Duration? = .seconds(60)) async throws -> HTTPResponse {
        let fullPath = self.path(path, query)
        if method != .get && method != .head { writes.add(1) }
        let response = try await Self.unanswered(method.rawValue, fullPath) {
            try await transport.send(HTTPRequest(method: method, path: fullPath, headers: headers, body: body, timeout: timeout))
        }
        guard (200..<300).contains(response.status) else {
            throw EngineError(method: method.rawValue, path: fullPath, status: response.status, message: Self.errorMessage(response.body))
        }
        return response
    }

    public func get<T: Decodable>(_ type: T.Type, _ path: String, query: [(String, String)] = []) async throws -> T {
        let response = try await request(.get, path, query: query)
        return try decode(type, response.body, path: path)
    }

    public func post<T: Decodable>(_ type: T.Type, _ path: String, query: [(String, String)] = [], body: some Encodable,
                                   headers: [String: String] = [:]) async throws -> T {
        let response = try await request(.post, path, query: query, body: try Self.encoder.encode(body), headers: headers)
        return try decode(type, response.body, path: path)
    }

    public func post(_ path: String, query: [(String, String)] = [], body: some Encodable, headers: [String: String] = [:]) async throws {
        _ = try await request(.post, path, query: query, body: try Self.encoder.encode(body), headers: headers)
    }

    public func delete(_ path: String, query: [(String, String)] = []) async throws {
        _ = try await request(.delete, path, query: query)
    }

    /// A streaming GET: status checked, body as chunks.
    public func stream(_ path: String, query: [(String, String)] = []) async throws -> AsyncThrowingStream<Data, any Error> {
        let fullPath = self.path(path, query)
        let response = try await Self.unanswered("GET", fullPath) { try await transport.stream(HTTPRequest(method: .get, path: fullPath, timeout: nil)) }
        guard (200..<300).contains(response.status) else {
            var body = Data()
            for try await chunk in response.body { body.append(chunk) }
            throw EngineError(method: "GET", path: fullPath, status: response.status, message: Self.errorMessage(body))
        }
        // A stream that breaks (the daemon went away) ends with an EngineError too.
        let chunks = response.body
        return AsyncThrowingStream { continuation in
            let reader = Task {
                do {
                    for try await chunk in chunks { continuation.yield(chunk) }
                    continuation.finish()
                } catch let error as TransportError {
                    continuation.finish(throwing: Self.engineError(error, method: "GET", path: fullPath))
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }

    /// Runs a transfer; a transport failure (no HTTP answer) becomes an `EngineError` whose
    /// kind says what callers need: unreachable (wait and retry) or refused.
    static func unanswered<T>(_ method: String, _ path: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as TransportError {
            throw engineError(error, method: method, path: path)
        }
    }

    static func unansweredNow<T>(_ method: String, _ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as TransportError {
            throw engineError(error, method: method, path: path)
        }
    }

    static func engineError(_ error: TransportError, method: String, path: String) -> EngineError {
        let kind: EngineError.Kind
        switch error.kind {
        case .socketMissing, .connectionRefused, .timedOut, .other: kind = .unreachable
        case .permissionDenied, .notASocket, .cancelled: kind = .refused
        }
        return EngineError(unanswered: method, path: path, kind: kind, message: error.description)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    func decode<T: Decodable>(_ type: T.Type, _ data: Data, path: String) throws -> T {
        try Self.decode(type, data, path: path)
    }

    /// An answer that is not what the API describes is the Engine's problem, said as such.
    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, path: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw EngineRequirementError("unexpected answer from the Engine for \(path): \(error)")
        }
    }

    static func errorMessage(_ body: Data) -> String {
        struct Message: Decodable { var message: String }
        if let decoded = try? JSONDecoder().decode(Message.self, from: body) { return decoded.message }
        return String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
