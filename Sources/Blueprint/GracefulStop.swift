import Inventory

/// How long each component may take to stop, and what a restart must wait for: one table, so
/// the stack files (stop_grace_period), milvus.yaml (the servers' own stop deadlines) and the
/// deployer (the pause before a coordinator starts again) agree.
///
/// Swarm sends SIGTERM, waits the service's stop_grace_period (default 10 s), then SIGKILL.
/// Every server is given longer than its own graceful-stop deadline, so it exits by itself.
public enum GracefulStop {
    /// Milvus `common.gracefulStopTimeout` (seconds), written into milvus.yaml: after it a Milvus
    /// role quits even if its graceful stop has not finished (Milvus 2.3.7+, milvus.yaml).
    public static let milvusStopTimeout = 30
    /// Milvus `queryNode.gracefulStopTimeout`: a query node hands its segments to the other query
    /// nodes before it exits; maintainers suggest a long grace (milvus#24272) and master raised it
    /// to 900 s (milvus#30317). 100 s covers the reference's collections; raise both together.
    public static let queryNodeStopTimeout = 100
    /// Milvus `common.session.ttl`: the lease of a role's session in etcd. A coordinator that
    /// starts while its predecessor's session lives on cannot register (fixed in 2.3.3 by
    /// deleting the old session, milvus#28205); milvus-operator waits about a minute after
    /// stopping a coordinator (pkg/controllers/milvusupgrade_fsm.go).
    /// (The default: the inventory's `milvus_session_ttl:` sets it, `ClusterSettings`.)
    public static let milvusSessionTTL = ClusterSettings.defaultMilvusSessionTTLSeconds
    /// The coordinators' service label with the session TTL (seconds) their milvus.yaml gives:
    /// deploy waits what the running coordinator's label says (its process holds that lease), or
    /// `milvusSessionTTL` for one deployed without the label.
    public static let sessionTTLLabel = "io.swarmstage.session-ttl"

    /// Seconds a stopped instance of `service` keeps its session: its label, else its component's
    /// default. A label is read within the range the inventory's key allows (5 s to 10 min): one
    /// edited by hand to a day does not hold a deploy for a day, and one that is not a whole
    /// positive number of seconds counts as missing.
    public static func sessionExpirySeconds(of labels: [String: String]?, component: Component) -> Int? {
        guard let fallback = component.sessionExpirySeconds else { return nil }
        guard let label = labels?[sessionTTLLabel], let seconds = Int(label), seconds > 0 else { return fallback }
        let range = ClusterSettings.milvusSessionTTLRange
        return min(max(seconds, range.lowerBound), range.upperBound)
    }
}

extension Component {
    /// Seconds Swarm waits after SIGTERM before it kills a task; nil for Swarm's 10 s.
    public var stopGracePeriodSeconds: Int? {
        switch self {
        // Pulsar broker: `brokerShutdownTimeoutMs` (broker.conf, default 60000) to unload its
        // bundles and close its ledgers before exit.
        case .broker: return 90
        // Bookie: flushes the journal and ledger storage and closes its ZooKeeper session
        // (BookKeeper "Bookie shutdown"); the seed gave 60 s.
        case .bookie: return 60
        case .querynode: return GracefulStop.queryNodeStopTimeout + 20
        case .rootcoord, .datacoord, .querycoord, .datanode, .indexnode, .proxy: return GracefulStop.milvusStopTimeout + 30
        // etcd, ZooKeeper, MinIO: a clean close of the WAL / snapshot / open objects.
        case .etcd, .zookeeper, .minio, .pulsarProxy: return 30
        case .etcdQuorum, .pulsarInit, .minioLB, .milvusLB, .cadvisor: return nil
        }
    }

    /// Seconds a stopped instance's registration outlives it, so a new instance must not start
    /// before; nil when nothing needs waiting for. Used between stopping and starting a changed
    /// coordinator (Milvus 2.3 runs one of each, no active-standby).
    public var sessionExpirySeconds: Int? {
        switch self {
        case .rootcoord, .datacoord, .querycoord: return GracefulStop.milvusSessionTTL
        default: return nil
        }
    }
}
