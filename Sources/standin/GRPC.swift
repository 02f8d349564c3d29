import Glibc

/// Just enough HTTP/2 (RFC 9113, cleartext with prior knowledge, as gRPC clients and nginx's
/// `grpc_pass grpc://` speak it) and gRPC to answer unary calls: the Milvus proxy's
/// `milvus.proto.milvus.MilvusService/CheckHealth`, which `swarmstage probe` sends.
///
/// The stand-in does not decode HPACK; every call on the connection gets the same answer,
/// built by `respond` when the call's request ends. Response headers are written as HPACK
/// literals without indexing (RFC 7541 6.2.2), so no dynamic table is needed on either side.
enum GRPCServer {
    struct Answer {
        /// The protobuf-encoded response message.
        var message: [UInt8]
        /// Extra response headers (gRPC custom metadata), lower-case names.
        var metadata: [(String, String)] = []
        var grpcStatus = 0
    }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func serve(port: Int, respond: @escaping () -> Answer) {
        Network.serve(port: port) { fd in
            defer { close(fd) }
            var reader = FrameReader(fd: fd)
            guard reader.read(count: preface.count) == preface else { return }
            writeFrame(fd, type: 4, flags: 0, stream: 0, payload: [])  // our SETTINGS: defaults
            while let frame = reader.frame() {
                switch frame.type {
                case 4 where frame.flags & 0x1 == 0:  // SETTINGS from the client: acknowledge
                    writeFrame(fd, type: 4, flags: 0x1, stream: 0, payload: [])
                case 6 where frame.flags & 0x1 == 0:  // PING: answer with the same payload
                    writeFrame(fd, type: 6, flags: 0x1, stream: 0, payload: frame.payload)
                case 7:  // GOAWAY
                    return
                case 0 where frame.flags & 0x1 != 0, 1 where frame.flags & 0x1 != 0:  // DATA or HEADERS that end the request
                    answer(fd, stream: frame.stream, respond())
                default:
                    break  // WINDOW_UPDATE, PRIORITY, CONTINUATION, the rest of a request
                }
            }
        }
    }

    private static func answer(_ fd: Int32, stream: UInt32, _ answer: Answer) {
        var headers: [UInt8] = [0x88]  // :status 200 (static table index 8)
        headers += [0x0F, 0x10] + string("application/grpc")  // content-type (static index 31), literal value
        for (name, value) in answer.metadata { headers += [0x00] + string(name) + string(value) }
        writeFrame(fd, type: 1, flags: 0x4, stream: stream, payload: headers)
        let length = UInt32(answer.message.count)
        let message: [UInt8] = [0, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
            + answer.message
        writeFrame(fd, type: 0, flags: 0, stream: stream, payload: message)
        let trailers = [0x00] + string("grpc-status") + string(String(answer.grpcStatus))
        writeFrame(fd, type: 1, flags: 0x5, stream: stream, payload: trailers)  // END_HEADERS | END_STREAM
    }

    /// An HPACK string literal without Huffman coding (7-bit prefixed length).
    private static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return integer(bytes.count, prefixBits: 7) + bytes
    }

    private static func integer(_ value: Int, prefixBits: Int) -> [UInt8] {
        let limit = (1 << prefixBits) - 1
        if value < limit { return [UInt8(value)] }
        var rest = value - limit
        var bytes = [UInt8(limit)]
        while rest >= 128 {
            bytes.append(UInt8(rest % 128 + 128))
            rest /= 128
        }
        return bytes + [UInt8(rest)]
    }

    private static func writeFrame(_ fd: Int32, type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) {
        let length = payload.count
        let header: [UInt8] = [UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF), type, flags,
                               UInt8((stream >> 24) & 0x7F), UInt8((stream >> 16) & 0xFF), UInt8((stream >> 8) & 0xFF), UInt8(stream & 0xFF)]
        Network.send(fd, bytes: header + payload)
    }

    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]
    }

    /// Reads whole frames from a connection, waiting at most a minute for each.
    struct FrameReader {
        let fd: Int32
        private var buffer: [UInt8] = []

        init(fd: Int32) { self.fd = fd }

        mutating func read(count: Int) -> [UInt8]? {
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while buffer.count < count {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 60_000) == 1 else { return nil }
                let received = Glibc.read(fd, &chunk, chunk.count)
                guard received > 0 else { return nil }
                buffer += chunk[0..<received]
            }
            let bytes = Array(buffer[0..<count])
            buffer.removeFirst(count)
            return bytes
        }

        mutating func frame() -> Frame? {
            guard let header = read(count: 9) else { return nil }
            let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
            let stream = (UInt32(header[5]) & 0x7F) << 24 | UInt32(header[6]) << 16 | UInt32(header[7]) << 8 | UInt32(header[8])
            guard length <= 1 << 24, let payload = read(count: length) else { return nil }
            return Frame(type: header[3], flags: header[4], stream: stream, payload: payload)
        }
    }
}

/// Protobuf wire format (varint, length-delimited) for the few messages the stand-ins answer.
enum Protobuf {
    static func varint(_ value: UInt64) -> [UInt8] {
        var rest = value
        var bytes: [UInt8] = []
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        return bytes + [UInt8(rest)]
    }

    static func bool(field: UInt64, _ value: Bool) -> [UInt8] {
        value ? varint(field << 3) + [1] : []
    }

    static func string(field: UInt64, _ value: String) -> [UInt8] {
        let bytes = Array(value.utf8)
        return varint(field << 3 | 2) + varint(UInt64(bytes.count)) + bytes
    }
}
