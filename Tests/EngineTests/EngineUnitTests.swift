import Engine
import Foundation
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
}
