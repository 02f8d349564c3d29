import Blueprint
import Foundation
import Inventory
import StackConvert
import SwarmModel

/// Applies the stages in order and starts a stage only when the one before it is healthy.
/// Each stage is planned from a snapshot of the swarm (`DeployPlanner`) and the plan's
/// actions are executed as they are: what `--plan` prints is what happens. Everything is
/// checked before the first write.
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
        /// How often a lost Engine is asked whether it is back.
        public var reconnectInterval: Duration = .seconds(1)
        /// How long a removed service's tasks may take to stop before it is created again.
        public var recreateWait: Duration = .seconds(60)
        /// One second of a session's expiry as waited (fake swarms in tests shorten it).
        public var sessionExpiryUnit: Duration = .seconds(1)
        /// Whether later stages' images are pulled on their hosts while an earlier stage waits for
        /// its gate (`ImagePrePull`); off (`deploy --no-pre-pull`), each task pulls its image when
        /// Swarm prepares it, as `docker stack deploy` leaves it.
        public var prePull = true

        public init() {}
    }

    public let swarm: any SwarmAPI
    public let options: Options
    public let observer: any RolloutObserver
    /// How etcd is asked while a member is replaced; nil: `etcdctl` jobs on the swarm (`JobEtcdControl`).
    public let etcd: (any EtcdControl)?
    /// How BookKeeper is asked while a bookie is decommissioned; nil: `bookkeeper shell` jobs on the swarm (`JobBookieControl`).
    public let bookies: (any BookieControl)?
    /// How ZooKeeper's servers are asked between the rounds of a growth; nil: `srvr`/`conf` jobs on the swarm (`ZooKeeperStatusJob`).
    public let zooKeeper: (any ZooKeeperStatus)?

    public init(swarm: any SwarmAPI, options: Options = Options(), observer: any RolloutObserver = SilentObserver(),
                etcd: (any EtcdControl)? = nil, bookies: (any BookieControl)? = nil, zooKeeper: (any ZooKeeperStatus)? = nil) {
        self.swarm = swarm
        self.options = options
        self.observer = observer
        self.etcd = etcd
        self.bookies = bookies
        self.zooKeeper = zooKeeper
    }

    /// Deploys `stages` (already prepared and checked) in order.
    /// - Parameter stagesToApply: the stages to apply; the others are left as they are.
    public func deploy(_ stages: [PreparedStage], secrets: [SecretSpec], values: SecretValues,
                       stagesToApply: Set<Stage>) async throws -> DeployReport {
        var report = DeployReport()
        let chosen = stages.filter { stagesToApply.contains($0.stage) }
        var membershipChecked = false
        let waker = Waker()
        await waker.start(swarm)
        defer { waker.stop() }
        // Later stages' images, pulled while the first stage applied waits for its gate.
        var prePulls: [Stage: Task<ImagePrePull.Outcome, any Error>] = [:]
        var prePullsStarted = false
        do {
            try await deployStages(stages, secrets: secrets, values: values, stagesToApply: stagesToApply, chosen: chosen,
                                   membershipChecked: &membershipChecked, waker: waker, prePulls: &prePulls,
                                   prePullsStarted: &prePullsStarted, report: &report)
        } catch {
            // A job left running would hold its image's hosts busy: stopped and removed first.
            for pulling in prePulls.values { pulling.cancel() }
            for pulling in prePulls.values { _ = await pulling.result }
            throw error
        }
        return report
    }

    /// Starts pulling the images of `later` stages (one task per stage, each planning its stage
    /// from what runs now): they run while the current stage waits for its gate. A stage whose
    /// plan has a problem is not pulled for: it refuses at its turn, and nothing is written for it.
    func startPrePulls(_ later: [PreparedStage], secrets: [SecretSpec], values: SecretValues) -> [Stage: Task<ImagePrePull.Outcome, any Error>] {
        var started: [Stage: Task<ImagePrePull.Outcome, any Error>] = [:]
        for prepared in later {
            let prePull = ImagePrePull(swarm: swarm, timeout: options.stageTimeouts[prepared.stage] ?? options.stageTimeout,
                                       pollInterval: options.pollInterval / 2)
            let swarm = self.swarm
            started[prepared.stage] = Task {
                let snapshot = try await SwarmSnapshot.read(swarm, stacks: [prepared.spec.name])
                let choices = try await SecretRotation.choose(secrets.filter { prepared.spec.secrets.contains($0.name) }, values: values,
                                                              existing: snapshot.secrets)
                let plan = DeployPlanner.plan(prepared, snapshot: snapshot, secrets: choices)
                guard plan.problems.isEmpty else { return ImagePrePull.Outcome() }
                return try await prePull.pull(ImagePrePull.requests(for: plan, running: snapshot.services(of: prepared.spec.name)),
                                              on: snapshot.nodes, stage: prepared.stage)
            }
        }
        return started
    }

    /// Waits for a stage's pre-pull: a host that cannot pull an image stops the deploy before the
    /// stage is touched; a pre-pull that could not run (a lost Engine) leaves the pulls to the tasks.
    func awaitPrePull(_ pulling: Task<ImagePrePull.Outcome, any Error>, stage: Stage) async throws {
        let started = ContinuousClock.now
        switch await pulling.result {
        case .success(let outcome):
            if !outcome.failures.isEmpty {
                throw StageFailure(stage: stage, reason: .imagesNotPulled(hosts: Set(outcome.failures.map(\.host)).count),
                                   services: outcome.failures.map {
                                       StageFailure.ServiceProblem(service: $0.host, reason: "cannot pull \($0.image) (for \($0.services.joined(separator: ", "))): "
                                           + "\($0.error); the registry's answer is in that host's dockerd log ('pulling image failed')", logLines: [])
                                   })
            }
            if outcome.jobs > 0 {
                observer.report(.imagesPulled(stage, images: outcome.pulled.count, hosts: Set(outcome.pulled.values.flatMap { $0 }).count,
                                              waited: ContinuousClock.now - started))
            }
        case .failure(let error):
            observer.report(.prePullFailed(stage, reason: "\(error)"))
        }
    }

    private func deployStages(_ stages: [PreparedStage], secrets: [SecretSpec], values: SecretValues, stagesToApply: Set<Stage>,
                              chosen: [PreparedStage], membershipChecked: inout Bool, waker: Waker,
                              prePulls: inout [Stage: Task<ImagePrePull.Outcome, any Error>], prePullsStarted: inout Bool,
                              report: inout DeployReport) async throws {
        for prepared in stages.sorted(by: { $0.stage < $1.stage }) {
            guard stagesToApply.contains(prepared.stage) else {
                observer.report(.stageSkipped(prepared.stage, reason: "not selected"))
                continue
            }
            if let pulling = prePulls.removeValue(forKey: prepared.stage) {
                try await awaitPrePull(pulling, stage: prepared.stage)
            }
            var run = StageRun(stage: prepared.stage, started: ContinuousClock.now)
            observer.report(.stageStarted(prepared.stage, stack: prepared.spec.name))
            while true {
                do {
                    // Failures before this point (a crash loop while an upstream was down) do not count.
                    if run.failuresSince == nil {
                        run.failuresSince = try await swarm.info().SystemTime ?? EngineTime(nanoseconds: 0)
                        run.downAtStart = Set(try await swarm.nodes().filter { $0.state != .ready }.map(\.ID))
                    }
                    // Membership changes the tiers' own procedures must make: refused before anything is written.
                    if !membershipChecked {
                        let current = try await SwarmSnapshot.read(swarm, stacks: chosen.map(\.spec.name))
                        if let (stage, reason) = MembershipGuard.problems(chosen, snapshot: current).first {
                            throw StageFailure(stage: stage, reason: reason, services: [])
                        }
                        membershipChecked = true
                    }
                    // After a lost Engine: plan again from what the Engine holds now, and apply that.
                    let snapshot = try await SwarmSnapshot.read(swarm, stacks: [prepared.spec.name])
                    // Which generation serves each of the stage's secrets (a rotation made before a lost
                    // Engine is found again, by its fingerprint).
                    let choices = try await SecretRotation.choose(secrets.filter { prepared.spec.secrets.contains($0.name) }, values: values,
                                                            existing: snapshot.secrets)
                    let plan = DeployPlanner.plan(prepared, snapshot: snapshot, secrets: choices)
                    if let problem = plan.problems.first { throw StageFailure(stage: prepared.stage, reason: problem, services: []) }
                    // Once the first stage's changes are made (every refusal of its own behind it) and
                    // it waits for its gate, the later stages' images are pulled.
                    let later = chosen.filter { $0.stage > prepared.stage }.sorted { $0.stage < $1.stage }
                    try await execute(plan, prepared: prepared, snapshot: snapshot, secrets: secrets, values: values, waker: waker, run: &run) {
                        if !prePullsStarted {
                            if options.prePull { prePulls = startPrePulls(later, secrets: secrets, values: values) }
                            prePullsStarted = true
                        }
                    }
                    break
                } catch let error as EngineError where error.isOutage {
                    run.engineBack = try await EngineOutage(swarm: swarm, observer: observer, window: options.reconnectWindow, operation: .deploy,
                                                  retryInterval: options.reconnectInterval)
                        .waitForEngine(during: prepared.stage, after: error)
                    await waker.start(swarm)
                }
            }
            report.changes[prepared.stage] = run.changes
            if !run.leftDown.isEmpty { report.leftDown[prepared.stage] = run.leftDown }
            report.executed += run.executed
            if let healthyAfter = run.healthyAfter {
                report.healthyAfter[prepared.stage] = healthyAfter
                report.healthyAt[prepared.stage] = Date()
            }
        }
    }

    /// Where one stage's deploy stands; kept across a lost Engine.
    struct StageRun {
        var stage: Stage
        var started: ContinuousClock.Instant
        var changes: [String: RolloutEvent.ServiceChange] = [:]
        var executed: [DeployAction] = []
        var failuresSince: EngineTime?
        /// When the Engine answered again after an outage during this stage.
        var engineBack: EngineTime?
        var healthyAfter: Duration?
        /// Nodes already down when the stage began: what `DownHostTolerance` may leave.
        var downAtStart: Set<String> = []
        /// Services the gate passed without (their host down before the deploy), with why.
        var leftDown: [String: String] = [:]

        init(stage: Stage, started: ContinuousClock.Instant) {
            self.stage = stage
            self.started = started
        }
    }

    // MARK: executing a plan

    /// Executes a stage's plan in order; `run` records what was done, also when an error cuts it short.
    func execute(_ plan: StagePlan, prepared: PreparedStage, snapshot: SwarmSnapshot, secrets: [SecretSpec], values: SecretValues,
                 waker: Waker, run: inout StageRun, atGate: () -> Void = {}) async throws {
        var networkIDs = snapshot.networkIDs, secretIDs = snapshot.secretIDs, configIDs = snapshot.configIDs
        func resolved(_ spec: ServiceSpec) -> ServiceSpec {
            StackConverter.resolvingReferences(spec, configIDs: configIDs, secretIDs: secretIDs, networkIDs: networkIDs)
        }
        let stage = plan.stage
        func makeSecret(_ name: String, labels: [String: String]) async throws -> String {
            // A generation's contents are its family's (the stack file's name).
            let family = labels[SecretRotation.familyLabel] ?? name
            guard let secret = secrets.first(where: { $0.name == family }), values.isComplete else {
                throw StageFailure(stage: stage, reason: .unknownSecret(name), services: [])
            }
            let id = try await swarm.createSecret(name: name, labels: labels, data: values.data(for: secret.content))
            observer.report(.objectCreated(stage, kind: "secret", name: name))
            return id
        }
        for (index, action) in plan.actions.enumerated() {
            switch action {
            case .createNetwork(let network):
                networkIDs[network.name] = try await swarm.createNetwork(
                    NetworkCreateRequest(Name: network.name, Driver: "overlay", Attachable: network.attachable, Labels: network.labels,
                                         Options: network.encrypted ? ["encrypted": ""] : nil))
                observer.report(.objectCreated(stage, kind: "network", name: network.name))
            case .createSecret(let name, let labels):
                secretIDs[name] = try await makeSecret(name, labels: labels)
            case .rotateSecret(let choice, let labels):
                secretIDs[choice.name] = try await makeSecret(choice.name, labels: labels)
            case .removeSecret(let id, let name):
                do {
                    try await swarm.removeSecret(id)
                    observer.report(.objectRemoved(stage, kind: "secret", name: name))
                } catch let error as EngineError where !error.isOutage {
                    // Still used (a service outside the plan): the next deploy removes it.
                }
            case .createConfig(let config):
                configIDs[config.name] = try await swarm.createConfig(name: config.name, labels: config.labels, data: Data(config.data))
                observer.report(.objectCreated(stage, kind: "config", name: config.name))
            case .createService(let spec):
                _ = try await swarm.createService(resolved(spec))
            case .updateService(let id, let spec, _):
                try await write(resolved(spec), over: id)
            case .recreateService(let id, let spec, _):
                try await ignoringMissing { try await swarm.removeService(id) }
                try await waitUntilGone(serviceID: id)
                _ = try await swarm.createService(resolved(spec))
            case .removeService(let id, _):
                try await ignoringMissing { try await swarm.removeService(id) }
            case .leaveService:
                break
            case .deferService(let name, let fields, let hosts):
                run.leftDown[name] = "update deferred (\(fields.joined(separator: ", "))): every host it may run on is down (\(hosts.joined(separator: ", ")))"
                observer.report(.serviceLeftDown(stage, name: name, reason: run.leftDown[name] ?? ""))
            case .stopForSessionExpiry(let id, _, let seconds):
                try await stopForSessionExpiry(id, seconds: seconds)
            case .replaceEtcdMember(let id, let spec, let move):
                try await replaceEtcdMember(id: id, spec: resolved(spec), move: move, stage: prepared.stage,
                                            members: snapshot.services(of: prepared.spec.name))
            case .addEtcdMember(let spec):
                try await addEtcdMember(spec: resolved(spec), stage: prepared.stage, members: snapshot.services(of: prepared.spec.name))
            case .removeEtcdMember(let id, let name, let member, let peerURL):
                let staying = Set(prepared.spec.services.map(\.Name))
                try await removeEtcdMember(id: id, service: name, member: member, peerURL: peerURL, stage: prepared.stage,
                                           staying: snapshot.services(of: prepared.spec.name).filter { staying.contains($0.Spec.Name) })
            case .decommissionBookie(let id, let name, let bookie):
                let staying = Set(prepared.spec.services.map(\.Name))
                try await decommissionBookie(id: id, service: name, bookie: bookie, stage: prepared.stage,
                                             staying: snapshot.services(of: prepared.spec.name).filter { staying.contains($0.Spec.Name) })
            case .waitForService:
                // Services the plan changes later may be down or broken now (a repair): not waited for.
                try await waitUntilHealthy(prepared, waker: waker, run: &run, ignoring: plan.actions.pendingChanges(after: index),
                                           since: ContinuousClock.now)
            case .waitForGate:
                atGate()
                try await waitUntilHealthy(prepared, waker: waker, run: &run)
                let elapsed = ContinuousClock.now - run.started
                run.healthyAfter = elapsed
                observer.report(.stageHealthy(stage, elapsed: elapsed))
            case .waitForZooKeeper(let stage, let servers):
                try await waitForZooKeeper(servers, stage: stage)
            case .removeConfig(let id, let name):
                do {
                    // A config made earlier in this plan has its ID only now.
                    try await swarm.removeConfig(id.isEmpty ? configIDs[name] ?? name : id)
                    observer.report(.objectRemoved(stage, kind: "config", name: name))
                } catch let error as EngineError where !error.isOutage {
                    // Still used by a task that is shutting down: the next deploy removes it.
                }
            }
            if let name = action.serviceName, let change = action.serviceChange {
                // A second pass after a reconnect finds unchanged what the first one did.
                if change != .unchanged || run.changes[name] == nil {
                    run.changes[name] = change
                    observer.report(.service(stage, name: name, change: change))
                }
            }
            run.executed.append(action)
        }
    }

    /// etcd's procedure for a member whose host is gone (`EtcdReplacement`), one step at a time,
    /// each step skipped when etcd shows it done (a deploy cut short goes on where it stopped).
    func replaceEtcdMember(id: String, spec: ServiceSpec, move: EtcdReplacement.Move, stage: Stage, members: [SwarmService]) async throws {
        func refuse(_ reason: String) -> StageFailure {
            StageFailure(stage: stage, reason: .rollingChangeUnsafe(service: move.service, reason: reason), services: [])
        }
        let memberServices = members.filter { $0.Spec.Labels?[Component.label] == Component.etcd.rawValue }
        let others = memberServices.filter { $0.Spec.Name != move.service }
        let clientURLs = others.compactMap { EtcdReplacement.argument("--advertise-client-urls=", in: $0.Spec) }
        guard let control = etcd ?? JobEtcdControl.forMembers(others, swarm: swarm, healthyMember: nil), !clientURLs.isEmpty else {
            throw refuse("no other etcd member to ask")
        }
        let healthy = try await control.healthy(endpoints: clientURLs).sorted()
        guard !healthy.isEmpty else { throw refuse("none of the other etcd members is healthy (\(clientURLs.joined(separator: ", ")))") }
        let listed = try await control.members(endpoints: healthy)
        guard healthy.count >= EtcdReplacement.quorum(of: listed.count) else {
            throw refuse("only \(healthy.count) of the \(listed.count) etcd members are healthy; a member is replaced only while "
                + "the others hold the quorum (\(EtcdReplacement.quorum(of: listed.count))); bring the other hosts back first")
        }
        if let old = listed.first(where: { $0.started && $0.peerURLs.contains(move.peerURL) }) {
            try await retryingWhileSettling(stage) { try await control.removeMember(id: old.id, endpoints: healthy) }
        }
        if try await !control.members(endpoints: healthy).contains(where: { $0.peerURLs.contains(move.peerURL) }) {
            try await retryingWhileSettling(stage) {
                try await control.addMember(name: move.member, peerURL: move.peerURL, asLearner: false, endpoints: healthy)
            }
        }
        guard let added = try await control.members(endpoints: healthy).first(where: { !$0.started && $0.peerURLs.contains(move.peerURL) }) else {
            throw refuse("etcd does not list the member added for \(move.peerURL)")
        }
        try await write(EtcdReplacement.with(EtcdReplacement.dataDirFlag, EtcdReplacement.replacedDataDir(spec, memberID: added.id), in: spec), over: id)
        // Started once it has joined and caught up: etcd lists it by name and every member answers.
        let allURLs = memberServices.compactMap { EtcdReplacement.argument("--advertise-client-urls=", in: $0.Spec) }
        let deadline = ContinuousClock.now + (options.stageTimeouts[stage] ?? options.stageTimeout)
        while true {
            let now = try await control.members(endpoints: healthy)
            if now.contains(where: { $0.started && $0.name == move.member }),
               try await control.healthy(endpoints: allURLs).count == allURLs.count { return }
            guard ContinuousClock.now < deadline else {
                throw StageFailure(stage: stage, reason: .timedOut(options.stageTimeouts[stage] ?? options.stageTimeout),
                                   services: [StageFailure.ServiceProblem(service: move.service,
                                                                          reason: "etcd member \(move.member) was added but has not started and caught up",
                                                                          logLines: [])])
            }
            try await Task.sleep(for: options.pollInterval * 2)
        }
    }

    /// etcd's procedure for a member the inventory adds (`EtcdGrowth`), each step skipped when
    /// etcd or the swarm shows it done (a deploy cut short goes on where it stopped).
    func addEtcdMember(spec: ServiceSpec, stage: Stage, members: [SwarmService]) async throws {
        func refuse(_ reason: String) -> StageFailure {
            StageFailure(stage: stage, reason: .rollingChangeUnsafe(service: spec.Name, reason: reason), services: [])
        }
        guard let name = EtcdReplacement.argument("--name=", in: spec),
              let peerURL = EtcdReplacement.argument("--initial-advertise-peer-urls=", in: spec),
              let clientURL = EtcdReplacement.argument("--advertise-client-urls=", in: spec) else {
            throw refuse("the member's service has no --name, --initial-advertise-peer-urls or --advertise-client-urls")
        }
        let running = members.filter { $0.Spec.Labels?[Component.label] == Component.etcd.rawValue && $0.Spec.Name != spec.Name }
        let clientURLs = running.compactMap { EtcdReplacement.argument("--advertise-client-urls=", in: $0.Spec) }
        guard let control = etcd ?? JobEtcdControl.forMembers(running, swarm: swarm, healthyMember: nil), !clientURLs.isEmpty else {
            throw refuse("no running etcd member to ask")
        }
        let healthy = try await control.healthy(endpoints: clientURLs).sorted()
        var listed = try await control.members(endpoints: healthy.isEmpty ? clientURLs : healthy)
        let joined = listed.first { $0.peerURLs.contains(peerURL) }
        // Before the first change only: once etcd lists the member, a deploy cut short goes on.
        if joined == nil, healthy.count < clientURLs.count {
            let missing = clientURLs.filter { !healthy.contains($0) }
            throw refuse("etcd at \(missing.joined(separator: ", ")) does not answer; a member is added only while every member is healthy "
                + "(etcd docs, Runtime reconfiguration): bring it back, or replace it first")
        }
        if joined == nil {
            try await retryingWhileSettling(stage) { try await control.addMember(name: name, peerURL: peerURL, asLearner: true, endpoints: healthy) }
            listed = try await control.members(endpoints: healthy)
        }
        guard let added = listed.first(where: { $0.peerURLs.contains(peerURL) }) else {
            throw refuse("etcd does not list the member added for \(peerURL)")
        }
        let asked = healthy.isEmpty ? clientURLs : healthy
        do {
            _ = try await swarm.service(spec.Name)
        } catch let error as EngineError where error.isNotFound {
            // In a data directory of its own (named after its member ID): one an earlier member of
            // this name left on the host (removed by `member remove`) is not mistaken for its state.
            let joining = EtcdGrowth.joining(spec, members: listed, name: name, peerURL: peerURL)
            _ = try await swarm.createService(EtcdReplacement.with(EtcdReplacement.dataDirFlag,
                                                                   EtcdReplacement.replacedDataDir(spec, memberID: added.id), in: joining))
        }
        // A learner is promoted once etcd says it has caught up; then every member must answer.
        let deadline = ContinuousClock.now + (options.stageTimeouts[stage] ?? options.stageTimeout)
        var last = "etcd member \(name) was added but has not started"
        while true {
            let now = try await control.members(endpoints: asked)
            if let member = now.first(where: { $0.peerURLs.contains(peerURL) }), member.started {
                if member.isLearner {
                    do {
                        try await control.promoteMember(id: member.id, endpoints: asked)
                        continue
                    } catch let refused as EtcdCommandError {
                        last = "etcd member \(name) started as a learner and is not promoted yet: \(refused.output)"
                    }
                } else if try await control.healthy(endpoints: clientURLs + [clientURL]).count == clientURLs.count + 1 {
                    return
                } else {
                    last = "etcd member \(name) is promoted, and not every member is healthy yet"
                }
            }
            guard ContinuousClock.now < deadline else {
                throw StageFailure(stage: stage, reason: .timedOut(options.stageTimeouts[stage] ?? options.stageTimeout),
                                   services: [StageFailure.ServiceProblem(service: spec.Name, reason: last, logLines: [])])
            }
            try await Task.sleep(for: options.pollInterval * 2)
        }
    }

    /// The end of a round of a ZooKeeper growth (`ZooKeeperGrowth`): every one of `servers` serves,
    /// exactly one leads, and each names exactly these servers as its ensemble. Asked from where a
    /// running server of the round runs (`ZooKeeperStatus`), until the stage's timeout.
    func waitForZooKeeper(_ servers: [String], stage: Stage) async throws {
        let status = zooKeeper ?? ZooKeeperStatusJob(swarm: swarm)
        let hosts = servers.map(ZooKeeperSyncWait.host(of:))
        let limit = options.stageTimeouts[stage] ?? options.stageTimeout
        let deadline = ContinuousClock.now + limit
        var last = "no server of the round runs"
        while true {
            if let asker = try await HandOverTask.running(swarm, services: servers).first {
                do {
                    let states = try await status.states(of: hosts, from: asker)
                    let leaders = states.filter { $0.mode == "leader" }.count
                    let strangers = states.filter { $0.serves && $0.members != nil && $0.members != hosts }
                    if states.allSatisfy(\.serves), leaders == 1, strangers.isEmpty, states.allSatisfy({ $0.members != nil }) {
                        observer.report(.zooKeeperServing(stage, servers: servers, states: states.map(\.description).joined(separator: "; ")))
                        return
                    }
                    last = states.map(\.description).joined(separator: "; ") + (leaders == 1 ? "" : "; \(leaders) leaders")
                        + strangers.map { "; \($0.host) lists \($0.members?.joined(separator: ", ") ?? "")" }.joined()
                } catch is SwarmJob.NotEnded {
                    last = "the job asking the servers (srvr, conf) did not end"
                }
            }
            guard ContinuousClock.now < deadline else {
                throw StageFailure(stage: stage, reason: .timedOut(limit), services: [
                    StageFailure.ServiceProblem(service: servers.joined(separator: ", "),
                                                reason: "ZooKeeper's servers do not all serve on one list of \(hosts.count): \(last)", logLines: [])])
            }
            try await Task.sleep(for: options.pollInterval * 2)
        }
    }

    /// etcd's procedure for a member the inventory no longer has (etcd docs, "Runtime
    /// reconfiguration", remove a member; `--strict-reconfig-check`): `member remove` while every
    /// member that stays is healthy (so the smaller cluster has its quorum at once), then its
    /// service (a removed member stops by itself), then every member that stays healthy again.
    /// One member at a time; each step skipped when etcd or the swarm shows it done.
    func removeEtcdMember(id: String, service: String, member: String, peerURL: String, stage: Stage,
                          staying: [SwarmService]) async throws {
        func refuse(_ reason: String) -> StageFailure {
            StageFailure(stage: stage, reason: .rollingChangeUnsafe(service: service, reason: reason), services: [])
        }
        let stayingMembers = staying.filter { $0.Spec.Labels?[Component.label] == Component.etcd.rawValue }
        let clientURLs = stayingMembers.compactMap { EtcdReplacement.argument("--advertise-client-urls=", in: $0.Spec) }
        guard let control = etcd ?? JobEtcdControl.forMembers(stayingMembers, swarm: swarm, healthyMember: nil), !clientURLs.isEmpty else {
            throw refuse("no etcd member that stays to ask")
        }
        let healthy = try await control.healthy(endpoints: clientURLs).sorted()
        let listed = try await control.members(endpoints: healthy.isEmpty ? clientURLs : healthy)
        if let leaving = listed.first(where: { $0.peerURLs.contains(peerURL) }) {
            guard healthy.count == clientURLs.count else {
                let missing = clientURLs.filter { !healthy.contains($0) }
                throw refuse("etcd at \(missing.joined(separator: ", ")) does not answer; a member is removed only while every member "
                    + "that stays is healthy (etcd docs, Runtime reconfiguration), so that the smaller cluster holds its quorum: "
                    + "bring it back, or replace it first")
            }
            try await retryingWhileSettling(stage) { try await control.removeMember(id: leaving.id, endpoints: healthy) }
        }
        // Removed from the cluster, the member stops by itself; its service goes now.
        try await ignoringMissing { try await swarm.removeService(id) }
        let deadline = ContinuousClock.now + (options.stageTimeouts[stage] ?? options.stageTimeout)
        while true {
            let now = try await control.members(endpoints: clientURLs)
            if !now.contains(where: { $0.peerURLs.contains(peerURL) }),
               try await control.healthy(endpoints: clientURLs).count == clientURLs.count { return }
            guard ContinuousClock.now < deadline else {
                throw StageFailure(stage: stage, reason: .timedOut(options.stageTimeouts[stage] ?? options.stageTimeout),
                                   services: [StageFailure.ServiceProblem(service: service,
                                                                          reason: "etcd member \(member) was removed, and not every member that stays is healthy",
                                                                          logLines: [])])
            }
            try await Task.sleep(for: options.pollInterval * 2)
        }
    }

    /// A membership change, retried while etcd refuses it as "unhealthy cluster": with
    /// `--strict-reconfig-check` etcd changes its membership only once every voting member has
    /// been connected for 5 s (etcdserver/server.go, mayAddMember/mayRemoveMember,
    /// `HealthInterval`), which a member promoted or restarted a moment ago is not yet (seen in CI).
    func retryingWhileSettling(_ stage: Stage, _ change: () async throws -> Void) async throws {
        let deadline = ContinuousClock.now + (options.stageTimeouts[stage] ?? options.stageTimeout)
        while true {
            do {
                return try await change()
            } catch let refused as EtcdCommandError where refused.output.contains("unhealthy cluster") && ContinuousClock.now < deadline {
                try await Task.sleep(for: options.pollInterval * 2)
            }
        }
    }

    /// Writes `spec` over the service, keeping its restart counter (`docker service update
    /// --force` is the cluster's, as the docker CLI keeps it). "update out of sequence" (task
    /// state changes bump a service's version too) is retried on a fresh read.
    public func write(_ spec: ServiceSpec, over id: String) async throws {
        try await update(id) { current in
            var next = spec
            next.TaskTemplate.ForceUpdate = current.Spec.TaskTemplate.ForceUpdate
            return next
        }
    }

    /// Writes what `change` makes of the service's current spec, reading it again when Swarm
    /// answers "update out of sequence".
    func update(_ id: String, _ change: (SwarmService) -> ServiceSpec) async throws {
        // Read now, not from the plan's snapshot: in a rolling change a service's turn comes
        // minutes after the snapshot, and its version has moved with every task change since.
        var current = try await swarm.service(id)
        for attempt in 1...5 {
            do {
                try await swarm.updateService(current.ID, version: current.Version, spec: change(current))
                return
            } catch let error as EngineError where error.isOutOfSequence && attempt < 5 {
                current = try await swarm.service(id)
            }
        }
    }

    /// Scales a replicated service to 0 (the rest of its spec kept), waits until its tasks have
    /// stopped, then `seconds` more. Already at 0 (a deploy run again after an interruption):
    /// no write, and the wait still applies.
    func stopForSessionExpiry(_ id: String, seconds: Int) async throws {
        let grace = try await scaleToZero(id)
        try await waitUntilGone(serviceID: id, within: grace + .seconds(30))
        try await Task.sleep(for: options.sessionExpiryUnit * seconds)
    }

    /// Scales a replicated service to 0 (no write when it is already) and returns its stop grace
    /// period (Docker's default 10 s when the spec has none), within which its tasks stop.
    func scaleToZero(_ id: String) async throws -> Duration {
        let current = try await swarm.service(id)
        if let replicas = current.Spec.Mode?.Replicated?.Replicas, replicas > 0 {
            try await update(id) { current in
                var spec = current.Spec
                spec.Mode?.Replicated?.Replicas = 0
                return spec
            }
        }
        return .nanoseconds(current.Spec.TaskTemplate.ContainerSpec?.StopGracePeriod ?? 10_000_000_000)
    }

    func ignoringMissing(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as EngineError where error.isNotFound {}
    }

    func waitUntilGone(serviceID: String, within limit: Duration? = nil) async throws {
        let deadline = ContinuousClock.now + (limit ?? options.recreateWait)
        while ContinuousClock.now < deadline {
            let tasks = try await swarm.tasks(filters: .service(serviceID))
            if tasks.allSatisfy({ $0.Status.State.isTerminal }) { return }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    // MARK: a lost Engine

    /// A task whose healthcheck passed while its node could not reach a manager runs, but
    /// Docker (seen with Engine 20.10 when the only manager restarted) never adds it to the
    /// overlay's DNS, so nothing finds it by name and whatever depends on it never gets
    /// healthy. After a lost Engine, these are the stage's services with a healthcheck that
    /// have a task of their current spec that reached running before the Engine was back
    /// (workers report such tasks, with the time they changed, as they reconnect). This is
    /// decided at the gate, not in the plan: the tasks are reported after the plan was made.
    public static func servicesHealthyDuringOutage(_ services: [SwarmService], tasks: [SwarmTask], before back: EngineTime) -> [SwarmService] {
        services.filter { service in
            guard let kind = service.Spec.TaskTemplate.ContainerSpec?.Healthcheck?.Test?.first, kind != "NONE" else { return false }
            return tasks.contains { task in
                guard task.ServiceID == service.ID, task.DesiredState == .running, task.Status.State == .running,
                      SpecDiff.sameTaskSpec(task.Spec, service.Spec.TaskTemplate), let reached = task.Status.Timestamp else { return false }
                return reached < back
            }
        }
    }

    /// Replaces a service's tasks (ForceUpdate, as `docker service update --force`), so that they register again.
    func restartTasks(of service: SwarmService) async throws {
        try await update(service.ID) { current in
            var spec = current.Spec
            spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1
            return spec
        }
    }

    // MARK: the gate

    /// - Parameters:
    ///   - ignoring: services not judged (a rolling step's gate leaves out those still to change).
    ///   - since: when the wait began, for its timeout (a rolling step has the stage's timeout of its own).
    func waitUntilHealthy(_ prepared: PreparedStage, waker: Waker, run: inout StageRun, ignoring: Set<String> = [],
                          since: ContinuousClock.Instant? = nil) async throws {
        let namespace = Filters.stack(prepared.spec.name)
        let started = since ?? run.started
        var stuckSince: [String: ContinuousClock.Instant] = [:]
        while true {
            let services = try await swarm.services(filters: namespace, status: true)
            let tasks = try await swarm.tasks(filters: namespace)
            if let engineBack = run.engineBack {
                let stale = Self.servicesHealthyDuringOutage(services, tasks: tasks, before: engineBack)
                for service in stale {
                    try await restartTasks(of: service)
                    let change = RolloutEvent.ServiceChange.restarted(reason: "its tasks got healthy while the Engine was away; Swarm's DNS may lack them")
                    run.changes[service.Spec.Name] = change
                    observer.report(.service(prepared.stage, name: service.Spec.Name, change: change))
                }
                if !stale.isEmpty { continue }
            }
            var verdict = StageHealth.evaluate(prepared.spec, services: services, tasks: tasks, failuresSince: run.failuresSince)
            verdict.services.removeAll { ignoring.contains($0.name) }
            let now = ContinuousClock.now
            if !verdict.isHealthy, !run.downAtStart.isEmpty {
                // Services only a host that was down before the deploy holds, in tiers that serve without them: not waited for.
                let left = DownHostTolerance.tolerated(verdict, stack: prepared.spec, services: services, tasks: tasks,
                                                       nodes: try await swarm.nodes(), downAtStart: run.downAtStart)
                for (name, reason) in left.sorted(by: { $0.key < $1.key }) where run.leftDown[name] != reason {
                    observer.report(.serviceLeftDown(prepared.stage, name: name, reason: reason))
                    run.leftDown[name] = reason
                }
                verdict.services.removeAll { left[$0.name] != nil }
            }
            observer.report(.waiting(prepared.stage, verdict: verdict, elapsed: now - run.started))
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
                throw StageFailure(stage: prepared.stage, reason: .unhealthy,
                                   services: try await explain(failing, services: services, tasks: tasks))
            }
            let timeout = options.stageTimeouts[prepared.stage] ?? options.stageTimeout
            if now - started >= timeout {
                let waiting = verdict.services.filter { !$0.isHealthy }
                throw StageFailure(stage: prepared.stage, reason: .timedOut(timeout),
                                   services: try await explain(waiting, services: services, tasks: tasks))
            }
            await waker.wait(upTo: options.pollInterval)
        }
    }

    /// Why each service is unhealthy, with the last lines of its logs.
    func explain(_ unhealthy: [ServiceHealth], services: [SwarmService], tasks: [SwarmTask]) async throws -> [StageFailure.ServiceProblem] {
        // A node that went down is the reason, not only Swarm's "no suitable node".
        let nodes = try? await swarm.nodes()
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
        let swarm = swarm, count = options.logLines
        let reader = Task { () -> [String] in
            var lines: [String] = []
            guard let stream = try? await swarm.serviceLogs(serviceID, tail: count, follow: false) else { return [] }
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
}

/// What a deploy did.
public struct DeployReport: Sendable {
    public init() {}

    public var changes: [Stage: [String: RolloutEvent.ServiceChange]] = [:]
    /// Every action executed, in order (after a lost Engine, the new plan's too).
    public var executed: [DeployAction] = []
    public var healthyAfter: [Stage: Duration] = [:]
    public var healthyAt: [Stage: Date] = [:]
    /// Per stage, services left down because their host was down before the deploy (`DownHostTolerance`).
    public var leftDown: [Stage: [String: String]] = [:]

    /// Services created, updated, recreated, restarted or removed.
    public var writes: Int {
        changes.values.flatMap(\.values).filter { $0 != .unchanged }.count
    }
}

/// A stage that did not become healthy, or could not start: later stages were not touched.
/// It carries facts; the command line words them.
public struct StageFailure: Error, Sendable {
    public enum Reason: Sendable, Equatable {
        /// A service failed (tasks failing, unschedulable past the grace period).
        case unhealthy
        case timedOut(Duration)
        /// A network the stack attaches to but does not create (made by an earlier stage).
        case missingExternalNetwork(String)
        /// The shared network exists with the other encryption setting (driver options cannot change).
        case networkEncryptionDiffers(String, wanted: Bool)
        /// A secret the stack uses that does not exist, and whose content swarmstage does not know.
        case unknownSecret(String)
        /// A config of that name exists with other contents (configs cannot change).
        case configContentsDiffer(String)
        /// An update Swarm could never finish on this swarm's nodes (see `UpdateProgress`).
        case updateCannotProgress(service: String, reason: String)
        /// A rolling change that would take a family below what it needs to keep serving.
        case rollingChangeUnsafe(service: String, reason: String)
        /// A running stateful tier's members would change by plain service creates and removes (`MembershipGuard`).
        case membershipChangeRefused(tier: String, running: Int, wanted: Int, added: [String], removed: [String], procedure: String)
        /// Hosts that could not pull an image the stage needs (`ImagePrePull`), found before the stage was touched.
        case imagesNotPulled(hosts: Int)

        /// Input the operator must change (exit 3), as opposed to a cluster that did not get healthy.
        public var isRefusal: Bool {
            if case .membershipChangeRefused = self { return true }
            return false
        }
    }

    public struct ServiceProblem: Sendable {
        public var service: String
        public var reason: String
        public var logLines: [String]

        public init(service: String, reason: String, logLines: [String]) {
            self.service = service
            self.reason = reason
            self.logLines = logLines
        }
    }

    public var stage: Stage
    public var reason: Reason
    public var services: [ServiceProblem]

    public init(stage: Stage, reason: Reason, services: [ServiceProblem]) {
        self.stage = stage
        self.reason = reason
        self.services = services
    }

    /// Stages after this one, which were not touched.
    public var laterStages: [Stage] { Stage.allCases.filter { $0 > stage } }
}
