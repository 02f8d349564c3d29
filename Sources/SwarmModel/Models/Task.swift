// Property names mirror the Engine's JSON (see README.md in this folder).

public struct SwarmTask: Codable, Sendable {
    public var ID: String
    public var Version: ObjectVersion?
    public var CreatedAt: EngineTime?
    public var UpdatedAt: EngineTime?
    public var Labels: [String: String]?
    public var ServiceID: String
    public var Slot: Int?
    public var NodeID: String?
    public var Status: TaskStatus
    /// `running`, `shutdown`, `complete`, ...: what the orchestrator wants.
    public var DesiredState: TaskState
    public var Spec: TaskSpec?

    public init(ID: String, Version: ObjectVersion? = nil, CreatedAt: EngineTime? = nil, UpdatedAt: EngineTime? = nil,
                Labels: [String: String]? = nil, ServiceID: String, Slot: Int? = nil, NodeID: String? = nil, Status: TaskStatus,
                DesiredState: TaskState, Spec: TaskSpec? = nil) {
        self.ID = ID
        self.Version = Version
        self.CreatedAt = CreatedAt
        self.UpdatedAt = UpdatedAt
        self.Labels = Labels
        self.ServiceID = ServiceID
        self.Slot = Slot
        self.NodeID = NodeID
        self.Status = Status
        self.DesiredState = DesiredState
        self.Spec = Spec
    }
}

public struct TaskStatus: Codable, Sendable {
    /// RFC 3339 with nanoseconds: when the task reached `State`.
    public var Timestamp: EngineTime?
    public var State: TaskState
    public var Message: String?
    /// Why a task failed or cannot be scheduled ("no suitable node ...", "No such image").
    public var Err: String?
    public var ContainerStatus: ContainerStatus?

    public init(Timestamp: EngineTime? = nil, State: TaskState, Message: String? = nil, Err: String? = nil,
                ContainerStatus: ContainerStatus? = nil) {
        self.Timestamp = Timestamp
        self.State = State
        self.Message = Message
        self.Err = Err
        self.ContainerStatus = ContainerStatus
    }
}

public struct ContainerStatus: Codable, Sendable {
    public var ContainerID: String?
    public var PID: Int?
    public var ExitCode: Int?

    public init(ContainerID: String? = nil, PID: Int? = nil, ExitCode: Int? = nil) {
        self.ContainerID = ContainerID
        self.PID = PID
        self.ExitCode = ExitCode
    }
}
