/// A value the Engine reports as a string from a set it may grow: known values are
/// named constants, unknown ones decode and compare as themselves (as moby's
/// `TaskState` is a string type with constants, not a closed enum).
public protocol OpenStringValue: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible where RawValue == String {
    init(rawValue: String)
}

extension OpenStringValue {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public init(from decoder: any Decoder) throws { self.init(rawValue: try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }
}

/// A task's state (moby `api/types/swarm/task.go`), observed or desired.
public struct TaskState: OpenStringValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let new: TaskState = "new"
    public static let allocated: TaskState = "allocated"
    public static let pending: TaskState = "pending"
    public static let assigned: TaskState = "assigned"
    public static let accepted: TaskState = "accepted"
    public static let preparing: TaskState = "preparing"
    public static let ready: TaskState = "ready"
    public static let starting: TaskState = "starting"
    public static let running: TaskState = "running"
    public static let complete: TaskState = "complete"
    public static let shutdown: TaskState = "shutdown"
    public static let failed: TaskState = "failed"
    public static let rejected: TaskState = "rejected"
    public static let remove: TaskState = "remove"
    public static let orphaned: TaskState = "orphaned"

    /// States a task never leaves; such a task holds no container and no network endpoint.
    public var isTerminal: Bool { Self.terminal.contains(self) }
    /// The task ended badly: counted as a failure of its service.
    public var isFailure: Bool { self == .failed || self == .rejected }
    /// Not yet placed on a node (where "no suitable node" is reported).
    public var isUnscheduled: Bool { self == .new || self == .pending }

    static let terminal: Set<TaskState> = [.complete, .shutdown, .failed, .rejected, .orphaned, .remove]
}

/// A node's state as the managers see it.
public struct NodeState: OpenStringValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let unknown: NodeState = "unknown"
    public static let down: NodeState = "down"
    public static let ready: NodeState = "ready"
    public static let disconnected: NodeState = "disconnected"

    /// A node in these states runs nothing new.
    public var isUnavailable: Bool { self != .ready }
}

/// Where a service's rolling update stands (`UpdateStatus.State`).
public struct UpdateState: OpenStringValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let updating: UpdateState = "updating"
    public static let paused: UpdateState = "paused"
    public static let completed: UpdateState = "completed"
    public static let rollbackStarted: UpdateState = "rollback_started"
    public static let rollbackPaused: UpdateState = "rollback_paused"
    public static let rollbackCompleted: UpdateState = "rollback_completed"

    /// The update stopped or went back: the new spec is not (fully) serving.
    public var isStoppedOrRolledBack: Bool { [.paused, .rollbackStarted, .rollbackPaused, .rollbackCompleted].contains(self) }
}

/// A node's role in the swarm.
public struct NodeRole: OpenStringValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let manager: NodeRole = "manager"
    public static let worker: NodeRole = "worker"
}

/// What a manager's Raft member looks like to the others.
public struct Reachability: OpenStringValue {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let unknown: Reachability = "unknown"
    public static let unreachable: Reachability = "unreachable"
    public static let reachable: Reachability = "reachable"
}
