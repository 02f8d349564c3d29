import SwarmModel

/// One stack as the Engine will hold it: what `docker stack deploy` would create
/// from the same file, computed without talking to the Engine.
public struct StackSpec: Sendable {
    public var name: String
    public var networks: [NetworkSpec]
    public var configs: [FileObjectSpec]
    /// Secrets the services use; they must exist before the services (created by the deployer).
    public var secrets: [String]
    public var services: [ServiceSpec]

    public init(name: String, networks: [NetworkSpec], configs: [FileObjectSpec], secrets: [String], services: [ServiceSpec]) {
        self.name = name
        self.networks = networks
        self.configs = configs
        self.secrets = secrets
        self.services = services
    }

    public func service(named name: String) -> ServiceSpec? { services.first { $0.Name == name } }
}

public struct NetworkSpec: Sendable, Equatable {
    public var name: String
    /// Created by another stack (or by hand); this one only attaches to it.
    public var external: Bool
    public var labels: [String: String]
    public var attachable: Bool
    /// The overlay's `encrypted` driver option: IPsec between hosts.
    public var encrypted: Bool

    public init(name: String, external: Bool, labels: [String: String], attachable: Bool, encrypted: Bool = false) {
        self.name = name
        self.external = external
        self.labels = labels
        self.attachable = attachable
        self.encrypted = encrypted
    }
}

/// A config to create: name, labels, contents.
public struct FileObjectSpec: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var data: [UInt8]

    public init(name: String, labels: [String: String], data: [UInt8]) {
        self.name = name
        self.labels = labels
        self.data = data
    }
}
