// Property names mirror the Engine's JSON (see README.md in this folder).

public struct SwarmNetwork: Codable, Sendable {
    public var Id: String
    public var Name: String
    public var Driver: String?
    public var Scope: String?
    public var Labels: [String: String]?
    /// Driver options (`encrypted` for an IPsec overlay).
    public var Options: [String: String]?

    public init(Id: String, Name: String, Driver: String? = nil, Scope: String? = nil, Labels: [String: String]? = nil,
                Options: [String: String]? = nil) {
        self.Id = Id
        self.Name = Name
        self.Driver = Driver
        self.Scope = Scope
        self.Labels = Labels
        self.Options = Options
    }

    /// Whether the overlay encrypts traffic between hosts (the option's presence counts, as in libnetwork).
    public var isEncrypted: Bool { Options?["encrypted"] != nil }
}

public struct NetworkCreateRequest: Codable, Sendable {
    public var Name: String
    public var Driver: String
    public var Attachable: Bool?
    public var Labels: [String: String]?
    public var CheckDuplicate: Bool?
    public var Options: [String: String]?

    public init(Name: String, Driver: String = "overlay", Attachable: Bool? = nil, Labels: [String: String]? = nil,
                Options: [String: String]? = nil) {
        self.Name = Name
        self.Driver = Driver
        self.Attachable = Attachable
        self.Labels = Labels
        self.CheckDuplicate = true
        self.Options = Options
    }
}

/// A Swarm config or secret as listed (the data itself is never read back).
public struct SwarmFileObject: Codable, Sendable {
    public struct Spec: Codable, Sendable {
        public var Name: String
        public var Labels: [String: String]?
        /// Base64; a config's when it is inspected one by one (`GET /configs/{id}`), never a secret's.
        public var Data: String?

        public init(Name: String, Labels: [String: String]? = nil, Data: String? = nil) {
            self.Name = Name
            self.Labels = Labels
            self.Data = Data
        }
    }

    public var ID: String
    public var Version: ObjectVersion?
    public var Spec: Spec

    public init(ID: String, Version: ObjectVersion? = nil, Spec: Spec) {
        self.ID = ID
        self.Version = Version
        self.Spec = Spec
    }
}

/// Body of `POST /configs/create` and `POST /secrets/create`: `Data` is base64.
public struct FileObjectCreateRequest: Codable, Sendable {
    public var Name: String
    public var Labels: [String: String]?
    public var Data: String

    public init(Name: String, Labels: [String: String]?, base64Data: String) {
        self.Name = Name
        self.Labels = Labels
        self.Data = base64Data
    }
}

/// One line of `GET /events`.
public struct EngineEvent: Codable, Sendable {
    public struct Actor: Codable, Sendable {
        public var ID: String?
        public var Attributes: [String: String]?
    }

    public var `Type`: String?
    public var Action: String?
    public var Actor: Actor?
    public var scope: String?
    public var time: Int64?
    public var timeNano: Int64?

    public init(Type: String? = nil, Action: String? = nil, Actor: Actor? = nil, scope: String? = nil, time: Int64? = nil,
                timeNano: Int64? = nil) {
        self.Type = Type
        self.Action = Action
        self.Actor = Actor
        self.scope = scope
        self.time = time
        self.timeNano = timeNano
    }
}
