import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scripted HTTP server on a Unix socket (or a loopback TCP port), for transport edge cases
/// only (split chunks, pauses, streams that never end). Features are proven against real daemons.
public final class FakeUnixServer: @unchecked Sendable {
    /// One piece of a response: bytes to write, then a pause.
    public struct Piece: Sendable {
        public var bytes: Data
        public var pauseMilliseconds: Int

        public init(_ text: String, pause: Int = 0) {
            bytes = Data(text.utf8)
            pauseMilliseconds = pause
        }

        public init(bytes: Data, pause: Int = 0) {
            self.bytes = bytes
            pauseMilliseconds = pause
        }
    }

    /// The Unix socket's path; empty when the server listens on loopback TCP.
    public let socketPath: String
    /// The loopback TCP port; 0 when the server listens on a Unix socket.
    public let port: Int
    private let listener: Int32
    private let respond: @Sendable (String) -> [Piece]
    private let lock = NSLock()
    private var stopped = false
    /// Request heads received, in order.
    private var heads: [String] = []

    /// `respond` gets the request head (request line and headers) and returns the pieces to send.
    /// With `onLoopbackTCP`, it listens on 127.0.0.1 at a port the kernel picks (see `port`).
    public init(onLoopbackTCP: Bool = false, respond: @escaping @Sendable (String) -> [Piece]) throws {
        self.respond = respond
        if onLoopbackTCP {
            socketPath = ""
            guard let (listener, port) = Self.boundLoopbackSocket(), listen(listener, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
            self.listener = listener
            self.port = port
        } else {
            socketPath = NSTemporaryDirectory() + "swarmstage-fake-\(UUID().uuidString.prefix(8)).sock"
            guard let listener = Self.boundSocket(at: socketPath), listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
            self.listener = listener
            port = 0
        }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// A Unix stream socket bound to `path` (not listening), or nil.
    public static func boundSocket(at path: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// A TCP socket bound to 127.0.0.1 on a free port (not listening), and that port; or nil.
    static func boundLoopbackSocket() -> (Int32, Int)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            return nil
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    public var requests: [String] { lock.withLock { heads } }

    public func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        if !socketPath.isEmpty { unlink(socketPath) }
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.range(of: Data("\r\n\r\n".utf8)) == nil {
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { return }
            received.append(contentsOf: buffer[0..<count])
        }
        let head = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        lock.withLock { heads.append(head) }
        for piece in respond(head) {
            if lock.withLock({ stopped }) { return }
            // MSG_NOSIGNAL: a client that hung up must not raise SIGPIPE in the test process.
            let written = piece.bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 { return }
            if piece.pauseMilliseconds > 0 { usleep(UInt32(piece.pauseMilliseconds) * 1000) }
        }
    }
}
