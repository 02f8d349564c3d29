// Property names mirror the Engine's JSON (see README.md in this folder).

/// `GET /version`.
public struct EngineVersion: Codable, Sendable {
    public var Version: String?
    public var ApiVersion: String
    public var MinAPIVersion: String?
    public var Os: String?
}

/// `GET /info`, the parts about Swarm.
public struct SystemInfo: Codable, Sendable {
    public var Name: String?
    public var ServerVersion: String?
    /// The daemon's clock (RFC 3339): compare Engine timestamps with this, not with the local clock.
    public var SystemTime: EngineTime?
    public var Swarm: SwarmInfo?

    public init(Name: String? = nil, ServerVersion: String? = nil, SystemTime: EngineTime? = nil, Swarm: SwarmInfo? = nil) {
        self.Name = Name
        self.ServerVersion = ServerVersion
        self.SystemTime = SystemTime
        self.Swarm = Swarm
    }
}

public struct SwarmInfo: Codable, Sendable {
    /// `inactive`, `pending`, `active`, `error`, `locked`.
    public var LocalNodeState: String?
    /// True on managers: only they answer Swarm API calls.
    public var ControlAvailable: Bool?
    public var NodeID: String?
    public var NodeAddr: String?
    public var Managers: Int?
    public var Nodes: Int?

    public init(LocalNodeState: String? = nil, ControlAvailable: Bool? = nil, NodeID: String? = nil, NodeAddr: String? = nil,
                Managers: Int? = nil, Nodes: Int? = nil) {
        self.LocalNodeState = LocalNodeState
        self.ControlAvailable = ControlAvailable
        self.NodeID = NodeID
        self.NodeAddr = NodeAddr
        self.Managers = Managers
        self.Nodes = Nodes
    }
}

/// Version of a Swarm object; updates must name the version they were based on.
public struct ObjectVersion: Codable, Sendable, Hashable {
    public var Index: UInt64

    public init(Index: UInt64) { self.Index = Index }
}

/// The body of create calls: `{"ID": "..."}`.
public struct CreatedObject: Codable, Sendable {
    public var ID: String
}
