/// The rollout stages, in the one order every command uses: `generate` numbers the
/// files by it, `deploy` applies it front to back, `teardown` back to front.
public enum Stage: String, CaseIterable, Sendable, Hashable, Comparable {
    /// etcd, MinIO and its load balancer, and cAdvisor on every node.
    case storage
    /// ZooKeeper, the cluster metadata job, bookies, brokers and the Pulsar proxy.
    case pulsar
    /// Milvus coordinators, workers, proxies and the load balancer.
    case milvus

    /// 1-based position in the rollout.
    public var number: Int { Stage.allCases.firstIndex(of: self)! + 1 }

    /// The stack file's name inside the output folder: `1-storage.yml`.
    public var fileName: String { "\(number)-\(rawValue).yml" }

    public var title: String {
        switch self {
        case .storage: return "etcd and MinIO"
        case .pulsar: return "Pulsar"
        case .milvus: return "Milvus"
        }
    }

    public static func < (lhs: Stage, rhs: Stage) -> Bool { lhs.number < rhs.number }
}
