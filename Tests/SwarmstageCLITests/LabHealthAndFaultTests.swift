import Engine
import Foundation
import Rollout
import SwarmModel
import Testing
import TestSupport

/// `health` on a deployed lab, and faults and bad input that must not hurt it.
@Suite("Health and faults on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabHealthAndFaultTests {
    typealias Deploy = LabDeployTests

    /// Makes a service's stand-in fail (as a crash-looping process would), by its spec.
    static func breakService(_ engine: EngineClient, _ name: String) async throws {
        for attempt in 1...5 {
            let service = try await engine.service(name)
            var spec = service.Spec
            var container = spec.TaskTemplate.ContainerSpec ?? ContainerSpec()
            // An entrypoint that fails at once, whatever the image (a stand-in or the real etcd);
            // the stack's arguments follow it and are ignored.
            container.Command = ["/bin/sh", "-c", "echo 'failing on demand' >&2; exit 1"]
            spec.TaskTemplate.ContainerSpec = container
            do {
                try await engine.updateService(service.ID, version: service.Version, spec: spec)
                return
            } catch let error as EngineError where error.isOutOfSequence && attempt < 5 {}
        }
    }

    static func health(_ extra: [String] = []) async throws -> Programs.Result {
        try await Deploy.swarmstage(["health"] + extra)
    }

    static func waitForHealthStatus(_ code: Int32, timeout: Duration = .seconds(90)) async throws -> Programs.Result {
        let deadline = ContinuousClock.now + timeout
        var last = try await health()
        while last.status != code, ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(2))
            last = try await health()
        }
        return last
    }

    @Test func healthIsZeroOneOrTwoAndNamesWhatIsWrong() async throws {
        // `outage`: the test takes a node away at its end.
        try await LabLock.outage {
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            #expect(try await Deploy.swarmstage(["label"]).status == 0)
            let deployed = try await Deploy.deploy(secrets: secrets)
            #expect(deployed.status == 0, "\(deployed.errors)")

            let healthy = try await Self.health()
            #expect(healthy.status == 0, "\(healthy.output)")
            #expect(healthy.output.contains("cluster lab: healthy"))
            let json = try await Self.health(["--json"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
            #expect(document["status"] as? String == "healthy")
            #expect(document["exitCode"] as? Int == 0)
            #expect(document["nodesReady"] as? Int == 7, "every lab host, three managers among them")
            #expect((document["servicesTotal"] as? Int ?? 0) >= 31)

            let engine = try await Deploy.engine()
            // etcd is Debian's real etcd: a key written now must outlive two members' failure.
            let members = try await LabEtcd.members(engine)
            #expect(members.keys.sorted() == ["etcd1", "etcd2", "etcd3"], "\(members)")
            let written = "written-\(UUID().uuidString.prefix(8))"
            let put = try await LabEtcd.etcdctl(engine, ["put", "swarmstage-test/health", written])
            #expect(put.succeeded && put.output.contains("OK"), "\(put.output)")

            // `health --members` asks etcd itself: its member list is the inventory's, and no alarm.
            let asked = try await Self.health(["--members", "--json"])
            #expect(asked.status == 0, "\(asked.output)\n\(asked.errors)")
            let askedDocument = try #require(try JSONSerialization.jsonObject(with: Data(asked.output.utf8)) as? [String: Any])
            let etcdReport = try #require(askedDocument["etcdMembers"] as? [String: Any], "\(asked.output)")
            #expect((etcdReport["members"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.sorted() == ["etcd1", "etcd2", "etcd3"])
            #expect((etcdReport["alarms"] as? [Any])?.isEmpty == true, "\(etcdReport)")
            // A NOSPACE alarm, raised by etcd2 as a member whose database reached its quota raises it (etcd's
            // Maintenance API, the request etcd's own applier makes): etcd refuses writes. The swarm shows
            // nothing (plain health stays 0); --members names it and fails.
            let etcd2 = try #require(members["etcd2"].flatMap { UInt64($0, radix: 16) })
            let raise = try await Self.etcdHTTP(engine, "http://etcd2:2379/v3/maintenance/alarm",
                                                #"{"action":"ACTIVATE","memberID":"\#(etcd2)","alarm":"NOSPACE"}"#)
            #expect(raise.succeeded && raise.output.contains("NOSPACE"), "\(raise.output)")
            #expect(try await Self.health().status == 0)
            let alarmed = try await Self.health(["--members"])
            #expect(alarmed.status == 2, "\(alarmed.output)")
            #expect(alarmed.output.contains("etcd alarm NOSPACE (raised by etcd2 \(members["etcd2"] ?? "?"))"), "\(alarmed.output)")
            let refused = try await LabEtcd.etcdctl(engine, ["put", "swarmstage-test/refused", "x"])
            #expect(!refused.succeeded && refused.output.contains("database space exceeded"), "\(refused.output)")
            let disarmed = try await LabEtcd.etcdctl(engine, ["alarm", "disarm"])
            #expect(disarmed.succeeded, "\(disarmed.output)")
            let clear = try await Self.health(["--members"])
            #expect(clear.status == 0 && clear.output.contains("etcd alarms: none"), "\(clear.output)")

            // One query node crash-looping: degraded, and named.
            try await Self.breakService(engine, "lab-milvus_querynode1")
            let degraded = try await Self.waitForHealthStatus(1)
            #expect(degraded.status == 1, "\(degraded.output)")
            #expect(degraded.output.contains("lab-milvus_querynode1"), "\(degraded.output)")

            // Two of three etcd members down: quorum lost, failed.
            try await Self.breakService(engine, "lab-storage_etcd2")
            try await Self.breakService(engine, "lab-storage_etcd3")
            let failed = try await Self.waitForHealthStatus(2)
            #expect(failed.status == 2, "\(failed.output)")
            #expect(failed.output.contains("etcd: 1 of 3 members up (quorum lost)"), "\(failed.output)")

            // A deploy puts the specs back. Only the broken services may change (Swarm may
            // already have rolled some back itself: their update_config says rollback).
            let repaired = try await Deploy.deploy(secrets: secrets)
            #expect(repaired.status == 0, "\(repaired.errors)")
            let broken = ["lab-milvus_querynode1", "lab-storage_etcd2", "lab-storage_etcd3"]
            let updates = repaired.output.split(separator: "\n").filter { $0.contains(": update (") }
            #expect(updates.allSatisfy { line in broken.contains { line.contains("\($0): update (") } }, "\(updates)")
            let after = try await Self.waitForHealthStatus(0)
            #expect(after.status == 0, "\(after.output)")
            // The members came back with their data: the same members (etcd's own IDs), the key read back.
            #expect(try await LabEtcd.members(engine) == members)
            let read = try await LabEtcd.etcdctl(engine, ["get", "--print-value-only", "swarmstage-test/health"])
            #expect(read.succeeded && read.output.split(separator: "\n").contains { $0 == written }, "\(read.output)")

            // The README's runbook, "a host is down": lab-node2 (etcd2, zk2, minio2, bookie1)
            // loses power. health names it and says each quorum holds; label --dry-run shows how
            // its members would be handed to other nodes and writes nothing; the host comes back
            // and its members rejoin with their data.
            try await LabOutageTests.labScript(["kill-node", "lab-node2"])
            try await Self.waitForNode("lab-node2", state: .down)
            let hostDown = try await Self.waitForHealthStatus(1)
            #expect(hostDown.status == 1, "\(hostDown.output)")
            #expect(hostDown.output.contains("etcd: 2 of 3 members up (quorum held)"), "\(hostDown.output)")
            #expect(hostDown.output.contains("node lab-node2 is down"), "\(hostDown.output)")
            let labelsBefore = try await Self.nodeLabels(engine)
            let replacing = try Self.inventoryReplacingNode2()
            defer { try? FileManager.default.removeItem(atPath: replacing) }
            let moved = try await Programs.run(Programs.swarmstage, ["label", "--dry-run", "-i", replacing,
                                                                    "-H", "unix://\(try Lab.require().managerSocket)"])
            #expect(moved.status == 0, "\(moved.output)\n\(moved.errors)")
            // Each member can be handed on by its tier's procedure (deploy replaces etcd2; label waits for
            // minio2's heal; checks the ZooKeeper quorum and waits for zk2's sync,
            // and decommissions bookie1 first and waits until it takes writes, LabEtcdReplacementTests).
            for note in ["note: lab-storage_minio2 (minio) moves from lab-node2 (down) to lab-manager3",
                         "note: lab-pulsar_zk2 (zookeeper) moves from lab-node2 (down) to lab-node4",
                         "note: lab-pulsar_bookie1 (bookie) moves from lab-node2 (down) to lab-manager3: BookKeeper decommissions bookie1:3181 first",
                         "note: before writing, label checks that every other bookie takes writes, then decommissions the bookie"] {
                #expect(moved.output.contains(note), "\(moved.output)")
            }
            #expect(moved.output.contains("dry run: ") && moved.output.contains("nothing was written"), "\(moved.output)")
            #expect(try await Self.nodeLabels(engine) == labelsBefore, "label --dry-run wrote")
            try await LabOutageTests.labScript(["start-node", "lab-node2"])
            try await LabOutageTests.waitForEveryNodeReady()
            let back = try await Self.waitForHealthStatus(0, timeout: .seconds(180))
            #expect(back.status == 0, "\(back.output)")
            #expect(try await LabEtcd.members(engine) == members)
            let again = try await LabEtcd.etcdctl(engine, ["get", "--print-value-only", "swarmstage-test/health"])
            #expect(again.succeeded && again.output.split(separator: "\n").contains { $0 == written }, "\(again.output)")
        }
    }

    /// A POST to an etcd member's HTTP gateway, from a one-shot job of the etcd image (busybox's wget).
    static func etcdHTTP(_ engine: EngineClient, _ url: String, _ body: String) async throws -> LabEtcd.Result {
        let job = SwarmJob(swarm: engine, image: try Lab.require().image("etcd"), network: "lab-net", constraints: ["node.role==manager"],
                           timeout: .seconds(90), namePrefix: "sstest-etcd-http")
        let quoted = "'" + body.replacingOccurrences(of: "'", with: "'\\''") + "'"
        let (succeeded, output) = try await job.run(command: ["/bin/sh", "-c", "wget -q -O- --post-data=\(quoted) \(url)"], args: [],
                                                    label: "etcd http")
        return LabEtcd.Result(succeeded: succeeded, output: output)
    }

    /// Every node's labels by hostname.
    static func nodeLabels(_ engine: EngineClient) async throws -> [String: [String: String]] {
        Dictionary(try await engine.nodes().map { ($0.hostname, $0.Spec.Labels ?? [:]) }, uniquingKeysWith: { first, _ in first })
    }

    /// Until the manager reports `name` in `state`.
    static func waitForNode(_ name: String, state: NodeState, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await Deploy.engine().nodes().contains(where: { $0.hostname == name && $0.Status?.State == state }) { return }
            try await Task.sleep(for: .seconds(1))
        }
        Issue.record("\(name) did not become \(state) within \(timeout)")
    }

    /// The runbook's edit of the lab inventory for a dead lab-node2, in a file of its own.
    static func inventoryReplacingNode2() throws -> String {
        let text = try LabInventoryEdits.replacingNode2()
        let path = NSTemporaryDirectory() + "lab-replacing-node2-\(UUID().uuidString).yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func badInputWritesNothingToTheEngine() async throws {
        try await LabLock.run {
            let engine = try await Deploy.engine()
            let seen = Recorder()
            // What bad input could write: services, networks, configs, secrets, node labels.
            let events = try await engine.events(filters: Filters([("type", "service"), ("type", "network"), ("type", "config"),
                                                                    ("type", "secret"), ("type", "node")]))
            let watcher = Task {
                for try await event in events {
                    let name = event.Actor?.Attributes?["name"] ?? ""
                    // The engine tests run beside this one and make throwaway sstest- services.
                    // A network's connect and disconnect are containers starting and stopping
                    // (an earlier test's task ending late), not anything written through the API.
                    let action = event.Action ?? ""
                    guard !name.hasPrefix("sstest"), !["connect", "disconnect"].contains(action) else { continue }
                    seen.add("\(event.Type ?? "") \(action) \(name)")
                }
            }
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            let lab = try Lab.require()

            // Broken inventories: each refused with its location, exit 3.
            let corpus = RepositoryPaths.path("Tests/InventoryTests/Fixtures/bad")
            for name in ["duplicate-numbered-label.yml", "etcd-even.yml", "unknown-role.yml", "yaml-tab-indent.yml"] {
                let result = try await Programs.run(Programs.swarmstage, ["deploy", "-i", "\(corpus)/\(name)", "-H", "unix://\(lab.managerSocket)",
                                                                    "--secrets-file", secrets])
                #expect(result.status == 3, "\(name): \(result.errors)")
                #expect(result.errors.contains("\(name):"), "\(name): \(result.errors)")
            }
            // Broken stack files on disk: refused before the first write.
            let folder = NSTemporaryDirectory() + "swarmstage-bad-stacks-\(UUID().uuidString.prefix(6))"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            #expect(try await Deploy.swarmstage(["generate", "-o", folder]).status == 0)
            let stage2 = (folder as NSString).appendingPathComponent("2-pulsar.yml")
            let text = try String(contentsOfFile: stage2, encoding: .utf8).replacingOccurrences(of: "    stop_grace_period: \"60s\"", with: "    stop_grace_period: \"a minute\"")
            try text.write(toFile: stage2, atomically: true, encoding: .utf8)
            let badStacks = try await Deploy.deploy(["--stacks", folder], secrets: secrets)
            #expect(badStacks.status == 3)
            #expect(badStacks.errors.contains("2-pulsar.yml:"), "\(badStacks.errors)")
            // No credentials: refused too.
            let noSecrets = try await Programs.run(Programs.swarmstage, ["deploy", "-i", "inventory/lab.yml", "-H", "unix://\(lab.managerSocket)"],
                                             environment: ["MINIO_ROOT_USER": "", "MINIO_ROOT_PASSWORD": ""])
            #expect(noSecrets.status == 3, "\(noSecrets.errors)")

            try await Task.sleep(for: .seconds(1))
            watcher.cancel()
            try? await watcher.value
            #expect(seen.all.isEmpty, "bad input must not reach the Engine: \(seen.all)")
        }
    }

    @Test func aSecondDeployWhileOneRunsIsRefused() async throws {
        try await LabLock.run {
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            // From nothing, so the first deploy takes a while.
            try await Deploy.teardownAll()
            let first = try Deploy.startStorageDeploy(secrets: secrets)
            try await Task.sleep(for: .milliseconds(800))
            let second = try await Deploy.deploy(["--only", "storage"], secrets: secrets)
            let firstResult = try await first.finish(timeout: .seconds(400))
            #expect(second.status == 3, "\(second.errors)")
            #expect(second.errors.contains("another swarmstage deploy or teardown of cluster lab is running"), "\(second.errors)")
            #expect(firstResult.status == 0, "the first deploy must finish unharmed: \(firstResult.errors)")
        }
    }
}
