import Engine
import Foundation
import Rollout
import SwarmModel
import Testing
import TestSupport

/// The runbook's "a host is gone for good", for MinIO: lab-node4 loses power for good; its
/// MinIO server (minio4) is handed to lab-manager3 in the inventory; `label` moves it and waits
/// until MinIO has healed the empty drives there; every object written before is then read with
/// minio4's drives holding half of the read quorum.
@Suite("Replacing a dead host's MinIO server on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabMinioReplacementTests {
    typealias Deploy = LabDeployTests

    @Test func aDeadHostsMinioServerIsHandedOnHealedAndHoldsEveryObject() async throws {
        try await LabLock.outage {
            let lab = try Lab.require()
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            let (engine, objects) = try await LabMinioDataTests.storageHoldingFourObjects(secrets: secrets)
            // MinIO's admin API answers only its root credentials.
            let minio4 = try await engine.service("lab-storage_minio4")
            let anonymous = try await SwarmJob(swarm: engine, image: try lab.image("minio"), network: "lab-net", constraints: ["node.role==manager"],
                                               timeout: .seconds(60), namePrefix: "sstest-mc")
                .run(command: ["/bin/sh", "-c", "MC_HOST_anonymous=http://minio4:9000 exec /usr/bin/mc admin heal anonymous"], args: [],
                     label: "mc admin heal")
            #expect(!anonymous.succeeded && anonymous.output.contains("AccessDenied"), "\(anonymous.output)")
            let status = try await JobMinioHeal(swarm: engine).status(of: minio4)
            // Settled: nothing to heal (or, for a server that formatted after the others in a new deployment, 0 of 0 objects).
            #expect((try? MinioHealWait.reading(status).get()) != nil, "\(status)")

            // lab-node4 is gone; minio4 goes to lab-manager3, which gets the drive folders an operator mounts.
            try await LabOutageTests.labScript(["kill-node", "lab-node4"])
            try await withCleanup {
                try await LabHealthAndFaultTests.waitForNode("lab-node4", state: .down)
                for disk in ["disk1", "disk2"] {
                    try FileManager.default.createDirectory(atPath: "\(lab.directory)/nodes/lab-manager3/mnt/data/\(disk)",
                                                            withIntermediateDirectories: true)
                }
                let file = try LabInventoryEdits.OperatorsFile(LabInventoryEdits.handingMinioServer(4, from: "lab-node4", to: "lab-manager3"), tag: "lab-minio4-to-manager3")
                defer { file.remove() }
                let inventory = file.path
                let socket = ["-H", "unix://\(lab.managerSocket)"]
                let dryRun = try await Programs.run(Programs.swarmstage, ["label", "-i", inventory, "--dry-run"] + socket)
                #expect(dryRun.status == 0 && dryRun.output.contains("note: lab-storage_minio4 (minio) moves from lab-node4 (down) to lab-manager3"),
                        "\(dryRun.output)\n\(dryRun.errors)")
                let labelled = try await Programs.run(Programs.swarmstage, ["label", "-i", inventory, "--heal-timeout", "300"] + socket)
                #expect(labelled.status == 0, "\(labelled.output)\n\(labelled.errors)")
                let healed = labelled.output.firstMatch(of: /lab-storage_minio4: healed on lab-manager3 \((\d+) objects?\)/).flatMap { Int($0.1) }
                #expect((healed ?? 0) >= objects.count, "\(labelled.output)")
                // Its task runs on lab-manager3 (the old one stays listed as last seen on the dead lab-node4, its desired state shutdown).
                let manager3 = try #require(try await engine.nodes().first { $0.hostname == "lab-manager3" })
                let minio4Tasks = try await engine.tasks(filters: .service(minio4.ID)).filter { $0.DesiredState == .running }
                #expect(minio4Tasks.map(\.NodeID) == [manager3.ID] && minio4Tasks.allSatisfy { $0.Status.State == .running }, "\(minio4Tasks)")
                print("label handing minio4 on:\n\(labelled.output)")

                // minio4's new drives hold every object: with only minio4 and one other server running (4 of 8 drives,
                // exactly a read quorum) an object reads back only if minio4 holds it. A write needs 5 drives, so an
                // object may be missing from one of minio1-3 (written while it was slow): each is read with some
                // other server that holds it.
                var unread = objects
                for other in [3, 2, 1] where !unread.isEmpty {
                    let stopped = [1, 2, 3].filter { $0 != other }.map { "lab-storage_minio\($0)" }
                    for name in stopped { try await LabMinio.scale(engine, service: name, to: 0) }
                    for name in stopped { try await LabMinioDataTests.waitUntilStopped(engine, name) }
                    var missing: [(String, String)] = []
                    for (key, value) in unread {
                        let read = try await LabMinio.mc(engine, ["cat", "http://minio4:9000/\(key)"])
                        if !(read.succeeded && read.output.contains(value)) { missing.append((key, value)) }
                    }
                    unread = missing
                    for name in stopped { try await LabMinio.scale(engine, service: name, to: 1) }
                    for name in stopped { try await LabMinioDataTests.waitUntilRunning(engine, name) }
                }
                #expect(unread.isEmpty, "minio4 does not hold \(unread.map(\.0))")

                // Nothing left to do: labelling again writes nothing and waits for nothing.
                let again = try await Programs.run(Programs.swarmstage, ["label", "-i", inventory] + socket)
                #expect(again.status == 0 && again.output.contains("nothing to do") && !again.output.contains("waiting"), "\(again.output)")
            } cleanup: {
                try? await Self.restore(lab: lab)
            }
        }
    }

    /// lab-node4 back, the stacks removed, MinIO's drives emptied everywhere, the inventory's labels again.
    static func restore(lab: Lab) async throws {
        try await LabOutageTests.labScript(["start-node", "lab-node4"])
        try await LabMinioDataTests.restore(lab: lab)
        #expect(try await Deploy.swarmstage(["label"]).status == 0)
    }
}
