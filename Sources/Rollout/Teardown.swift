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
        // Pre-pull jobs a deploy could not remove (its Engine lost for good): no stack's, but
        // swarmstage's, made for the later stages; removed with the first stage torn down.
        for job in try await swarm.services(filters: Filters([("label", "\(ImagePrePull.jobLabel)=\(ImagePrePull.jobKind)")])) {
            try await ignoringMissing { try await swarm.removeService(job.ID) }
            observer.report(.objectRemoved(stage, kind: "pre-pull job", name: job.Spec.Name))
        }
        let namespace = Filters.stack(stack)
        let services = try await swarm.services(filters: namespace)
        for service in services {
            try await ignoringMissing { try await swarm.removeService(service.ID) }
            observer.report(.service(stage, name: service.Spec.Name, change: .removed))
        }
        // Completed job tasks stay listed after their service is gone: wait for tasks to end, not to vanish.
        let names = Dictionary(services.map { ($0.ID, $0.Spec.Name) }, uniquingKeysWith: { first, _ in first })
        // A task on a node that is down (not `unknown`: that is a manager that just started and
        // has not heard from the node yet) keeps its last state until the node is back (Swarm has no
        // one to ask): it is named once and not waited for, as `docker stack rm` does not wait.
        // Swarm removes the network once no service and no task meant to run uses it.
        var live: [SwarmTask] = []
        var named: Set<String> = []
        try await waitUntil(stage, "the tasks of \(stack) to stop", still: { try await Self.describe(live, names: names, nodes: swarm.nodes()) }) {
            let tasks = try await swarm.tasks(filters: namespace).filter { !$0.Status.State.isTerminal }
            if tasks.isEmpty {
                live = []
            } else {
                let down = Dictionary(try await swarm.nodes().filter { [.down, .disconnected].contains($0.state) }.map { ($0.ID, $0.hostname) },
                                      uniquingKeysWith: { first, _ in first })
                live = tasks.filter { task in
                    guard let node = task.NodeID, let host = down[node] else { return true }
                    if named.insert(task.ID).inserted {
                        observer.report(.taskLeftOnDownNode(stage, service: names[task.ServiceID] ?? task.ServiceID, host: host))
                    }
                    return false
                }
            }
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
            // A service outside the stack on its network (someone's job, a service attached by
            // hand) keeps it in use for good: named at once, instead of waiting out the timeout.
            let outsiders = try await swarm.services(filters: Filters(), status: false).filter { service in
                service.Spec.Labels?[StackLabels.namespace] != stack
                    && (service.Spec.TaskTemplate.Networks ?? []).contains { $0.Target == network.Id || $0.Target == network.Name }
            }
            if !outsiders.isEmpty {
                throw NetworkInUse(stage: stage, network: network.Name, services: outsiders.map(\.Spec.Name).sorted())
            }
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

    func waitUntil(_ stage: Stage, _ what: String, still: () async throws -> [String] = { [] },
                   _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: pollInterval)
        }
        throw TeardownTimeout(stage: stage, waitingFor: what, timeout: timeout, still: (try? await still()) ?? [])
    }

    /// What is still there, a line a task: its service, its node and that node's state (a task
    /// on a node that is down is reported stopped only once the node is back), and its state.
    static func describe(_ tasks: [SwarmTask], names: [String: String], nodes: [SwarmNode]) -> [String] {
        let byID = Dictionary(nodes.map { ($0.ID, $0) }, uniquingKeysWith: { first, _ in first })
        return tasks.map { task in
            let service = names[task.ServiceID] ?? task.ServiceID
            let node = task.NodeID.flatMap { byID[$0] }
            let place = node.map { "on \($0.hostname) (node \($0.state.rawValue))" } ?? "not placed on a node"
            return "\(service) \(place): task \(task.Status.State.rawValue)"
        }.sorted()
    }
}

/// Teardown waited too long for something the Engine does by itself (tasks stopping, a
/// network freed by its last container).
public struct TeardownTimeout: Error, Sendable {
    public var stage: Stage
    public var waitingFor: String
    public var timeout: Duration
    /// What was still there when it gave up, a line each.
    public var still: [String] = []

    public init(stage: Stage, waitingFor: String, timeout: Duration, still: [String] = []) {
        self.stage = stage
        self.waitingFor = waitingFor
        self.timeout = timeout
        self.still = still
    }
}

/// A network of the stack that services outside it still use: it cannot go until they do.
public struct NetworkInUse: Error, Sendable, CustomStringConvertible {
    public var stage: Stage
    public var network: String
    public var services: [String]

    public init(stage: Stage, network: String, services: [String]) {
        self.stage = stage
        self.network = network
        self.services = services
    }

    public var description: String {
        "teardown of stage \(stage.number) \(stage.rawValue): network \(network) is used by \(services.count == 1 ? "service" : "services") "
            + "outside the stack (\(services.joined(separator: ", "))); remove \(services.count == 1 ? "it" : "them") "
            + "(`docker service rm`), then run teardown again"
    }
}
