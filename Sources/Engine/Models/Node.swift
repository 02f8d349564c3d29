// Property names mirror the Engine's JSON (see README.md in this folder).

public struct SwarmNode: Codable, Sendable {
    public var ID: String
    public var Version: ObjectVersion
    public var Spec: NodeSpec
    public var Description: NodeDescription?
    public var Status: NodeStatus?
    public var ManagerStatus: ManagerStatus?

    public var hostname: String { Description?.Hostname ?? "" }
    public var isManager: Bool { Spec.Role == "manager" }
}

/// The whole of what `POST /nodes/{id}/update` takes; labels are replaced wholesale.
public struct NodeSpec: Codable, Sendable, Equatable {
    public var Name: String?
    public var Labels: [String: String]?
    /// `worker` or `manager`.
    public var Role: String?
    /// `active`, `pause` or `drain`.
    public var Availability: String?

    public init(Name: String? = nil, Labels: [String: String]? = nil, Role: String? = nil, Availability: String? = nil) {
        self.Name = Name
        self.Labels = Labels
        self.Role = Role
        self.Availability = Availability
    }
}

public struct NodeDescription: Codable, Sendable {
    public var Hostname: String?
    public var Resources: NodeResources?
}

public struct NodeResources: Codable, Sendable {
    public var NanoCPUs: Int64?
    public var MemoryBytes: Int64?
}

public struct NodeStatus: Codable, Sendable {
    /// `unknown`, `down`, `ready`, `disconnected`.
    public var State: String?
    public var Message: String?
    /// Reliable on workers; on managers it can read 0.0.0.0 or 127.0.0.1.
    public var Addr: String?
}

public struct ManagerStatus: Codable, Sendable {
    public var Leader: Bool?
    /// `unknown`, `unreachable`, `reachable`.
    public var Reachability: String?
    /// `host:port` of the Raft listener: the manager's reliable address.
    public var Addr: String?
}
