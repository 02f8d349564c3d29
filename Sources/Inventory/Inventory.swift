import Foundation
import YAMLSource

/// A validated inventory: the hosts of one Milvus cluster and its cluster-wide settings.
/// Only `InventoryLoader` makes one, so every value here has passed validation.
public struct Inventory: Sendable {
    /// The path the inventory was read from, as given by the user.
    public var file: String
    public var cluster: ClusterSettings
    public var images: ImageMap
    /// Hosts in file order.
    public var hosts: [Host]

    public init(file: String, cluster: ClusterSettings, images: ImageMap, hosts: [Host]) {
        self.file = file
        self.cluster = cluster
        self.images = images
        self.hosts = hosts
    }

    /// Hosts that have `role`, ordered by their role number (numbered roles) or file order.
    public func hosts(with role: Role) -> [Host] {
        let matching = hosts.filter { $0.roles.contains(role) }
        guard role.isNumbered else { return matching }
        return matching.sorted { ($0.roleNumbers[role] ?? 0) < ($1.roleNumbers[role] ?? 0) }
    }

    public func host(named name: String) -> Host? {
        hosts.first { $0.name == name }
    }
}

/// Settings that apply to the whole cluster.
public struct ClusterSettings: Sendable, Hashable {
    /// Names the cluster; prefixes Swarm config and secret names.
    public var name: String
    /// Where every host keeps persistent data (the seed's data disk).
    public var dataRoot: String
    /// The overlay network all three stacks share, so services find each other by name.
    public var network: String
    /// The Pulsar cluster name written by the metadata job.
    public var pulsarCluster: String
    /// Stack names per stage.
    public var stackNames: [Stage: String]
    public var bookkeeper: BookKeeperQuorum
    /// Endpoints besides Milvus's client port that are published on the managers (`expose:`).
    public var exposed: Set<ExposedEndpoint> = []
    /// Milvus checks users and privileges (`common.security.authorizationEnabled`); on unless
    /// the inventory turns it off (`security: {milvus_authorization: false}`).
    public var milvusAuthorization = true
    /// The shared overlay network encrypts its traffic between hosts (IPsec, `encrypted` driver option).
    public var encryptedNetwork = false
    /// How long Swarm watches each replaced task for a failure before it counts the service's
    /// update (or rollback) done (`update_config.monitor`, `update_monitor:`); every rolling step
    /// waits this long after its task runs, so it sets the pace of a day-2 change.
    public var updateMonitorSeconds = ClusterSettings.defaultUpdateMonitorSeconds

    public static let defaultUpdateMonitorSeconds = 15
    /// The range `update_monitor:` accepts: a task must be watched at least a second, and a
    /// step that waits more than ten minutes per service is a mistake, not a policy.
    public static let updateMonitorRange = 1...600
    /// Milvus's `common.session.ttl` in seconds (`milvus_session_ttl:`): the lease that keeps a
    /// role's session in etcd, and so how long a stopped coordinator's session outlives it (deploy
    /// waits that long before the coordinator starts again). Milvus's default is 30.
    public var milvusSessionTTLSeconds = ClusterSettings.defaultMilvusSessionTTLSeconds

    public static let defaultMilvusSessionTTLSeconds = 30
    /// Below 5 s a busy etcd (a slow fsync) lets a healthy role's lease lapse; above ten minutes a
    /// coordinator's restart waits longer than an operator would.
    public static let milvusSessionTTLRange = 5...600

    public static let defaultDataRoot = "/mnt/data"

    public func stackName(for stage: Stage) -> String {
        stackNames[stage] ?? "\(name)-\(stage.rawValue)"
    }
}

/// An endpoint that stays on the overlay network unless the inventory's `expose:` names it.
/// Swarm publishes a port on every address of every node that runs the task, so each one
/// published is reachable by anyone who reaches a manager.
public enum ExposedEndpoint: String, CaseIterable, Sendable, Hashable, Comparable {
    /// MinIO's S3 API (minio-lb :9000).
    case minio
    /// MinIO's web console (minio-lb :9090).
    case minioConsole = "minio-console"
    /// The Pulsar binary protocol (pulsar-proxy :6650).
    case pulsar
    /// Pulsar's admin REST API (pulsar-proxy :8080): whoever reaches it can delete topics.
    case pulsarAdmin = "pulsar-admin"

    public var port: Int {
        switch self {
        case .minio: return 9000
        case .minioConsole: return 9090
        case .pulsar: return 6650
        case .pulsarAdmin: return 8080
        }
    }

    public static func < (lhs: ExposedEndpoint, rhs: ExposedEndpoint) -> Bool { lhs.port < rhs.port }
}

/// How many bookies each ledger is spread over and must acknowledge.
public struct BookKeeperQuorum: Sendable, Hashable {
    public var ensemble: Int
    public var writeQuorum: Int
    public var ackQuorum: Int

    /// The seed's plan: 2/2/2 over three bookies.
    public static let standard = BookKeeperQuorum(ensemble: 2, writeQuorum: 2, ackQuorum: 2)
}

/// One machine of the cluster.
public struct Host: Sendable, Hashable {
    /// The machine's hostname; matched against the Swarm node's hostname.
    public var name: String
    /// IPv4 address, cross-checked against the Swarm node's address.
    public var address: String
    /// Roles in the order the inventory lists them, without duplicates.
    public var roles: [Role]
    public var size: HostSize
    /// The Swarm node ID, when the operator pins the host to one.
    public var nodeID: String?
    /// For numbered roles, this host's number (`etcd: 2` for the host labelled etcd2).
    public var roleNumbers: [Role: Int]
    /// Every label swarmstage manages on this host's node: derived from roles plus
    /// the ones the inventory lists.
    public var labels: [String: String]
    public var location: SourceLocation
    /// The MinIO server pool this host's server belongs to (`minio_pool:`, 1 unless given);
    /// nil for a host without the role minio.
    public var minioPool: Int?

    public init(name: String, address: String, roles: [Role], size: HostSize, nodeID: String?, roleNumbers: [Role: Int],
                labels: [String: String], location: SourceLocation, minioPool: Int? = nil) {
        self.name = name
        self.address = address
        self.roles = roles
        self.size = size
        self.nodeID = nodeID
        self.roleNumbers = roleNumbers
        self.labels = labels
        self.location = location
        self.minioPool = minioPool ?? (roles.contains(.minio) ? 1 : nil)
    }

    public func has(_ role: Role) -> Bool { roles.contains(role) }
}

/// CPU and memory of a host, used to size service limits.
public struct HostSize: Sendable, Hashable {
    /// What a host can be: enough for the smallest service limits, and small enough that no
    /// arithmetic on it overflows (the largest machines have about a thousand CPUs).
    public static let cpuRange: ClosedRange<Double> = 0.1...4096
    public static let memoryRange: ClosedRange<Int64> = (256 << 20)...(1 << 50)

    public var cpus: Double
    public var memory: ByteSize
    /// Size of the data disk at the data root, informational.
    public var dataDisk: ByteSize?

    public init(cpus: Double, memory: ByteSize, dataDisk: ByteSize? = nil) {
        self.cpus = cpus
        self.memory = memory
        self.dataDisk = dataDisk
    }
}

/// A byte count written with binary units (`64GiB`, `64G`, `512M`): operators
/// say GB for RAM and mean GiB, so the decimal spellings are read as binary too.
public struct ByteSize: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var bytes: Int64

    public init(bytes: Int64) { self.bytes = bytes }

    public static func mebibytes(_ count: Int64) -> ByteSize { ByteSize(bytes: count << 20) }
    public static func gibibytes(_ count: Int64) -> ByteSize { ByteSize(bytes: count << 30) }

    public var mebibytes: Int64 { bytes >> 20 }

    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber }
        guard !digits.isEmpty, let value = Int64(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let shift: Int64
        switch unit {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        case "t", "tb", "tib": shift = 40
        default: return nil
        }
        guard value <= (Int64.max >> shift) else { return nil }
        bytes = value << shift
    }

    public var description: String {
        if bytes % (1 << 30) == 0 { return "\(bytes >> 30)GiB" }
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20)MiB" }
        return "\(bytes)B"
    }

    public static func < (lhs: ByteSize, rhs: ByteSize) -> Bool { lhs.bytes < rhs.bytes }
}

/// Problems found in an inventory, each with its file, line and column.
public typealias InventoryError = InputError
