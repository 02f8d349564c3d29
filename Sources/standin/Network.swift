import Glibc

/// TCP servers and clients over IPv4, names resolved through glibc (Docker's embedded DNS).
enum Network {
    /// Listens on every address at `port`; each connection is handled on its own thread.
    static func serve(port: Int, _ handler: @escaping (Int32) -> Void) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 128) == 0 else {
            Log.error("standin: cannot listen on port \(port)")
            exit(1)
        }
        Shutdown.register(listener: listener)
        Threads.start {
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 {
                    // Closed by a graceful stop: no new connections from here on.
                    if errno == EBADF || errno == EINVAL { return }
                    continue
                }
                Threads.start { handler(connection) }
            }
        }
    }

    /// Connects within `timeout` seconds, or nil.
    static func connect(host: String, port: Int, timeout: Double = 1.0) -> Int32? {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else { return nil }
        defer { freeaddrinfo(results) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                let flags = fcntl(fd, F_GETFL, 0)
                _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
                let result = Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
                if result == 0 || errno == EINPROGRESS {
                    var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    if poll(&poller, 1, Int32(timeout * 1000)) == 1 {
                        var error: Int32 = 0
                        var length = socklen_t(MemoryLayout<Int32>.size)
                        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                        if error == 0 {
                            _ = fcntl(fd, F_SETFL, flags)
                            return fd
                        }
                    }
                }
                close(fd)
            }
            candidate = info.pointee.ai_next
        }
        return nil
    }

    /// Every IPv4 address `host` resolves to, sorted (so round-robin over them is stable), or [] .
    static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &results) == 0 else { return [] }
        defer { freeaddrinfo(results) }
        var addresses: Set<String> = []
        var candidate = results
        while let info = candidate {
            if let raw = info.pointee.ai_addr {
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var ip = address.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &ip, &text, socklen_t(INET_ADDRSTRLEN))
                }
                addresses.insert(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            candidate = info.pointee.ai_next
        }
        return addresses.sorted()
    }

    static func canReach(_ host: String, _ port: Int) -> Bool {
        guard let fd = connect(host: host, port: port) else { return false }
        close(fd)
        return true
    }

    static func send(_ fd: Int32, _ text: String) {
        send(fd, bytes: Array(text.utf8))
    }

    static func send(_ fd: Int32, bytes: [UInt8]) {
        var bytes = bytes
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }

    /// Reads until the peer closes, `limit` bytes, or `timeout` seconds.
    static func receive(_ fd: Int32, limit: Int = 65_536, timeout: Double = 2.0, until marker: String? = nil) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Clock.now() + timeout
        while bytes.count < limit {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = deadline - Clock.now()
            if remaining <= 0 || poll(&poller, 1, Int32(remaining * 1000)) != 1 { break }
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
            if let marker, String(decoding: bytes, as: UTF8.self).contains(marker) { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Copies bytes both ways until either side closes.
    static func pipe(_ a: Int32, _ b: Int32) {
        let done = Lock()
        var closed = false
        func pump(_ from: Int32, _ to: Int32) {
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = read(from, &buffer, buffer.count)
                if count <= 0 { break }
                var offset = 0
                while offset < count {
                    let written = buffer.withUnsafeBytes { write(to, $0.baseAddress! + offset, count - offset) }
                    if written <= 0 { break }
                    offset += written
                }
                if offset < count { break }
            }
            let first = done.run { () -> Bool in
                defer { closed = true }
                return !closed
            }
            shutdown(from, Int32(SHUT_RD))
            shutdown(to, Int32(SHUT_WR))
            if !first {
                close(a)
                close(b)
            }
        }
        Threads.start { pump(b, a) }
        pump(a, b)
    }
}

/// Just enough HTTP/1.0 for health endpoints.
enum HTTP {
    /// Serves GET requests: `respond(path)` returns status and body.
    static func serve(port: Int, _ respond: @escaping (String) -> (Int, String)) {
        Network.serve(port: port) { fd in
            defer { close(fd) }
            let request = Network.receive(fd, limit: 16_384, timeout: 5, until: "\r\n\r\n")
            let line = request.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
            let parts = line.split(separator: " ")
            let path = parts.count > 1 ? String(parts[1]) : "/"
            let (status, body) = respond(path)
            Network.send(fd, "HTTP/1.0 \(status) \(reason(status))\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        }
    }

    /// One request as the server read it.
    struct Request {
        var method: String
        var path: String
        var body: String
        /// Header fields by lower-cased name.
        var headers: [String: String] = [:]
    }

    /// Serves requests of any method with a body (`Content-Length`, up to 1 MiB): `respond`
    /// returns status and body.
    static func serveRequests(port: Int, _ respond: @escaping (Request) -> (Int, String)) {
        Network.serve(port: port) { fd in
            defer { close(fd) }
            let head = Network.receive(fd, limit: 16_384, timeout: 5, until: "\r\n\r\n")
            let parts = head.components(separatedByString: "\r\n\r\n")
            let lines = (parts.first ?? "").split(separator: "\r\n").map(String.init)
            let words = (lines.first ?? "").split(separator: " ").map(String.init)
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                let field = line.split(separator: ":", maxSplits: 1)
                if field.count == 2 { headers[field[0].lowercased()] = String(field[1]).trimmingSpaces() }
            }
            let length = headers["content-length"].flatMap { Int($0) } ?? 0
            var body = parts.dropFirst().joined(separator: "\r\n\r\n")
            if body.utf8.count < min(length, 1 << 20) {
                body += Network.receive(fd, limit: min(length, 1 << 20) - body.utf8.count, timeout: 5)
            }
            let request = Request(method: words.first ?? "GET", path: words.count > 1 ? words[1] : "/", body: body, headers: headers)
            let (status, answer) = respond(request)
            Network.send(fd, "HTTP/1.0 \(status) \(reason(status))\r\nContent-Type: text/plain\r\nContent-Length: \(answer.utf8.count)\r\n"
                + "Connection: close\r\n\r\n\(answer)")
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 404: return "Not Found"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        default: return "Service Unavailable"
        }
    }

    /// GET `url` (http://host:port/path); the status, or nil when nothing answered.
    static func get(_ url: String, timeout: Double = 2.0) -> (status: Int, body: String)? {
        request("GET", url, timeout: timeout)
    }

    /// `method` `url` with `body`; the status and body, or nil when nothing answered.
    static func request(_ method: String, _ url: String, body: String = "", headers: [String: String] = [:],
                        timeout: Double = 2.0) -> (status: Int, body: String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let hostPort = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostPort.count)
        let pieces = hostPort.split(separator: ":")
        let host = String(pieces.first ?? "localhost")
        let port = pieces.count > 1 ? Int(pieces[1]) ?? 80 : 80
        guard let fd = Network.connect(host: host, port: port, timeout: timeout) else { return nil }
        defer { close(fd) }
        let headerLines = headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\r\n" }.joined()
        Network.send(fd, "\(method) \(path.isEmpty ? "/" : String(path)) HTTP/1.0\r\nHost: \(hostPort)\r\n\(headerLines)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let response = Network.receive(fd, timeout: timeout)
        let statusLine = response.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, let status = Int(fields[1]) else { return nil }
        let body = response.components(separatedByString: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }
}

extension String {
    /// Foundation-free split on a multi-character separator.
    func components(separatedByString separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
