// Property names mirror the Engine's JSON (see README.md in this folder).

public struct SwarmTask: Codable, Sendable {
    public var ID: String
    public var Version: ObjectVersion?
    public var CreatedAt: String?
    public var UpdatedAt: String?
    public var Labels: [String: String]?
    public var ServiceID: String
    public var Slot: Int?
    public var NodeID: String?
    public var Status: TaskStatus
    /// `running`, `shutdown`, `complete`, ...: what the orchestrator wants.
    public var DesiredState: String
    public var Spec: TaskSpec?
}

public struct TaskStatus: Codable, Sendable {
    /// RFC 3339 with nanoseconds: when the task reached `State`.
    public var Timestamp: String?
    /// `new` ... `pending`, `assigned`, `accepted`, `preparing`, `ready`, `starting`,
    /// `running`, `complete`, `shutdown`, `failed`, `rejected`, `remove`, `orphaned`.
    public var State: String
    public var Message: String?
    /// Why a task failed or cannot be scheduled ("no suitable node ...", "No such image").
    public var Err: String?
    public var ContainerStatus: ContainerStatus?
}

public struct ContainerStatus: Codable, Sendable {
    public var ContainerID: String?
    public var PID: Int?
    public var ExitCode: Int?
}
