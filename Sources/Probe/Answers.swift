import Foundation

/// What one probe request found.
public enum ProbeOutcome: Sendable, Equatable {
    /// Served: the answering task (when the server names it) and its version.
    case served(responder: String?, version: String?)
    /// Answered, but the service says it is not healthy (CheckHealth's isHealthy = false).
    case unhealthy(String)
    /// No usable answer: refused, reset, timed out, an HTTP or gRPC error.
    case failed(String)
}

/// The Milvus proxy's health call, `milvus.proto.milvus.MilvusService/CheckHealth`
/// (milvus-proto, milvus.proto: `CheckHealthRequest {}`; `CheckHealthResponse { common.Status
/// status = 1; bool isHealthy = 2; repeated string reasons = 3; ... }`), over gRPC's HTTP/2
/// mapping (grpc/grpc doc/PROTOCOL-HTTP2.md: 5-byte message prefix, grpc-status trailer).
public enum MilvusHealthCall {
    public static let path = "/milvus.proto.milvus.MilvusService/CheckHealth"
    /// An empty CheckHealthRequest: flag 0 (not compressed), length 0.
    public static let requestBody = Data([0, 0, 0, 0, 0])
    public static let headers = ["Content-Type": "application/grpc", "TE": "trailers"]

    /// Reads an answer: HTTP status, grpc-status (header or trailer) and the message.
    public static func outcome(status: Int, headers: [String: String], body: Data) -> ProbeOutcome {
        guard status == 200 else { return .failed("HTTP \(status)") }
        guard let grpcStatus = headers["grpc-status"] else { return .failed("no grpc-status in the answer") }
        guard grpcStatus == "0" else {
            return .failed("grpc-status \(grpcStatus)\(headers["grpc-message"].map { ": \($0)" } ?? "")")
        }
        let bytes = [UInt8](body)
        guard bytes.count >= 5 else { return .failed("an empty gRPC answer") }
        guard bytes[0] == 0 else { return .failed("a compressed gRPC answer (not asked for)") }
        let length = Int(bytes[1]) << 24 | Int(bytes[2]) << 16 | Int(bytes[3]) << 8 | Int(bytes[4])
        guard bytes.count >= 5 + length else { return .failed("a truncated gRPC answer (\(bytes.count - 5) of \(length) bytes)") }
        guard let message = ProtobufFields.decode(Array(bytes[5..<(5 + length)])) else { return .failed("an answer that is not protobuf") }
        let healthy = message.varints[2]?.last.map { $0 != 0 } ?? false
        if !healthy {
            let reasons = (message.strings[3] ?? []).joined(separator: "; ")
            return .unhealthy(reasons.isEmpty ? "isHealthy is false" : reasons)
        }
        return .served(responder: headers["standin-task"], version: headers["standin-version"])
    }
}

/// MinIO's cluster check through minio-lb: `GET /minio/health/cluster` answers 200 only while
/// the erasure set has write quorum, 503 otherwise (MinIO docs, "Healthcheck API").
public enum MinIOHealthCall {
    public static let path = "/minio/health/cluster"

    public static func outcome(status: Int) -> ProbeOutcome {
        switch status {
        case 200: return .served(responder: nil, version: nil)
        case 503: return .failed("MinIO write quorum lost (HTTP 503)")
        default: return .failed("HTTP \(status)")
        }
    }
}

/// The varint and length-delimited fields of a protobuf message, by field number.
struct ProtobufFields {
    var varints: [UInt64: [UInt64]] = [:]
    var strings: [UInt64: [String]] = [:]

    /// nil when the bytes are not a well-formed message.
    static func decode(_ bytes: [UInt8]) -> ProtobufFields? {
        var fields = ProtobufFields()
        var index = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while index < bytes.count {
            guard let key = varint() else { return nil }
            let field = key >> 3
            switch key & 7 {
            case 0:
                guard let value = varint() else { return nil }
                fields.varints[field, default: []].append(value)
            case 1:
                guard index + 8 <= bytes.count else { return nil }
                index += 8
            case 2:
                guard let length = varint(), length <= UInt64(bytes.count - index) else { return nil }
                let end = index + Int(length)
                fields.strings[field, default: []].append(String(decoding: bytes[index..<end], as: UTF8.self))
                index = end
            case 5:
                guard index + 4 <= bytes.count else { return nil }
                index += 4
            default:
                return nil
            }
        }
        return fields
    }
}
