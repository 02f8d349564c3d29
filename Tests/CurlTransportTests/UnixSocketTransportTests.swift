import CurlTransport
import Foundation
import Testing
import TestSupport

@Suite("Transport over a Unix socket", .serialized)
struct UnixSocketTransportTests {
    static func chunk(_ text: String) -> String { String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n" }

    @Test func chunkedBodiesArriveWhole() async throws {
        let server = try FakeUnixServer { _ in [
            .init("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"),
            .init(Self.chunk("{\"Api"), pause: 30),
            .init(Self.chunk("Version\":"), pause: 30),
            .init(Self.chunk("\"1.41\"}") + "0\r\n\r\n"),
        ] }
        defer { server.stop() }
        let response = try await UnixSocketTransport(socketPath: server.socketPath).send(HTTPRequest(method: .get, path: "/version"))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"ApiVersion\":\"1.41\"}")
        #expect(server.requests.first?.hasPrefix("GET /version HTTP/1.1") == true)
    }

    @Test func postBodiesAndErrorStatusesPassThrough() async throws {
        let server = try FakeUnixServer { head in
            let status = head.contains("POST /fail") ? "409 Conflict" : "201 Created"
            return [.init("HTTP/1.1 \(status)\r\nContent-Length: 2\r\n\r\n{}")]
        }
        defer { server.stop() }
        let transport = UnixSocketTransport(socketPath: server.socketPath)
        let created = try await transport.send(HTTPRequest(method: .post, path: "/ok", body: Data("{\"a\":1}".utf8)))
        #expect(created.status == 201)
        #expect(server.requests.last?.contains("Content-Length: 7") == true)
        #expect(server.requests.last?.contains("Content-Type: application/json") == true)
        let conflict = try await transport.send(HTTPRequest(method: .post, path: "/fail"))
        #expect(conflict.status == 409)
    }

    @Test func streamsDeliverBytesAsTheyComeEvenSplitMidFrame() async throws {
        // A log frame (8-byte header + payload) split inside its header and inside its payload.
        let frame = Data([1, 0, 0, 0, 0, 0, 0, 6]) + Data("hello\n".utf8)
        let server = try FakeUnixServer { _ in [
            .init("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            .init(bytes: Data(String(3, radix: 16).utf8) + Data("\r\n".utf8) + frame.prefix(3) + Data("\r\n".utf8), pause: 50),
            .init(bytes: Data("8\r\n".utf8) + frame.dropFirst(3).prefix(8) + Data("\r\n".utf8), pause: 50),
            .init(bytes: Data("3\r\n".utf8) + frame.dropFirst(11) + Data("\r\n0\r\n\r\n".utf8)),
        ] }
        defer { server.stop() }
        let response = try await UnixSocketTransport(socketPath: server.socketPath).stream(HTTPRequest(method: .get, path: "/logs", timeout: nil))
        #expect(response.status == 200)
        var chunks: [Data] = []
        for try await chunk in response.body { chunks.append(chunk) }
        #expect(chunks.count >= 2, "the pieces should arrive separately")
        #expect(chunks.reduce(Data(), +) == frame)
    }

    @Test func cancellingAStreamMidwayEndsTheTransferThread() async throws {
        // Never ends on its own: a line every 100 ms for a minute.
        let server = try FakeUnixServer { _ in
            [.init("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")]
                + (0..<600).map { _ in FakeUnixServer.Piece(Self.chunk("tick\n"), pause: 100) }
        }
        defer { server.stop() }
        let transport = UnixSocketTransport(socketPath: server.socketPath)
        let baseline = transport.activeTransfers.value
        let response = try await transport.stream(HTTPRequest(method: .get, path: "/events", timeout: nil))
        let reader = Task {
            var count = 0
            for try await _ in response.body { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(350))
        #expect(transport.activeTransfers.value == baseline + 1)
        reader.cancel()
        let received = try await reader.value
        #expect(received >= 1)
        let deadline = ContinuousClock.now + .seconds(5)
        while transport.activeTransfers.value > baseline, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(transport.activeTransfers.value == baseline, "the transfer thread must end after cancellation")
    }

    @Test func aMissingSocketSaysSo() async throws {
        let transport = UnixSocketTransport(socketPath: "/nonexistent/docker.sock")
        let error = try #require(throws: TransportError.self) { try transport.checkSocket() }
        #expect(error.kind == .socketMissing)
        #expect(error.description.contains("no Docker socket at /nonexistent/docker.sock"))
        await #expect(throws: TransportError.self) { try await transport.send(HTTPRequest(method: .get, path: "/_ping")) }
    }

    @Test func aFileThatIsNotASocketSaysSo() throws {
        let notASocket = NSTemporaryDirectory() + "swarmstage-not-a-socket-\(UUID().uuidString.prefix(6))"
        #expect(FileManager.default.createFile(atPath: notASocket, contents: Data()))
        defer { unlink(notASocket) }
        let error = try #require(throws: TransportError.self) { try UnixSocketTransport(socketPath: notASocket).checkSocket() }
        #expect(error.kind == .notASocket)
    }

    @Test func aStaleSocketIsConnectionRefused() async throws {
        let server = try FakeUnixServer { _ in [] }
        let path = server.socketPath
        // Close the listener but leave a socket file behind.
        server.stop()
        let fd = try #require(FakeUnixServer.boundSocket(at: path))
        close(fd)
        defer { unlink(path) }
        let error = try await #require(throws: TransportError.self) {
            try await UnixSocketTransport(socketPath: path).send(HTTPRequest(method: .get, path: "/_ping"))
        }
        #expect(error.kind == .connectionRefused)
    }
}
