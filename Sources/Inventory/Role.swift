/// What a host does in the Milvus topology. A host may have several roles.
public enum Role: String, CaseIterable, Sendable, Hashable, Comparable {
    case query, index, coord, etcd, zk, broker, bookie, minio, manager

    /// Roles whose hosts are told apart by a numbered label (`query1`, `minio3`, ...),
    /// because each of those hosts runs its own single-host service.
    public var isNumbered: Bool {
        switch self {
        case .query, .index, .etcd, .zk, .bookie, .minio: return true
        case .coord, .broker, .manager: return false
        }
    }

    /// The node label this role puts on a host (`coord=true`), or nil when the
    /// role is numbered (see `numberedLabel`) or is Swarm's own (`manager`).
    public var plainLabel: String? {
        switch self {
        case .coord, .broker: return rawValue
        default: return nil
        }
    }

    /// `query3` for the third query host.
    public func numberedLabel(_ number: Int) -> String { "\(rawValue)\(number)" }

    public var summary: String {
        switch self {
        case .query: return "Milvus query node"
        case .index: return "Milvus index node"
        case .coord: return "Milvus coordinators and data nodes"
        case .etcd: return "etcd member"
        case .zk: return "ZooKeeper server"
        case .broker: return "Pulsar broker"
        case .bookie: return "BookKeeper bookie"
        case .minio: return "MinIO server"
        case .manager: return "Swarm manager; proxies and load balancers"
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
