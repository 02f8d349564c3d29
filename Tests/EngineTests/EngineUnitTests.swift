import CurlTransport
@testable import Engine
import Foundation
import SwarmModel
import Testing

@Suite("Engine client pieces")
struct EngineUnitTests {
    @Test func filtersAreJSONAndURLEncoded() {
        var filters = Filters()
        filters.add("label", "com.docker.stack.namespace=lab storage")
        filters.add("desired-state", "running")
        #expect(filters.json == #"{"desired-state":{"running":true},"label":{"com.docker.stack.namespace=lab storage":true}}"#)
        let query = Query.string([("filters", filters.json)])
        #expect(query.hasPrefix("?filters=%7B%22desired-state%22"))
        #expect(!query.contains(" ") && !query.contains("{") && !query.contains("\""))
        #expect(query.contains("lab%20storage"))
    }

    @Test func logFramesSurviveAnySplit() {
        let frames: [(UInt8, String)] = [(1, "first line\nsecond "), (2, "an error\n"), (1, "line\n"), (1, String(repeating: "x", count: 70_000) + "\n")]
        var stream = Data()
        for (kind, text) in frames {
            let payload = Data(text.utf8)
            let size = UInt32(payload.count)
            stream.append(contentsOf: [kind, 0, 0, 0, UInt8(size >> 24), UInt8((size >> 16) & 0xFF), UInt8((size >> 8) & 0xFF), UInt8(size & 0xFF)])
            stream.append(payload)
        }
        for pieceSize in [1, 3, 7, 8, 9, 1000, stream.count] {
            var demultiplexer = LogDemultiplexer()
            var splitter = LogLineSplitter()
            var lines: [LogLine] = []
            var offset = 0
            while offset < stream.count {
                let piece = stream[offset..<min(offset + pieceSize, stream.count)]
                for frame in demultiplexer.feed(Data(piece)) { lines += splitter.lines(from: frame) }
                offset += pieceSize
            }
            lines += splitter.flush()
            #expect(lines.map(\.text) == ["first line", "an error", "second line", String(repeating: "x", count: 70_000)], "piece size \(pieceSize)")
            #expect(lines.map(\.stream) == [.stdout, .stderr, .stdout, .stdout])
            #expect(demultiplexer.pendingByteCount == 0)
        }
    }

    @Test func onlyUnixHostsAreAccepted() throws {
        #expect(try DockerHost.resolve(flag: nil, environment: [:]).socketPath == "/var/run/docker.sock")
        #expect(try DockerHost.resolve(flag: nil, environment: ["DOCKER_HOST": "unix:///run/x.sock"]).socketPath == "/run/x.sock")
        #expect(try DockerHost.resolve(flag: "/tmp/d.sock", environment: ["DOCKER_HOST": "unix:///run/x.sock"]).socketPath == "/tmp/d.sock")
        let refused = try #require(throws: DockerHostError.self) { try DockerHost.resolve(flag: nil, environment: ["DOCKER_HOST": "tcp://10.0.0.1:2376"]) }
        #expect(refused.description.contains("tcp:// hosts are not supported"))
        #expect(refused.description.contains("DOCKER_HOST"))
        #expect(throws: DockerHostError.self) { try DockerHost.parse("unix://relative.sock", source: "--host") }
    }

    @Test func engineErrorsKnowWhatTheyMean() {
        let stale = EngineError(method: "POST", path: "/v1.41/services/x/update", status: 500, message: "rpc error: code = Unknown desc = update out of sequence")
        #expect(stale.isOutOfSequence)
        #expect(stale.description == "POST /v1.41/services/x/update: 500 rpc error: code = Unknown desc = update out of sequence")
        let worker = EngineError(method: "GET", path: "/v1.41/nodes", status: 503,
                                 message: "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.")
        #expect(worker.isNotManager)
    }

    @Test func aTransportFailureIsAnEngineErrorOfTheRightKind() {
        func kind(_ transport: TransportError.Kind) -> EngineError.Kind {
            EngineClient.engineError(TransportError(kind: transport, socketPath: "/run/docker.sock", detail: "x"), method: "GET", path: "/info").kind
        }
        #expect(kind(.connectionRefused) == .unreachable)
        #expect(kind(.socketMissing) == .unreachable)
        #expect(kind(.timedOut) == .unreachable)
        #expect(kind(.permissionDenied) == .refused, "permission denied is no outage: waiting does not help")
        #expect(kind(.cancelled) == .refused)
        let error = EngineClient.engineError(TransportError(kind: .permissionDenied, socketPath: "/run/docker.sock", detail: ""), method: "GET", path: "/info")
        #expect(error.status == nil)
        #expect(error.description == "permission denied on /run/docker.sock: run as root or as a member of the socket's group (usually docker)")
    }

    @Test func answersAreSortedIntoKinds() {
        #expect(EngineError(method: "GET", path: "/services/x", status: 404, message: "service x not found").kind == .notFound)
        #expect(EngineError(method: "POST", path: "/services/create", status: 409, message: "name conflicts").kind == .conflict)
        #expect(EngineError(method: "POST", path: "/services/x/update", status: 500, message: "rpc error: update out of sequence").kind == .conflict)
        #expect(EngineError(method: "GET", path: "/nodes", status: 500, message: "The swarm does not have a leader").kind == .transient)
        #expect(EngineError(method: "GET", path: "/nodes", status: 503, message: "This node is not a swarm manager.").kind == .transient)
        #expect(EngineError(method: "POST", path: "/services/create", status: 400, message: "invalid mount config").kind == .refused)
        #expect(EngineError(method: "POST", path: "/services/create", status: 500, message: "internal failure").kind == .refused)
    }
}
