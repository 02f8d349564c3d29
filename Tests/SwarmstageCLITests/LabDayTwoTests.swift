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
            try await Deploying.teardownAll()
            #expect(try await Deploying.swarmstage(["label"]).status == 0)
            let first = try await Deploying.deploy(secrets: secrets)
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
            let health = try await Deploying.swarmstage(["health", "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(health.status != 0)
            #expect(health.output.contains("update of lab-milvus_proxy cannot progress: start-first"), "\(health.output)")
            let repaired = try await Deploying.deploy(["--only", "milvus"], secrets: secrets)
            #expect(repaired.status == 0, "\(repaired.output.suffix(2000))\n\(repaired.errors)")
            #expect(repaired.output.contains("lab-milvus_proxy: update ("), "\(repaired.output.suffix(2000))")

            // A rolling upgrade of every Pulsar and Milvus image: one service at a time, in the operator's
            // order, while the probe sends steady requests through milvus-lb and minio-lb on the three managers.
            let upgrade = try Self.image("milvus-upgrade-image")
            let pulsarUpgrade = try Self.image("pulsar-upgrade-image")
            let upgradeImages = ["--image", "milvus=\(upgrade)", "--image", "pulsar=\(pulsarUpgrade)"]
            let plan = try await Deploying.swarmstage(["deploy", "--images", try Lab.require().directory + "/images.yml", "--secrets-file", secrets, "--plan"]
                                                + upgradeImages)
            #expect(plan.status == 0)
            #expect(Self.updated(in: plan.output) == Self.pulsarOrder + Array(Self.milvusOrder.dropLast()),
                    "pulsar-init is a job that has done its work; milvus-lb runs nginx: \(plan.output)")
            let started = try await Self.engineNow(engine)
            let probe = try Self.startProbe()
            try await Task.sleep(for: .seconds(3))
            #expect(probe.isRunning, "\(probe.errors)")
            let upgraded = try await Deploying.deploy(upgradeImages, secrets: secrets)
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
            let again = try await Deploying.deploy(upgradeImages, secrets: secrets)
            #expect(again.output.contains("nothing changed (0 Engine writes)"), "\(again.output.suffix(1500))")

            // A broken version: the first service in the order fails, nothing after it is touched.
            let versions = Dictionary(uniqueKeysWithValues: try await engine.services(filters: .stack("lab-milvus")).map { ($0.Spec.Name, $0.Version.Index) })
            let broken = try await Deploying.deploy(["--image", "milvus=\(try Self.image("milvus-broken-image"))", "--only", "milvus"], secrets: secrets)
            #expect(broken.status == 2)
            #expect(broken.errors.contains("lab-milvus_indexnode1"), "\(broken.errors)")
            let after = try await engine.services(filters: .stack("lab-milvus"))
            let touched = after.filter { versions[$0.Spec.Name] != $0.Version.Index }.map(\.Spec.Name)
            #expect(touched == ["lab-milvus_indexnode1"], "only the first service of the order was changed: \(touched)")
            #expect(after.filter { $0.Spec.Name != "lab-milvus_indexnode1" && $0.Spec.Name != "lab-milvus_milvus-lb" }
                .allSatisfy { $0.Spec.TaskTemplate.ContainerSpec?.Image == upgrade })

            // The history shows what was applied; rollback puts the last whole deploy back and waits
            // until every stage is healthy again.
            let history = try await Deploying.swarmstage(["history", "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(history.status == 0 && history.output.contains("deploy"), "\(history.output)\n\(history.errors)")
            let rollback = try await Deploying.swarmstage(["rollback", "--secrets-file", secrets, "--progress", "plain",
                                                     "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(rollback.status == 0, "\(rollback.output.suffix(2000))\n\(rollback.errors)")
            let restored = try await engine.services(filters: .stack("lab-milvus")).first { $0.Spec.Name == "lab-milvus_indexnode1" }
            #expect(restored?.Spec.TaskTemplate.ContainerSpec?.Image == upgrade)
            let healthy = try await Deploying.swarmstage(["health", "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(healthy.status == 0, "\(healthy.output)")

            // A milvus.yaml setting changed in the generated files. Swarm configs cannot change: the
            // edited file under its old config name is refused before any write.
            let folder = NSTemporaryDirectory() + "swarmstage-yaml-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let generated = try await Deploying.swarmstage(["generate", "-o", folder, "--images", try Lab.require().directory + "/images.yml"] + upgradeImages)
            #expect(generated.status == 0, "\(generated.errors)")
            let yamlPath = folder + "/configs/milvus.yaml"
            let yaml = try String(contentsOfFile: yamlPath, encoding: .utf8)
            try (yaml + "\n# Changed by an operator: a longer gRPC deadline.\ngrpc:\n  client:\n    dialTimeout: 10000\n").write(toFile: yamlPath, atomically: true, encoding: .utf8)
            let versionsBefore = Dictionary(uniqueKeysWithValues: try await engine.services().map { ($0.Spec.Name, $0.Version.Index) })
            let refused = try await Deploying.deploy(["--stacks", folder], secrets: secrets)
            #expect(refused.status != 0 && refused.errors.contains("exists in the swarm with other contents"), "\(refused.errors)")
            #expect(try await engine.services().allSatisfy { versionsBefore[$0.Spec.Name] == $0.Version.Index }, "nothing was written")

            // Exposure: with the lab inventory (no expose:) only Milvus's client port is published, and
            // only it answers on a manager; `expose: [minio-console]` publishes MinIO's console too.
            try await Self.expectExposure(engine, published: [19530])
            let exposing = try Self.labInventory(adding: "  expose: [minio-console]\n")
            defer { try? FileManager.default.removeItem(atPath: (exposing as NSString).deletingLastPathComponent) }
            let exposed = try await Programs.run(Programs.swarmstage, ["deploy", "-i", exposing, "-H", "unix://\(try Lab.require().managerSocket)",
                                                                 "--images", try Lab.require().directory + "/images.yml",
                                                                 "--secrets-file", secrets, "--timeout", "300"] + upgradeImages)
            #expect(exposed.status == 0, "\(exposed.output.suffix(2000))\n\(exposed.errors)")
            try await Self.expectExposure(engine, published: [19530, 9090])
            let exposedHealth = try await Programs.run(Programs.swarmstage, ["health", "-i", exposing, "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(exposedHealth.output.contains("published: 9090 (lab-storage_minio-lb) on lab-manager, lab-manager2, lab-manager3"),
                    "\(exposedHealth.output)")

            // One deploy, two changes: the edited milvus.yaml under a new config name, as the refusal
            // said, and a rotated MinIO password. The password's secret gets a new generation, MinIO's
            // servers move to it together, then Milvus rolls once, in order, onto both the new file and
            // its new credentials; the old secrets go; the value is read back inside the tasks and shown
            // nowhere (output, labels).
            let stackPath = folder + "/3-milvus.yml"
            let stack = try String(contentsOfFile: stackPath, encoding: .utf8)
            let renamed = stack.replacing(/name: lab_milvus-yaml-[0-9a-f]+/, with: "name: lab_milvus-yaml-dial-timeout")
            #expect(renamed != stack)
            try renamed.write(toFile: stackPath, atomically: true, encoding: .utf8)
            let oldPassword = try Self.secretsValue(secrets, "MINIO_ROOT_PASSWORD")
            let newPassword = "rotated-\(UUID().uuidString)"
            try "MINIO_ROOT_USER=lab-admin\nMINIO_ROOT_PASSWORD=\(newPassword)\n".write(toFile: secrets, atomically: true, encoding: .utf8)
            chmod(secrets, 0o600)
            let rotationPlan = try await Deploying.swarmstage(["deploy", "--stacks", folder, "--secrets-file", secrets, "--plan"])
            #expect(rotationPlan.output.contains("rotate secret lab_minio_root_password: create lab_minio_root_password.v2"),
                    "\(rotationPlan.output)")
            #expect(rotationPlan.output.contains("every MinIO server restarts at once"), "\(rotationPlan.output)")
            let before = Dictionary(uniqueKeysWithValues: try await engine.services().map { ($0.Spec.Name, $0.Version.Index) })
            let changedAt = try await Self.engineNow(engine)
            let changed = try await Deploying.deploy(["--stacks", folder], secrets: secrets)
            #expect(changed.status == 0, "\(changed.output.suffix(3000))\n\(changed.errors)")
            for text in [rotationPlan.output, rotationPlan.errors, changed.output, changed.errors] {
                #expect(!text.contains(newPassword) && !text.contains(oldPassword), "a password appeared in the output")
            }
            let minioServers = (1...4).map { "lab-storage_minio\($0)" }
            let updates = Self.updated(in: changed.output)
            #expect(updates.filter { $0.hasPrefix("lab-milvus_") } == Array(Self.milvusOrder.dropLast()), "\(changed.output.suffix(3000))")
            #expect(Set(updates.filter { $0.hasPrefix("lab-storage_") }) == Set(minioServers + ["lab-storage_minio-lb"]), "\(updates)")
            let changedServices = try await engine.services().filter { before[$0.Spec.Name] != $0.Version.Index }.map(\.Spec.Name)
            #expect(Set(changedServices) == Set(Self.milvusOrder.dropLast() + minioServers + ["lab-storage_minio-lb"]),
                    "Milvus, MinIO's servers (the password) and minio-lb (its port) change, nothing else: \(changedServices)")
            try await Self.expectStartedInOrder(engine, stack: "lab-milvus", names: Array(Self.milvusOrder.dropLast()), after: changedAt)
            let secretNames = Set(try await engine.secrets().map(\.Spec.Name))
            #expect(secretNames == ["lab_minio_root_user", "lab_minio_root_password.v2", "lab_milvus_minio_credentials.v2"], "\(secretNames)")
            let labels = try await engine.secrets().flatMap { ($0.Spec.Labels ?? [:]).values }
            #expect(!labels.contains { $0.contains(newPassword) || $0.contains(oldPassword) })
            // Compared here, never printed.
            let minioHasIt = try await Self.read("/run/secrets/minio_root_password", service: "lab-storage_minio1", host: "lab-node1") == newPassword
            #expect(minioHasIt, "minio1 does not run with the new password")
            let proxyHasIt = try await Self.read("/milvus/configs/user.yaml", service: "lab-milvus_proxy", host: "lab-manager").contains("\"\(newPassword)\"")
            #expect(proxyHasIt, "the Milvus proxy does not run with the new password")
            let rotatedHealth = try await Deploying.swarmstage(["health", "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(rotatedHealth.status == 0, "\(rotatedHealth.output)")
            try await Self.expectExposure(engine, published: [19530])
            let settled = try await Deploying.deploy(["--stacks", folder], secrets: secrets)
            #expect(settled.output.contains("nothing changed (0 Engine writes)"), "\(settled.output.suffix(1500))")
            try await Deploying.teardownAll()
        }
    }

    /// The lab inventory with `extra` added to its cluster section, as `lab.yml` in a folder of
    /// its own (generated files name the inventory's file, so the name keeps them the same).
    static func labInventory(adding extra: String) throws -> String {
        let folder = NSTemporaryDirectory() + "swarmstage-inventory-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: RepositoryPaths.path(Deploying.inventory), encoding: .utf8)
        let changed = text.replacingOccurrences(of: "  pulsar_cluster: lab-pulsar\n", with: "  pulsar_cluster: lab-pulsar\n\(extra)")
        #expect(changed != text)
        try changed.write(toFile: folder + "/lab.yml", atomically: true, encoding: .utf8)
        return folder + "/lab.yml"
    }

    static func secretsValue(_ file: String, _ key: String) throws -> String {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        return text.split(separator: "\n").first { $0.hasPrefix("\(key)=") }.map { String($0.dropFirst(key.count + 1)) } ?? ""
    }

    /// A file as a running task of `service` on `host` sees it (docker exec through that node's daemon).
    static func read(_ path: String, service: String, host: String) async throws -> String {
        let socket = "unix://" + (try Lab.require().nodeSocket(host))
        let listed = try await Programs.run("/usr/local/bin/docker", ["-H", socket, "ps", "-q", "--filter", "label=com.docker.swarm.service.name=\(service)"])
        let container = try #require(listed.output.split(separator: "\n").first.map(String.init), "no task of \(service) on \(host)")
        return try await Programs.run("/usr/local/bin/docker", ["-H", socket, "exec", container, "cat", path]).output
    }

    /// Exactly `published` are published by the stacks' services, and on the first manager those
    /// ports accept connections while the ones that could be exposed but are not do not.
    static func expectExposure(_ engine: EngineClient, published: Set<Int>) async throws {
        let ports = try await engine.services().flatMap { $0.Spec.EndpointSpec?.Ports ?? [] }.map { Int($0.PublishedPort ?? $0.TargetPort) }
        #expect(Set(ports) == published, "\(ports)")
        for port in [19530, 9000, 9090, 6650, 8080] {
            let accepted = Self.accepts("10.77.0.10", port: port)
            #expect(accepted == published.contains(port), "port \(port) on lab-manager: \(accepted ? "accepts" : "refuses")")
        }
    }

    /// Whether a TCP connection to `host:port` is accepted within two seconds.
    static func accepts(_ host: String, port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
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
                                                           "--duration", "1800", "--rate", "10", "--verbose"],
                                     // Authorization is on: the health calls carry Milvus's first user (never an argument).
                                     environment: ["MILVUS_USER": "root", "MILVUS_PASSWORD": "Milvus"])
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
