import Engine
import Foundation
import SwarmModel
import Testing
import TestSupport

/// Changing a running cluster on the lab: a rolling Milvus upgrade in the operator's order,
/// an upgrade to a broken image that stops at its first service, and a proxy update that
/// older stacks left stuck, repaired.
@Suite("Day 2 on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabDayTwoTests {
    typealias Deploying = LabDeployTests

    static func image(_ file: String) throws -> String {
        try String(contentsOfFile: try Lab.require().directory + "/" + file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The Milvus services' names in the order a rolling change must go (lab inventory).
    static let milvusOrder = ["indexnode1", "indexnode2", "rootcoord", "datacoord", "querycoord", "querynode1", "querynode2",
                              "datanode1", "datanode2", "proxy", "milvus-lb"].map { "lab-milvus_\($0)" }

    @Test func aRunningClusterIsUpgradedInOrderAndABrokenUpgradeStopsAtItsFirstService() async throws {
        try await LabLock.run {
            let secrets = try Deploying.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            try Deploying.teardownAll()
            #expect(try Deploying.swarmstage(["label"]).status == 0)
            let first = try Deploying.deploy(secrets: secrets)
            #expect(first.status == 0, "\(first.errors)")
            let engine = try await Deploying.engine()

            // A proxy update left stuck by stacks that said start-first (one proxy per manager,
            // no free manager): Swarm keeps the new task Pending. Deploy names nothing wrong with
            // the stacks it generates, and its stop-first update completes.
            let proxy = try #require(try await engine.services(filters: .stack("lab-milvus")).first { $0.Spec.Name == "lab-milvus_proxy" })
            var stuckSpec = proxy.Spec
            stuckSpec.UpdateConfig?.Order = "start-first"
            stuckSpec.TaskTemplate.ContainerSpec?.Env = (proxy.Spec.TaskTemplate.ContainerSpec?.Env ?? []) + ["STUCK=1"]
            try await engine.updateService(proxy.ID, version: proxy.Version, spec: stuckSpec)
            try await Self.waitForStuckTask(engine, serviceID: proxy.ID)
            let health = try Deploying.swarmstage(["health", "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(health.status != 0)
            #expect(health.output.contains("update of lab-milvus_proxy cannot progress: start-first"), "\(health.output)")
            let repaired = try Deploying.deploy(["--only", "milvus"], secrets: secrets)
            #expect(repaired.status == 0, "\(repaired.output.suffix(2000))\n\(repaired.errors)")
            #expect(repaired.output.contains("lab-milvus_proxy: update ("), "\(repaired.output.suffix(2000))")

            // A rolling upgrade of every Milvus service: one at a time, in the operator's order.
            let upgrade = try Self.image("milvus-upgrade-image")
            let plan = try Deploying.swarmstage(["deploy", "--images", try Lab.require().directory + "/images.yml", "--image", "milvus=\(upgrade)",
                                                 "--secrets-file", secrets, "--plan"])
            #expect(plan.status == 0)
            let planned = plan.output.split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: ": update (") else { return nil }
                return line[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            #expect(planned == Array(Self.milvusOrder.dropLast()), "milvus-lb runs nginx, not Milvus: \(plan.output)")
            let started = try await Self.engineNow(engine)
            let upgraded = try Deploying.deploy(["--image", "milvus=\(upgrade)"], secrets: secrets)
            #expect(upgraded.status == 0, "\(upgraded.output.suffix(3000))\n\(upgraded.errors)")
            let services = try await engine.services(filters: .stack("lab-milvus"))
            #expect(services.filter { Self.milvusOrder.dropLast().contains($0.Spec.Name) }
                .allSatisfy { $0.Spec.TaskTemplate.ContainerSpec?.Image == upgrade })
            // Each service's new task started after the one before it was running: from the Engine's timestamps.
            let tasks = try await engine.tasks(filters: .stack("lab-milvus"))
            var previousRunning: EngineTime?
            for name in Self.milvusOrder.dropLast() {
                let service = try #require(services.first { $0.Spec.Name == name })
                let fresh = tasks.filter { $0.ServiceID == service.ID && ($0.CreatedAt ?? started) > started && $0.Status.State == .running }
                let created = try #require(fresh.compactMap(\.CreatedAt).min(), "\(name) has no new task")
                if let previousRunning { #expect(created > previousRunning, "\(name) started before the service before it was healthy") }
                previousRunning = fresh.compactMap(\.Status.Timestamp).max()
            }
            let again = try Deploying.deploy(["--image", "milvus=\(upgrade)"], secrets: secrets)
            #expect(again.output.contains("nothing changed (0 Engine writes)"), "\(again.output.suffix(1500))")

            // A broken version: the first service in the order fails, nothing after it is touched.
            let versions = Dictionary(uniqueKeysWithValues: try await engine.services(filters: .stack("lab-milvus")).map { ($0.Spec.Name, $0.Version.Index) })
            let broken = try Deploying.deploy(["--image", "milvus=\(try Self.image("milvus-broken-image"))", "--only", "milvus"], secrets: secrets)
            #expect(broken.status == 2)
            #expect(broken.errors.contains("lab-milvus_indexnode1"), "\(broken.errors)")
            let after = try await engine.services(filters: .stack("lab-milvus"))
            let touched = after.filter { versions[$0.Spec.Name] != $0.Version.Index }.map(\.Spec.Name)
            #expect(touched == ["lab-milvus_indexnode1"], "only the first service of the order was changed: \(touched)")
            #expect(after.filter { $0.Spec.Name != "lab-milvus_indexnode1" && $0.Spec.Name != "lab-milvus_milvus-lb" }
                .allSatisfy { $0.Spec.TaskTemplate.ContainerSpec?.Image == upgrade })

            // The history shows what was applied; rollback puts the last whole deploy back and waits
            // until every stage is healthy again.
            let history = try Deploying.swarmstage(["history", "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(history.status == 0 && history.output.contains("deploy"), "\(history.output)\n\(history.errors)")
            let rollback = try Deploying.swarmstage(["rollback", "--secrets-file", secrets, "--progress", "plain",
                                                     "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(rollback.status == 0, "\(rollback.output.suffix(2000))\n\(rollback.errors)")
            let restored = try await engine.services(filters: .stack("lab-milvus")).first { $0.Spec.Name == "lab-milvus_indexnode1" }
            #expect(restored?.Spec.TaskTemplate.ContainerSpec?.Image == upgrade)
            let healthy = try Deploying.swarmstage(["health", "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(healthy.status == 0, "\(healthy.output)")
            try Deploying.teardownAll()
        }
    }

    static func engineNow(_ engine: EngineClient) async throws -> EngineTime {
        try #require(try await engine.info().SystemTime)
    }

    static func waitForStuckTask(_ engine: EngineClient, serviceID: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let tasks = try await engine.tasks(filters: .service(serviceID))
            if tasks.contains(where: { $0.Status.State.isUnscheduled && ($0.Status.Err ?? "").contains("max replicas per node") }) { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("the start-first update never got stuck on max replicas per node")
    }
}
