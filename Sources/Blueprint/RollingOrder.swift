import Inventory

/// The order in which a running stage's services are changed, one service at a time, each
/// healthy before the next (`DeployPlanner`). Creating a stage from nothing is not ordered:
/// everything starts at once and the stage's gate waits.
///
/// - storage: etcd members one at a time (the others keep the quorum), then MinIO servers one
///   at a time (erasure coding tolerates one server down), then the balancer.
/// - pulsar: ZooKeeper members one at a time (a majority stays), the metadata job, bookies one at
///   a time (never fewer writable bookies than the ensemble: needs more bookies than the
///   ensemble, see DAY2-NOTES), brokers one at a time, then the proxy.
/// - milvus: the order milvus-operator uses for 2.3 (zilliztech/milvus-operator,
///   pkg/controllers/dependency_graph.go; maintainers in milvus-io/milvus#27896): index nodes,
///   root, data and query coordinators, query nodes, data nodes, proxy; then the balancer.
/// Within a component, members go in the stack file's order (etcd1, etcd2, ...).
public enum RollingOrder {
    public static let table: [Stage: [Component]] = [
        .storage: [.etcd, .etcdQuorum, .minio, .minioLB, .cadvisor],
        .pulsar: [.zookeeper, .pulsarInit, .bookie, .broker, .pulsarProxy],
        .milvus: [.indexnode, .rootcoord, .datacoord, .querycoord, .querynode, .datanode, .proxy, .milvusLB],
    ]

    /// Where a component's services go in its stage's rolling order; unknown ones go last.
    public static func rank(_ component: Component?, in stage: Stage) -> Int {
        let order = table[stage] ?? []
        return component.flatMap { order.firstIndex(of: $0) } ?? order.count
    }
}
