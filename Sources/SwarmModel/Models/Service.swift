// Property names mirror the Engine's JSON (see README.md in this folder).

public struct SwarmService: Codable, Sendable {
    public var ID: String
    public var Version: ObjectVersion
    public var CreatedAt: EngineTime?
    public var UpdatedAt: EngineTime?
    public var Spec: ServiceSpec
    public var PreviousSpec: ServiceSpec?
    public var UpdateStatus: UpdateStatus?
    /// With `?status=true`.
    public var ServiceStatus: ServiceStatus?

    public init(ID: String, Version: ObjectVersion, CreatedAt: EngineTime? = nil, UpdatedAt: EngineTime? = nil, Spec: ServiceSpec,
                PreviousSpec: ServiceSpec? = nil, UpdateStatus: UpdateStatus? = nil, ServiceStatus: ServiceStatus? = nil) {
        self.ID = ID
        self.Version = Version
        self.CreatedAt = CreatedAt
        self.UpdatedAt = UpdatedAt
        self.Spec = Spec
        self.PreviousSpec = PreviousSpec
        self.UpdateStatus = UpdateStatus
        self.ServiceStatus = ServiceStatus
    }
}

public struct UpdateStatus: Codable, Sendable {
    public var State: UpdateState?
    public var StartedAt: EngineTime?
    public var CompletedAt: EngineTime?
    public var Message: String?

    public init(State: UpdateState? = nil, StartedAt: EngineTime? = nil, CompletedAt: EngineTime? = nil, Message: String? = nil) {
        self.State = State
        self.StartedAt = StartedAt
        self.CompletedAt = CompletedAt
        self.Message = Message
    }
}

public struct ServiceStatus: Codable, Sendable {
    public var RunningTasks: Int?
    public var DesiredTasks: Int?
    public var CompletedTasks: Int?

    public init(RunningTasks: Int? = nil, DesiredTasks: Int? = nil, CompletedTasks: Int? = nil) {
        self.RunningTasks = RunningTasks
        self.DesiredTasks = DesiredTasks
        self.CompletedTasks = CompletedTasks
    }
}

public struct ServiceSpec: Codable, Sendable, Equatable {
    public var Name: String
    public var Labels: [String: String]?
    public var TaskTemplate: TaskSpec
    public var Mode: ServiceMode?
    public var UpdateConfig: UpdateConfig?
    public var RollbackConfig: UpdateConfig?
    public var EndpointSpec: EndpointSpec?

    public init(Name: String, Labels: [String: String]? = nil, TaskTemplate: TaskSpec, Mode: ServiceMode? = nil,
                UpdateConfig: UpdateConfig? = nil, RollbackConfig: UpdateConfig? = nil, EndpointSpec: EndpointSpec? = nil) {
        self.Name = Name
        self.Labels = Labels
        self.TaskTemplate = TaskTemplate
        self.Mode = Mode
        self.UpdateConfig = UpdateConfig
        self.RollbackConfig = RollbackConfig
        self.EndpointSpec = EndpointSpec
    }
}

public struct TaskSpec: Codable, Sendable, Equatable {
    public var ContainerSpec: ContainerSpec?
    public var Resources: ResourceRequirements?
    public var RestartPolicy: RestartPolicy?
    public var Placement: Placement?
    public var Networks: [NetworkAttachment]?
    public var ForceUpdate: Int?

    public init(ContainerSpec: ContainerSpec? = nil, Resources: ResourceRequirements? = nil, RestartPolicy: RestartPolicy? = nil,
                Placement: Placement? = nil, Networks: [NetworkAttachment]? = nil, ForceUpdate: Int? = nil) {
        self.ContainerSpec = ContainerSpec
        self.Resources = Resources
        self.RestartPolicy = RestartPolicy
        self.Placement = Placement
        self.Networks = Networks
        self.ForceUpdate = ForceUpdate
    }
}

public struct ContainerSpec: Codable, Sendable, Equatable {
    public var Image: String?
    public var Labels: [String: String]?
    public var Command: [String]?
    public var Args: [String]?
    public var Hostname: String?
    public var Env: [String]?
    public var User: String?
    public var Mounts: [Mount]?
    /// Nanoseconds.
    public var StopGracePeriod: Int64?
    public var Healthcheck: HealthConfig?
    public var Configs: [ConfigReference]?
    public var Secrets: [SecretReference]?

    public init(Image: String? = nil, Labels: [String: String]? = nil, Command: [String]? = nil, Args: [String]? = nil,
                Hostname: String? = nil, Env: [String]? = nil, User: String? = nil, Mounts: [Mount]? = nil,
                StopGracePeriod: Int64? = nil, Healthcheck: HealthConfig? = nil, Configs: [ConfigReference]? = nil,
                Secrets: [SecretReference]? = nil) {
        self.Image = Image
        self.Labels = Labels
        self.Command = Command
        self.Args = Args
        self.Hostname = Hostname
        self.Env = Env
        self.User = User
        self.Mounts = Mounts
        self.StopGracePeriod = StopGracePeriod
        self.Healthcheck = Healthcheck
        self.Configs = Configs
        self.Secrets = Secrets
    }
}

public struct Mount: Codable, Sendable, Equatable {
    public var `Type`: String
    public var Source: String?
    public var Target: String
    public var ReadOnly: Bool?

    public init(Type: String, Source: String?, Target: String, ReadOnly: Bool? = nil) {
        self.Type = Type
        self.Source = Source
        self.Target = Target
        self.ReadOnly = ReadOnly
    }
}

/// The JSON key is `Healthcheck` (not the swagger's `HealthCheck`); durations in nanoseconds.
public struct HealthConfig: Codable, Sendable, Equatable {
    public var Test: [String]?
    public var Interval: Int64?
    public var Timeout: Int64?
    public var Retries: Int?
    public var StartPeriod: Int64?
    /// API 1.44+ (Engine 25): the check's cadence during `StartPeriod` until the first
    /// success. Older Engines do not keep it.
    public var StartInterval: Int64?

    public init(Test: [String]?, Interval: Int64? = nil, Timeout: Int64? = nil, Retries: Int? = nil, StartPeriod: Int64? = nil,
                StartInterval: Int64? = nil) {
        self.Test = Test
        self.Interval = Interval
        self.Timeout = Timeout
        self.Retries = Retries
        self.StartPeriod = StartPeriod
        self.StartInterval = StartInterval
    }
}

public struct FileTarget: Codable, Sendable, Equatable {
    public var Name: String
    public var UID: String
    public var GID: String
    public var Mode: UInt32

    public init(Name: String, UID: String = "0", GID: String = "0", Mode: UInt32 = 0o444) {
        self.Name = Name
        self.UID = UID
        self.GID = GID
        self.Mode = Mode
    }
}

public struct ConfigReference: Codable, Sendable, Equatable {
    public var File: FileTarget?
    public var ConfigID: String
    public var ConfigName: String

    public init(File: FileTarget?, ConfigID: String, ConfigName: String) {
        self.File = File
        self.ConfigID = ConfigID
        self.ConfigName = ConfigName
    }
}

public struct SecretReference: Codable, Sendable, Equatable {
    public var File: FileTarget?
    public var SecretID: String
    public var SecretName: String

    public init(File: FileTarget?, SecretID: String, SecretName: String) {
        self.File = File
        self.SecretID = SecretID
        self.SecretName = SecretName
    }
}

public struct ResourceRequirements: Codable, Sendable, Equatable {
    public var Limits: Resources?
    public var Reservations: Resources?

    public init(Limits: Resources? = nil, Reservations: Resources? = nil) {
        self.Limits = Limits
        self.Reservations = Reservations
    }
}

public struct Resources: Codable, Sendable, Equatable {
    public var NanoCPUs: Int64?
    public var MemoryBytes: Int64?

    public init(NanoCPUs: Int64? = nil, MemoryBytes: Int64? = nil) {
        self.NanoCPUs = NanoCPUs
        self.MemoryBytes = MemoryBytes
    }
}

public struct RestartPolicy: Codable, Sendable, Equatable {
    /// `none`, `on-failure`, `any`.
    public var Condition: String?
    public var Delay: Int64?
    public var MaxAttempts: UInt64?
    public var Window: Int64?

    public init(Condition: String? = nil, Delay: Int64? = nil, MaxAttempts: UInt64? = nil, Window: Int64? = nil) {
        self.Condition = Condition
        self.Delay = Delay
        self.MaxAttempts = MaxAttempts
        self.Window = Window
    }
}

public struct Placement: Codable, Sendable, Equatable {
    public var Constraints: [String]?
    public var MaxReplicas: UInt64?

    public init(Constraints: [String]? = nil, MaxReplicas: UInt64? = nil) {
        self.Constraints = Constraints
        self.MaxReplicas = MaxReplicas
    }
}

public struct NetworkAttachment: Codable, Sendable, Equatable {
    public var Target: String
    public var Aliases: [String]?

    public init(Target: String, Aliases: [String]? = nil) {
        self.Target = Target
        self.Aliases = Aliases
    }
}

public struct ServiceMode: Codable, Sendable, Equatable {
    public struct Replicated: Codable, Sendable, Equatable {
        public var Replicas: UInt64?
        public init(Replicas: UInt64?) { self.Replicas = Replicas }
    }

    public struct Global: Codable, Sendable, Equatable {
        public init() {}
    }

    public struct ReplicatedJob: Codable, Sendable, Equatable {
        public var MaxConcurrent: UInt64?
        public var TotalCompletions: UInt64?
        public init(MaxConcurrent: UInt64?, TotalCompletions: UInt64?) {
            self.MaxConcurrent = MaxConcurrent
            self.TotalCompletions = TotalCompletions
        }
    }

    /// One task on every node the placement allows, run once (API 1.41+).
    public struct GlobalJob: Codable, Sendable, Equatable {
        public init() {}
    }

    public var Replicated: Replicated?
    public var Global: Global?
    public var ReplicatedJob: ReplicatedJob?
    public var GlobalJob: GlobalJob?

    public init(Replicated: Replicated? = nil, Global: Global? = nil, ReplicatedJob: ReplicatedJob? = nil, GlobalJob: GlobalJob? = nil) {
        self.Replicated = Replicated
        self.Global = Global
        self.ReplicatedJob = ReplicatedJob
        self.GlobalJob = GlobalJob
    }
}

public struct UpdateConfig: Codable, Sendable, Equatable {
    public var Parallelism: UInt64?
    public var Delay: Int64?
    /// `continue`, `pause`, `rollback`.
    public var FailureAction: String?
    public var Monitor: Int64?
    public var MaxFailureRatio: Double?
    /// `stop-first`, `start-first`.
    public var Order: String?

    public init(Parallelism: UInt64? = nil, Delay: Int64? = nil, FailureAction: String? = nil, Monitor: Int64? = nil,
                MaxFailureRatio: Double? = nil, Order: String? = nil) {
        self.Parallelism = Parallelism
        self.Delay = Delay
        self.FailureAction = FailureAction
        self.Monitor = Monitor
        self.MaxFailureRatio = MaxFailureRatio
        self.Order = Order
    }
}

public struct EndpointSpec: Codable, Sendable, Equatable {
    /// `vip` or `dnsrr`.
    public var Mode: String?
    public var Ports: [PortConfig]?

    public init(Mode: String? = nil, Ports: [PortConfig]? = nil) {
        self.Mode = Mode
        self.Ports = Ports
    }
}

public struct PortConfig: Codable, Sendable, Equatable {
    public var `Protocol`: String?
    public var TargetPort: UInt32
    public var PublishedPort: UInt32?
    /// `ingress` or `host`.
    public var PublishMode: String?

    public init(Protocol: String? = "tcp", TargetPort: UInt32, PublishedPort: UInt32?, PublishMode: String?) {
        self.Protocol = Protocol
        self.TargetPort = TargetPort
        self.PublishedPort = PublishedPort
        self.PublishMode = PublishMode
    }
}
