import CurlTransport
import Engine
import Foundation
import SwarmModel
import Testing
import TestSupport

/// The Engine client against the lab's real daemons.
@Suite("Engine client on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabEngineTests {
    static func manager() async throws -> EngineClient {
        try await EngineClient.connect(DockerHost(socketPath: try Lab.require().managerSocket))
    }

    /// A throwaway service running the probe image with `script`, pinned to the manager.
    static func probeService(_ engine: EngineClient, script: String,
                             name: String = "sstest-\(UUID().uuidString.prefix(8).lowercased())") async throws -> (id: String, name: String) {
        let spec = ServiceSpec(
            Name: name, Labels: ["io.swarmstage.test": "engine"],
            TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: try Lab.require().probeImage, Args: [script]),
                                   RestartPolicy: RestartPolicy(Condition: "none"),
                                   Placement: Placement(Constraints: ["node.role==manager"])),
            Mode: ServiceMode(Replicated: .init(Replicas: 1)))
        return (try await engine.createService(spec), name)
    }

    static func waitForTask(_ engine: EngineClient, service: String, states: Set<TaskState>, timeout: Duration = .seconds(60)) async throws -> SwarmTask {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let tasks = try await engine.tasks(filters: Filters([("service", service)]))
            if let task = tasks.first(where: { states.contains($0.Status.State) }) { return task }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw EngineRequirementError("no task of \(service) reached \(states) in time")
    }

    @Test func negotiatesAndSeesEveryNode() async throws {
        try await LabLock.sharing {
            let engine = try await Self.manager()
            // Debian 13's Engine 26.1 speaks 1.45 at most, Debian 12's 20.10 1.41: below our newest, theirs is chosen.
            let api = try Lab.require().engineAPI
            #expect(engine.apiVersion == APIVersion(api.major, api.minor))
            let info = try await engine.requireManager()
            #expect(info.Swarm?.ControlAvailable == true)
            let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
            let nodes = try await engine.nodes()
            #expect(Set(nodes.map(\.hostname)) == Set(inventory.hosts.map(\.name)))
            #expect(nodes.filter(\.isManager).map(\.hostname).sorted() == ["lab-manager", "lab-manager2", "lab-manager3"])
            #expect(nodes.allSatisfy { $0.Status?.State == "ready" })
            let worker = try #require(nodes.first { $0.hostname == "lab-node2" })
            #expect(worker.Status?.Addr == "10.77.0.12")
        }
    }

    @Test func aWorkersSocketIsNotAManager() async throws {
        try await LabLock.sharing {
            let worker = try await EngineClient.connect(DockerHost(socketPath: try Lab.require().nodeSocket("lab-node1")))
            let error = try await #require(throws: EngineRequirementError.self) { try await worker.requireManager() }
            #expect(error.description.contains("is a swarm worker, not a manager"))
            let refused = try await #require(throws: EngineError.self) { try await worker.nodes() }
            #expect(refused.isNotManager)
            #expect(refused.status == 503)
        }
    }

    @Test func eventsStreamAndStopCleanlyWhenCancelled() async throws {
        try await LabLock.sharing {
            let engine = try await Self.manager()
            let baseline = engine.activeTransfers
            let name = "sstest-\(UUID().uuidString.prefix(8).lowercased())"
            let seen = Recorder()
            let events = try await engine.events(filters: Filters([("type", "service")]))
            let watcher = Task {
                for try await event in events {
                    seen.add("\(event.Action ?? "") \(event.Actor?.Attributes?["name"] ?? "")")
                }
            }
            let service = try await Self.probeService(engine, script: "sleep 300", name: name)
            try await engine.removeService(service.id)
            let deadline = ContinuousClock.now + .seconds(20)
            while !seen.all.contains("remove \(name)"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(seen.all.contains("create \(name)"), "\(seen.all)")
            #expect(seen.all.contains("remove \(name)"), "\(seen.all)")
            #expect(engine.activeTransfers == baseline + 1)
            // Cancelled mid-stream: the reading task ends, and so must the transfer behind it.
            watcher.cancel()
            try? await watcher.value

            // An idle stream (no event will ever match), cancelled while it waits.
            let idle = try await engine.events(filters: Filters([("type", "service"), ("label", "io.swarmstage.test=nothing-ever")]))
            let idleReader = Task { for try await _ in idle {} }
            try await Task.sleep(for: .milliseconds(300))
            idleReader.cancel()
            try? await idleReader.value

            let settle = ContinuousClock.now + .seconds(5)
            while engine.activeTransfers > baseline, ContinuousClock.now < settle {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(engine.activeTransfers == baseline, "event transfers must end when their readers are cancelled")
        }
    }

    @Test func serviceLogsAreDemultiplexedIntoLines() async throws {
        try await LabLock.sharing {
            let engine = try await Self.manager()
            let script = "echo out-1; echo err-1 >&2; i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done; echo done-marker"
            let service = try await Self.probeService(engine, script: script)
            _ = try await Self.waitForTask(engine, service: service.id, states: ["complete"])
            var lines: [LogLine] = []
            for try await line in try await engine.serviceLogs(service.id, tail: 1000, follow: false) { lines.append(line) }
            #expect(lines.first { $0.text == "out-1" }?.stream == .stdout)
            #expect(lines.first { $0.text == "err-1" }?.stream == .stderr)
            #expect(lines.filter { $0.text.hasPrefix("line-") }.map(\.text) == (0..<200).map { "line-\($0)" })
            // Docker keeps each stream in order, not the two streams relative to each other.
            #expect(lines.filter { $0.stream == .stdout }.last?.text == "done-marker")
            // `since` (seconds.nanoseconds) is honoured: every line from the task's creation on,
            // none from after it completed.
            let task = try #require(try await engine.tasks(filters: .service(service.id)).first)
            let created = try #require(task.CreatedAt), ended = try #require(task.Status.Timestamp)
            var sinceCreated: [String] = [], sinceEnded: [String] = []
            for try await line in try await engine.serviceLogs(service.id, tail: 1000, since: created, follow: false) { sinceCreated.append(line.text) }
            for try await line in try await engine.serviceLogs(service.id, tail: 1000, since: ended + .seconds(1), follow: false) {
                sinceEnded.append(line.text)
            }
            #expect(sinceCreated.filter { $0.hasPrefix("line-") }.count == 200 && sinceCreated.contains("done-marker"), "\(sinceCreated.count)")
            #expect(sinceEnded.isEmpty, "\(sinceEnded)")
            try await engine.removeService(service.id)
        }
    }

    @Test func errorsCarryMethodPathStatusAndMessage() async throws {
        try await LabLock.sharing {
            let engine = try await Self.manager()
            let error = try await #require(throws: EngineError.self) { try await engine.service("no-such-service-\(UUID().uuidString.prefix(6))") }
            #expect(error.status == 404)
            #expect(error.method == "GET")
            let api = try Lab.require().engineAPI
            #expect(error.path.hasPrefix("/v\(api.major).\(api.minor)/services/no-such-service-"))
            #expect(error.message.contains("not found"))
        }
    }
}
