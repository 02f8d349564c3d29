import Blueprint
import Engine
import Foundation
import Inventory
import Rollout
import SwarmModel

/// What `deploy` and `rollback` share: checked stack files applied stage by stage through
/// the same planner and gates, a revision recorded when anything was written, and, when a
/// stage fails, where to go back to.
struct StackApplication {
    var inventory: Inventory
    var files: [StageFiles]
    var prepared: [PreparedStage]
    var secrets: [SecretSpec]
    var values: SecretValues
    var selected: Set<Stage>
    var options: Deployer.Options
    var style: ProgressPrinter.Style
    /// What the revision says made it: "deploy" or "rollback to N".
    var reason: String

    /// The secrets the selected stages use, checked before anything is written.
    func checkSecrets() throws {
        try values.check(secrets.filter { secret in prepared.contains { selected.contains($0.stage) && $0.spec.secrets.contains(secret.name) } })
    }

    func plan(_ engine: EngineClient) async throws -> [StagePlan] {
        try await planWithPrePulls(engine).plans
    }

    /// The plans, and the images deploy pulls ahead for each stage after the first (`ImagePrePull`).
    func planWithPrePulls(_ engine: EngineClient) async throws -> (plans: [StagePlan], prePulls: [Stage: [ImagePrePull.Request]]) {
        let chosen = prepared.filter { selected.contains($0.stage) }.sorted { $0.stage < $1.stage }
        let snapshot = try await SwarmSnapshot.read(engine, stacks: chosen.map(\.spec.name))
        let choices = try await SecretRotation.choose(secrets, values: values, existing: snapshot.secrets)
        let plans = DeployPlanner.plan(chosen, snapshot: snapshot, secrets: choices)
        var prePulls: [Stage: [ImagePrePull.Request]] = [:]
        for stage in chosen.dropFirst() where options.prePull {
            guard let plan = plans.first(where: { $0.stage == stage.stage }), plan.problems.isEmpty else { continue }
            let requests = ImagePrePull.requests(for: plan, running: snapshot.services(of: stage.spec.name))
            if !requests.isEmpty { prePulls[stage.stage] = requests }
        }
        return (plans, prePulls)
    }

    func apply(_ engine: EngineClient) async throws {
        let store = RevisionStore(swarm: engine, cluster: inventory.cluster.name)
        let deployer = Deployer(swarm: engine, options: options, observer: ProgressPrinter(style: style))
        let report: DeployReport
        do {
            report = try await deployer.deploy(prepared, secrets: secrets, values: values, stagesToApply: selected)
        } catch let failure as StageFailure {
            var message = Failure.describe(failure)
            if !failure.reason.isRefusal, let last = try? await store.list().first {
                message += "\nthe cluster was last deployed whole as revision \(last.number) (\(last.time)); "
                    + "to go back to it: swarmstage rollback \(last.number) -i \(inventory.file)"
            }
            throw Failure(message: message, code: failure.reason.isRefusal ? .usage : .failed)
        }
        let changed = report.writes, writes = engine.writes.value
        let left = report.leftDown.values.flatMap { $0 }.sorted { $0.key < $1.key }
        let health = left.isEmpty ? "every stage is healthy"
            : "every stage is healthy but for \(left.count) service\(left.count == 1 ? "" : "s") on hosts that were down before this deploy"
        if changed > 0 || writes > 0 {
            let revision = try await store.record(files: files, inventory: inventory, reason: reason)
            Console.out("deployed: \(changed) service change\(changed == 1 ? "" : "s") (\(writes) Engine writes), \(health); "
                + "recorded as revision \(revision.number)")
        } else {
            Console.out("deployed: nothing changed (0 Engine writes), \(health)")
        }
        guard left.isEmpty else {
            // Degraded, as `health` would say: the cluster serves, those services wait for their hosts.
            let lines = left.map { "  \($0.key): \($0.value)" }.joined(separator: "\n")
            throw Failure(message: "degraded: left down\n\(lines)\nbring the hosts back, or hand their roles to others "
                + "(README, Runbook: a host died)", code: .degraded)
        }
    }
}
