// Property names mirror the Engine's JSON (see README.md in this folder).

public struct SwarmNode: Codable, Sendable {
    public var ID: String
    public var Version: ObjectVersion
    public var Spec: NodeSpec
    public var Description: NodeDescription?
    public var Status: NodeStatus?
    public var ManagerStatus: ManagerStatus?

    public init(ID: String, Version: ObjectVersion, Spec: NodeSpec, Description: NodeDescription? = nil, Status: NodeStatus? = nil,
                ManagerStatus: ManagerStatus? = nil) {
        self.ID = ID
        self.Version = Version
        self.Spec = Spec
        self.Description = Description
        self.Status = Status
        self.ManagerStatus = ManagerStatus
    }

    public var hostname: String { Description?.Hostname ?? "" }
    public var isManager: Bool { Spec.Role == .manager }
    /// Down, disconnected or unknown when the managers did not say.
    public var state: NodeState { Status?.State ?? .unknown }
}

/// The whole of what `POST /nodes/{id}/update` takes; labels are replaced wholesale.
public struct NodeSpec: Codable, Sendable, Equatable {
    public var Name: String?
    public var Labels: [String: String]?
    public var Role: NodeRole?
    /// `active`, `pause` or `drain`.
    public var Availability: String?

    public init(Name: String? = nil, Labels: [String: String]? = nil, Role: NodeRole? = nil, Availability: String? = nil) {
        self.Name = Name
        self.Labels = Labels
        self.Role = Role
        self.Availability = Availability
    }
}

public struct NodeDescription: Codable, Sendable {
    public var Hostname: String?
    public var Resources: NodeResources?

    public init(Hostname: String? = nil, Resources: NodeResources? = nil) {
        self.Hostname = Hostname
        self.Resources = Resources
    }
}

public struct NodeResources: Codable, Sendable {
    public var NanoCPUs: Int64?
    public var MemoryBytes: Int64?

    public init(NanoCPUs: Int64? = nil, MemoryBytes: Int64? = nil) {
        self.NanoCPUs = NanoCPUs
        self.MemoryBytes = MemoryBytes
    }
}

public struct NodeStatus: Codable, Sendable {
    public var State: NodeState?
    public var Message: String?
    /// Reliable on workers; on managers it can read 0.0.0.0 or 127.0.0.1.
    public var Addr: String?

    public init(State: NodeState? = nil, Message: String? = nil, Addr: String? = nil) {
        self.State = State
        self.Message = Message
        self.Addr = Addr
    }
}

public struct ManagerStatus: Codable, Sendable {
    public var Leader: Bool?
    public var Reachability: Reachability?
    /// `host:port` of the Raft listener: the manager's reliable address.
    public var Addr: String?

    public init(Leader: Bool? = nil, Reachability: Reachability? = nil, Addr: String? = nil) {
        self.Leader = Leader
        self.Reachability = Reachability
        self.Addr = Addr
    }
}
