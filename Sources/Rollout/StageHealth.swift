import SwarmModel
import StackConvert

/// Where one service of a stage stands.
public struct ServiceHealth: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case healthy
        case waiting(String)
        /// Not schedulable right now ("no suitable node ..."): fails the stage if it lasts.
        case unschedulable(String)
        case failed(String)
    }

    public var name: String
    public var state: State
    /// Tasks running (and healthy, where there is a healthcheck) of the current spec.
    public var running: Int
    public var desired: Int

    public init(name: String, state: State, running: Int, desired: Int) {
        self.name = name
        self.state = state
        self.running = running
        self.desired = desired
    }

    public var isHealthy: Bool { state == .healthy }
}

/// A stage's health: healthy when every service is.
public struct StageVerdict: Sendable, Equatable {
    public var services: [ServiceHealth]

    public init(services: [ServiceHealth]) {
        self.services = services
    }

    public var isHealthy: Bool { services.allSatisfy(\.isHealthy) }
    public var failures: [ServiceHealth] { services.filter { if case .failed = $0.state { return true }; return false } }
    public var unschedulable: [ServiceHealth] { services.filter { if case .unschedulable = $0.state { return true }; return false } }
    public var running: Int { services.map(\.running).reduce(0, +) }
    public var desired: Int { services.map(\.desired).reduce(0, +) }
}

/// Decides from what the Engine reports (`/services?status=true` and `/tasks`)
/// whether a stage is healthy. With a healthcheck a task stays `starting` until its
/// first healthy check, so `running` already means healthy.
public enum StageHealth {
    /// Failed tasks of the current spec that make a service count as failed.
    public static let failureLimit = 3

    /// - Parameter failuresSince: count failed tasks only from this Engine time on (the start
    ///   of this deploy's stage), so earlier crash loops do not fail a stage that recovers.
    public static func evaluate(_ stack: StackSpec, services: [SwarmService], tasks: [SwarmTask],
                                failuresSince: EngineTime? = nil) -> StageVerdict {
        let byName = Dictionary(services.map { ($0.Spec.Name, $0) }, uniquingKeysWith: { first, _ in first })
        return StageVerdict(services: stack.services.map { spec in
            guard let service = byName[spec.Name] else {
                return ServiceHealth(name: spec.Name, state: .waiting("not created yet"), running: 0, desired: 0)
            }
            return evaluate(service, tasks: tasks.filter { $0.ServiceID == service.ID }, failuresSince: failuresSince)
        })
    }

    public static func evaluate(_ service: SwarmService, tasks: [SwarmTask], failuresSince: EngineTime? = nil) -> ServiceHealth {
        let name = service.Spec.Name
        // Tasks made from the spec now in force (Swarm's own test for an out-of-date task).
        let current = tasks.filter { SpecDiff.sameTaskSpec($0.Spec, service.Spec.TaskTemplate) }
        // A failure without a time cannot be placed before the deploy: it counts.
        let failed = current.filter { $0.Status.State.isFailure }
            .filter { task in failuresSince.map { since in task.Status.Timestamp.map { $0 >= since } ?? true } ?? true }
            .sorted { ($0.Status.Timestamp?.nanoseconds ?? 0) < ($1.Status.Timestamp?.nanoseconds ?? 0) }

        // A paused or rolled-back update fails the stage when it began during this deploy;
        // an older one (say, Swarm rolling back someone's broken change) is history.
        if let update = service.UpdateStatus, let state = update.State, state.isStoppedOrRolledBack {
            let olderThanDeploy = failuresSince.flatMap { since in update.StartedAt.map { $0 < since } } ?? false
            // Without a deploy to judge (health), a finished rollback is history: the previous
            // spec serves, and the tasks below say whether it serves well.
            let finishedRollback = failuresSince == nil && state == .rollbackCompleted
            if !olderThanDeploy && !finishedRollback {
                return ServiceHealth(name: name, state: .failed("update \(state): \(update.Message ?? "")"), running: 0, desired: 0)
            }
            // An older rollback still under way: its tasks are about to change; not settled yet.
            if state == .rollbackStarted {
                return ServiceHealth(name: name, state: .waiting("Swarm is still rolling back an earlier update"), running: 0, desired: 0)
            }
        }

        if let job = service.Spec.Mode?.ReplicatedJob {
            let total = Int(job.TotalCompletions ?? 1)
            let completed = current.filter { $0.Status.State == .complete }.count
            if completed >= total { return ServiceHealth(name: name, state: .healthy, running: completed, desired: total) }
            let attempts = Int(service.Spec.TaskTemplate.RestartPolicy?.MaxAttempts ?? 0)
            if let last = failed.last, failed.count > max(attempts, failureLimit - 1) {
                return ServiceHealth(name: name, state: .failed("job failed \(failed.count) times: \(describe(last))"), running: completed, desired: total)
            }
            return ServiceHealth(name: name, state: .waiting(progress(current, completed: completed, of: total)), running: completed, desired: total)
        }

        let wantsRunning = current.filter { $0.DesiredState == .running }
        let running = wantsRunning.filter { $0.Status.State == .running }.count
        // Tasks of an older spec that still run: an update is under way.
        let outdated = tasks.filter { $0.DesiredState == .running && !SpecDiff.sameTaskSpec($0.Spec, service.Spec.TaskTemplate) }.count
        let desired: Int
        if let status = service.ServiceStatus?.DesiredTasks {
            desired = status
        } else if let replicas = service.Spec.Mode?.Replicated?.Replicas {
            desired = Int(replicas)
        } else {
            desired = max(wantsRunning.count, 1)
        }

        // Running as desired is healthy, whatever failed before.
        if desired > 0, running == desired, wantsRunning.count == desired, outdated == 0, service.UpdateStatus?.State != .updating {
            return ServiceHealth(name: name, state: .healthy, running: running, desired: desired)
        }
        if failed.count >= failureLimit, let last = failed.last {
            return ServiceHealth(name: name, state: .failed("\(failed.count) tasks failed: \(describe(last))"), running: running, desired: desired)
        }
        if service.Spec.Mode?.Global != nil, desired == 0 {
            return ServiceHealth(name: name, state: .unschedulable("no node matches its placement constraints"), running: 0, desired: 0)
        }
        if let stuck = wantsRunning.first(where: { $0.Status.State.isUnscheduled && ($0.Status.Err ?? "").contains("no suitable node") }) {
            let err = stuck.Status.Err ?? "no suitable node"
            // A start-first update with no free slot waits forever (moby#36934): say so, not only "no suitable node".
            if service.Spec.UpdateConfig?.Order == "start-first", err.contains("max replicas per node"), outdated > 0 {
                return ServiceHealth(name: name, state: .unschedulable(
                    "update of \(name) cannot progress: start-first needs a free node its constraints allow, and every one already "
                        + "runs its maximum of tasks (\(err)); a deploy of the generated stacks (stop-first) repairs it"),
                    running: running, desired: desired)
            }
            return ServiceHealth(name: name, state: .unschedulable(err), running: running, desired: desired)
        }
        if service.UpdateStatus?.State == .updating {
            return ServiceHealth(name: name, state: .waiting("updating, \(running)/\(desired) running"), running: running, desired: desired)
        }
        var reason = progress(wantsRunning, completed: running, of: desired)
        if outdated > 0 { reason += "; \(outdated) of the previous spec still running" }
        if let last = failed.last { reason += "; last failure: \(describe(last))" }
        return ServiceHealth(name: name, state: .waiting(reason), running: running, desired: desired)
    }

    static func progress(_ tasks: [SwarmTask], completed: Int, of total: Int) -> String {
        let states = Dictionary(grouping: tasks.filter { $0.Status.State != .running && $0.Status.State != .complete }, by: \.Status.State)
            .map { "\($0.value.count) \($0.key)" }.sorted()
        return "\(completed)/\(total) running" + (states.isEmpty ? "" : " (\(states.joined(separator: ", ")))")
    }

    /// "task failed: <error> (exit 1)", with what to do where the Engine's words alone do not say.
    public static func describe(_ task: SwarmTask) -> String {
        var text = task.Status.Err ?? task.Status.Message ?? task.Status.State.rawValue
        if let code = task.Status.ContainerStatus?.ExitCode, code != 0 { text += " (exit \(code))" }
        if text.contains(staleNetworkWords) { text += staleNetworkRemedy }
        return text
    }

    /// Engine 25+'s words when a task's address is not in the subnet of the network its node gave
    /// it: the node still holds an earlier network of the same name (a removed stack's, kept by a
    /// dockerd that was killed or is still letting go), and Docker's executor uses a node's network
    /// by name (moby daemon/cluster/executor/container/adapter.go, createNetworks, ignores "network
    /// with name ... already exists").
    static let staleNetworkWords = "no configured subnet or ip-range contain"
    static let staleNetworkRemedy = " (the node that ran it still holds an earlier network of that name, from before the stack "
        + "was removed: on that node `docker network ls` lists it with another ID; remove it there with `docker network rm <ID>` "
        + "or restart that node's dockerd, then deploy again)"
}
