/// The Engine answered with an error status.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public var method: String
    public var path: String
    public var status: Int
    /// The daemon's own message.
    public var message: String

    public init(method: String, path: String, status: Int, message: String) {
        self.method = method
        self.path = path
        self.status = status
        self.message = message
    }

    public var isNotFound: Bool { status == 404 }
    public var isConflict: Bool { status == 409 }
    /// The object's version moved between read and write (task state changes bump
    /// a service's version too): read it again and retry.
    public var isOutOfSequence: Bool { message.contains("update out of sequence") }
    /// The daemon is not a Swarm manager (or not in a swarm).
    public var isNotManager: Bool {
        status == 503 && (message.contains("not a swarm manager") || message.contains("not part of a swarm"))
    }

    public var description: String { "\(method) \(path): \(status) \(message)" }
}

/// What swarmstage requires of the Engine and did not find.
public struct EngineRequirementError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
