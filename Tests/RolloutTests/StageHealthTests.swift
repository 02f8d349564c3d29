import Engine
import Foundation
import Rollout
import StackConvert
import SwarmModel
import Testing

/// The health verdict, from services and tasks shaped like the Engine's answers.
@Suite("Stage health")
struct StageHealthTests {
    static let template = TaskSpec(ContainerSpec: ContainerSpec(Image: "img:1"), RestartPolicy: RestartPolicy(Condition: "any"))

    static func service(_ name: String, replicas: UInt64? = 1, global: Bool = false, job: Bool = false, desired: Int? = nil,
                        update: String? = nil, template: TaskSpec = template) throws -> SwarmService {
        var mode: [String: Any] = ["Replicated": ["Replicas": replicas ?? 1]]
        if global { mode = ["Global": [String: Any]()] }
        if job { mode = ["ReplicatedJob": ["MaxConcurrent": 1, "TotalCompletions": 1]] }
        var object: [String: Any] = [
            "ID": "id-\(name)", "Version": ["Index": 1], "CreatedAt": "2026-11-21T20:00:00.000000001Z",
            "Spec": ["Name": name, "TaskTemplate": try JSONSerialization.jsonObject(with: JSONEncoder().encode(template)), "Mode": mode],
        ]
        if let desired { object["ServiceStatus"] = ["RunningTasks": 0, "DesiredTasks": desired] }
        if let update {
            object["UpdateStatus"] = ["State": update, "Message": "update rolled back due to failure", "StartedAt": "2026-11-21T20:00:05Z"]
        }
        return try JSONDecoder().decode(SwarmService.self, from: JSONSerialization.data(withJSONObject: object))
    }

    static func task(_ service: String, _ state: String, desired: String = "running", err: String? = nil, exit: Int? = nil,
                     template: TaskSpec = template, at second: Int = 10) throws -> SwarmTask {
        var status: [String: Any] = ["State": state, "Timestamp": "2026-11-21T20:00:\(second).5Z"]
        if let err { status["Err"] = err }
        if let exit { status["ContainerStatus"] = ["ExitCode": exit] }
        let object: [String: Any] = [
            "ID": UUID().uuidString, "ServiceID": "id-\(service)", "DesiredState": desired, "Status": status,
            "CreatedAt": "2026-11-21T20:00:0\(second % 10).0Z", "Spec": try JSONSerialization.jsonObject(with: JSONEncoder().encode(template)),
        ]
        return try JSONDecoder().decode(SwarmTask.self, from: JSONSerialization.data(withJSONObject: object))
    }

    @Test func runningTasksOfTheCurrentSpecMakeAHealthyService() throws {
        let health = StageHealth.evaluate(try Self.service("a", replicas: 2), tasks: [try Self.task("a", "running"), try Self.task("a", "running")])
        #expect(health.state == .healthy)
        #expect(health.running == 2 && health.desired == 2)
    }

    @Test func startingMeansNotYetHealthy() throws {
        let health = StageHealth.evaluate(try Self.service("a"), tasks: [try Self.task("a", "starting")])
        #expect(health.state == .waiting("0/1 running (1 starting)"))
    }

    @Test func tasksOfAnOlderSpecDoNotCount() throws {
        var old = Self.template
        old.ContainerSpec?.Image = "img:0"
        let service = try Self.service("a")
        let health = StageHealth.evaluate(service, tasks: [try Self.task("a", "running", template: old)])
        #expect(!health.isHealthy)
        let mixed = StageHealth.evaluate(service, tasks: [try Self.task("a", "running"), try Self.task("a", "running", template: old)])
        #expect(!mixed.isHealthy, "an old task still running means the update is not done")
    }

    @Test func repeatedFailuresFailTheServiceWithTheReason() throws {
        let tasks = try (0..<3).map { try Self.task("a", "failed", desired: "shutdown", err: "task: non-zero exit (1)", exit: 1, at: 10 + $0) }
        let health = StageHealth.evaluate(try Self.service("a"), tasks: tasks + [try Self.task("a", "starting")])
        #expect(health.state == .failed("3 tasks failed: task: non-zero exit (1) (exit 1)"))
    }

    /// Engine 26.1's words (CI, 2026-12-03) for a task given a node's older network of the same
    /// name: the verdict keeps them and says what to do, which they do not.
    @Test func aNodesLeftoverNetworkIsNamedWithWhatToDo() throws {
        let words = "invalid config for network lab-net: invalid endpoint settings:\nno configured subnet or ip-range contain the IP address 10.200.1.28"
        let tasks = try (0..<3).map { try Self.task("cadvisor", "rejected", desired: "shutdown", err: words, at: 10 + $0) }
        let health = StageHealth.evaluate(try Self.service("cadvisor", global: true, desired: 7), tasks: tasks)
        guard case .failed(let reason) = health.state else { Issue.record("\(health.state)"); return }
        #expect(reason.hasPrefix("3 tasks failed: \(words) (the node that ran it still holds an earlier network of that name"))
        #expect(reason.contains("docker network rm <ID>") && reason.contains("then deploy again"))
        #expect(!StageHealth.describe(try Self.task("a", "failed", err: "task: non-zero exit (1)")).contains("network"))
    }

    @Test func failuresBeforeThisDeployDoNotCountAndRunningIsHealthyWhateverFailedBefore() throws {
        let earlier = try (0..<3).map { try Self.task("a", "failed", desired: "shutdown", err: "task: non-zero exit (1)", exit: 1, at: 10 + $0) }
        let since = try #require(EngineTime("2026-11-21T20:00:20Z"))
        let recovering = StageHealth.evaluate(try Self.service("a"), tasks: earlier + [try Self.task("a", "starting")], failuresSince: since)
        #expect(recovering.state == .waiting("0/1 running (1 starting)"), "failures before the deploy must not fail it, nor be reported as this deploy's")
        let recovered = StageHealth.evaluate(try Self.service("a"), tasks: earlier + [try Self.task("a", "running")])
        #expect(recovered.isHealthy)
    }

    @Test func anUnschedulableTaskIsReportedAsSuch() throws {
        let health = StageHealth.evaluate(try Self.service("a"), tasks: [
            try Self.task("a", "pending", err: "no suitable node (scheduling constraints not satisfied on 5 nodes)"),
        ])
        #expect(health.state == .unschedulable("no suitable node (scheduling constraints not satisfied on 5 nodes)"))
    }

    @Test func globalServicesUseTheEnginesDesiredCount() throws {
        let service = try Self.service("g", global: true, desired: 3)
        #expect(!StageHealth.evaluate(service, tasks: try (0..<2).map { _ in try Self.task("g", "running") }).isHealthy)
        #expect(StageHealth.evaluate(service, tasks: try (0..<3).map { _ in try Self.task("g", "running") }).isHealthy)
        let nowhere = StageHealth.evaluate(try Self.service("g", global: true, desired: 0), tasks: [])
        #expect(nowhere.state == .unschedulable("no node matches its placement constraints"))
    }

    @Test func jobsAreHealthyWhenComplete() throws {
        let job = try Self.service("j", job: true)
        #expect(!StageHealth.evaluate(job, tasks: [try Self.task("j", "running", desired: "complete")]).isHealthy)
        #expect(StageHealth.evaluate(job, tasks: [try Self.task("j", "complete", desired: "complete")]).isHealthy)
    }

    @Test func aRolledBackUpdateFailsUnlessItIsOlderThanThisDeploy() throws {
        let service = try Self.service("a", update: "rollback_completed")
        let stuck = StageHealth.evaluate(try Self.service("a", update: "rollback_paused"), tasks: [try Self.task("a", "running")])
        #expect(stuck.state == .failed("update rollback_paused: update rolled back due to failure"))
        let history = StageHealth.evaluate(service, tasks: [try Self.task("a", "running")])
        #expect(history.isHealthy, "a finished rollback whose tasks run is history for health")
        let during = StageHealth.evaluate(service, tasks: [try Self.task("a", "running")], failuresSince: EngineTime("2026-11-21T20:00:01Z"))
        #expect(!during.isHealthy, "a rollback that began during this deploy fails the stage")
        let older = StageHealth.evaluate(service, tasks: [try Self.task("a", "running")], failuresSince: EngineTime("2026-11-21T20:00:30Z"))
        #expect(older.isHealthy, "a rollback from before this deploy is history")
        let rolling = StageHealth.evaluate(try Self.service("a", update: "rollback_started"), tasks: [try Self.task("a", "running")],
                                           failuresSince: EngineTime("2026-11-21T20:00:30Z"))
        #expect(rolling.state == .waiting("Swarm is still rolling back an earlier update"), "an older rollback still under way is waited for")
    }

    @Test func aStageIsHealthyOnlyWhenEveryServiceIs() throws {
        let spec = StackSpec(name: "s", networks: [], configs: [], secrets: [], services: [
            ServiceSpec(Name: "a", TaskTemplate: Self.template), ServiceSpec(Name: "b", TaskTemplate: Self.template),
        ])
        let verdict = StageHealth.evaluate(spec, services: [try Self.service("a")], tasks: [try Self.task("a", "running")])
        #expect(!verdict.isHealthy)
        #expect(verdict.services.last?.state == .waiting("not created yet"))
    }

    @Test func engineTimesCompareAcrossPrecisions() throws {
        let a = try #require(EngineTime("2026-11-21T20:19:20.156134823Z"))
        let b = try #require(EngineTime("2026-11-21T20:19:20.15663Z"))
        let c = try #require(EngineTime("2026-11-21T21:19:20.15663+01:00"))
        #expect(a < b)
        #expect(b == c)
        let expected: Int64 = 1_795_292_360 * 1_000_000_000
        #expect(EngineTime("2026-11-21T20:19:20Z")?.nanoseconds == expected)
        #expect(EngineTime("yesterday") == nil)
    }

    @Test func aStartFirstUpdateWithNoFreeSlotIsNamedAsStuck() throws {
        var template = Self.template
        template.ContainerSpec?.Image = "img:2"
        var service = try Self.service("proxy", template: template)
        service.Spec.UpdateConfig = UpdateConfig(Parallelism: 1, Order: "start-first")
        service.UpdateStatus = UpdateStatus(State: .updating)
        let old = try Self.task("proxy", "running")
        let stuck = try Self.task("proxy", "pending", err: "no suitable node (max replicas per node limit exceed)", template: template)
        let health = StageHealth.evaluate(service, tasks: [old, stuck])
        guard case .unschedulable(let why) = health.state else {
            Issue.record("expected unschedulable, got \(health.state)")
            return
        }
        #expect(why.hasPrefix("update of proxy cannot progress: start-first needs a free node its constraints allow"))
        service.Spec.UpdateConfig?.Order = "stop-first"
        #expect(StageHealth.evaluate(service, tasks: [old, stuck]).state == .unschedulable("no suitable node (max replicas per node limit exceed)"))
    }
}
