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

            // A rolling upgrade of every Pulsar and Milvus image: one service at a time, in the operator's
            // order, while the probe sends steady requests through milvus-lb and minio-lb on the three managers.
            let upgrade = try Self.image("milvus-upgrade-image")
            let pulsarUpgrade = try Self.image("pulsar-upgrade-image")
            let upgradeImages = ["--image", "milvus=\(upgrade)", "--image", "pulsar=\(pulsarUpgrade)"]
            let plan = try Deploying.swarmstage(["deploy", "--images", try Lab.require().directory + "/images.yml", "--secrets-file", secrets, "--plan"]
                                                + upgradeImages)
            #expect(plan.status == 0)
            #expect(Self.updated(in: plan.output) == Self.pulsarOrder + Array(Self.milvusOrder.dropLast()),
                    "pulsar-init is a job that has done its work; milvus-lb runs nginx: \(plan.output)")
            let started = try await Self.engineNow(engine)
            let probe = try Self.startProbe()
            try await Task.sleep(for: .seconds(3))
            #expect(probe.isRunning, "\(probe.errors)")
            let upgraded = try Deploying.deploy(upgradeImages, secrets: secrets)
            try await Task.sleep(for: .seconds(3))
            probe.interrupt()
            let measured = try await probe.finish(timeout: .seconds(30))
            // The figures README quotes come from this report in the CI log.
            print("probe during the Pulsar and Milvus upgrade (exit \(measured.status)):\n\(measured.output)")
            #expect(upgraded.status == 0, "\(upgraded.output.suffix(3000))\n\(upgraded.errors)")
            #expect(measured.status == 0, "the probe saw a request fail or a quorum lost:\n\(measured.output)\n\(measured.errors)")
            #expect(measured.output.contains(" 0 failed, 0 unhealthy"), "\(measured.output)")
            for family in ["etcd", "minio", "zookeeper"] {
                #expect(measured.output.contains("  \(family): at least ") && !measured.output.contains("QUORUM LOST"),
                        "\(family) must be sampled with its quorum held: \(measured.output)")
            }
            let answering = measured.output.firstMatch(of: /answered by (\d+) tasks/).flatMap { Int($0.1) } ?? 0
            #expect(answering >= 6, "three proxies before and three after the upgrade, each answering: \(measured.output)")
            #expect(measured.output.contains("versions 2.3.0 ") && measured.output.contains("2.3.1 "), "\(measured.output)")
            let services = try await engine.services(filters: .stack("lab-milvus"))
            #expect(services.filter { Self.milvusOrder.dropLast().contains($0.Spec.Name) }
                .allSatisfy { $0.Spec.TaskTemplate.ContainerSpec?.Image == upgrade })
            try await Self.expectStartedInOrder(engine, stack: "lab-pulsar", names: Self.pulsarOrder, after: started)
            try await Self.expectStartedInOrder(engine, stack: "lab-milvus", names: Array(Self.milvusOrder.dropLast()), after: started)
            let again = try Deploying.deploy(upgradeImages, secrets: secrets)
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

            // A milvus.yaml setting changed in the generated files: only the Milvus services roll, in order.
            let folder = NSTemporaryDirectory() + "swarmstage-yaml-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let generated = try Deploying.swarmstage(["generate", "-o", folder, "--images", try Lab.require().directory + "/images.yml"] + upgradeImages)
            #expect(generated.status == 0, "\(generated.errors)")
            let yamlPath = folder + "/configs/milvus.yaml"
            let yaml = try String(contentsOfFile: yamlPath, encoding: .utf8)
            try (yaml + "\n# Changed by an operator: a longer gRPC deadline.\ngrpc:\n  client:\n    dialTimeout: 10000\n").write(toFile: yamlPath, atomically: true, encoding: .utf8)
            // Swarm configs cannot change: the edited file under its old config name is refused before any
            // write, and, as the refusal says, the changed file gets a new config name.
            let versionsBefore = Dictionary(uniqueKeysWithValues: try await engine.services().map { ($0.Spec.Name, $0.Version.Index) })
            let refused = try Deploying.deploy(["--stacks", folder], secrets: secrets)
            #expect(refused.status != 0 && refused.errors.contains("exists in the swarm with other contents"), "\(refused.errors)")
            #expect(try await engine.services().allSatisfy { versionsBefore[$0.Spec.Name] == $0.Version.Index }, "nothing was written")
            let stackPath = folder + "/3-milvus.yml"
            let stack = try String(contentsOfFile: stackPath, encoding: .utf8)
            let renamed = stack.replacing(/name: lab_milvus-yaml-[0-9a-f]+/, with: "name: lab_milvus-yaml-dial-timeout")
            #expect(renamed != stack)
            try renamed.write(toFile: stackPath, atomically: true, encoding: .utf8)
            let before = Dictionary(uniqueKeysWithValues: try await engine.services().map { ($0.Spec.Name, $0.Version.Index) })
            let changedAt = try await Self.engineNow(engine)
            let changed = try Deploying.deploy(["--stacks", folder], secrets: secrets)
            #expect(changed.status == 0, "\(changed.output.suffix(3000))\n\(changed.errors)")
            #expect(Self.updated(in: changed.output) == Array(Self.milvusOrder.dropLast()), "\(changed.output.suffix(3000))")
            let changedServices = try await engine.services().filter { before[$0.Spec.Name] != $0.Version.Index }.map(\.Spec.Name)
            #expect(Set(changedServices) == Set(Self.milvusOrder.dropLast()), "only Milvus services change: \(changedServices)")
            try await Self.expectStartedInOrder(engine, stack: "lab-milvus", names: Array(Self.milvusOrder.dropLast()), after: changedAt)
            try Deploying.teardownAll()
        }
    }

    /// The Pulsar services a change of the Pulsar image rolls, in order (lab inventory).
    static let pulsarOrder = ["zk1", "zk2", "zk3", "bookie1", "bookie2", "bookie3", "broker1", "broker2", "pulsar-proxy"].map { "lab-pulsar_\($0)" }

    /// Service names of the "update (...)" lines of a plan or a deploy's output, in order.
    static func updated(in output: String) -> [String] {
        output.split(separator: "\n").compactMap { line -> String? in
            // Plain progress starts a line with the time ("17:19:16   lab-milvus_indexnode1: update (...)").
            guard let range = line.range(of: ": update (") else { return nil }
            return line[..<range.lowerBound].split(separator: " ").last.map(String.init)
        }
    }

    /// `swarmstage probe` in the background for as long as a change takes.
    static func startProbe() throws -> BackgroundProgram {
        let lab = try Lab.require()
        return try BackgroundProgram(Programs.swarmstage, ["probe", "-i", Deploying.inventory, "-H", "unix://\(lab.managerSocket)",
                                                           "--duration", "1800", "--rate", "10", "--verbose"])
    }

    /// Each service's new task started after the one before it was running: from the Engine's timestamps.
    static func expectStartedInOrder(_ engine: EngineClient, stack: String, names: [String], after started: EngineTime) async throws {
        let services = try await engine.services(filters: .stack(stack))
        let tasks = try await engine.tasks(filters: .stack(stack))
        var previousRunning: EngineTime?
        for name in names {
            let service = try #require(services.first { $0.Spec.Name == name })
            let fresh = tasks.filter { $0.ServiceID == service.ID && ($0.CreatedAt ?? started) > started && $0.Status.State == .running }
            let created = try #require(fresh.compactMap(\.CreatedAt).min(), "\(name) has no new task")
            if let previousRunning { #expect(created > previousRunning, "\(name) started before the service before it was healthy") }
            previousRunning = fresh.compactMap(\.Status.Timestamp).max()
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
