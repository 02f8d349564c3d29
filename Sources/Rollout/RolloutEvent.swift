import Inventory

/// What a deploy or teardown reports as it goes; the CLI turns these into lines.
public enum RolloutEvent: Sendable {
    public enum ServiceChange: Sendable, Equatable {
        case created
        case updated(fields: [String])
        case recreated(reason: String)
        /// Same spec, tasks replaced (ForceUpdate).
        case restarted(reason: String)
        case unchanged
        case removed
        /// An etcd member moved to another host by etcd's own procedure (member remove, add, start);
        /// `dataLost`: replaced where it runs because etcd says its data is lost there.
        case memberReplaced(from: String, to: String, dataLost: String? = nil)
        /// An etcd member added to the running cluster by etcd's procedure (learner, start, promote).
        case memberAdded
        /// An etcd member the inventory no longer has, removed by etcd's procedure (member remove, then its service).
        case memberRemoved
        /// A bookie the inventory no longer has, decommissioned (stopped, its ledgers re-replicated, its cookie removed), then its service removed.
        case bookieDecommissioned(bookie: String)
    }

    case stageStarted(Stage, stack: String)
    case objectCreated(Stage, kind: String, name: String)
    case service(Stage, name: String, change: ServiceChange)
    case waiting(Stage, verdict: StageVerdict, elapsed: Duration)
    case stageHealthy(Stage, elapsed: Duration)
    /// A service the gate passed without, as `DownHostTolerance` allows: its host was already down.
    case serviceLeftDown(Stage, name: String, reason: String)
    case stageSkipped(Stage, reason: String)
    case objectRemoved(Stage, kind: String, name: String)
    case stageRemoved(Stage, elapsed: Duration)
    /// Teardown: tasks still stopping, per service.
    case stopping(Stage, tasksLeft: [String: Int], elapsed: Duration)
    /// Teardown: a removed service's task on a node that is down; Swarm stops it when the node is back.
    case taskLeftOnDownNode(Stage, service: String, host: String)
    /// The Engine stopped answering (a daemon restart); the deploy waits for it.
    case engineLost(Stage, reason: String)
    /// The Engine answers again; the stage is applied again from what it holds.
    case engineBack(Stage, after: Duration)
    /// The stage's images are on every host that will run them (`ImagePrePull`); `waited`: how
    /// long the stage waited for the pulls, begun while an earlier stage was applied.
    case imagesPulled(Stage, images: Int, hosts: Int, waited: Duration)
    /// The pre-pull could not run (a lost Engine); the stage's tasks pull their images.
    case prePullFailed(Stage, reason: String)
    /// A round of a ZooKeeper growth is done: `servers` serve with one leader, each listing them all; `states` as they said.
    case zooKeeperServing(Stage, servers: [String], states: String)
}

/// Receives rollout events; called from the rollout's task, in order.
public protocol RolloutObserver: Sendable {
    func report(_ event: RolloutEvent)
}

/// An observer that drops everything (tests, benchmarks).
public struct SilentObserver: RolloutObserver {
    public init() {}
    public func report(_ event: RolloutEvent) {}
}
