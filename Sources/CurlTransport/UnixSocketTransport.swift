import CurlShim
import Foundation

/// HTTP/1.1 over a Unix socket with libcurl. Every transfer runs on a thread of its
/// own: `curl_easy_perform` blocks, and blocking Swift's cooperative pool (two
/// threads on this machine) would stall every other task.
public final class UnixSocketTransport: Sendable {
    public let socketPath: String
    /// This transport's transfers whose thread is still running; tests use it to prove nothing leaks.
    public let activeTransfers = Counter()

    public init(socketPath: String) {
        self.socketPath = socketPath
        _ = CurlGlobal.initialized
    }

    /// Checks the socket before the first request, so a missing socket or a
    /// permission problem gets a precise message instead of curl's generic one.
    public func checkSocket() throws {
        var info = stat()
        guard stat(socketPath, &info) == 0 else {
            throw TransportError(kind: errno == EACCES ? .permissionDenied : .socketMissing, socketPath: socketPath, detail: "")
        }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw TransportError(kind: .notASocket, socketPath: socketPath, detail: "")
        }
        guard access(socketPath, R_OK | W_OK) == 0 else {
            throw TransportError(kind: .permissionDenied, socketPath: socketPath, detail: "")
        }
    }

    /// One request, the whole body in memory.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await Transfer(request: request, endpoint: .unixSocket(socketPath), streaming: false, active: activeTransfers).response()
    }

    /// Starts a request and returns once the headers are in; the body follows as a stream.
    public func stream(_ request: HTTPRequest) async throws -> StreamingResponse {
        let transfer = Transfer(request: request, endpoint: .unixSocket(socketPath), streaming: true, active: activeTransfers)
        let (body, bodyContinuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        transfer.bodyContinuation = bodyContinuation
        bodyContinuation.onTermination = { _ in transfer.cancel() }
        return try await withTaskCancellationHandler {
            let head = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Int, [String: String]), any Error>) in
                transfer.onHead = { result in continuation.resume(with: result) }
                transfer.start()
            }
            return StreamingResponse(status: head.0, headers: head.1, body: body)
        } onCancel: {
            transfer.cancel()
        }
    }
}

/// A thread-safe count.
public final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    public init() {}

    public var value: Int { lock.withLock { count } }
    public func add(_ delta: Int) { lock.withLock { count += delta } }
}

enum CurlGlobal {
    /// `curl_global_init` is not thread-safe and must run once; a static let runs once.
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
}

/// One libcurl transfer and everything its C callbacks need. Its thread owns the
/// curl handle; other threads only set `cancelled`, which the progress callback reads.
final class Transfer: @unchecked Sendable {
    let request: HTTPRequest
    let endpoint: TransportEndpoint
    /// What errors name: the socket's path, or host:port.
    var socketPath: String { endpoint.name }
    let streaming: Bool
    let active: Counter

    // Set before start(), read on the transfer thread.
    var onComplete: ((Result<HTTPResponse, any Error>) -> Void)?
    var onHead: ((Result<(Int, [String: String]), any Error>) -> Void)?
    var bodyContinuation: AsyncThrowingStream<Data, any Error>.Continuation?

    // Touched only on the transfer thread.
    private var status = 0
    private var headers: [String: String] = [:]
    private var body = Data()
    private var headDelivered = false

    private let lock = NSLock()
    private var cancelledFlag = false

    init(request: HTTPRequest, endpoint: TransportEndpoint, streaming: Bool, active: Counter) {
        self.request = request
        self.endpoint = endpoint
        self.streaming = streaming
        self.active = active
    }

    var cancelled: Bool { lock.withLock { cancelledFlag } }

    /// Runs a whole-body transfer; cancelling the calling task aborts it.
    func response() async throws -> HTTPResponse {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                onComplete = { result in continuation.resume(with: result) }
                start()
            }
        } onCancel: {
            cancel()
        }
    }

    func cancel() { lock.withLock { cancelledFlag = true } }

    func start() {
        active.add(1)
        let thread = Thread { [self] in
            let result = self.perform()
            // Counted down before the result is delivered: whoever sees the result
            // sees this transfer gone.
            self.active.add(-1)
            self.finish(result)
        }
        thread.name = "swarmstage-curl"
        thread.stackSize = 512 * 1024
        thread.start()
    }

    private func perform() -> Result<HTTPResponse, any Error> {
        guard let handle = curl_easy_init() else {
            return .failure(TransportError(kind: .other, socketPath: socketPath, detail: "curl_easy_init failed"))
        }
        defer { curl_easy_cleanup(handle) }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        let context = Unmanaged.passUnretained(self).toOpaque()

        swarmstage_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        switch endpoint {
        case .unixSocket(let path):
            swarmstage_curl_set_string(handle, CURLOPT_UNIX_SOCKET_PATH, path)
            swarmstage_curl_set_string(handle, CURLOPT_URL, "http://localhost" + request.path)
            swarmstage_curl_set_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        case .tcp(let host, let port, let http2):
            swarmstage_curl_set_string(handle, CURLOPT_URL, "http://\(host):\(port)" + request.path)
            // gRPC is HTTP/2 over cleartext with prior knowledge (no upgrade round trip).
            swarmstage_curl_set_long(handle, CURLOPT_HTTP_VERSION, Int(http2 ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_1_1))
            // Only the address given: no proxy from the environment.
            swarmstage_curl_set_string(handle, CURLOPT_NOPROXY, "*")
        }
        swarmstage_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeoutMilliseconds))
        if let timeout = request.timeout {
            let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            swarmstage_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(max(milliseconds, 1)))
        }
        switch request.method {
        case .get: break
        case .head: swarmstage_curl_set_long(handle, CURLOPT_NOBODY, 1)
        default: swarmstage_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        var headerLines = request.headers.map { "\($0.key): \($0.value)" }
        // No "Expect: 100-continue" round trip for bodies.
        headerLines.append("Expect:")
        let bodyData = request.body ?? (request.method == .post ? Data() : nil)
        if bodyData != nil, request.headers["Content-Type"] == nil { headerLines.append("Content-Type: application/json") }
        for line in headerLines { headerList = curl_slist_append(headerList, line) }
        swarmstage_curl_set_slist(handle, CURLOPT_HTTPHEADER, headerList)

        swarmstage_curl_set_header_callback(handle, { data, size, count, context in
            guard let data, let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
        }, context)
        swarmstage_curl_set_write_callback(handle, { data, size, count, context in
            guard let data, let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
        }, context)
        swarmstage_curl_set_progress_callback(handle, { context, _, _, _, _ in
            guard let context else { return 1 }
            return Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().cancelled ? 1 : 0
        }, context)

        if let bodyData {
            swarmstage_curl_set_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyData.count))
            // COPYPOSTFIELDS: libcurl keeps its own copy, so no buffer has to outlive this call.
            let copied = bodyData.withUnsafeBytes { raw -> CURLcode in
                guard let base = raw.baseAddress else { return swarmstage_curl_set_string(handle, CURLOPT_COPYPOSTFIELDS, "") }
                return swarmstage_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base))
            }
            guard copied == CURLE_OK else {
                return .failure(TransportError(kind: .other, socketPath: socketPath, detail: "cannot set the request body"))
            }
        }
        let code = curl_easy_perform(handle)

        if code == CURLE_OK {
            return .success(HTTPResponse(status: status, headers: headers, body: body))
        }
        return .failure(error(for: code, errno: Int32(swarmstage_curl_os_errno(handle))))
    }

    private func error(for code: CURLcode, errno osErrno: Int32) -> TransportError {
        let text = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_ABORTED_BY_CALLBACK where cancelled:
            return TransportError(kind: .cancelled, socketPath: socketPath, detail: text)
        case CURLE_OPERATION_TIMEDOUT:
            return TransportError(kind: .timedOut, socketPath: socketPath, detail: text)
        case CURLE_COULDNT_CONNECT:
            switch osErrno {
            case ENOENT: return TransportError(kind: .socketMissing, socketPath: socketPath, detail: text)
            case EACCES, EPERM: return TransportError(kind: .permissionDenied, socketPath: socketPath, detail: text)
            case ECONNREFUSED: return TransportError(kind: .connectionRefused, socketPath: socketPath, detail: text)
            case ENOTSOCK: return TransportError(kind: .notASocket, socketPath: socketPath, detail: text)
            default: return TransportError(kind: .other, socketPath: socketPath, detail: "\(text) (errno \(osErrno))")
            }
        default:
            return TransportError(kind: .other, socketPath: socketPath, detail: text)
        }
    }

    private func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new response (after a 100 Continue, say): start over.
            let parts = line.split(separator: " ")
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = [:]
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        } else if line.isEmpty, status >= 200 {
            deliverHead()
        }
        return bytes.count
    }

    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if cancelled { return 0 }
        if streaming {
            deliverHead()
            bodyContinuation?.yield(Data(bytes))
        } else {
            body.append(contentsOf: bytes)
        }
        return bytes.count
    }

    private func deliverHead() {
        guard streaming, !headDelivered else { return }
        headDelivered = true
        onHead?(.success((status, headers)))
    }

    func finish(_ result: Result<HTTPResponse, any Error>) {
        if streaming {
            switch result {
            case .success(let response):
                if !headDelivered {
                    headDelivered = true
                    onHead?(.success((response.status, response.headers)))
                }
                bodyContinuation?.finish()
            case .failure(let failure):
                if !headDelivered {
                    headDelivered = true
                    onHead?(.failure(failure))
                }
                // A stream its reader cancelled ends quietly.
                if (failure as? TransportError)?.kind == .cancelled {
                    bodyContinuation?.finish()
                } else {
                    bodyContinuation?.finish(throwing: failure)
                }
            }
        } else {
            onComplete?(result)
        }
    }
}
