import Engine
import Foundation
import SwarmModel
import Testing
import TestSupport

/// Version negotiation against scripted daemons of other versions.
@Suite("API version negotiation")
struct NegotiationTests {
    static func daemon(api: String, minimum: String) throws -> FakeUnixServer {
        try FakeUnixServer { head in
            let body = head.hasPrefix("GET /_ping") ? "OK"
                : #"{"Version":"99.0","ApiVersion":"\#(api)","MinAPIVersion":"\#(minimum)"}"#
            return [.init("HTTP/1.1 200 OK\r\nApi-Version: \(api)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")]
        }
    }

    @Test func aNewerDaemonIsSpokenToAtOurNewestVersion() async throws {
        let server = try Self.daemon(api: "1.51", minimum: "1.44")
        defer { server.stop() }
        let engine = try await EngineClient.connect(DockerHost(socketPath: server.socketPath))
        #expect(engine.apiVersion == EngineClient.newestVersion)
    }

    @Test func anOlderDaemonIsSpokenToAtItsVersion() async throws {
        let server = try Self.daemon(api: "1.43", minimum: "1.12")
        defer { server.stop() }
        let engine = try await EngineClient.connect(DockerHost(socketPath: server.socketPath))
        #expect(engine.apiVersion == APIVersion(1, 43))
    }

    @Test func aDaemonBelowTheFloorIsRefused() async throws {
        let server = try Self.daemon(api: "1.40", minimum: "1.12")
        defer { server.stop() }
        let error = try await #require(throws: EngineRequirementError.self) {
            try await EngineClient.connect(DockerHost(socketPath: server.socketPath))
        }
        #expect(error.description.contains("Engine 20.10 or newer"))
    }
}
