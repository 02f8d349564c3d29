import Blueprint
import Engine
import Foundation
import Inventory
import StackConvert

/// Applies the stages in order through the Engine API and starts a stage only when
/// the one before it is healthy. Everything is checked before the first write.
public struct Deployer: Sendable {
    public struct Options: Sendable {
        /// The longest a stage may take to become healthy.
        public var stageTimeout: Duration = .seconds(600)
        /// Per-stage overrides of `stageTimeout`.
        public var stageTimeouts: [Stage: Duration] = [:]
        /// How long a task may stay unschedulable ("no suitable node") before the stage fails.
        public var unschedulableGrace: Duration = .seconds(15)
        /// How often the state is read when no event arrives.
        public var pollInterval: Duration = .seconds(1)
        /// Lines of logs shown per failing service.
        public var logLines = 20
        /// How long a lost Engine (a daemon restarting, a manager re-electing its leader)
        /// may take to answer as a manager again before the deploy stops.
        public var reconnectWindow: Duration = .seconds(180)

        public init() {}
    }

    public let engine: EngineClient
    public let options: Options
    public let observer: any RolloutObserver

    public init(engine: EngineClient, options: Options = Options(), observer: any RolloutObserver = SilentObserver()) {
        self.engine = engine
        self.options = options
        self.observer = observer
    }

    /// Deploys `stages` (already prepared and checked) in order.
    /// - Parameter stagesToApply: the stages to apply; the others are left as they are.
    public func deploy(_ stages: [PreparedStage], secrets: [SecretSpec], values: SecretValues,
                       stagesToApply: Set<Stage>) async throws -> DeployReport {
        var report = DeployReport()
        let waker = Waker()
        await waker.start(engine)
        defer { waker.stop() }
        for prepared in stages.sorted(by: { $0.stage < $1.stage }) {
            guard stagesToApply.contains(prepared.stage) else {
                observer.report(.stageSkipped(prepared.stage, reason: "not selected"))
                continue
            }
            let started = ContinuousClock.now
            observer.report(.stageStarted(prepared.stage, stack: prepared.spec.name))
            var changes: [String: RolloutEvent.ServiceChange] = [:]
            // Failures before this point (a crash loop while an upstream was down) do not count.
            var engineNow: EngineTime?
            var engineBack: EngineTime?
            while true {
                do {
                    if engineNow == nil { engineNow = EngineTime(try await engine.info().SystemTime ?? "") ?? EngineTime(nanoseconds: 0) }
                    // Applying is idempotent: after a lost Engine it starts again from what the Engine holds.
                    try await apply(prepared, secrets: secrets, values: values, changes: &changes)
                    try await waitUntilHealthy(prepared, waker: waker, started: started, failuresSince: engineNow,
                                               engineBack: engineBack, changes: &changes)
                    break
                } catch where EngineOutage.isOutage(error) {
                    engineBack = try await EngineOutage(engine: engine, observer: observer, window: options.reconnectWindow, operation: "deploy")
                        .waitForEngine(during: prepared.stage, after: error)
                    await waker.start(engine)
                }
            }
            report.changes[prepared.stage] = changes
            let elapsed = ContinuousClock.now - started
            report.healthyAfter[prepared.stage] = elapsed
            report.healthyAt[prepared.stage] = Date()
            observer.report(.stageHealthy(prepared.stage, elapsed: elapsed))
            try await removeUnusedConfigs(prepared)
        }
        return report
    }

    // MARK: apply

    /// Applies one stage; `changes` collects what was done, also when an error cuts it short.
    func apply(_ prepared: PreparedStage, secrets: [SecretSpec], values: SecretValues,
               changes: inout [String: RolloutEvent.ServiceChange]) async throws {
        let stage = prepared.stage, spec = prepared.spec
        let namespace = Filters([("label", "\(StackLabels.namespace)=\(spec.name)")])

        var networkIDs = Dictionary(try await engine.networks().map { ($0.Name, $0.Id) }, uniquingKeysWith: { first, _ in first })
        for network in spec.networks where networkIDs[network.name] == nil {
            guard !network.external else {
                throw StageFailure(stage: stage, summary: "the network \(network.name) does not exist; it is created by stage \(Stage.allCases.first?.rawValue ?? "1"): deploy that stage first",
                                   services: [])
            }
            networkIDs[network.name] = try await engine.createNetwork(NetworkCreateRequest(Name: network.name, Driver: "overlay",
                                                                                           Attachable: network.attachable, Labels: network.labels))
            observer.report(.objectCreated(stage, kind: "network", name: network.name))
        }

        var secretIDs = Dictionary(try await engine.secrets().map { ($0.Spec.Name, $0.ID) }, uniquingKeysWith: { first, _ in first })
        for name in spec.secrets where secretIDs[name] == nil {
            guard let secret = secrets.first(where: { $0.name == name }) else {
                throw StageFailure(stage: stage, summary: "the secret \(name) does not exist and swarmstage does not know what it holds; create it with `docker secret create`",
                                   services: [])
            }
            secretIDs[name] = try await engine.createSecret(name: name, labels: [StackLabels.namespace: spec.name], data: values.data(for: secret.content))
            observer.report(.objectCreated(stage, kind: "secret", name: name))
        }

        var configIDs = Dictionary(try await engine.configs().map { ($0.Spec.Name, $0.ID) }, uniquingKeysWith: { first, _ in first })
        for config in spec.configs where configIDs[config.name] == nil {
            configIDs[config.name] = try await engine.createConfig(name: config.name, labels: config.labels, data: Data(config.data))
            observer.report(.objectCreated(stage, kind: "config", name: config.name))
        }

        let existing = try await engine.services(filters: namespace)
        for desired in spec.services {
            let wanted = StackConverter.resolvingReferences(desired, configIDs: configIDs, secretIDs: secretIDs, networkIDs: networkIDs)
            let change = try await converge(wanted, existing: existing.first { $0.Spec.Name == wanted.Name })
            // A second pass after a reconnect finds unchanged what the first one did.
            if change != .unchanged || changes[wanted.Name] == nil {
                changes[wanted.Name] = change
                observer.report(.service(stage, name: wanted.Name, change: change))
            }
        }
        let desiredNames = Set(spec.services.map(\.Name))
        for stale in existing where !desiredNames.contains(stale.Spec.Name) {
            try await engine.removeService(stale.ID)
            changes[stale.Spec.Name] = .removed
            observer.report(.service(stage, name: stale.Spec.Name, change: .removed))
        }
    }

    // MARK: a lost Engine

    /// A task whose healthcheck passed while its node could not reach a manager runs, but
    /// Docker (seen with Engine 20.10 when the only manager restarted) never adds it to the
    /// overlay's DNS, so nothing finds it by name and whatever depends on it never gets
    /// healthy. After a lost Engine, these are the stage's services with a healthcheck that
    /// have a task of their current spec that reached running before the Engine was back
    /// (workers report such tasks, with the time they changed, as they reconnect).
    public static func servicesHealthyDuringOutage(_ services: [SwarmService], tasks: [SwarmTask], before back: EngineTime) -> [SwarmService] {
        services.filter { service in
            guard let kind = service.Spec.TaskTemplate.ContainerSpec?.Healthcheck?.Test?.first, kind != "NONE" else { return false }
            return tasks.contains { task in
                task.ServiceID == service.ID && task.DesiredState == "running" && task.Status.State == "running"
                    && SpecDiff.sameTaskSpec(task.Spec, service.Spec.TaskTemplate)
                    && (EngineTime(task.Status.Timestamp ?? "") ?? back) < back
            }
        }
    }

    /// Replaces a service's tasks (ForceUpdate, as `docker service update --force`), so that they register again.
    func restartTasks(of service: SwarmService) async throws {
        _ = try await update(service) { current in
            var spec = current.Spec
            spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1
            return spec
        }
    }

    /// Creates, updates or leaves one service; "update out of sequence" is retried on a fresh read.
    public func converge(_ wanted: ServiceSpec, existing: SwarmService?) async throws -> RolloutEvent.ServiceChange {
        guard let current = existing else {
            _ = try await engine.createService(wanted)
            return .created
        }
        if SpecDiff.modeKind(current.Spec) != SpecDiff.modeKind(wanted) {
            try await engine.removeService(current.ID)
            try await waitUntilGone(serviceID: current.ID)
            _ = try await engine.createService(wanted)
            return .recreated(reason: "mode \(SpecDiff.modeKind(current.Spec)) -> \(SpecDiff.modeKind(wanted))")
        }
        var fields: [String] = []
        let wrote = try await update(current) { service in
            fields = SpecDiff.changedFields(desired: wanted, current: service.Spec)
            guard !fields.isEmpty else { return nil }
            // The restart counter belongs to the cluster (`docker service update --force`): kept, as the docker CLI keeps it.
            var spec = wanted
            spec.TaskTemplate.ForceUpdate = service.Spec.TaskTemplate.ForceUpdate
            return spec
        }
        return wrote ? .updated(fields: fields) : .unchanged
    }

    /// Writes what `change` makes of the service's spec (nil: nothing to write), reading the
    /// service again when Swarm answers "update out of sequence" (task state changes bump
    /// its version too). Returns whether it wrote.
    func update(_ service: SwarmService, _ change: (SwarmService) -> ServiceSpec?) async throws -> Bool {
        var current = service
        for attempt in 1...5 {
            guard let spec = change(current) else { return false }
            do {
                try await engine.updateService(current.ID, version: current.Version, spec: spec)
                return true
            } catch let error as EngineError where error.isOutOfSequence && attempt < 5 {
                current = try await engine.service(current.ID)
            }
        }
        return false
    }

    func waitUntilGone(serviceID: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let tasks = try await engine.tasks(filters: Filters([("service", serviceID)]))
            if tasks.allSatisfy({ StageHealth.terminalStates.contains($0.Status.State) }) { return }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    // MARK: health

    /// - Parameter engineBack: when the Engine answered again after an outage during this stage.
    func waitUntilHealthy(_ prepared: PreparedStage, waker: Waker, started: ContinuousClock.Instant, failuresSince: EngineTime?,
                          engineBack: EngineTime? = nil, changes: inout [String: RolloutEvent.ServiceChange]) async throws {
        let namespace = Filters([("label", "\(StackLabels.namespace)=\(prepared.spec.name)")])
        var stuckSince: [String: ContinuousClock.Instant] = [:]
        while true {
            let services = try await engine.services(filters: namespace, status: true)
            let tasks = try await engine.tasks(filters: namespace)
            if let engineBack {
                let stale = Self.servicesHealthyDuringOutage(services, tasks: tasks, before: engineBack)
                for service in stale {
                    try await restartTasks(of: service)
                    let change = RolloutEvent.ServiceChange.restarted(reason: "its tasks got healthy while the Engine was away; Swarm's DNS may lack them")
                    changes[service.Spec.Name] = change
                    observer.report(.service(prepared.stage, name: service.Spec.Name, change: change))
                }
                if !stale.isEmpty { continue }
            }
            let verdict = StageHealth.evaluate(prepared.spec, services: services, tasks: tasks, failuresSince: failuresSince)
            let now = ContinuousClock.now
            observer.report(.waiting(prepared.stage, verdict: verdict, elapsed: now - started))
            if verdict.isHealthy { return }

            var failing = verdict.failures
            let stuck = Set(verdict.unschedulable.map(\.name))
            stuckSince = stuckSince.filter { stuck.contains($0.key) }
            for service in verdict.unschedulable {
                let since = stuckSince[service.name] ?? now
                stuckSince[service.name] = since
                if now - since >= options.unschedulableGrace { failing.append(service) }
            }
            if !failing.isEmpty {
                throw StageFailure(stage: prepared.stage, summary: "stage \(prepared.stage.rawValue) is not healthy",
                                   services: try await explain(failing, services: services, tasks: tasks))
            }
            let timeout = options.stageTimeouts[prepared.stage] ?? options.stageTimeout
            if now - started >= timeout {
                let waiting = verdict.services.filter { !$0.isHealthy }
                throw StageFailure(stage: prepared.stage,
                                   summary: "stage \(prepared.stage.rawValue) did not become healthy within \(timeout)",
                                   services: try await explain(waiting, services: services, tasks: tasks))
            }
            await waker.wait(upTo: options.pollInterval)
        }
    }

    /// Why each service is unhealthy, with the last lines of its logs.
    func explain(_ unhealthy: [ServiceHealth], services: [SwarmService], tasks: [SwarmTask]) async throws -> [StageFailure.ServiceProblem] {
        // A node that went down is the reason, not only Swarm's "no suitable node".
        let nodes = try? await engine.nodes()
        var problems: [StageFailure.ServiceProblem] = []
        for health in unhealthy {
            let reason: String
            switch health.state {
            case .failed(let text), .unschedulable(let text), .waiting(let text): reason = text
            case .healthy: reason = "healthy"
            }
            var lines: [String] = []
            var why = reason
            if let service = services.first(where: { $0.Spec.Name == health.name }) {
                lines = await lastLogLines(service.ID)
                if let nodes, let outage = NodeOutage.explain(service, tasks: tasks.filter { $0.ServiceID == service.ID }, nodes: nodes) {
                    why += "; \(outage)"
                }
            }
            problems.append(.init(service: health.name, reason: why, logLines: lines))
        }
        return problems
    }

    func lastLogLines(_ serviceID: String) async -> [String] {
        let reader = Task { () -> [String] in
            var lines: [String] = []
            guard let stream = try? await engine.serviceLogs(serviceID, tail: options.logLines) else { return [] }
            do {
                for try await line in stream { lines.append(line.text) }
            } catch {}
            return lines
        }
        let timer = Task {
            try await Task.sleep(for: .seconds(10))
            reader.cancel()
        }
        let lines = await reader.value
        timer.cancel()
        return Array(lines.suffix(options.logLines))
    }

    func removeUnusedConfigs(_ prepared: PreparedStage) async throws {
        let wanted = Set(prepared.spec.configs.map(\.name))
        let namespace = Filters([("label", "\(StackLabels.namespace)=\(prepared.spec.name)")])
        for config in try await engine.configs(filters: namespace) where !wanted.contains(config.Spec.Name) {
            do {
                try await engine.removeConfig(config.ID)
                observer.report(.objectRemoved(prepared.stage, kind: "config", name: config.Spec.Name))
            } catch let error as EngineError where error.status == 400 || error.isConflict {
                // Still used by a task that is shutting down: the next deploy removes it.
            }
        }
    }
}

/// What a deploy did.
public struct DeployReport: Sendable {
    public init() {}

    public var changes: [Stage: [String: RolloutEvent.ServiceChange]] = [:]
    public var healthyAfter: [Stage: Duration] = [:]
    public var healthyAt: [Stage: Date] = [:]

    public var writes: Int {
        changes.values.flatMap(\.values).filter { $0 != .unchanged }.count
    }
}

/// A stage that did not become healthy: later stages were not touched.
public struct StageFailure: Error, Sendable, CustomStringConvertible {
    public struct ServiceProblem: Sendable {
        public var service: String
        public var reason: String
        public var logLines: [String]
    }

    public var stage: Stage
    public var summary: String
    public var services: [ServiceProblem]

    public var description: String {
        var lines = ["error: \(summary)"]
        for problem in services {
            lines.append("  \(problem.service): \(problem.reason)")
            for line in problem.logLines { lines.append("    | \(line)") }
        }
        let later = Stage.allCases.filter { $0 > stage }.map(\.rawValue)
        if !later.isEmpty { lines.append("later stages (\(later.joined(separator: ", "))) were not touched; fix the cause and run deploy again") }
        return lines.joined(separator: "\n")
    }
}
