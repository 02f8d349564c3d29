import Blueprint
import Compose
import Foundation
import Inventory
import StackConvert
import SwarmModel

/// Decides what a deploy does: a pure function from prepared stages and a snapshot of the
/// swarm to ordered actions. `deploy` executes these and `deploy --plan` prints them, so
/// what is shown is what is done; after a lost Engine, deploy plans again from a fresh
/// snapshot.
public enum DeployPlanner {
    /// One stage. Order: networks, secrets, configs; then services. A stage made from nothing
    /// creates all its services at once. A running stage creates new services at once, then
    /// etcd members the stack drops leave by `member remove`, one at a time; then changes
    /// (updates, recreates) one service at a time in `RollingOrder`, each followed by its gate; a changed Milvus coordinator is stopped and its etcd session left to expire
    /// before its update starts it again. Then services that left the stack are removed; the stage's gate; then configs
    /// no service of the stack uses any more.
    /// A rotated credential's new secret is made first; the services that mount it move to it in
    /// the rolling order, except MinIO's servers, which move together (`SecretRotation.cost`), as
    /// they do when the stack adds a server pool (`MinioPoolGrowth`: the new pool's servers are created
    /// first and waited for until they run, so the restart's outage is the running servers' own);
    /// older generations go once the stage is healthy.
    /// Servers added to a running ZooKeeper ensemble join by rounds of one (`ZooKeeperGrowth`), after
    /// the stage's new services and before its other changes.
    /// - Parameter secrets: the secret that serves each secret name of the stack files, from
    ///   `SecretRotation.choose`; a name without one is a secret swarmstage does not know.
    public static func plan(_ prepared: PreparedStage, snapshot: SwarmSnapshot, secrets: [String: SecretChoice]) -> StagePlan {
        // The specs as this Engine keeps them (fields it does not know dropped, their purpose kept),
        // so an unchanged file plans nothing on every Engine.
        var spec = EngineAdaptation.adapt(prepared.spec, to: snapshot.apiVersion)
        // Services mount the generation chosen for each secret, under the stack file's target.
        spec.services = spec.services.map { SecretRotation.renaming($0, to: secrets) }
        var actions: [DeployAction] = []
        var problems: [StageFailure.Reason] = []

        for network in spec.networks {
            if let existing = snapshot.networks.first(where: { $0.Name == network.name }) {
                // Driver options are fixed when a network is made; the services on it would have to go first.
                if !network.external, existing.isEncrypted != network.encrypted {
                    problems.append(.networkEncryptionDiffers(network.name, wanted: network.encrypted))
                }
            } else if network.external {
                problems.append(.missingExternalNetwork(network.name))
            } else {
                actions.append(.createNetwork(network))
            }
        }
        let secretIDs = snapshot.secretIDs
        var rotated: Set<String> = []
        for family in spec.secrets {
            guard let choice = secrets[family] else {
                if secretIDs[family] == nil { problems.append(.unknownSecret(family)) }
                continue
            }
            if choice.isRotation { rotated.insert(choice.name) }
            guard secretIDs[choice.name] == nil else { continue }
            let labels = choice.labels.merging([StackLabels.namespace: spec.name]) { _, namespace in namespace }
            actions.append(choice.isRotation ? .rotateSecret(choice, labels: labels) : .createSecret(name: choice.name, labels: labels))
        }
        let configIDs = snapshot.configIDs
        for config in spec.configs {
            guard configIDs[config.name] != nil else {
                actions.append(.createConfig(config))
                continue
            }
            // Configs are immutable: the same name with other contents would silently keep the old file.
            let stored = snapshot.configs.first { $0.Spec.Name == config.name }?.Spec.Data
            if let stored, !stored.isEmpty, stored != Data(config.data).base64EncodedString() {
                problems.append(.configContentsDiffer(config.name))
            }
        }

        let existing = snapshot.services(of: spec.name)
        // etcd members whose data is on a host they can no longer run on: replaced by etcd's procedure.
        // And members whose data etcd says is lost where they run (a disk wiped or replaced): replaced there.
        let movedAway = EtcdReplacement.moves(services: existing, tasks: snapshot.memberTasks, nodes: snapshot.nodes)
        let moves = movedAway + EtcdReplacement.dataLostMoves(services: existing, tasks: snapshot.memberTasks, nodes: snapshot.nodes,
                                                              dataLost: snapshot.etcdDataLost)
            .filter { lost in !movedAway.contains { $0.service == lost.service } }
        let members = spec.services.filter { $0.Labels?[Component.label] == Component.etcd.rawValue }.count
        if !moves.isEmpty, members - moves.count < EtcdReplacement.quorum(of: members) {
            problems.append(.rollingChangeUnsafe(
                service: moves.map(\.service).joined(separator: ", "),
                reason: "\(moves.count) of the \(members) etcd members have lost their hosts or data (\(moves.map { "\($0.member) on \($0.from)" }.joined(separator: ", "))): "
                    + "etcd has lost its quorum, and a member can be replaced only while the others hold it; restore etcd "
                    + "from a snapshot (`etcdctl snapshot restore`, etcd docs, Disaster recovery), or bring the hosts back"))
        }
        let desiredNames = Set(spec.services.map(\.Name))
        let etcdRuns = existing.contains { $0.Spec.Labels?[Component.label] == Component.etcd.rawValue }
        let plannedServiceActions = spec.services.map { desired -> DeployAction in
            let current = existing.first { $0.Spec.Name == desired.Name }
            guard desired.Labels?[Component.label] == Component.etcd.rawValue else {
                return serviceAction(desired, current: current, snapshot: snapshot)
            }
            // A member the inventory adds to a running cluster joins by etcd's procedure, never as a cluster of its own.
            guard let current else { return etcdRuns ? .addEtcdMember(spec: desired) : .createService(desired) }
            // --initial-cluster-state is read only at a member's bootstrap: a replaced member keeps `existing` and its data directory.
            let kept = EtcdReplacement.keepingMemberIdentity(desired, current: current.Spec)
            if let move = moves.first(where: { $0.service == desired.Name }), SpecDiff.modeKind(current.Spec) == SpecDiff.modeKind(desired) {
                return .replaceEtcdMember(id: current.ID, spec: EtcdReplacement.with(EtcdReplacement.clusterStateFlag, "existing", in: desired), move: move)
            }
            return serviceAction(kept, current: current, snapshot: snapshot)
        }.map { action -> DeployAction in
            // A change Swarm could never start (every host the service may run on is down) waits for the host.
            guard case .updateService(_, let desired, let fields) = action, !snapshot.nodes.isEmpty else { return action }
            let allowed = snapshot.nodes.filter { PlacementConstraint.allSatisfied(desired.TaskTemplate.constraints, by: $0.facts) }
            guard !allowed.isEmpty, allowed.allSatisfy({ $0.state != .ready }) else { return action }
            return .deferService(name: desired.Name, fields: fields, hosts: allowed.map(\.hostname).sorted())
        }
        // Servers added to a running ZooKeeper ensemble join by rounds of its rolling procedure
        // (`ZooKeeperGrowth`), which then carry every change of the ensemble's servers.
        let zooKeeperGrowth = ZooKeeperGrowth.plan(prepared.stage, spec: spec, existing: existing, snapshot: snapshot)
        problems += zooKeeperGrowth?.problems ?? []
        let serviceActions = zooKeeperGrowth == nil ? plannedServiceActions : plannedServiceActions.filter { component(of: $0) != .zookeeper }
        if existing.isEmpty {
            // A stage made from nothing starts at once; the stage's gate waits for all of it.
            actions += serviceActions
        } else {
            // A running stage: new services start at once (nothing depends on them yet); changes
            // go one service at a time in the rolling order, each healthy before the next.
            actions += serviceActions.filter { if case .createService = $0 { return true }; return false }
            actions += serviceActions.filter {
                switch $0 {
                case .leaveService, .deferService: return true
                default: return false
                }
            }
            // Members of a running etcd cluster, and bookies, that the inventory drops leave first,
            // by their tier's procedure, one at a time, each followed by its gate: whether the
            // members that stay are healthy is asked before the stage's other services change.
            for stale in existing where !desiredNames.contains(stale.Spec.Name) {
                guard let leaving = memberLeaving(stale, members: members, spec: spec) else { continue }
                actions.append(leaving)
                actions.append(.waitForService(prepared.stage, name: stale.Spec.Name))
            }
            actions += zooKeeperGrowth?.actions ?? []
            let changes = serviceActions.enumerated().filter { _, action in
                switch action {
                case .updateService, .recreateService, .replaceEtcdMember, .addEtcdMember: return true
                default: return false
                }
            }
            let ordered = changes.sorted { a, b in
                let rankA = RollingOrder.rank(component(of: a.element), in: prepared.stage)
                let rankB = RollingOrder.rank(component(of: b.element), in: prepared.stage)
                return rankA != rankB ? rankA < rankB : a.offset < b.offset
            }
            // A running MinIO server whose command names other pools than it runs with (a new server pool).
            func namesOtherPools(_ action: DeployAction) -> Bool {
                guard component(of: action) == .minio, case .updateService(let id, let desired, _) = action,
                      let current = existing.first(where: { $0.ID == id }) else { return false }
                return MinioPoolGrowth.pools(current.Spec) != MinioPoolGrowth.pools(desired)
            }
            // MinIO's servers need the same root credentials and name the same pools: a rotation, or a
            // new server pool (`MinioPoolGrowth`, whose new servers were created above), moves them all at once.
            let together = ordered.map(\.element).filter { action in
                guard component(of: action) == .minio, case .updateService(_, let desired, _) = action else { return false }
                return (desired.TaskTemplate.ContainerSpec?.Secrets ?? []).contains { rotated.contains($0.SecretName) } || namesOtherPools(action)
            }
            // A new pool's servers are running (their images pulled, their process serving) before the
            // running servers restart naming it: MinIO serves again only once every pool answers, so
            // the outage of the restart is the running servers' restart alone, not the new hosts' start.
            let growing = together.contains(where: namesOtherPools)
            let newServers = !growing ? [] : serviceActions.compactMap { action -> String? in
                guard case .createService(let spec) = action, component(of: action) == .minio else { return nil }
                return spec.Name
            }
            var movedTogether = false
            for (_, action) in ordered {
                if together.contains(action) {
                    guard !movedTogether else { continue }
                    movedTogether = true
                    actions += newServers.map { .waitForService(prepared.stage, name: $0) }
                    actions += together
                    actions += together.map { .waitForService(prepared.stage, name: $0.serviceName ?? "") }
                    continue
                }
                // A coordinator must not start while its predecessor's etcd session lives on: the
                // lease the running process holds, its label's TTL (not the new spec's). An update
                // that leaves its task running (a label) stops nothing.
                if case .updateService(let id, let spec, let fields) = action, SpecDiff.replacesTasks(fields),
                   let component = component(of: action),
                   let seconds = GracefulStop.sessionExpirySeconds(of: existing.first { $0.ID == id }?.Spec.Labels, component: component) {
                    actions.append(.stopForSessionExpiry(id: id, name: spec.Name, seconds: seconds))
                }
                actions.append(action)
                actions.append(.waitForService(prepared.stage, name: action.serviceName ?? ""))
            }
        }
        // An update Swarm could never finish on these nodes is refused before anything is written.
        for action in actions {
            guard case .updateService(_, let desired, _) = action,
                  let service = prepared.compose.services.first(where: { "\(spec.name)_\($0.name)" == desired.Name }) else { continue }
            let constraints = desired.TaskTemplate.constraints
            let eligible = snapshot.nodes.filter { $0.state == .ready && PlacementConstraint.allSatisfied(constraints, by: $0.facts) }.count
            if !snapshot.nodes.isEmpty, let reason = UpdateProgress.blocker(service, eligibleNodes: eligible) {
                problems.append(.updateCannotProgress(service: desired.Name, reason: reason))
            }
        }
        problems += rollingChangeProblems(actions, spec: spec)
        problems += MembershipGuard.problems(prepared, running: existing)
        for stale in existing where !desiredNames.contains(stale.Spec.Name) && memberLeaving(stale, members: members, spec: spec) == nil {
            actions.append(.removeService(id: stale.ID, name: stale.Spec.Name))
        }

        actions.append(.waitForGate(prepared.stage))
        // Older generations of the stack's secrets: no service mounts them once the stage is healthy.
        for family in prepared.spec.secrets {
            guard let choice = secrets[family] else { continue }
            for member in SecretRotation.members(of: family, in: snapshot.secrets)
            where member.secret.Spec.Name != choice.name && !member.secret.ID.isEmpty {
                actions.append(.removeSecret(id: member.secret.ID, name: member.secret.Spec.Name))
            }
        }
        // The server lists of a growth's earlier rounds: no server mounts them once the last round is done.
        for name in zooKeeperGrowth?.roundConfigs ?? [] where snapshot.configIDs[name] == nil {
            actions.append(.removeConfig(id: "", name: name))
        }
        let wantedConfigs = Set(spec.configs.map(\.name))
        for config in snapshot.configs where config.Spec.Labels?[StackLabels.namespace] == spec.name && !wantedConfigs.contains(config.Spec.Name) {
            actions.append(.removeConfig(id: config.ID, name: config.Spec.Name))
        }
        return StagePlan(stage: prepared.stage, stack: spec.name, actions: actions, problems: problems)
    }

    /// Several stages, each planned against the swarm the stages before it leave.
    public static func plan(_ stages: [PreparedStage], snapshot: SwarmSnapshot, secrets: [String: SecretChoice]) -> [StagePlan] {
        var snapshot = snapshot
        var plans: [StagePlan] = []
        for prepared in stages.sorted(by: { $0.stage < $1.stage }) {
            let plan = plan(prepared, snapshot: snapshot, secrets: secrets)
            plans.append(plan)
            snapshot = snapshot.applying(plan)
        }
        return plans
    }

    /// The step for a running member of a stateful tier that the stack drops while the tier stays:
    /// etcd's member remove, or a bookie's decommission.
    static func memberLeaving(_ stale: SwarmService, members: Int, spec: StackSpec) -> DeployAction? {
        etcdLeaving(stale, members: members) ?? bookieLeaving(stale, spec: spec)
    }

    /// A bookie the stack drops while other bookies stay: decommissioned (BookKeeper docs,
    /// "Decommission Bookies"), never just removed, which would leave its ledgers under-replicated.
    static func bookieLeaving(_ stale: SwarmService, spec: StackSpec) -> DeployAction? {
        guard stale.Spec.Labels?[Component.label] == Component.bookie.rawValue,
              spec.services.contains(where: { $0.Labels?[Component.label] == Component.bookie.rawValue }) else { return nil }
        return .decommissionBookie(id: stale.ID, name: stale.Spec.Name, bookie: bookieID(stale.Spec))
    }

    /// A bookie's ID as BookKeeper registers it: its advertised address and port 3181.
    public static func bookieID(_ spec: ServiceSpec) -> String {
        let advertised = spec.TaskTemplate.ContainerSpec?.Env?.first { $0.hasPrefix("advertisedAddress=") }
            .map { String($0.dropFirst("advertisedAddress=".count)) }
        let host = advertised ?? spec.TaskTemplate.ContainerSpec?.Hostname ?? String(spec.Name.split(separator: "_").last ?? "")
        return "\(host):3181"
    }

    /// The ensemble size the brokers write ledgers with (`managedLedgerDefaultEnsembleSize`).
    static func ensembleSize(_ spec: StackSpec) -> Int? {
        ensembleSize(spec.services)
    }

    /// The ensemble size the brokers among `services` write ledgers with.
    static func ensembleSize(_ services: [ServiceSpec]) -> Int? {
        services.lazy.compactMap { service in
            service.TaskTemplate.ContainerSpec?.Env?.first { $0.hasPrefix("managedLedgerDefaultEnsembleSize=") }
                .flatMap { Int($0.dropFirst("managedLedgerDefaultEnsembleSize=".count)) }
        }.first
    }

    /// The step for a running service the stack drops that is a member of an etcd cluster that
    /// stays (`members` of it in the stack): `member remove`, then the service.
    static func etcdLeaving(_ stale: SwarmService, members: Int) -> DeployAction? {
        guard stale.Spec.Labels?[Component.label] == Component.etcd.rawValue, members > 0,
              let member = EtcdReplacement.argument("--name=", in: stale.Spec),
              let peerURL = EtcdReplacement.argument("--initial-advertise-peer-urls=", in: stale.Spec) else { return nil }
        return .removeEtcdMember(id: stale.ID, name: stale.Spec.Name, member: member, peerURL: peerURL)
    }

    /// Restarting a bookie takes it out of the writable set while it is down: with no more bookies
    /// than the ensemble size, brokers cannot open new ledgers and Pulsar stops taking writes
    /// (BookKeeper keeps at least the ensemble size of writable bookies; DAY2-NOTES).
    static func rollingChangeProblems(_ actions: [DeployAction], spec: StackSpec) -> [StageFailure.Reason] {
        let bookies = spec.services.filter { $0.Labels?[Component.label] == Component.bookie.rawValue }
        guard let ensemble = ensembleSize(spec) else { return [] }
        let changedBookie = actions.first { action in
            switch action {
            case .updateService, .recreateService: return component(of: action) == .bookie
            default: return false
            }
        }
        guard let changedBookie, bookies.count - 1 < ensemble else { return [] }
        return [.rollingChangeUnsafe(service: changedBookie.serviceName ?? "a bookie",
                                     reason: "with \(bookies.count) bookies and an ensemble of \(ensemble), restarting one leaves "
                                        + "\(bookies.count - 1) writable, fewer than the ensemble, and Pulsar stops taking writes; "
                                        + "add a bookie host first (or lower bookkeeper.ensemble in the inventory)")]
    }

    static func component(of action: DeployAction) -> Component? {
        switch action {
        case .updateService(_, let spec, _), .recreateService(_, let spec, _), .createService(let spec), .replaceEtcdMember(_, let spec, _),
             .addEtcdMember(let spec):
            return spec.Labels?[Component.label].flatMap(Component.init(rawValue:))
        default:
            return nil
        }
    }

    /// Create, recreate (a mode change), update (the fields that differ) or leave one service
    /// (unchanged, or a job that has completed).
    public static func serviceAction(_ desired: ServiceSpec, current: SwarmService?, snapshot: SwarmSnapshot) -> DeployAction {
        guard let current else { return .createService(desired) }
        if SpecDiff.modeKind(current.Spec) != SpecDiff.modeKind(desired) {
            return .recreateService(id: current.ID, spec: desired,
                                    reason: "mode \(SpecDiff.modeKind(current.Spec)) -> \(SpecDiff.modeKind(desired))")
        }
        // A job that has done its work is not run again by later deploys (cluster initialization must
        // not repeat on an upgrade; Helm runs such jobs on install only). Teardown and deploy run it again.
        if snapshot.completedJobs.contains(current.Spec.Name) { return .leaveService(name: desired.Name) }
        let resolved = StackConverter.resolvingReferences(desired, configIDs: snapshot.configIDs, secretIDs: snapshot.secretIDs,
                                                          networkIDs: snapshot.networkIDs)
        let fields = SpecDiff.changedFields(desired: resolved, current: current.Spec)
        return fields.isEmpty ? .leaveService(name: desired.Name) : .updateService(id: current.ID, spec: desired, fields: fields)
    }
}
