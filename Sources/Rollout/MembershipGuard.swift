import Blueprint
import Inventory
import StackConvert
import SwarmModel

/// Membership changes of a running stateful tier that a plain service create or remove would
/// turn into data loss, refused before the first write. Each tier changes members only by its
/// own procedure, one member at a time; until swarmstage carries those out, deploy keeps a
/// running tier's members as they are and says what the procedure is:
/// - etcd: membership is fixed at bootstrap (`--initial-cluster-state new`); a member joins with
///   `etcdctl member add` and `--initial-cluster-state existing`, and leaves with `etcdctl member
///   remove` before it stops (etcd docs, "Runtime reconfiguration").
/// - ZooKeeper: the server list is static; a change is a rolling restart that keeps a majority
///   of the old ensemble at every step (ZooKeeper Administrator's Guide; dynamic reconfiguration
///   needs `reconfigEnabled`).
/// - MinIO: the erasure set is fixed when the deployment is made; a server cannot be removed and
///   growth is only by a new server pool (MinIO docs, "Expand a MinIO deployment").
/// - BookKeeper: a bookie leaves only after `bin/bookkeeper shell decommissionbookie` has
///   re-replicated its ledgers (BookKeeper docs, "Decommission bookies"); adding one is safe.
/// A tier that does not run yet is created freely, and so are stateless services.
public enum MembershipGuard {
    /// The refusals for `prepared`, given the services its stack runs now.
    public static func problems(_ prepared: PreparedStage, running: [SwarmService]) -> [StageFailure.Reason] {
        guard !running.isEmpty else { return [] }
        var problems: [StageFailure.Reason] = []
        for tier in [Component.etcd, .zookeeper, .minio, .bookie] {
            let now = Set(running.filter { $0.Spec.Labels?[Component.label] == tier.rawValue }.map(\.Spec.Name))
            guard !now.isEmpty else { continue }
            let wanted = Set(prepared.spec.services.filter { $0.Labels?[Component.label] == tier.rawValue }.map(\.Name))
            let added = wanted.subtracting(now).sorted(), removed = now.subtracting(wanted).sorted()
            guard !added.isEmpty || !removed.isEmpty else { continue }
            if tier == .bookie, removed.isEmpty { continue }
            problems.append(.membershipChangeRefused(tier: tier.rawValue, running: now.count, wanted: wanted.count,
                                                     added: added, removed: removed, procedure: procedure(tier, growing: removed.isEmpty)))
        }
        return problems
    }

    /// Every refusal of the stages to apply, against one snapshot: checked before anything is written.
    public static func problems(_ stages: [PreparedStage], snapshot: SwarmSnapshot) -> [(Stage, StageFailure.Reason)] {
        stages.flatMap { prepared in problems(prepared, running: snapshot.services(of: prepared.spec.name)).map { (prepared.stage, $0) } }
    }

    static func procedure(_ tier: Component, growing: Bool) -> String {
        switch tier {
        case .etcd:
            return "etcd's membership is fixed when the cluster starts: a member created here would start a cluster of its own "
                + "(--initial-cluster-state new), and one removed here would stay in the member list and count against the quorum; "
                + "members change with `etcdctl member add` / `member remove`, one at a time (etcd docs, Runtime reconfiguration), "
                + "which swarmstage does not carry out yet: keep the inventory's etcd hosts as they run"
        case .zookeeper:
            return "ZooKeeper's server list is static: changing it is a rolling restart that keeps a majority of the old ensemble "
                + "at every step (ZooKeeper Administrator's Guide), which swarmstage does not carry out yet: keep the inventory's "
                + "zk hosts as they run"
        case .minio:
            return growing
                ? "MinIO's erasure set is fixed when the deployment is made: more servers in the same pool change every server's "
                    + "command and the servers refuse to start; MinIO grows only by a new server pool of at least 4 hosts "
                    + "(MinIO docs, Expand a MinIO deployment), which swarmstage does not add yet: keep the inventory's minio hosts as they run"
                : "a MinIO server cannot be removed from its erasure set, and a pool only leaves whole after `mc admin decommission` "
                    + "(MinIO docs, Decommission a server pool): keep the inventory's minio hosts as they run"
        case .bookie:
            return "a bookie removed without decommissioning leaves its ledgers under-replicated: run `bin/bookkeeper shell "
                + "decommissionbookie` for it first (BookKeeper docs, Decommission bookies); swarmstage does not remove bookies yet"
        default:
            return ""
        }
    }
}
