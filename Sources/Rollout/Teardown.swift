import Foundation
import Inventory
import StackConvert
import SwarmModel

/// Removes stages in reverse order: services, then (once their tasks are gone)
/// configs, secrets and networks of the stack. Data on the hosts stays.
public struct Teardown: Sendable {
    public let swarm: any SwarmAPI
    public let observer: any RolloutObserver
    public var timeout: Duration

    /// How long a lost Engine (a dockerd restart) may take to answer again.
    public var reconnectWindow: Duration = .seconds(180)
    /// How often it looks again while waiting for tasks to stop and networks to be free.
    public var pollInterval: Duration = .milliseconds(250)

    public init(swarm: any SwarmAPI, observer: any RolloutObserver = SilentObserver(), timeout: Duration = .seconds(300)) {
        self.swarm = swarm
        self.observer = observer
        self.timeout = timeout
    }

    /// - Parameter stacks: stage and stack name, in rollout order; removed back to front.
    public func remove(_ stacks: [(Stage, String)]) async throws {
        for (stage, stack) in stacks.sorted(by: { $0.0 > $1.0 }) {
            let started = ContinuousClock.now
            while true {
                do {
                    // Every step ignores what is gone already: after a lost Engine the stage starts over.
                    try await remove(stage, stack: stack, started: started)
                    break
                } catch where EngineOutage.isOutage(error) {
                    _ = try await EngineOutage(swarm: swarm, observer: observer, window: reconnectWindow, operation: .teardown,
                                                retryInterval: pollInterval * 4)
                        .waitForEngine(during: stage, after: error)
                }
            }
        }
    }

    func remove(_ stage: Stage, stack: String, started: ContinuousClock.Instant) async throws {
        let namespace = Filters.stack(stack)
        let services = try await swarm.services(filters: namespace)
        for service in services {
            try await ignoringMissing { try await swarm.removeService(service.ID) }
            observer.report(.service(stage, name: service.Spec.Name, change: .removed))
        }
        // Completed job tasks stay listed after their service is gone: wait for tasks to end, not to vanish.
        let names = Dictionary(services.map { ($0.ID, $0.Spec.Name) }, uniquingKeysWith: { first, _ in first })
        try await waitUntil(stage, "the tasks of \(stack) to stop") {
            let live = try await swarm.tasks(filters: namespace).filter { !$0.Status.State.isTerminal }
            let left = Dictionary(grouping: live, by: { names[$0.ServiceID] ?? $0.ServiceID }).mapValues(\.count)
            observer.report(.stopping(stage, tasksLeft: left, elapsed: ContinuousClock.now - started))
            return live.isEmpty
        }
        for config in try await swarm.configs(filters: namespace) {
            try await ignoringMissing { try await swarm.removeConfig(config.ID) }
            observer.report(.objectRemoved(stage, kind: "config", name: config.Spec.Name))
        }
        for secret in try await swarm.secrets(filters: namespace) {
            try await ignoringMissing { try await swarm.removeSecret(secret.ID) }
            observer.report(.objectRemoved(stage, kind: "secret", name: secret.Spec.Name))
        }
        // A network goes once no container is attached; containers stop after their tasks are gone.
        for network in try await swarm.networks(filters: namespace) {
            try await waitUntil(stage, "network \(network.Name) to be free") {
                do {
                    try await swarm.removeNetwork(network.Id)
                    return true
                } catch let error as EngineError where error.isNotFound {
                    return true
                } catch let error as EngineError where error.status == 403 || error.isConflict || error.message.contains("in use") {
                    return false
                }
            }
            observer.report(.objectRemoved(stage, kind: "network", name: network.Name))
        }
        observer.report(.stageRemoved(stage, elapsed: ContinuousClock.now - started))
    }

    func ignoringMissing(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as EngineError where error.isNotFound {}
    }

    func waitUntil(_ stage: Stage, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: pollInterval)
        }
        throw TeardownTimeout(stage: stage, waitingFor: what, timeout: timeout)
    }
}

/// Teardown waited too long for something the Engine does by itself (tasks stopping, a
/// network freed by its last container).
public struct TeardownTimeout: Error, Sendable {
    public var stage: Stage
    public var waitingFor: String
    public var timeout: Duration
}
