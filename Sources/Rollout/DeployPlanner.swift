import Blueprint
import Inventory
import StackConvert
import SwarmModel

/// Decides what a deploy does: a pure function from prepared stages and a snapshot of the
/// swarm to ordered actions. `deploy` executes these and `deploy --plan` prints them, so
/// what is shown is what is done; after a lost Engine, deploy plans again from a fresh
/// snapshot.
public enum DeployPlanner {
    /// One stage. Order: networks, secrets, configs; services in the stack file's order
    /// (created, updated, recreated or left); services that left the stack removed; the
    /// gate; then configs no service of the stack uses any more.
    /// - Parameter knownSecrets: the secrets swarmstage can make (it knows what they hold).
    public static func plan(_ prepared: PreparedStage, snapshot: SwarmSnapshot, knownSecrets: Set<String>) -> StagePlan {
        let spec = prepared.spec
        var actions: [DeployAction] = []
        var problems: [StageFailure.Reason] = []

        let networkIDs = snapshot.networkIDs
        for network in spec.networks where networkIDs[network.name] == nil {
            if network.external {
                problems.append(.missingExternalNetwork(network.name))
            } else {
                actions.append(.createNetwork(network))
            }
        }
        let secretIDs = snapshot.secretIDs
        for name in spec.secrets where secretIDs[name] == nil {
            if knownSecrets.contains(name) {
                actions.append(.createSecret(name: name, labels: [StackLabels.namespace: spec.name]))
            } else {
                problems.append(.unknownSecret(name))
            }
        }
        let configIDs = snapshot.configIDs
        for config in spec.configs where configIDs[config.name] == nil {
            actions.append(.createConfig(config))
        }

        let existing = snapshot.services(of: spec.name)
        for desired in spec.services {
            actions.append(serviceAction(desired, current: existing.first { $0.Spec.Name == desired.Name }, snapshot: snapshot))
        }
        let desiredNames = Set(spec.services.map(\.Name))
        for stale in existing where !desiredNames.contains(stale.Spec.Name) {
            actions.append(.removeService(id: stale.ID, name: stale.Spec.Name))
        }

        actions.append(.waitForGate(prepared.stage))
        let wantedConfigs = Set(spec.configs.map(\.name))
        for config in snapshot.configs where config.Spec.Labels?[StackLabels.namespace] == spec.name && !wantedConfigs.contains(config.Spec.Name) {
            actions.append(.removeConfig(id: config.ID, name: config.Spec.Name))
        }
        return StagePlan(stage: prepared.stage, stack: spec.name, actions: actions, problems: problems)
    }

    /// Several stages, each planned against the swarm the stages before it leave.
    public static func plan(_ stages: [PreparedStage], snapshot: SwarmSnapshot, knownSecrets: Set<String>) -> [StagePlan] {
        var snapshot = snapshot
        var plans: [StagePlan] = []
        for prepared in stages.sorted(by: { $0.stage < $1.stage }) {
            let plan = plan(prepared, snapshot: snapshot, knownSecrets: knownSecrets)
            plans.append(plan)
            snapshot = snapshot.applying(plan)
        }
        return plans
    }

    /// Create, recreate (a mode change), update (the fields that differ) or leave one service.
    public static func serviceAction(_ desired: ServiceSpec, current: SwarmService?, snapshot: SwarmSnapshot) -> DeployAction {
        guard let current else { return .createService(desired) }
        if SpecDiff.modeKind(current.Spec) != SpecDiff.modeKind(desired) {
            return .recreateService(id: current.ID, spec: desired,
                                    reason: "mode \(SpecDiff.modeKind(current.Spec)) -> \(SpecDiff.modeKind(desired))")
        }
        let resolved = StackConverter.resolvingReferences(desired, configIDs: snapshot.configIDs, secretIDs: snapshot.secretIDs,
                                                          networkIDs: snapshot.networkIDs)
        let fields = SpecDiff.changedFields(desired: resolved, current: current.Spec)
        return fields.isEmpty ? .leaveService(name: desired.Name) : .updateService(id: current.ID, spec: desired, fields: fields)
    }
}
