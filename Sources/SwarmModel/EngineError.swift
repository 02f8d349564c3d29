/// Something the Engine did not do: it could not be reached, or it answered with an error.
/// `kind` is what callers decide on, so nothing above the Engine client needs to know the
/// transport (curl) or read status codes.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// No answer at all: the socket is missing, refused or timed out (a daemon restarting).
        case unreachable
        /// An answer that says "not now": no Raft leader, the manager shutting down, 503.
        case transient
        /// An answer that says no to this request (a bad spec, not allowed, permission denied).
        case refused
        case notFound
        /// A name taken, an object in use, or a version that moved ("update out of sequence").
        case conflict
    }

    public var kind: Kind
    public var method: String
    public var path: String
    /// The HTTP status; nil when no answer came.
    public var status: Int?
    /// The daemon's own message, or what the transport said.
    public var message: String

    /// An HTTP answer with an error status; the kind follows from the status and message.
    public init(method: String, path: String, status: Int, message: String) {
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.kind = Self.kind(status: status, message: message)
    }

    /// No HTTP answer: the transport failed (`message` says why, for people).
    public init(unanswered method: String, path: String, kind: Kind, message: String) {
        self.method = method
        self.path = path
        self.status = nil
        self.message = message
        self.kind = kind
    }

    static func kind(status: Int, message: String) -> Kind {
        let lowered = message.lowercased()
        if lowered.contains("update out of sequence") { return .conflict }
        switch status {
        case 404: return .notFound
        case 409: return .conflict
        case 503: return .transient
        case 500...:
            let transient = ["leader", "unavailable", "connection", "not a swarm manager", "shutting down"]
            return transient.contains { lowered.contains($0) } ? .transient : .refused
        default: return .refused
        }
    }

    public var isNotFound: Bool { kind == .notFound }
    public var isConflict: Bool { kind == .conflict }
    /// The Engine went away for a while (a daemon restart, a leader election): wait and try again.
    public var isOutage: Bool { kind == .unreachable || kind == .transient }
    /// The object's version moved between read and write (task state changes bump
    /// a service's version too): read it again and retry.
    public var isOutOfSequence: Bool { message.contains("update out of sequence") }
    /// The daemon is not a Swarm manager (or not in a swarm).
    public var isNotManager: Bool {
        status == 503 && (message.contains("not a swarm manager") || message.contains("not part of a swarm"))
    }

    public var description: String {
        guard let status else { return message }
        return "\(method) \(path): \(status) \(message)"
    }
}

/// What swarmstage requires of the Engine and did not find.
public struct EngineRequirementError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
