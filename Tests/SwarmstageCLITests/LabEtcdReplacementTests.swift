import Engine
import Foundation
import Rollout
import SwarmModel
import Testing
import TestSupport

/// The runbook's "a host is gone for good", done whole: lab-node2 (etcd2, zk2, minio2, bookie1,
/// a broker, index1) loses power for good; the inventory gives every role it had to the spare
/// lab-manager3 under the same numbers; `label` hands zk2 on (the other servers' quorum checked
/// first, then zk2 waited for until it has synced and serves), minio2 (waited for until MinIO has
/// healed its empty drives) and bookie1 (the other bookies checked, bookie1 decommissioned
/// before the labels are written, then waited for until it takes writes on its new host);
/// `deploy` replaces etcd2 by etcd's procedure and moves the broker and index1; deploy and
/// health end 0; the data written before is read from each new member: a key from etcd2 alone,
/// a znode from zk2 alone, every object from minio2, every ledger entry from the bookies.
/// Then the new member's disk is wiped where it runs (the guard against empty data): etcd refuses
/// it, `health` says why, `deploy` replaces it there; the data is read from it again.
@Suite("Replacing a dead host's every member on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabEtcdReplacementTests {
    typealias Deploy = LabDeployTests

    // Handing etcd2 to lab-manager3 also shrinks the limits of the services there (a rolling
    // update while lab-node2 is down); minio-lb's new tasks pass their checks since the
    // stand-ins answer health from state checked in the background (before, a check waited on
    // the lookup of minio2 and timed out, and this test was off in CI).
    @Test
    func aDeadHostsRolesAllGoToASpareAndEveryKeyObjectAndEntryIsReadBack() async throws {
        try await LabLock.outage {
            let lab = try Lab.require()
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            let (engine, before, written) = try await Self.deployedWithAKey("swarmstage-test/replaced", secrets: secrets)
            let znode = "/swarmstage-test-\(UUID().uuidString.prefix(6).lowercased())"
            let created = try await Self.zookeeperShell(engine, servers: "zk1:2181,zk2:2181,zk3:2181", ["create", znode])
            #expect(created.succeeded, "\(created.output)")
            // Three ledgers of 10 entries over an ensemble of 2 (BookKeeper's least loaded bookies take each).
            var ledgers: [String] = []
            for _ in 1...3 {
                let test = try await LabBookieTests.shell(engine, ["simpletest", "-ensemble", "2", "-writeQuorum", "2", "-ackQuorum", "2",
                                                                   "-numEntries", "10"])
                #expect(test.succeeded, "\(test.output)")
                if let line = test.output.split(separator: "\n").first(where: { $0.hasPrefix("Ledger ID: ") }) {
                    ledgers.append(String(line.dropFirst("Ledger ID: ".count)))
                }
            }
            #expect(!(try await LabBookieTests.ledgers(engine, on: "bookie1:3181").intersection(ledgers)).isEmpty, "bookie1 holds some of \(ledgers)")
            // Four objects through minio-lb (8 drives, parity 4: each on at least 5, among them minio2's).
            let run = UUID().uuidString.prefix(6)
            let objects = (1...4).map { (key: "lab-test/\(run)/object-\($0)", value: "value-\($0)-\(run)") }
            for (key, value) in objects {
                let put = try await LabMinio.mc(engine, ["put", "http://minio-lb:9000/\(key)", value])
                #expect(put.succeeded, "\(key): \(put.output)")
            }

            // lab-node2 is gone for good; every role it had goes to the spare lab-manager3, which gets
            // the data directories an operator creates (`swarmstage images` lists them).
            try await LabOutageTests.labScript(["kill-node", "lab-node2"])
            try await withCleanup {
                try await LabHealthAndFaultTests.waitForNode("lab-node2", state: .down)
                let file = try LabInventoryEdits.OperatorsFile(try LabInventoryEdits.handingAllOfNode2(to: "lab-manager3"), tag: "lab-node2-to-manager3")
                defer { file.remove() }
                let inventory = file.path
                // The directories `swarmstage images` says to create on lab-manager3 (etcd's, ZooKeeper's,
                // the bookie's, MinIO's drives, indexnode1's logs), created as an operator would.
                let images = try await Programs.run(Programs.swarmstage, ["images", "-i", inventory])
                let lines = images.output.split(separator: "\n")
                let directories = lines.firstIndex { $0.hasPrefix("lab-manager3 ") }.flatMap { $0 + 1 < lines.count ? String(lines[$0 + 1]) : nil } ?? ""
                let mkdir = String(try #require(directories.range(of: "mkdir -p ").map { directories[$0.upperBound...] }, "\(images.output)"))
                #expect(mkdir.contains("/mnt/data/bookkeeper") && mkdir.contains("/mnt/data/milvus/system-logs/indexnode1"), "\(mkdir)")
                for path in mkdir.split(separator: " ") {
                    try FileManager.default.createDirectory(atPath: "\(lab.directory)/nodes/lab-manager3\(path)", withIntermediateDirectories: true)
                }
                let socket = ["-H", "unix://\(lab.managerSocket)"]
                let labelled = try await Programs.run(Programs.swarmstage, ["label", "-i", inventory, "--heal-timeout", "300"] + socket)
                #expect(labelled.status == 0, "etcd2, zk2, minio2 and bookie1 may be handed on from a down host: \(labelled.output)\n\(labelled.errors)")
                let healed = labelled.output.firstMatch(of: /lab-storage_minio2: healed on lab-manager3 \((\d+) objects?\)/).flatMap { Int($0.1) }
                #expect((healed ?? 0) >= objects.count, "\(labelled.output)")
                #expect(labelled.output.contains("lab-pulsar_zk2: the other servers hold the quorum (zk1: "), "\(labelled.output)")
                #expect(labelled.output.contains("lab-pulsar_zk2: serves on lab-manager3 (zk2: follower"), "\(labelled.output)")
                #expect(labelled.output.contains("lab-pulsar_bookie1: decommissioned bookie1:3181; its ledgers are on bookie2:3181, bookie3:3181"),
                        "\(labelled.output)")
                #expect(labelled.output.contains("lab-pulsar_bookie1: bookie1:3181 takes writes on lab-manager3"), "\(labelled.output)")
                print("label handing lab-node2's members on:\n\(labelled.output)")
                // minio2's task runs on lab-manager3 (the old one stays listed as last seen on the dead lab-node2).
                let manager3 = try #require(try await engine.nodes().first { $0.hostname == "lab-manager3" })
                let minio2 = try await engine.service("lab-storage_minio2")
                let minio2Tasks = try await engine.tasks(filters: .service(minio2.ID)).filter { $0.DesiredState == .running }
                #expect(minio2Tasks.map(\.NodeID) == [manager3.ID] && minio2Tasks.allSatisfy { $0.Status.State == .running }, "\(minio2Tasks)")
                // Healed: both of minio2's new drives on lab-manager3 hold every object written before (the
                // stand-in keeps the whole object where MinIO keeps a shard), and minio2 serves each.
                for (key, value) in objects {
                    for disk in ["disk1", "disk2"] {
                        let held = (try? String(contentsOfFile: "\(lab.directory)/nodes/lab-manager3/mnt/data/\(disk)/\(key)", encoding: .utf8)) ?? ""
                        #expect(held == value, "\(key) on lab-manager3's \(disk): \(held)")
                    }
                    let read = try await LabMinio.mc(engine, ["cat", "http://minio2:9000/\(key)"])
                    #expect(read.succeeded && read.output.contains(value), "\(key): \(read.output)")
                }
                // Nothing left to hand on: labelling again writes nothing and waits for nothing.
                let relabelled = try await Programs.run(Programs.swarmstage, ["label", "-i", inventory] + socket)
                #expect(relabelled.status == 0 && relabelled.output.contains("nothing to do") && !relabelled.output.contains("waiting"),
                        "\(relabelled.output)")
                // Every entry written before is read back; the new bookie1 is empty and takes a ledger of its own.
                for ledger in ledgers {
                    let read = try await LabBookieTests.shell(engine, ["readledger", "-ledgerid", ledger])
                    #expect(read.succeeded && (0..<10).allSatisfy { read.output.contains("ledger\(ledger)-entry\($0)") }, "ledger \(ledger): \(read.output)")
                }
                #expect(try await LabBookieTests.ledgers(engine, on: "bookie1:3181").intersection(ledgers).isEmpty)
                let onAll = try await LabBookieTests.shell(engine, ["simpletest", "-ensemble", "3", "-writeQuorum", "3", "-ackQuorum", "3",
                                                                    "-numEntries", "5"])
                let newLedger = onAll.output.split(separator: "\n").first { $0.hasPrefix("Ledger ID: ") }.map { String($0.dropFirst("Ledger ID: ".count)) }
                #expect(onAll.succeeded && newLedger != nil, "\(onAll.output)")
                let onManager3 = (try? String(contentsOfFile: "\(lab.directory)/nodes/lab-manager3/mnt/data/bookkeeper/ledgers/current/ledger-\(newLedger ?? "")",
                                              encoding: .utf8)) ?? ""
                #expect(onManager3.split(separator: "\n").count == 5, "bookie1's disk on lab-manager3: \(onManager3)")
                // zk2 alone, out of the data directory it started with empty, holds what was written before.
                let listed = try await Self.zookeeperShell(engine, servers: "zk2:2181", ["ls", "/"])
                #expect(listed.succeeded && listed.output.contains(String(znode.dropFirst())), "\(listed.output)")
                let kept = (try? String(contentsOfFile: "\(lab.directory)/nodes/lab-manager3/mnt/data/zookeeper/standin-tree", encoding: .utf8)) ?? ""
                #expect(kept.contains(znode), "zk2's tree on lab-manager3's disk: \(kept)")

                let deploy = ["deploy", "-i", inventory, "--images", lab.directory + "/images.yml", "--secrets-file", secrets, "--timeout", "300"]
                let plan = try await Programs.run(Programs.swarmstage, deploy + ["--plan"] + socket)
                #expect(plan.output.contains("lab-storage_etcd2: replace the etcd member: member remove (its data was on lab-node2)"), "\(plan.output)")
                // Meanwhile the probe sends steady requests through milvus-lb and minio-lb and samples the quorums.
                let probe = try LabDayTwoTests.startProbe()
                let replaced = try await BackgroundProgram(Programs.swarmstage, deploy + ["--progress", "plain"] + socket).finish(timeout: .seconds(900))
                probe.interrupt()
                let measured = try await probe.finish(timeout: .seconds(30))
                print("probe during the etcd member's replacement (exit \(measured.status)):\n\(measured.output)")
                // Handing etcd2 to lab-manager3 shrinks the limits of what runs there; the balancers'
                // are a fixed part of each host (Sizing), so milvus-lb, global on the managers with a
                // host port, is not restarted (it was, stop-first, refusing each manager's address for
                // about 1.5 s, before). Milvus answers every request throughout.
                #expect(measured.output.contains(" 0 unhealthy"), "\(measured.output)\n\(measured.errors)")
                let failed = measured.output.firstMatch(of: /: (\d+) failed,/).flatMap { Int($0.1) } ?? -1
                #expect(failed == 0, "Milvus stopped answering: \(measured.output)")
                #expect(measured.output.contains("  etcd: at least ") && !measured.output.contains("QUORUM LOST"), "\(measured.output)")
                // Whole again: every role of lab-node2 runs on lab-manager3 (broker1 and indexnode1 moved by
                // deploy, stateless), nothing is left down, and health is 0.
                #expect(replaced.status == 0, "\(replaced.output)\n\(replaced.errors)")
                #expect(!replaced.errors.contains("left down"), "\(replaced.errors)")
                #expect(replaced.output.contains("lab-storage_etcd2: replace the etcd member"), "\(replaced.output)")
                let whole = try await Programs.run(Programs.swarmstage, ["health", "-i", inventory] + socket)
                #expect(whole.status == 0, "\(whole.output)\n\(whole.errors)")

                // etcd's own view: three started members, etcd2 under a new ID, the old one gone.
                let after = try await LabEtcd.members(engine)
                #expect(after.keys.sorted() == ["etcd1", "etcd2", "etcd3"], "\(after)")
                #expect(after["etcd2"] != before["etcd2"] && after["etcd1"] == before["etcd1"] && after["etcd3"] == before["etcd3"])
                let health = try await LabEtcd.etcdctl(engine, ["endpoint", "health"])
                #expect(health.succeeded, "\(health.output)")
                // The new member holds the data itself: a serializable read answered by etcd2 alone.
                let read = try await LabEtcd.etcdctl(engine, ["get", "--consistency=s", "--print-value-only", "swarmstage-test/replaced"],
                                                     endpoints: "http://etcd2:2379")
                #expect(read.succeeded && read.output.split(separator: "\n").contains { $0 == written }, "\(read.output)")
                let etcd2 = try await engine.service("lab-storage_etcd2")
                #expect(etcd2.Spec.TaskTemplate.ContainerSpec?.Args?.contains("--initial-cluster-state=existing") == true)

                // Nothing left to do: the next deploy writes nothing.
                let again = try await Programs.run(Programs.swarmstage, deploy + socket)
                #expect(again.output.contains("nothing changed (0 Engine writes)"), "\(again.output)\n\(again.errors)")
                #expect(again.status == 0)

                // The new member's disk is then wiped where it runs (lab-manager3): started `existing`,
                // etcd's raft panics at the leader's first heartbeat ("tocommit(N) is out of range
                // [lastIndex(0)]. Was the raft log corrupted, truncated, or lost?"). health names it and
                // deploy replaces it there by the same procedure; the key is read from it alone again.
                try await Self.wipeAndReplaceInPlace("lab-storage_etcd2", on: "lab-manager3", saying: "tocommit(", key: "swarmstage-test/replaced",
                                                     written: written, engine: engine, lab: lab, inventory: inventory, deploy: deploy + socket,
                                                     deployStatus: 0)
            } cleanup: {
                try? await Self.restore(lab: lab)
            }
        }
    }

    /// The guard against empty data, with the real etcd: `service`'s data directory on `home` is
    /// removed with its container (a disk replaced or wiped); Swarm starts it again on an empty
    /// directory and etcd refuses it, in words starting with `saying`. `health` names the member,
    /// `deploy` (the `deploy` arguments, exiting `deployStatus`) replaces it on the same host with
    /// etcd's procedure, the other members keep their IDs, and `key` is read from the member alone.
    static func wipeAndReplaceInPlace(_ service: String, on home: String, saying: String, key: String, written: String,
                                      engine: EngineClient, lab: Lab, inventory: String, deploy: [String], deployStatus: Int32) async throws {
        let before = try await LabEtcd.members(engine)
        let spec = try await engine.service(service)
        let dataDir = EtcdReplacement.argument("--data-dir=", in: spec.Spec) ?? "/var/etcd/data"
        #expect(dataDir.hasPrefix("/var/etcd/"))
        let onHost = "\(lab.directory)/nodes/\(home)/mnt/data/etcd/\(dataDir.dropFirst("/var/etcd/".count))"
        #expect(FileManager.default.fileExists(atPath: onHost + "/member"), "\(service)'s data is not at \(onHost)")
        let node = "unix://\(lab.nodeSocket(home))"
        let containers = try await Programs.run(Programs.docker, ["-H", node, "ps", "-q", "--filter", "label=com.docker.swarm.service.name=\(service)"])
        let container = try #require(containers.output.split(separator: "\n").first.map(String.init), "\(containers.output)")
        let removed = try await Programs.run(Programs.docker, ["-H", node, "rm", "-f", container])
        #expect(removed.status == 0, "\(removed.errors)")
        try FileManager.default.removeItem(atPath: onHost)

        let socket = ["-H", "unix://\(lab.managerSocket)"]
        let health = { try await Programs.run(Programs.swarmstage, ["health", "-i", inventory] + socket) }
        let deadline = ContinuousClock.now + .seconds(120)
        var said = try await health()
        while !said.output.contains("etcd says this member's data is lost"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(3))
            said = try await health()
        }
        #expect(said.status != 0 && said.output.contains("\(service): etcd says this member's data is lost where it runs (\(saying)"),
                "\(said.output)")
        let plan = try await Programs.run(Programs.swarmstage, deploy + ["--plan"])
        #expect(plan.output.contains("\(service): replace the etcd member: its data on \(home) is lost (etcd: \(saying)"),
                "\(plan.output)\n\(plan.errors)")
        let replaced = try await Programs.run(Programs.swarmstage, deploy + ["--progress", "plain"])
        #expect(replaced.status == deployStatus, "\(replaced.output)\n\(replaced.errors)")

        let member = String(service.split(separator: "_").last ?? "")
        let after = try await LabEtcd.members(engine)
        #expect(after.keys.sorted() == before.keys.sorted(), "\(after)")
        #expect(after[member] != before[member] && after.filter { $0.key != member } == before.filter { $0.key != member }, "\(before) → \(after)")
        let read = try await LabEtcd.etcdctl(engine, ["get", "--consistency=s", "--print-value-only", key], endpoints: "http://\(member):2379")
        #expect(read.succeeded && read.output.split(separator: "\n").contains { $0 == written }, "\(read.output)")
        let nodes = try await engine.nodes()
        let running = try await engine.tasks(filters: .service(spec.ID)).filter { $0.DesiredState == .running && $0.Status.State == .running }
        #expect(running.compactMap { task in nodes.first { $0.ID == task.NodeID }?.hostname } == [home])
        let again = try await Programs.run(Programs.swarmstage, deploy)
        #expect(again.output.contains("nothing changed (0 Engine writes)"), "\(again.output)\n\(again.errors)")
    }

    /// `bin/pulsar zookeeper-shell -server SERVERS COMMAND...` from a job on the lab's network.
    static func zookeeperShell(_ engine: EngineClient, servers: String, _ command: [String]) async throws -> (succeeded: Bool, output: String) {
        try await SwarmJob(swarm: engine, image: try Lab.require().image("pulsar"), network: "lab-net", constraints: ["node.role==manager"],
                           timeout: .seconds(60), namePrefix: "sstest-zk")
            .run(command: ["/pulsar/bin/pulsar", "zookeeper-shell", "-server", servers] + command, args: [], label: "zookeeper-shell")
    }

    /// The lab labelled and deployed, etcd's members (name → ID) as they are, and a new value
    /// written under `key`.
    static func deployedWithAKey(_ key: String, secrets: String) async throws -> (EngineClient, [String: String], String) {
        #expect(try await Deploy.swarmstage(["label"]).status == 0)
        let deployed = try await Deploy.deploy(secrets: secrets)
        #expect(deployed.status == 0, "\(deployed.errors)")
        let engine = try await Deploy.engine()
        let members = try await LabEtcd.members(engine)
        #expect(members.keys.sorted() == ["etcd1", "etcd2", "etcd3"], "\(members)")
        let written = "written-\(UUID().uuidString.prefix(8))"
        let put = try await LabEtcd.etcdctl(engine, ["put", key, written])
        #expect(put.succeeded, "\(put.output)")
        return (engine, members, written)
    }

    /// The lab as other tests expect it: lab-node2 back, the stacks removed, etcd's data
    /// (whose membership changed) cleared so the next deploy starts a new cluster, ZooKeeper's
    /// and the bookies' too (bookie1's cookie now names lab-manager3's disks: the next deploy
    /// starts Pulsar's metadata and ledgers afresh), the inventory's labels again.
    static func restore(lab: Lab) async throws {
        try await LabOutageTests.labScript(["start-node", "lab-node2"])
        try await restartingEtcd(lab: lab, alsoClearing: ["zookeeper", "bookkeeper", "disk1", "disk2"])
        for folder in ["zookeeper", "bookkeeper", "disk1", "disk2", "milvus/system-logs/indexnode1"] {
            try? FileManager.default.removeItem(atPath: "\(lab.directory)/nodes/lab-manager3/mnt/data/\(folder)")
        }
    }

    /// The stacks removed, every node's etcd data cleared, the inventory's labels again: the
    /// next deploy starts a cluster of the inventory's three members.
    static func restartingEtcd(lab: Lab, alsoClearing others: [String] = []) async throws {
        try await Deploy.teardownAll()
        for node in (try? FileManager.default.contentsOfDirectory(atPath: "\(lab.directory)/nodes")) ?? [] {
            for data in ["etcd"] + others {
                let folder = "\(lab.directory)/nodes/\(node)/mnt/data/\(data)"
                for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                    try FileManager.default.removeItem(atPath: "\(folder)/\(entry)")
                }
            }
        }
        #expect(try await Deploy.swarmstage(["label"]).status == 0)
    }
}
