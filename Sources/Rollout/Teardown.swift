import Engine
import Foundation
import Inventory
import StackConvert

/// Removes stages in reverse order: services, then (once their tasks are gone)
/// configs, secrets and networks of the stack. Data on the hosts stays.
public struct Teardown: Sendable {
    public let engine: EngineClient
    public let observer: any RolloutObserver
    public var timeout: Duration

    /// How long a lost Engine (a dockerd restart) may take to answer again.
    public var reconnectWindow: Duration = .seconds(180)

    public init(engine: EngineClient, observer: any RolloutObserver = SilentObserver(), timeout: Duration = .seconds(300)) {
        self.engine = engine
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
                    _ = try await EngineOutage(engine: engine, observer: observer, window: reconnectWindow, operation: "teardown")
                        .waitForEngine(during: stage, after: error)
                }
            }
        }
    }

    func remove(_ stage: Stage, stack: String, started: ContinuousClock.Instant) async throws {
        let namespace = Filters([("label", "\(StackLabels.namespace)=\(stack)")])
        let services = try await engine.services(filters: namespace)
        for service in services {
            try await ignoringMissing { try await engine.removeService(service.ID) }
            observer.report(.service(stage, name: service.Spec.Name, change: .removed))
        }
        // Completed job tasks stay listed after their service is gone: wait for tasks to end, not to vanish.
        let names = Dictionary(services.map { ($0.ID, $0.Spec.Name) }, uniquingKeysWith: { first, _ in first })
        try await waitUntil("the tasks of \(stack) to stop") {
            let live = try await engine.tasks(filters: namespace).filter { !StageHealth.terminalStates.contains($0.Status.State) }
            let left = Dictionary(grouping: live, by: { names[$0.ServiceID] ?? $0.ServiceID }).mapValues(\.count)
            observer.report(.stopping(stage, tasksLeft: left, elapsed: ContinuousClock.now - started))
            return live.isEmpty
        }
        for config in try await engine.configs(filters: namespace) {
            try await ignoringMissing { try await engine.removeConfig(config.ID) }
            observer.report(.objectRemoved(stage, kind: "config", name: config.Spec.Name))
        }
        for secret in try await engine.secrets(filters: namespace) {
            try await ignoringMissing { try await engine.removeSecret(secret.ID) }
            observer.report(.objectRemoved(stage, kind: "secret", name: secret.Spec.Name))
        }
        // A network goes once no container is attached; containers stop after their tasks are gone.
        for network in try await engine.networks(filters: namespace) {
            try await waitUntil("network \(network.Name) is free") {
                do {
                    try await engine.removeNetwork(network.Id)
                    return true
                } catch let error as EngineError where error.isNotFound {
                    return true
                } catch let error as EngineError where error.status == 403 || error.status == 409 || error.message.contains("in use") {
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

    func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw EngineRequirementError("teardown: waited \(timeout) for \(what)")
    }
}
