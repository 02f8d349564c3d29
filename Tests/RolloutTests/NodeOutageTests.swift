import Engine
import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// Naming the down node behind a service that cannot run, from nodes and tasks shaped like the Engine's.
@Suite("Node outage diagnosis")
struct NodeOutageTests {
    static func node(_ hostname: String, state: String = "ready", message: String? = nil, labels: [String: String] = [:],
                     role: String = "worker") throws -> SwarmNode {
        var status: [String: Any] = ["State": state]
        if let message { status["Message"] = message }
        let object: [String: Any] = [
            "ID": "node-\(hostname)", "Version": ["Index": 1], "Spec": ["Labels": labels, "Role": role, "Availability": "active"],
            "Description": ["Hostname": hostname], "Status": status,
        ]
        return try JSONDecoder().decode(SwarmNode.self, from: JSONSerialization.data(withJSONObject: object))
    }

    static func service(_ name: String, constraints: [String]) throws -> SwarmService {
        var template = StageHealthTests.template
        template.Placement = Placement(Constraints: constraints)
        return try StageHealthTests.service(name, template: template)
    }

    static func task(_ service: String, _ state: String, desired: String = "running", on node: String?) throws -> SwarmTask {
        var task = try StageHealthTests.task(service, state, desired: desired)
        task.NodeID = node.map { "node-\($0)" }
        return task
    }

    static let cluster: [SwarmNode] = {
        (try? [
            node("manager", role: "manager"),
            node("node1", labels: ["minio1": "true"]),
            node("node4", state: "down", message: "heartbeat failure", labels: ["minio4": "true"]),
        ]) ?? []
    }()

    @Test func aServiceWhoseOnlyAllowedNodeIsDownNamesIt() throws {
        let minio4 = try Self.service("minio4", constraints: ["node.labels.minio4 == true"])
        let pending = try Self.task("minio4", "pending", on: nil)
        let text = NodeOutage.explain(minio4, tasks: [pending], nodes: Self.cluster)
        #expect(text == "the only node its constraints allow is down: node4 (down: heartbeat failure)")
    }

    @Test func aTaskStrandedOnADownNodeNamesIt() throws {
        // Unconstrained: it may run elsewhere, but its task was on the node that went down.
        let proxy = try Self.service("proxy", constraints: [])
        let stranded = try Self.task("proxy", "running", desired: "shutdown", on: "node4")
        let text = NodeOutage.explain(proxy, tasks: [stranded, try Self.task("proxy", "pending", on: nil)], nodes: Self.cluster)
        #expect(text == "its task was on a node that is down: node4 (down: heartbeat failure)")
    }

    @Test func nothingIsSaidWhenEveryNodeIsReadyOrTheServiceIsElsewhere() throws {
        let minio1 = try Self.service("minio1", constraints: ["node.labels.minio1==true"])
        #expect(NodeOutage.explain(minio1, tasks: [try Self.task("minio1", "starting", on: "node1")], nodes: Self.cluster) == nil)
        let ready = try Self.cluster.map { try Self.node($0.hostname, labels: $0.Spec.Labels ?? [:]) }
        let minio4 = try Self.service("minio4", constraints: ["node.labels.minio4 == true"])
        #expect(NodeOutage.explain(minio4, tasks: [], nodes: ready) == nil)
        // An old task that ended on the down node is history.
        let ended = try Self.task("minio1", "shutdown", desired: "shutdown", on: "node4")
        #expect(NodeOutage.explain(minio1, tasks: [ended], nodes: Self.cluster) == nil)
    }

    @Test func tasksThatGotHealthyBeforeTheEngineWasBackAreFound() throws {
        var checked = StageHealthTests.template
        checked.ContainerSpec?.Healthcheck = HealthConfig(Test: ["CMD", "curl", "-f", "http://localhost:9000/minio/health/live"])
        let minio = try StageHealthTests.service("minio", template: checked)
        let etcd = try StageHealthTests.service("etcd")
        let back = try #require(EngineTime("2026-11-21T20:00:20Z"))
        let during = try StageHealthTests.task("minio", "running", template: checked, at: 15)
        let after = try StageHealthTests.task("minio", "running", template: checked, at: 25)
        let unchecked = try StageHealthTests.task("etcd", "running", at: 15)
        #expect(Deployer.servicesHealthyDuringOutage([minio, etcd], tasks: [during, unchecked], before: back).map(\.Spec.Name) == ["minio"])
        #expect(Deployer.servicesHealthyDuringOutage([minio, etcd], tasks: [after, unchecked], before: back).isEmpty,
                "a task that got healthy with the manager back is registered")
        let starting = try StageHealthTests.task("minio", "starting", template: checked, at: 15)
        #expect(Deployer.servicesHealthyDuringOutage([minio], tasks: [starting], before: back).isEmpty)
    }

    @Test func onlyALostEngineAndASwarmWithoutLeaderAreOutages() {
        #expect(EngineOutage.isOutage(EngineError(unanswered: "GET", path: "/nodes", kind: .unreachable, message: "refused")))
        #expect(!EngineOutage.isOutage(EngineError(unanswered: "GET", path: "/nodes", kind: .refused, message: "permission denied")))
        #expect(EngineOutage.isOutage(EngineError(method: "GET", path: "/services", status: 500,
                                                    message: "rpc error: code = Unknown desc = The swarm does not have a leader")))
        #expect(EngineOutage.isOutage(EngineError(method: "GET", path: "/nodes", status: 503, message: "This node is not a swarm manager.")))
        #expect(!EngineOutage.isOutage(EngineError(method: "POST", path: "/services/create", status: 400, message: "invalid mount config")))
        #expect(!EngineOutage.isOutage(EngineError(method: "POST", path: "/services/x/update", status: 500,
                                                     message: "rpc error: code = Unknown desc = update out of sequence")))
        #expect(!EngineOutage.isOutage(NodeOutageTests.Unrelated()), "an error that is not the Engine's is not an outage")
    }

    /// A sleep that overran the whole window (this process starved or stopped meanwhile) is
    /// followed by one more question: an Engine that answers then is back, not lost.
    @Test func aWaitWhoseSleepOverranTheWindowStillAsksOnce() async throws {
        let swarm = FakeSwarm(inventory: try RepositoryPaths.inventory(RepositoryPaths.labInventory))
        let outage = EngineOutage(swarm: swarm, observer: SilentObserver(), window: .milliseconds(10), operation: .deploy,
                                  retryInterval: .milliseconds(50))
        let lost = EngineError(unanswered: "GET", path: "/nodes", kind: .unreachable, message: "refused")
        _ = try await outage.waitForEngine(during: .storage, after: lost)
    }

    /// An Engine that stays away is lost after the window, with the last error it gave.
    @Test func anEngineThatStaysAwayIsLostAfterTheWindow() async throws {
        let swarm = FakeSwarm(inventory: try RepositoryPaths.inventory(RepositoryPaths.labInventory))
        await swarm.dropConnection(afterWrites: 0, forRequests: 100_000)
        let outage = EngineOutage(swarm: swarm, observer: SilentObserver(), window: .milliseconds(30), operation: .teardown,
                                  retryInterval: .milliseconds(5))
        let started = ContinuousClock.now
        let lost = try await #require(throws: EngineLost.self) {
            try await outage.waitForEngine(during: .milvus, after: EngineError(unanswered: "GET", path: "/nodes", kind: .unreachable, message: "refused"))
        }
        #expect(ContinuousClock.now - started >= .milliseconds(30))
        #expect(lost.stage == .milvus && lost.operation == .teardown)
        #expect(lost.lastError.contains("nothing is listening on /fake/docker.sock"), "the last answer, not the first: \(lost.lastError)")
        #expect(await swarm.unansweredRequestsLeft < 100_000, "it asked")
    }

    struct Unrelated: Error {}
}
