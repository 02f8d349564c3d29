import Compose
import Inventory
import SwarmModel

/// What the blueprint makes of an inventory: one stack per stage, in rollout order.
public struct Blueprint: Sendable {
    public var inventory: Inventory
    public var stacks: [StackPlan]

    public func stack(_ stage: Stage) -> StackPlan? { stacks.first { $0.stage == stage } }

    /// Every service of every stage with the hosts it may run on.
    public var services: [PlannedService] { stacks.flatMap(\.services) }

    /// The secrets the deployer must create before the first stage, with what they hold.
    public var secrets: [SecretSpec]
}

/// One stage's stack: the compose file and the config files it references.
public struct StackPlan: Sendable {
    public var stage: Stage
    public var stackName: String
    public var compose: ComposeFile
    /// Config files, paths relative to the stack file's folder (`configs/milvus.yaml`).
    public var configFiles: [GeneratedFile]
    public var services: [PlannedService]
}

/// A service as planned: its compose form, what it is, and where it may run.
public struct PlannedService: Sendable {
    public var stage: Stage
    public var component: Component
    public var service: Service
    /// Where it may run, typed; `service.deploy.constraints` is their text.
    public var constraints: [PlacementConstraint]
    /// Hosts whose nodes satisfy every placement constraint.
    public var eligibleHosts: [Host]
    /// One task that may run on exactly one host (etcd2, querynode3, broker1, ...).
    public var isSingleHost: Bool { service.deploy.mode != .global && eligibleHosts.count == 1 && service.deploy.replicas == 1 }
}

/// What a service is, independent of its instance number; groups services in reports.
public enum Component: String, CaseIterable, Sendable, Hashable {
    case etcd, etcdQuorum = "etcd-quorum", minio, minioLB = "minio-lb", cadvisor
    case zookeeper, pulsarInit = "pulsar-init", bookie, broker, pulsarProxy = "pulsar-proxy"
    case rootcoord, datacoord, querycoord, datanode, querynode, indexnode, proxy, milvusLB = "milvus-lb"

    /// The service label that names a service's component.
    public static let label = "io.swarmstage.component"

    /// How many of `members` a quorum tier needs up: a majority (etcd and ZooKeeper's quorum;
    /// MinIO's write quorum with its default parity).
    public static func majority(of members: Int) -> Int { members / 2 + 1 }

    /// How losing instances of a component affects the cluster.
    public enum Availability: Sendable {
        /// Needs a majority of its members (etcd, ZooKeeper) or, for MinIO's erasure coding, more than half.
        case quorum
        /// One instance is enough to serve: losing some is degraded, losing all is failed.
        case redundant
        /// Observability only: never more than degraded.
        case monitoring
        /// A one-shot job that has done its work; its absence is degraded, not failed.
        case oneShot
        /// A single instance the cluster needs (the Milvus coordinators): down is failed.
        case essential
    }

    public var availability: Availability {
        switch self {
        case .etcd, .zookeeper, .minio: return .quorum
        case .querynode, .indexnode, .datanode, .broker, .bookie, .proxy, .pulsarProxy, .minioLB, .milvusLB: return .redundant
        case .cadvisor: return .monitoring
        case .etcdQuorum, .pulsarInit: return .oneShot
        case .rootcoord, .datacoord, .querycoord: return .essential
        }
    }

    /// Components that must never have two instances on one host.
    public var isSpreadOnePerHost: Bool {
        switch self {
        case .etcd, .minio, .zookeeper, .bookie, .broker, .datanode, .querynode, .indexnode: return true
        default: return false
        }
    }
}

/// A file the generator writes next to the stack files.
public struct GeneratedFile: Sendable, Equatable {
    public var path: String
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}

/// A Docker secret the stacks reference. Its value never passes through generated
/// files: the deployer builds it from the operator's environment at deploy time.
public struct SecretSpec: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        /// The value of `MINIO_ROOT_USER`.
        case minioRootUser
        /// The value of `MINIO_ROOT_PASSWORD`.
        case minioRootPassword
        /// A Milvus `user.yaml` carrying the MinIO access key and secret key.
        case milvusMinioCredentials
    }

    public var key: String
    public var name: String
    public var content: Content

    public init(key: String, name: String, content: Content) {
        self.key = key
        self.name = name
        self.content = content
    }
}
