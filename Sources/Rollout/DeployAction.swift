import Inventory
import StackConvert
import SwarmModel

/// One step of a deploy. `DeployPlanner` makes them from what the swarm holds; `Deployer`
/// executes exactly these, in order; `deploy --plan` prints them. Service specs are kept
/// as the stack file gives them: the IDs of networks, configs and secrets are filled in
/// when the step runs, because objects created earlier in the plan have none before.
public enum DeployAction: Sendable, Equatable {
    case createNetwork(NetworkSpec)
    case createSecret(name: String, labels: [String: String])
    /// A credential that changed: its new generation, made before the services move to it.
    case rotateSecret(SecretChoice, labels: [String: String])
    /// An older generation of a rotated secret, removed once the stage is healthy on the new one.
    case removeSecret(id: String, name: String)
    case createConfig(FileObjectSpec)
    case createService(ServiceSpec)
    /// Write `spec` over the service (its restart counter kept); `fields` are what differs.
    case updateService(id: String, spec: ServiceSpec, fields: [String])
    /// Remove and create again: replicated and global services cannot turn into each other.
    case recreateService(id: String, spec: ServiceSpec, reason: String)
    case removeService(id: String, name: String)
    /// Before a changed Milvus coordinator starts again: scale the running one to 0, wait until
    /// its task has stopped, then `seconds` more for its etcd session to expire (see GracefulStop).
    /// The update that follows brings the service back with its new spec.
    case stopForSessionExpiry(id: String, name: String, seconds: Int)
    /// An etcd member whose data is on a host it can no longer run on (`EtcdReplacement`): with
    /// the other members' quorum checked, `etcdctl member remove` it, `member add` it again under
    /// its name and peer URL, write `spec` (started with `--initial-cluster-state existing`) over
    /// the service, and wait until etcd lists it started and every member is healthy.
    case replaceEtcdMember(id: String, spec: ServiceSpec, move: EtcdReplacement.Move)
    /// A member the inventory adds to a running etcd cluster (`EtcdGrowth`): with every member
    /// healthy, `etcdctl member add --learner`, create the service started with
    /// `--initial-cluster-state existing`, `member promote` once it has caught up, and wait until
    /// every member is healthy.
    case addEtcdMember(spec: ServiceSpec)
    /// A member the inventory no longer has (etcd's "remove a member"): with every member that stays healthy,
    /// `etcdctl member remove` it, then remove its service, and wait until every member that stays
    /// is healthy. `member` and `peerURL` are its `--name` and `--initial-advertise-peer-urls`.
    case removeEtcdMember(id: String, name: String, member: String, peerURL: String)
    /// A bookie the inventory no longer has (BookKeeper docs, "Decommission Bookies"): with every
    /// bookie that stays writable, stop it (its service scaled to 0), `bookkeeper shell
    /// decommissionbookie -bookieid` it once BookKeeper no longer lists it (its ledgers
    /// re-replicated to the bookies that stay, its cookie removed), check that no ledger names it,
    /// then remove its service. `bookie` is its bookie ID (`bookie3:3181`).
    case decommissionBookie(id: String, name: String, bookie: String)
    /// A change to a service that can run only on hosts that are down: Swarm could never start its
    /// new task, so it is left as it is; the first deploy after a host returns makes it.
    case deferService(name: String, fields: [String], hosts: [String])
    /// Nothing to write; listed so that a plan names every service of the stack.
    case leaveService(name: String)
    /// A rolling step's gate: wait until this service runs its new spec, healthy, and so does
    /// every other service of the stage except those the plan has yet to change.
    case waitForService(Stage, name: String)
    /// Wait until the stage is healthy (every task of the current spec running, jobs done).
    case waitForGate(Stage)
    /// A round of a ZooKeeper growth (`ZooKeeperGrowth`) is done: every one of `servers` serves,
    /// one of them leads, and each names exactly these servers as its ensemble (`srvr`, `conf`).
    case waitForZooKeeper(Stage, servers: [String])
    /// A config of the stack that no service uses any more, removed once the stage is healthy.
    case removeConfig(id: String, name: String)

    /// Whether the step writes to the Engine.
    public var isWrite: Bool {
        switch self {
        case .leaveService, .waitForService, .waitForGate, .waitForZooKeeper, .deferService: return false
        default: return true
        }
    }

    /// The service a step is about, if it is about one.
    public var serviceName: String? {
        switch self {
        case .createService(let spec), .updateService(_, let spec, _), .recreateService(_, let spec, _),
             .replaceEtcdMember(_, let spec, _), .addEtcdMember(let spec): return spec.Name
        case .removeService(_, let name), .leaveService(let name), .stopForSessionExpiry(_, let name, _),
             .deferService(let name, _, _), .removeEtcdMember(_, let name, _, _), .decommissionBookie(_, let name, _): return name
        default: return nil
        }
    }

    /// What the step does to its service, as progress and the plan report it.
    public var serviceChange: RolloutEvent.ServiceChange? {
        switch self {
        case .createService: return .created
        case .updateService(_, _, let fields): return .updated(fields: fields)
        case .recreateService(_, _, let reason): return .recreated(reason: reason)
        case .removeService: return .removed
        case .leaveService: return .unchanged
        case .replaceEtcdMember(_, _, let move): return .memberReplaced(from: move.from, to: move.to.joined(separator: ", "), dataLost: move.dataLost)
        case .addEtcdMember: return .memberAdded
        case .removeEtcdMember: return .memberRemoved
        case .decommissionBookie(_, _, let bookie): return .bookieDecommissioned(bookie: bookie)
        default: return nil
        }
    }
}

extension Array where Element == DeployAction {
    /// Services that actions from `index` on still change (update or recreate).
    func pendingChanges(after index: Int) -> Set<String> {
        Set(self[(index + 1)...].compactMap { action -> String? in
            switch action {
            // A service created later is not there yet: not waited for either.
            case .updateService(_, let spec, _), .recreateService(_, let spec, _), .replaceEtcdMember(_, let spec, _),
                 .addEtcdMember(let spec), .createService(let spec): return spec.Name
            default: return nil
            }
        })
    }
}

/// What one stage's deploy does, in order, and what keeps it from starting.
public struct StagePlan: Sendable, Equatable {
    public var stage: Stage
    public var stack: String
    public var actions: [DeployAction]
    /// Found while planning; the stage is not applied while any is left.
    public var problems: [StageFailure.Reason]

    public init(stage: Stage, stack: String, actions: [DeployAction], problems: [StageFailure.Reason] = []) {
        self.stage = stage
        self.stack = stack
        self.actions = actions
        self.problems = problems
    }

    public var writes: [DeployAction] { actions.filter(\.isWrite) }
    public var isNoOp: Bool { writes.isEmpty && problems.isEmpty }
}
