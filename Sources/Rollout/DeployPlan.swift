import Engine
import Inventory
import StackConvert

/// What `deploy` would do, read from the Engine without writing anything.
public struct DeployPlan: Sendable {
    public struct StagePlan: Sendable {
        public var stage: Stage
        public var stack: String
        public var missingNetworks: [String]
        public var missingSecrets: [String]
        public var missingConfigs: [String]
        public var services: [(name: String, change: RolloutEvent.ServiceChange)]

        public var isNoOp: Bool {
            missingNetworks.isEmpty && missingSecrets.isEmpty && missingConfigs.isEmpty && services.allSatisfy { $0.change == .unchanged }
        }
    }

    public var stages: [StagePlan]

    public static func make(_ stages: [PreparedStage], engine: EngineClient) async throws -> DeployPlan {
        let networkIDs = Dictionary(try await engine.networks().map { ($0.Name, $0.Id) }, uniquingKeysWith: { first, _ in first })
        let networks = Set(networkIDs.keys)
        let secretIDs = Dictionary(try await engine.secrets().map { ($0.Spec.Name, $0.ID) }, uniquingKeysWith: { first, _ in first })
        let configIDs = Dictionary(try await engine.configs().map { ($0.Spec.Name, $0.ID) }, uniquingKeysWith: { first, _ in first })
        var plans: [StagePlan] = []
        for prepared in stages {
            let spec = prepared.spec
            let existing = try await engine.services(filters: Filters([("label", "\(StackLabels.namespace)=\(spec.name)")]))
            var services: [(String, RolloutEvent.ServiceChange)] = []
            for desired in spec.services {
                let wanted = StackConverter.resolvingReferences(desired, configIDs: configIDs, secretIDs: secretIDs, networkIDs: networkIDs)
                guard let current = existing.first(where: { $0.Spec.Name == wanted.Name }) else {
                    services.append((wanted.Name, .created))
                    continue
                }
                if SpecDiff.modeKind(current.Spec) != SpecDiff.modeKind(wanted) {
                    services.append((wanted.Name, .recreated(reason: "mode \(SpecDiff.modeKind(current.Spec)) -> \(SpecDiff.modeKind(wanted))")))
                    continue
                }
                let fields = SpecDiff.changedFields(desired: wanted, current: current.Spec)
                services.append((wanted.Name, fields.isEmpty ? .unchanged : .updated(fields: fields)))
            }
            let wantedNames = Set(spec.services.map(\.Name))
            for stale in existing where !wantedNames.contains(stale.Spec.Name) { services.append((stale.Spec.Name, .removed)) }
            plans.append(StagePlan(stage: prepared.stage, stack: spec.name,
                                   missingNetworks: spec.networks.filter { !$0.external && !networks.contains($0.name) }.map(\.name),
                                   missingSecrets: spec.secrets.filter { secretIDs[$0] == nil },
                                   missingConfigs: spec.configs.map(\.name).filter { configIDs[$0] == nil },
                                   services: services))
        }
        return DeployPlan(stages: plans)
    }
}
