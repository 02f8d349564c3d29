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
    public var SystemTime: String?
    public var Swarm: SwarmInfo?
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
}

/// Version of a Swarm object; updates must name the version they were based on.
public struct ObjectVersion: Codable, Sendable, Hashable {
    public var Index: UInt64
}

/// The body of create calls: `{"ID": "..."}`.
public struct CreatedObject: Codable, Sendable {
    public var ID: String
}
