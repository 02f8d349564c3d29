import Blueprint
import Foundation
import Inventory
import Rollout
import StackConvert
import SwarmModel
import Testing
import TestSupport

/// Deploy, plan and teardown decisions against an in-memory swarm: seconds, no lab.
/// The lab suites prove the same against a real Engine.
@Suite("Deploy against a fake swarm")
struct FakeSwarmDeployTests {
    struct Cluster {
        var inventory: Inventory
        var blueprint: Blueprint
        var stages: [PreparedStage]
        var values: SecretValues

        init(_ inventory: Inventory) throws {
            self.inventory = inventory
            blueprint = MilvusBlueprint.make(inventory)
            stages = try StackSource.prepare(StackSource.rendered(blueprint, folder: "stacks/test"))
            values = try SecretValues(environment: ["MINIO_ROOT_USER": "minioadmin", "MINIO_ROOT_PASSWORD": "minioadmin123"], secretsFile: nil)
        }

        var stacks: [String] { stages.map(\.spec.name) }

        /// The desired spec of one service, by its full name (`lab-milvus_proxy`).
        func service(_ name: String) -> ServiceSpec? { stages.lazy.flatMap(\.spec.services).first { $0.Name == name } }

        /// The same cluster with one service's desired spec changed.
        func changing(_ name: String, _ change: (inout ServiceSpec) -> Void) throws -> Cluster {
            var copy = self
            let stage = try #require(copy.stages.firstIndex { $0.spec.services.contains { $0.Name == name } }, "\(name)")
            let index = try #require(copy.stages[stage].spec.services.firstIndex { $0.Name == name })
            change(&copy.stages[stage].spec.services[index])
            return copy
        }
    }

    static func fast() -> Deployer.Options {
        var options = Deployer.Options()
        options.pollInterval = .milliseconds(20)
        options.unschedulableGrace = .milliseconds(50)
        options.reconnectInterval = .milliseconds(5)
        options.reconnectWindow = .seconds(60)
        options.recreateWait = .seconds(1)
        options.stageTimeout = .seconds(60)
        options.sessionExpiryUnit = .milliseconds(1)
        return options
    }

    static func lab() throws -> Cluster { try Cluster(RepositoryPaths.inventory(RepositoryPaths.labInventory)) }

    /// What `deploy --plan` shows for the swarm as it is now.
    static func plan(_ cluster: Cluster, on swarm: FakeSwarm, only: Set<Stage> = Set(Stage.allCases)) async throws -> [StagePlan] {
        let chosen = cluster.stages.filter { only.contains($0.stage) }
        let snapshot = try await SwarmSnapshot.read(swarm, stacks: chosen.map(\.spec.name))
        let choices = try await SecretRotation.choose(cluster.blueprint.secrets, values: cluster.values, existing: snapshot.secrets)
        return DeployPlanner.plan(chosen, snapshot: snapshot, secrets: choices)
    }

    @discardableResult
    static func deploy(_ cluster: Cluster, on swarm: FakeSwarm, only: Set<Stage> = Set(Stage.allCases),
                       observer: any RolloutObserver = SilentObserver()) async throws -> DeployReport {
        try await Deployer(swarm: swarm, options: fast(), observer: observer)
            .deploy(cluster.stages, secrets: cluster.blueprint.secrets, values: cluster.values, stagesToApply: only)
    }

    /// A teardown of the fake swarm that polls it every 5 ms.
    static func teardown(on swarm: FakeSwarm, observer: any RolloutObserver = SilentObserver(),
                         timeout: Duration = .seconds(5)) -> Teardown {
        var teardown = Teardown(swarm: swarm, observer: observer, timeout: timeout)
        teardown.pollInterval = .milliseconds(5)
        return teardown
    }

    // MARK: converge

    @Test func aNewClusterIsCreatedStageByStageAndARedeployWritesNothing() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        let report = try await Self.deploy(cluster, on: swarm)
        let log = await swarm.writeLog
        // Every service of every stage created once, stage 1's objects before its services.
        let services = cluster.stages.flatMap(\.spec.services).map(\.Name)
        #expect(services.allSatisfy { name in log.filter { $0 == "create service \(name)" }.count == 1 })
        let firstService = try #require(log.firstIndex { $0.hasPrefix("create service") })
        #expect(log.firstIndex(of: "create network lab-net").map { $0 < firstService } == true)
        let lastStorage = try #require(log.lastIndex { $0.hasPrefix("create service lab-storage_") })
        let firstPulsar = try #require(log.firstIndex { $0.hasPrefix("create service lab-pulsar_") })
        #expect(lastStorage < firstPulsar)
        #expect(report.healthyAfter.count == 3)

        let before = await swarm.writes
        let again = try await Self.deploy(cluster, on: swarm)
        #expect(await swarm.writes == before, "a redeploy of an unchanged inventory writes nothing")
        #expect(again.writes == 0)
        #expect(try await Self.plan(cluster, on: swarm).allSatisfy(\.isNoOp))
    }

    /// Each Engine keeps its own part of a healthcheck: 1.44+ the quick start cadence with the
    /// calm interval, older ones the 5 s interval without StartInterval. Either way the next
    /// deploy finds nothing to change, and a swarm deployed at 1.41 and then reached at 1.45
    /// (the Engine upgraded) gets the new cadence as an update of the healthcheck only.
    @Test(arguments: [FakeSwarm.engine20API, FakeSwarm.engine26API])
    func theHealthCadenceIsWhatTheEngineKeepsAndARedeployWritesNothing(_ api: APIVersion) async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory, apiVersion: api)
        try await Self.deploy(cluster, on: swarm)
        let proxy = try #require(await swarm.serviceList.first { $0.Spec.Name == "lab-milvus_proxy" })
        let check = try #require(proxy.Spec.TaskTemplate.ContainerSpec?.Healthcheck)
        if api < APIVersion(1, 44) {
            #expect(check.StartInterval == nil && check.Interval == 5_000_000_000)
        } else {
            #expect(check.StartInterval == 1_000_000_000 && check.Interval == 30_000_000_000)
        }
        let before = await swarm.writes
        #expect(try await Self.deploy(cluster, on: swarm).writes == 0)
        #expect(await swarm.writes == before)
    }

    @Test func anEngineUpgradedTo126GetsTheStartCadenceAsAHealthcheckUpdate() async throws {
        let cluster = try Self.lab()
        let old = FakeSwarm(inventory: cluster.inventory, apiVersion: FakeSwarm.engine20API)
        try await Self.deploy(cluster, on: old)
        let snapshot = try await SwarmSnapshot.read(old, stacks: cluster.stages.map(\.spec.name))
        var upgraded = snapshot
        upgraded.apiVersion = FakeSwarm.engine26API
        let choices = try await SecretRotation.choose(cluster.blueprint.secrets, values: cluster.values, existing: snapshot.secrets)
        let plans = DeployPlanner.plan(cluster.stages, snapshot: upgraded, secrets: choices)
        let fields = Set(plans.flatMap(\.writes).compactMap { action -> [String]? in
            if case .updateService(_, _, let fields) = action { return fields }
            return nil
        })
        #expect(fields == [["TaskTemplate.ContainerSpec.Healthcheck.Interval", "TaskTemplate.ContainerSpec.Healthcheck.StartInterval"]])
        let unchanged = DeployPlanner.plan(cluster.stages, snapshot: snapshot, secrets: choices)
        #expect(unchanged.allSatisfy { $0.isNoOp })
    }

    @Test func aChangedServiceIsUpdatedWithTheFieldsThatDiffer() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await Self.deploy(cluster, on: swarm)
        let changed = try cluster.changing("lab-milvus_querynode1") { $0.TaskTemplate.ContainerSpec?.Image = "milvus:next" }
        let plans = try await Self.plan(changed, on: swarm)
        let others = plans.filter { $0.stage != .milvus }
        #expect(others.allSatisfy { $0.isNoOp })
        let milvus = try #require(plans.first { $0.stage == .milvus })
        let id = try #require(await swarm.serviceList.first { $0.Spec.Name == "lab-milvus_querynode1" }?.ID)
        // As the Engine keeps it: Engine 20.10 (the fake's API 1.41) has no StartInterval.
        let milvusStage = try #require(changed.stages.first { $0.stage == .milvus })
        let desired = try #require(EngineAdaptation.adapt(milvusStage.spec, to: swarm.apiVersion).service(named: "lab-milvus_querynode1"))
        #expect(desired.TaskTemplate.ContainerSpec?.Healthcheck?.StartInterval == nil)
        #expect(milvus.writes == [.updateService(id: id, spec: desired, fields: ["TaskTemplate.ContainerSpec.Image"])])

        let before = await swarm.writeLog.count
        let report = try await Self.deploy(changed, on: swarm)
        // The new image pulled first where the service runs (a pre-pull job, removed), then the update.
        let written = Array(await swarm.writeLog.dropFirst(before))
        #expect(written.filter { !$0.contains("swarmstage-pull-milvus-") } == ["update service lab-milvus_querynode1"])
        #expect(written.first?.hasPrefix("create service swarmstage-pull-milvus-") == true, "\(written)")
        #expect(report.changes[.milvus]?["lab-milvus_querynode1"] == .updated(fields: ["TaskTemplate.ContainerSpec.Image"]))
        #expect(await swarm.serviceList.first { $0.ID == id }?.Spec.TaskTemplate.ContainerSpec?.Image == "milvus:next")
    }

    @Test func aModeChangeRecreatesTheServiceAndAServiceThatLeftTheStackIsRemoved() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await Self.deploy(cluster, on: swarm)
        var changed = cluster
        let index = try #require(changed.stages.firstIndex { $0.stage == .storage })
        // cAdvisor becomes replicated (mode change); minio-lb leaves the stack.
        changed.stages[index].spec.services.removeAll { $0.Name == "lab-storage_minio-lb" }
        changed.stages[index].spec.configs.removeAll { $0.name.hasPrefix("lab_minio-lb-nginx-") }
        let cadvisor = try #require(changed.stages[index].spec.services.firstIndex { $0.Name == "lab-storage_cadvisor" })
        changed.stages[index].spec.services[cadvisor].Mode = ServiceMode(Replicated: .init(Replicas: 1))
        let oldID = try #require(await swarm.serviceList.first { $0.Spec.Name == "lab-storage_cadvisor" }?.ID)
        let plan = try #require(try await Self.plan(changed, on: swarm, only: [.storage]).first)
        let recreated = EngineAdaptation.adapt(changed.stages[index].spec, to: swarm.apiVersion).services[cadvisor]
        #expect(plan.writes.contains(.recreateService(id: oldID, spec: recreated, reason: "mode global -> replicated")))
        #expect(plan.writes.contains { if case .removeService(_, "lab-storage_minio-lb") = $0 { return true }; return false })

        let before = await swarm.writeLog.count
        try await Self.deploy(changed, on: swarm, only: [.storage])
        let log = Array(await swarm.writeLog.dropFirst(before))
        #expect(log.contains("remove service lab-storage_cadvisor") && log.contains("create service lab-storage_cadvisor"))
        #expect(log.contains("remove service lab-storage_minio-lb"))
        #expect(await swarm.serviceList.first { $0.Spec.Name == "lab-storage_cadvisor" }?.Spec.Mode?.Replicated != nil)
        #expect(await !swarm.serviceList.contains { $0.Spec.Name == "lab-storage_minio-lb" })
        // The nginx config only minio-lb used is removed once the stage is healthy.
        #expect(log.contains { $0.hasPrefix("remove config lab_minio-lb-nginx-") })
    }

    @Test func aRestartCounterSetByAnOperatorIsNotAChange() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await Self.deploy(cluster, on: swarm)
        let service = try #require(await swarm.serviceList.first { $0.Spec.Name == "lab-milvus_proxy" })
        var forced = service.Spec
        forced.TaskTemplate.ForceUpdate = 3
        try await swarm.updateService(service.ID, version: service.Version, spec: forced)
        #expect(try await Self.plan(cluster, on: swarm).allSatisfy(\.isNoOp), "`docker service update --force` is the cluster's, as the docker CLI keeps it")
    }

    @Test func anUpdateOutOfSequenceIsWrittenAgainOnAFreshRead() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await Self.deploy(cluster, on: swarm)
        let changed = try cluster.changing("lab-milvus_proxy") { $0.TaskTemplate.ContainerSpec?.Env?.append("EXTRA=1") }
        await swarm.moveVersionOnce(of: "lab-milvus_proxy")
        let before = await swarm.writeLog.count
        try await Self.deploy(changed, on: swarm, only: [.milvus])
        #expect(Array(await swarm.writeLog.dropFirst(before)) == ["update service lab-milvus_proxy", "update service lab-milvus_proxy"])
        #expect(await swarm.serviceList.first { $0.Spec.Name == "lab-milvus_proxy" }?.Spec.TaskTemplate.ContainerSpec?.Env?.contains("EXTRA=1") == true)
    }

    // MARK: one plan

    /// For random inventories and random drifts of the swarm, what `--plan` prints is what
    /// deploy executes, and afterwards nothing is left to do.
    @Test(arguments: 1...12)
    func thePlanIsWhatDeployExecutes(seed: UInt64) async throws {
        var random = RandomInventory(seed: seed)
        let first = try Cluster(random.make())
        let swarm = FakeSwarm(inventory: first.inventory)
        var generator = SeededGenerator(seed: seed &* 7919)
        // Start from nothing, from a partial deploy, or from a full one that then drifted.
        let start = Int.random(in: 0...2, using: &generator)
        if start == 1 { try await Self.deploy(first, on: swarm, only: [.storage]) }
        if start == 2 {
            try await Self.deploy(first, on: swarm)
            try await Self.drift(swarm, cluster: first, using: &generator)
        }
        // Sometimes the inventory itself changes shape (more or fewer members) before the deploy.
        var other = RandomInventory(seed: seed &+ 1000)
        let target = Bool.random(using: &generator) ? first : try Cluster(other.make())
        await swarm.label(target.inventory)

        let planned = try await Self.plan(target, on: swarm)
        // A running stateful tier whose members would change is refused whole, before any write.
        let refusals = MembershipGuard.problems(target.stages, snapshot: try await SwarmSnapshot.read(swarm, stacks: target.stacks))
        if let (_, reason) = refusals.first {
            let before = await swarm.writes
            let failure = try await #require(throws: StageFailure.self) { try await Self.deploy(target, on: swarm) }
            #expect(failure.reason == reason, "seed \(seed)")
            #expect(await swarm.writes == before, "seed \(seed): a refused membership change wrote")
            #expect(planned.flatMap(\.problems).contains(reason), "seed \(seed): the plan shows the refusal")
            return
        }
        let report = try await Self.deploy(target, on: swarm)
        // Fingerprints are salted afresh each time a plan is made; everything else is the same.
        #expect(report.executed.map(Self.unsalted) == planned.flatMap(\.actions).map(Self.unsalted),
                "seed \(seed): the executed actions differ from the plan")
        #expect(report.writes == planned.flatMap(\.writes).filter { $0.serviceChange != nil }.count)

        let writes = await swarm.writes
        try await Self.deploy(target, on: swarm)
        #expect(await swarm.writes == writes, "seed \(seed): a second deploy wrote")
        #expect(try await Self.plan(target, on: swarm).allSatisfy(\.isNoOp))
    }

    /// `action` with a secret's fingerprint label blanked (its salt is random).
    static func unsalted(_ action: DeployAction) -> DeployAction {
        switch action {
        case .createSecret(let name, var labels):
            if labels[SecretRotation.digestLabel] != nil { labels[SecretRotation.digestLabel] = "salted" }
            return .createSecret(name: name, labels: labels)
        case .rotateSecret(var choice, var labels):
            if labels[SecretRotation.digestLabel] != nil { labels[SecretRotation.digestLabel] = "salted" }
            choice.labels[SecretRotation.digestLabel] = choice.labels[SecretRotation.digestLabel].map { _ in "salted" }
            return .rotateSecret(choice, labels: labels)
        default:
            return action
        }
    }

    /// What an operator or Swarm may have done to a deployed cluster.
    static func drift(_ swarm: FakeSwarm, cluster: Cluster, using generator: inout SeededGenerator) async throws {
        let services = await swarm.serviceList.sorted { $0.Spec.Name < $1.Spec.Name }
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            guard let victim = services.randomElement(using: &generator),
                  let current = await swarm.serviceList.first(where: { $0.ID == victim.ID }) else { continue }
            switch Int.random(in: 0...4, using: &generator) {
            case 0:
                try await swarm.removeService(current.ID)
            case 1:
                var spec = current.Spec
                let env = spec.TaskTemplate.ContainerSpec?.Env ?? []
                spec.TaskTemplate.ContainerSpec?.Env = env + ["DRIFT=1"]
                try await swarm.updateService(current.ID, version: current.Version, spec: spec)
            case 2:
                var spec = current.Spec
                spec.Labels?["drift"] = "yes"
                spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1
                try await swarm.updateService(current.ID, version: current.Version, spec: spec)
            case 3:
                // A service an older inventory had, still in the stack.
                var spec = current.Spec
                spec.Name += "-old"
                if (try? await swarm.service(spec.Name)) == nil { _ = try await swarm.createService(spec) }
            default:
                // Recreated by hand in the other mode.
                try await swarm.removeService(current.ID)
                var spec = current.Spec
                spec.Mode = spec.Mode?.Global != nil ? ServiceMode(Replicated: .init(Replicas: 1)) : ServiceMode(Global: .init())
                if spec.Mode?.Global != nil || current.Spec.Mode?.ReplicatedJob == nil { _ = try await swarm.createService(spec) }
            }
        }
    }

    // MARK: failures and outages

    @Test func aFailingStageStopsTheDeployAndLaterStagesAreNotTouched() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        await swarm.failTasks(of: "lab-pulsar_broker1")
        await swarm.setLogs(of: "lab-pulsar_broker1", ["starting broker", "cannot reach the metadata store"])
        let failure = try await #require(throws: StageFailure.self) { try await Self.deploy(cluster, on: swarm) }
        #expect(failure.stage == .pulsar && failure.reason == .unhealthy)
        let broker = try #require(failure.services.first { $0.service == "lab-pulsar_broker1" })
        #expect(broker.reason.hasPrefix("3 tasks failed: task: non-zero exit (1) (exit 1)"))
        #expect(broker.logLines == ["starting broker", "cannot reach the metadata store"])
        #expect(failure.laterStages == [.milvus])
        #expect(await !swarm.writeLog.contains { $0.contains("lab-milvus") }, "stage 3 is untouched")
    }

    @Test func aServiceWhoseOnlyNodeIsDownFailsWithTheNodeNamed() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        await swarm.loseNode("lab-node4")
        let failure = try await #require(throws: StageFailure.self) { try await Self.deploy(cluster, on: swarm) }
        #expect(failure.stage == .storage)
        let minio4 = try #require(failure.services.first { $0.service == "lab-storage_minio4" })
        #expect(minio4.reason.contains("the only node its constraints allow is down: lab-node4 (down: heartbeat failure)"))
    }

    /// The connection drops after k writes, for a few requests: deploy waits, plans again
    /// from what the swarm holds, and creates nothing twice.
    @Test(arguments: [0, 1, 3, 7, 12, 20, 26, 33])
    func aLostEngineIsWaitedForAndNothingIsCreatedTwice(afterWrites: Int) async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        await swarm.dropConnection(afterWrites: afterWrites, forRequests: 3)
        let events = EventRecorder()
        try await Self.deploy(cluster, on: swarm, observer: events)
        // The outage happened, to the deploy or to a pre-pull job's requests (which retry), and every loss seen was recovered from.
        #expect(await swarm.unansweredRequestsLeft == 0, "k=\(afterWrites): the outage happened")
        #expect(events.lost == events.back, "k=\(afterWrites): the Engine came back")
        #expect(try await swarm.services().filter { $0.Spec.Name.hasPrefix("swarmstage-pull-") }.isEmpty, "k=\(afterWrites): pre-pull jobs left")
        let log = await swarm.writeLog
        let creates = log.filter { $0.hasPrefix("create ") }
        #expect(Set(creates).count == creates.count, "k=\(afterWrites): created twice: \(creates.filter { c in creates.filter { $0 == c }.count > 1 })")
        let writes = await swarm.writes
        try await Self.deploy(cluster, on: swarm)
        #expect(await swarm.writes == writes)
    }

    @Test func anEngineThatStaysAwayStopsTheDeployWithWhatToRunAgain() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        await swarm.dropConnection(afterWrites: 2, forRequests: 100_000)
        var options = Self.fast()
        options.reconnectWindow = .milliseconds(100)
        let lost = try await #require(throws: EngineLost.self) {
            try await Deployer(swarm: swarm, options: options)
                .deploy(cluster.stages, secrets: cluster.blueprint.secrets, values: cluster.values, stagesToApply: Set(Stage.allCases))
        }
        #expect(lost.stage == .storage && lost.operation == .deploy)
    }

    @Test func aMissingNetworkOfAnEarlierStageStopsTheStageBeforeAnyWrite() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        let failure = try await #require(throws: StageFailure.self) { try await Self.deploy(cluster, on: swarm, only: [.pulsar]) }
        #expect(failure.reason == .missingExternalNetwork("lab-net"))
        #expect(await swarm.writes == 0)
        let plan = try #require(try await Self.plan(cluster, on: swarm, only: [.pulsar]).first)
        #expect(plan.problems == [.missingExternalNetwork("lab-net")])
    }

    @Test func aConfigEditedUnderItsOldNameIsRefusedBeforeAnyWrite() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await Self.deploy(cluster, on: swarm)
        var edited = cluster
        let index = try #require(edited.stages.firstIndex { $0.stage == .milvus })
        let config = try #require(edited.stages[index].spec.configs.firstIndex { $0.name.hasPrefix("lab_milvus-yaml-") })
        edited.stages[index].spec.configs[config].data += Array("# edited by hand\n".utf8)
        let name = edited.stages[index].spec.configs[config].name
        let writes = await swarm.writes
        let failure = try await #require(throws: StageFailure.self) { try await Self.deploy(edited, on: swarm) }
        #expect(failure.reason == .configContentsDiffer(name))
        #expect(await swarm.writes == writes)
    }

    // MARK: teardown

    @Test func teardownRemovesStagesInReverseOrderServicesFirst() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await Self.deploy(cluster, on: swarm)
        let before = await swarm.writeLog.count
        let teardown = Self.teardown(on: swarm)
        try await teardown.remove(cluster.stages.map { ($0.stage, $0.spec.name) })
        let log = Array(await swarm.writeLog.dropFirst(before))
        func last(_ prefix: String) -> Int { log.lastIndex { $0.hasPrefix(prefix) } ?? -1 }
        func first(_ prefix: String) -> Int { log.firstIndex { $0.hasPrefix(prefix) } ?? Int.max }
        #expect(last("remove service lab-milvus_") < first("remove service lab-pulsar_"))
        #expect(last("remove service lab-pulsar_") < first("remove service lab-storage_"))
        #expect(last("remove service lab-storage_") < first("remove config lab_minio-lb"))
        #expect(last("remove secret") < first("remove network lab-net"))
        let left = await (swarm.serviceList.count, swarm.configList.count, swarm.secretList.count, swarm.networkList.count)
        #expect(left == (0, 0, 0, 0))
        // A second teardown finds nothing to do.
        let count = await swarm.writes
        try await teardown.remove(cluster.stages.map { ($0.stage, $0.spec.name) })
        #expect(await swarm.writes == count)
    }

    @Test func teardownDoesNotWaitForTasksOnANodeThatIsDownAndNamesThem() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await Self.deploy(cluster, on: swarm)
        // lab-node4 holds minio4 (storage), bookie3 (pulsar) and index and coordinator nodes (milvus).
        await swarm.loseNode("lab-node4")
        let recorder = TeardownRecorder()
        let teardown = Self.teardown(on: swarm, observer: recorder)
        try await teardown.remove(cluster.stages.map { ($0.stage, $0.spec.name) })
        let left = await (swarm.serviceList.count, swarm.configList.count, swarm.secretList.count, swarm.networkList.count)
        #expect(left == (0, 0, 0, 0))
        let node4 = try #require(await swarm.nodeList.first { $0.hostname == "lab-node4" })
        let stranded = await swarm.taskList.filter { $0.NodeID == node4.ID && !$0.Status.State.isTerminal }
        #expect(!stranded.isEmpty, "the fake keeps a down node's tasks as they were")
        #expect(recorder.leftOnDownNodes.count == stranded.count)
        #expect(recorder.leftOnDownNodes.allSatisfy { $0.host == "lab-node4" })
        #expect(recorder.leftOnDownNodes.contains { $0.service == "lab-storage_minio4" }, "\(recorder.leftOnDownNodes)")
    }

    @Test func teardownThatGivesUpNamesTheTasksItWaitedForAndTheirNodes() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await Self.deploy(cluster, on: swarm, only: [.storage])
        // A node the managers have not heard from since they started: waited for, not skipped.
        await swarm.setNodeState("lab-node4", .unknown)
        let teardown = Self.teardown(on: swarm, timeout: .milliseconds(200))
        let timeout = try await #require(throws: TeardownTimeout.self) {
            try await teardown.remove([(.storage, "lab-storage")])
        }
        #expect(timeout.waitingFor == "the tasks of lab-storage to stop")
        #expect(timeout.still.contains { $0.hasPrefix("lab-storage_minio4 on lab-node4 (node unknown): task running") }, "\(timeout.still)")
        #expect(timeout.still.allSatisfy { $0.contains("on lab-node4 (node unknown)") }, "\(timeout.still)")
    }

    @Test func teardownNamesAServiceOutsideTheStackThatHoldsItsNetworkAtOnce() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await Self.deploy(cluster, on: swarm, only: [.storage])
        let network = try #require(await swarm.networkList.first { $0.Name == "lab-net" })
        // A one-shot job someone left on the stack's network (an etcdctl job abandoned mid-run, seen in CI).
        _ = try await swarm.createService(ServiceSpec(Name: "leftover-etcdctl",
                                                      TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: "etcd"),
                                                                             Networks: [NetworkAttachment(Target: network.Id)])))
        let teardown = Self.teardown(on: swarm, timeout: .seconds(30))
        let started = ContinuousClock.now
        let inUse = try await #require(throws: NetworkInUse.self) { try await teardown.remove([(.storage, "lab-storage")]) }
        #expect(ContinuousClock.now - started < .seconds(10), "not waited out")
        #expect(inUse.network == "lab-net" && inUse.services == ["leftover-etcdctl"])
        #expect(inUse.description.contains("remove it (`docker service rm`), then run teardown again"))
        #expect(await swarm.serviceList.map(\.Spec.Name) == ["leftover-etcdctl"], "the stack's services are gone, the other is left alone")
    }

    @Test func teardownRidesOutALostEngine() async throws {
        let cluster = try Self.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await Self.deploy(cluster, on: swarm)
        await swarm.dropConnection(afterWrites: 5, forRequests: 3)
        let teardown = Self.teardown(on: swarm)
        try await teardown.remove(cluster.stages.map { ($0.stage, $0.spec.name) })
        let left = await (swarm.serviceList.count, swarm.networkList.count)
        #expect(left == (0, 0))
    }
}

/// Counts the outage events a deploy reports.
final class EventRecorder: RolloutObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var counts: (lost: Int, back: Int) = (0, 0)

    var lost: Int { lock.withLock { counts.lost } }
    var back: Int { lock.withLock { counts.back } }

    func report(_ event: RolloutEvent) {
        lock.withLock {
            switch event {
            case .engineLost: counts.lost += 1
            case .engineBack: counts.back += 1
            // The outage met by a later stage's pre-pull, which leaves the pulls to the tasks.
            case .prePullFailed: counts.lost += 1; counts.back += 1
            default: break
            }
        }
    }
}

/// The tasks a teardown reports it left on down nodes.
final class TeardownRecorder: RolloutObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var left: [(service: String, host: String)] = []

    var leftOnDownNodes: [(service: String, host: String)] { lock.withLock { left } }

    func report(_ event: RolloutEvent) {
        if case let .taskLeftOnDownNode(_, service, host) = event { lock.withLock { left.append((service, host)) } }
    }
}
