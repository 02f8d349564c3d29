import Foundation

/// Where a transfer goes: a Unix socket (the Docker Engine), or a TCP address (a service's
/// published port), optionally HTTP/2 with prior knowledge as gRPC speaks it.
enum TransportEndpoint: Sendable {
    case unixSocket(String)
    case tcp(host: String, port: Int, http2: Bool)

    var name: String {
        switch self {
        case .unixSocket(let path): return path
        case .tcp(let host, let port, _): return "\(host):\(port)"
        }
    }
}

/// HTTP/1.1 or HTTP/2 (cleartext, prior knowledge) to one TCP address, a new connection per
/// request, so each request is routed afresh (as a load balancer sees new clients).
public final class TCPTransport: Sendable {
    public let host: String
    public let port: Int
    public let http2: Bool
    public let activeTransfers = Counter()

    public init(host: String, port: Int, http2: Bool) {
        self.host = host
        self.port = port
        self.http2 = http2
        _ = CurlGlobal.initialized
    }

    /// One request; trailers (gRPC's grpc-status) arrive among the response's headers.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await Transfer(request: request, endpoint: .tcp(host: host, port: port, http2: http2), streaming: false, active: activeTransfers)
            .response()
    }
}
