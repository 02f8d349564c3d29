import Foundation
import Testing
@testable import Probe

/// Reading gRPC CheckHealth and MinIO answers, and the report's arithmetic and wording.
@Suite struct ProbeAnswerTests {
    /// A gRPC answer: 5-byte prefix and a CheckHealthResponse.
    static func grpc(_ message: [UInt8]) -> Data {
        let length = UInt32(message.count)
        return Data([0, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] + message)
    }

    @Test func aHealthyAnswerNamesTheTaskAndVersion() {
        // CheckHealthResponse { status: {} (field 1, empty), isHealthy: true (field 2) }
        let outcome = MilvusHealthCall.outcome(status: 200, headers: ["grpc-status": "0", "standin-task": "abc", "standin-version": "2.3.1"],
                                               body: Self.grpc([0x0A, 0x00, 0x10, 0x01]))
        #expect(outcome == .served(responder: "abc", version: "2.3.1"))
        // A real proxy names neither.
        #expect(MilvusHealthCall.outcome(status: 200, headers: ["grpc-status": "0"], body: Self.grpc([0x10, 0x01])) == .served(responder: nil, version: nil))
    }

    @Test func anUnhealthyAnswerGivesItsReasons() {
        let reasons: [UInt8] = [0x1A, 3] + Array("etc".utf8) + [0x1A, 2] + Array("mq".utf8)
        #expect(MilvusHealthCall.outcome(status: 200, headers: ["grpc-status": "0"], body: Self.grpc(reasons)) == .unhealthy("etc; mq"))
        // isHealthy absent is false in proto3.
        #expect(MilvusHealthCall.outcome(status: 200, headers: ["grpc-status": "0"], body: Self.grpc([])) == .unhealthy("isHealthy is false"))
    }

    @Test func brokenAnswersAreFailures() {
        let ok = Self.grpc([0x10, 0x01])
        #expect(MilvusHealthCall.outcome(status: 502, headers: [:], body: Data()) == .failed("HTTP 502"))
        #expect(MilvusHealthCall.outcome(status: 200, headers: [:], body: ok) == .failed("no grpc-status in the answer"))
        #expect(MilvusHealthCall.outcome(status: 200, headers: ["grpc-status": "14", "grpc-message": "unavailable"], body: Data())
            == .failed("grpc-status 14: unavailable"))
        #expect(MilvusHealthCall.outcome(status: 200, headers: ["grpc-status": "0"], body: Data([0, 0, 0])) == .failed("an empty gRPC answer"))
        #expect(MilvusHealthCall.outcome(status: 200, headers: ["grpc-status": "0"], body: Data([0, 0, 0, 0, 9, 0x10]))
            == .failed("a truncated gRPC answer (1 of 9 bytes)"))
        #expect(MilvusHealthCall.outcome(status: 200, headers: ["grpc-status": "0"], body: Self.grpc([0x10])) == .failed("an answer that is not protobuf"))
        #expect(MilvusHealthCall.outcome(status: 200, headers: ["grpc-status": "0"], body: Self.grpc([0x1A, 0x7F, 0x41])) == .failed("an answer that is not protobuf"))
    }

    @Test func minioWriteQuorumIsTheClusterCheck() {
        #expect(MinIOHealthCall.outcome(status: 200) == .served(responder: nil, version: nil))
        #expect(MinIOHealthCall.outcome(status: 503) == .failed("MinIO write quorum lost (HTTP 503)"))
        #expect(MinIOHealthCall.outcome(status: 404) == .failed("HTTP 404"))
    }

    @Test func theReportCountsEveryOutcomeAndTheLowestQuorum() {
        var report = ProbeReport()
        let milvus = ProbeTarget(kind: .milvus, host: "10.0.0.1", port: 19530)
        let minio = ProbeTarget(kind: .minio, host: "10.0.0.1", port: 9000)
        report.record(.served(responder: "a", version: "1"), target: milvus, at: 0.1)
        report.record(.served(responder: "b", version: "2"), target: milvus, at: 0.2)
        report.record(.served(responder: "a", version: "2"), target: milvus, at: 0.3)
        report.record(.unhealthy("etcd"), target: milvus, at: 0.4)
        report.record(.failed("connection refused"), target: minio, at: 0.5)
        report.record(.served(responder: nil, version: nil), target: minio, at: 0.6)
        report.sample(family: "etcd", up: 3, members: 3, needed: 2)
        report.sample(family: "etcd", up: 2, members: 3, needed: 2)
        report.sample(family: "etcd", up: 3, members: 3, needed: 2)
        report.sample(family: "minio", up: 2, members: 4, needed: 3)
        #expect(report.sent == 6)
        #expect(report.failed == 1 && report.unhealthy == 1)
        #expect(report.totals["milvus"]?.responders == ["a": 2, "b": 1])
        #expect(report.totals["milvus"]?.versions == ["1": 1, "2": 2])
        #expect(report.quorum.map(\.lowestUp) == [2, 2])
        #expect(report.quorumLost.map(\.family) == ["minio"])
        #expect(!report.isClean)
        #expect(report.failures.map(\.reason) == ["unhealthy: etcd", "connection refused"])
        let text = report.text
        #expect(text.contains("answered by 2 tasks (a 2, b 1)"), "\(text)")
        #expect(text.contains("etcd: at least 2 of 3 members up at every sample (quorum 2): quorum held"), "\(text)")
        #expect(text.contains("minio: at least 2 of 4 members up at every sample (quorum 3): QUORUM LOST"), "\(text)")
        #expect(text.contains("at 0.5 s, minio 10.0.0.1:9000: connection refused"), "\(text)")
    }

    @Test func onlyTheFirstFailuresAreKept() {
        var report = ProbeReport()
        let target = ProbeTarget(kind: .minio, host: "h", port: 1)
        for index in 0..<(ProbeReport.keptFailures + 7) { report.record(.failed("x"), target: target, at: Double(index)) }
        #expect(report.failures.count == ProbeReport.keptFailures)
        #expect(report.failed == ProbeReport.keptFailures + 7)
        #expect(report.text.hasSuffix("(7 more not shown)"))
    }
}
