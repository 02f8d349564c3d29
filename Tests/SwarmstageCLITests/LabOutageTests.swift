import Blueprint
import Engine
import Foundation
import SwarmModel
import Testing
import TestSupport

/// Daemons that go away in the middle of a stage: the manager the command talks to losing
/// power and coming back, a worker losing power. Each test gives the lab back with every node
/// ready. The manager is taken away with `kill-node` (SIGKILL to its dockerd, containerd and
/// containers), not a clean stop: in full CI runs on Engine 26.1 a manager's dockerd stopped
/// with SIGTERM kept answering its API through its graceful shutdown, so the deploy never
/// lost its Engine and the test proved nothing.
@Suite("Outages during a deploy on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabOutageTests {
    typealias Deploy = LabDeployTests

    static func labScript(_ arguments: [String]) async throws {
        let result = try await Programs.runSpawned("/bin/bash", [RepositoryPaths.path("scripts/lab")] + arguments)
        #expect(result.status == 0, "scripts/lab \(arguments.joined(separator: " ")): \(result.errors)")
        if result.status != 0 { LabCondition.markBroken("scripts/lab \(arguments.joined(separator: " ")) failed: \(result.errors)") }
    }

    /// A labelled lab with no stack deployed.
    static func labelledAndEmpty() async throws {
        #expect(try await Deploy.swarmstage(["label"]).status == 0)
        try await Deploy.teardownAll()
    }

    /// Until every node of the lab reports ready to the manager again.
    static func waitForEveryNodeReady(timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            do {
                let nodes = try await Deploy.engine().nodes()
                if nodes.allSatisfy({ $0.Status?.State == "ready" }) { return }
                last = nodes.map { "\($0.hostname)=\($0.Status?.State ?? "?")" }.joined(separator: " ")
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .seconds(1))
        }
        Issue.record("the lab's nodes did not all become ready again: \(last)")
        LabCondition.markBroken("the lab's nodes did not all become ready again: \(last)")
    }

    /// Until the node's own Engine runs no container of the stack (`docker ps` on its socket).
    static func waitUntilNoContainers(on node: String, stack: String, timeout: Duration = .seconds(120)) async throws {
        let lab = try Lab.require()
        let deadline = ContinuousClock.now + timeout
        var running = ""
        while ContinuousClock.now < deadline {
            let listed = try await Programs.run(Programs.docker, ["-H", "unix://\(lab.directory)/nodes/\(node)/docker.sock", "ps",
                                                            "--filter", "label=com.docker.stack.namespace=\(stack)", "--format", "{{.Names}}"])
            running = listed.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if listed.status == 0, running.isEmpty { return }
            try await Task.sleep(for: .seconds(1))
        }
        Issue.record("\(node) still runs containers of \(stack): \(running)")
    }

    @Test func aManagerLostMidStageIsWaitedForAndTheDeployFinishes() async throws {
        try await LabLock.outage {
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            try await Self.labelledAndEmpty()

            let deploy = try Deploy.startStorageDeploy(secrets: secrets, extra: ["--timeout", "300"])
            // Services created, the gate waiting: now the manager the deploy talks to loses power,
            // for long enough that the workers' MinIO tasks pass their first healthcheck while the
            // deploy cannot hear of it (the other two managers keep scheduling). At once: the stage
            // needs about 20 s to get healthy, and waiting here for the tasks to start once let the
            // deploy finish before the kill (CI, 2026-11-27).
            let waiting = try await deploy.waitForOutput(containing: "services healthy", timeout: .seconds(60))
            #expect(waiting, "\(deploy.output)\n\(deploy.errors)")
            try await Self.labScript(["kill-node", "lab-manager"])
            try await Task.sleep(for: .seconds(20))
            try await Self.labScript(["start-node", "lab-manager"])

            let result = try await deploy.finish(timeout: .seconds(400))
            #expect(result.status == 0, "\(result.output.suffix(3000))\n\(result.errors)")
            #expect(result.output.contains("stage 1 storage: lost the Docker Engine"), "\(result.output.suffix(3000))")
            #expect(result.output.contains("the Engine answers again after"), "\(result.output.suffix(3000))")
            #expect(result.output.contains("stage 1 storage: healthy after"), "\(result.output.suffix(3000))")
            // Whether a worker's task got healthy before the Engine was back depends on when the
            // workers reconnect; when one did, it was replaced (unit-tested in NodeOutageTests),
            // and only services with a healthcheck are ever replaced.
            for line in result.output.split(separator: "\n") where line.contains(": restart (") {
                #expect(!line.contains("_etcd"), "etcd members have no healthcheck: \(line)")
            }
            try await Self.waitForEveryNodeReady()

            // What the first pass created is found again, not made twice.
            let engine = try await Deploy.engine()
            let services = try await engine.services(filters: Filters([("label", "com.docker.stack.namespace=lab-storage")]))
            #expect(Set(services.map(\.Spec.Name)).count == services.count)
            let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(Deploy.inventory))
            #expect(services.count == blueprint.stacks.first { $0.stackName == "lab-storage" }?.services.count)
        }
    }

    @Test func aTeardownWaitsForALostManagerAndFinishes() async throws {
        try await LabLock.outage {
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            // From an empty lab: no later stage may be crash-looping on the storage being removed.
            try await Self.labelledAndEmpty()
            let deployed = try await Deploy.deploy(["--only", "storage"], secrets: secrets)
            #expect(deployed.status == 0, "\(deployed.errors)")

            let lab = try Lab.require()
            let teardown = try BackgroundProgram(Programs.swarmstage, ["teardown", "-i", Deploy.inventory, "-H", "unix://\(lab.managerSocket)",
                                                                       "--only", "storage", "--progress", "plain"])
            // Services removed, their tasks stopping: now the manager loses power and comes back.
            let removing = try await teardown.waitForOutput(containing: ": remove", timeout: .seconds(60))
            #expect(removing, "\(teardown.output)\n\(teardown.errors)")
            try await Self.labScript(["kill-node", "lab-manager"])
            try await Task.sleep(for: .seconds(5))
            try await Self.labScript(["start-node", "lab-manager"])

            let result = try await teardown.finish(timeout: .seconds(400))
            #expect(result.status == 0, "\(result.output.suffix(3000))\n\(result.errors)")
            #expect(result.output.contains("stage 1 storage: lost the Docker Engine"), "\(result.output.suffix(3000))")
            #expect(result.output.contains("stage 1 storage: removed in"), "\(result.output.suffix(3000))")
            try await Self.waitForEveryNodeReady()
            let left = try await Deploy.objects(try await Deploy.engine(), stack: "lab-storage")
            #expect(left.services == 0 && left.configs == 0 && left.secrets == 0 && left.networks == 0, "\(left)")
        }
    }

    @Test func aWorkerLostMidStageIsNamedAsTheReason() async throws {
        try await LabLock.outage {
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            try await Self.labelledAndEmpty()

            let deploy = try Deploy.startStorageDeploy(secrets: secrets, extra: ["--timeout", "240"])
            let started = try await deploy.waitForOutput(containing: "stage 1 storage: applying stack", timeout: .seconds(60))
            #expect(started, "\(deploy.output)\n\(deploy.errors)")
            // lab-node4 is the only node with minio4's label: a power loss there strands it.
            try await Self.labScript(["kill-node", "lab-node4"])
            let result = try await deploy.finish(timeout: .seconds(400))
            #expect(result.status == 2, "\(result.output.suffix(2000))\n\(result.errors)")
            let minio4 = result.errors.split(separator: "\n").first { $0.contains("lab-storage_minio4:") } ?? ""
            #expect(minio4.contains("lab-node4 (down"), "\(result.errors)")
            #expect(result.errors.contains("later stages (pulsar, milvus) were not touched"), "\(result.errors)")

            // Teardown with the host still down: its tasks are named, not waited for, and the
            // stack goes whole (SwarmKit frees the network of a removed service's tasks).
            let engine = try await Deploy.engine()
            let node4 = try #require(try await engine.nodes().first { $0.hostname == "lab-node4" })
            let services = Dictionary(try await engine.services().map { ($0.ID, $0.Spec.Name) }, uniquingKeysWith: { first, _ in first })
            let stranded = Set(try await engine.tasks(filters: Filters.stack("lab-storage"))
                .filter { $0.NodeID == node4.ID && !$0.Status.State.isTerminal }.compactMap { services[$0.ServiceID] })
            // Placed there before the managers saw it go: minio4 has no other node.
            #expect(stranded.contains("lab-storage_minio4"), "\(stranded)")
            let teardown = try await Deploy.swarmstage(["teardown", "--only", "storage"])
            #expect(teardown.status == 0, "\(teardown.output.suffix(2000))\n\(teardown.errors)")
            for service in stranded.sorted() {
                #expect(teardown.output.contains("\(service): its task on lab-node4 is not waited for"), "\(teardown.output.suffix(2000))")
            }
            let left = try await Deploy.objects(engine, stack: "lab-storage")
            #expect(left.services == 0 && left.configs == 0 && left.secrets == 0 && left.networks == 0, "\(left)")

            try await Self.labScript(["start-node", "lab-node4"])
            try await Self.waitForEveryNodeReady()
            // Back, lab-node4's Engine stops what it ran for the removed services.
            try await Self.waitUntilNoContainers(on: "lab-node4", stack: "lab-storage")
        }
    }
}
