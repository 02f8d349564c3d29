import Engine
import Foundation
import SwarmModel
import Testing
import TestSupport

/// The runbook's "a host is gone for good", for etcd, with Debian's real etcd: lab-node2 loses
/// power for good; its etcd member is handed to lab-manager3 in the inventory; `label` and
/// `deploy` replace it by etcd's procedure; the data written before is read from the new member.
@Suite("Replacing a dead host's etcd member on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabEtcdReplacementTests {
    typealias Deploy = LabDeployTests

    // Handing etcd2 to lab-manager3 also shrinks the limits of the services there (a rolling
    // update while lab-node2 is down); minio-lb's new tasks pass their checks since the
    // stand-ins answer health from state checked in the background (before, a check waited on
    // the lookup of minio2 and timed out, and this test was off in CI).
    @Test
    func aDeadHostsEtcdMemberIsReplacedAndTheDataReadBackFromIt() async throws {
        try await LabLock.outage {
            let lab = try Lab.require()
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            let (engine, before, written) = try await Self.deployedWithAKey("swarmstage-test/replaced", secrets: secrets)

            // lab-node2 is gone; its etcd member goes to lab-manager3, which gets the data directory
            // an operator creates (`swarmstage images` lists it).
            try LabOutageTests.labScript(["kill-node", "lab-node2"])
            defer { try? Self.restore(lab: lab) }
            try await LabHealthAndFaultTests.waitForNode("lab-node2", state: .down)
            try FileManager.default.createDirectory(atPath: "\(lab.directory)/nodes/lab-manager3/mnt/data/etcd", withIntermediateDirectories: true)
            // Named lab.yml, as the operator's file: the generated files' headers name it, and another name would change every config.
            let folder = NSTemporaryDirectory() + "lab-etcd2-to-manager3-\(UUID().uuidString.prefix(6))"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let inventory = folder + "/lab.yml"
            try LabInventoryEdits.handingNode2sEtcdMember(to: "lab-manager3").write(toFile: inventory, atomically: true, encoding: .utf8)
            let socket = ["-H", "unix://\(lab.managerSocket)"]
            let labelled = try Programs.run(Programs.swarmstage, ["label", "-i", inventory] + socket)
            #expect(labelled.status == 0, "etcd2 may be handed on from a down host: \(labelled.output)\n\(labelled.errors)")

            let deploy = ["deploy", "-i", inventory, "--images", lab.directory + "/images.yml", "--secrets-file", secrets, "--timeout", "300"]
            let plan = try Programs.run(Programs.swarmstage, deploy + ["--plan"] + socket)
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
            // Degraded, not failed: lab-node2's other services wait for it, their tiers serving.
            #expect(replaced.status == 1, "\(replaced.output)\n\(replaced.errors)")
            #expect(replaced.errors.contains("left down"), "\(replaced.errors)")
            #expect(replaced.output.contains("lab-storage_etcd2: replace the etcd member"), "\(replaced.output)")

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

            // Nothing left to do: the next deploy writes nothing (still degraded: lab-node2 is down).
            let again = try Programs.run(Programs.swarmstage, deploy + socket)
            #expect(again.output.contains("nothing changed (0 Engine writes)"), "\(again.output)\n\(again.errors)")
            #expect(again.status == 1)
        }
    }

    /// The lab labelled and deployed, etcd's members (name → ID) as they are, and a new value
    /// written under `key`.
    static func deployedWithAKey(_ key: String, secrets: String) async throws -> (EngineClient, [String: String], String) {
        #expect(try Deploy.swarmstage(["label"]).status == 0)
        let deployed = try Deploy.deploy(secrets: secrets)
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
    /// (whose membership changed) cleared so the next deploy starts a new cluster, the
    /// inventory's labels again.
    static func restore(lab: Lab) throws {
        try LabOutageTests.labScript(["start-node", "lab-node2"])
        try restartingEtcd(lab: lab)
    }

    /// The stacks removed, every node's etcd data cleared, the inventory's labels again: the
    /// next deploy starts a cluster of the inventory's three members.
    static func restartingEtcd(lab: Lab) throws {
        try Deploy.teardownAll()
        for node in (try? FileManager.default.contentsOfDirectory(atPath: "\(lab.directory)/nodes")) ?? [] {
            let folder = "\(lab.directory)/nodes/\(node)/mnt/data/etcd"
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                try FileManager.default.removeItem(atPath: "\(folder)/\(entry)")
            }
        }
        #expect(try Deploy.swarmstage(["label"]).status == 0)
    }
}
