import Engine
import Foundation
import Rollout
import SwarmModel
import Testing
import TestSupport

/// The runbook's "shrink the bookies" on the lab: ledgers written through `bookkeeper shell
/// simpletest` (the stand-in bookies keep their entries on the nodes' disks and the ledgers'
/// ensembles in ZooKeeper, see Sources/standin/BookKeeper.swift); lab-node4's bookie dropped
/// from the inventory; `deploy` stops bookie3, decommissions it (its ledgers re-replicated to
/// bookie1 and bookie2) and removes its service; every entry is read back and no ledger names it.
@Suite("Decommissioning a bookie on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabBookieTests {
    typealias Deploy = LabDeployTests

    /// `bin/bookkeeper shell ...` as a job on the lab's network, against the lab's ZooKeeper.
    static func shell(_ engine: EngineClient, _ arguments: [String]) async throws -> (succeeded: Bool, output: String) {
        try await SwarmJob(swarm: engine, image: try Lab.require().image("pulsar"), network: "lab-net", constraints: ["node.role==manager"],
                           timeout: .seconds(120), namePrefix: "sstest-bk",
                           environment: ["metadataServiceUri=zk+hierarchical://zk1:2181;zk2:2181;zk3:2181/ledgers"])
            .run(command: ["/pulsar/bin/bookkeeper", "shell"] + arguments, args: [], label: "bookkeeper shell")
    }

    static func ledgers(_ engine: EngineClient, on bookie: String) async throws -> Set<String> {
        let listed = try await shell(engine, ["listledgers", "-bookieid", bookie])
        #expect(listed.succeeded, "\(listed.output)")
        return Set(listed.output.split(separator: "\n").compactMap { line in
            line.range(of: "ledgerID: ").map { String(line[$0.upperBound...]).trimmingCharacters(in: .whitespaces) }
        })
    }

    @Test func aBookieTheInventoryDropsIsDecommissionedAndEveryEntryIsReadBack() async throws {
        try await LabLock.run {
            let lab = try Lab.require()
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            #expect(try await Deploy.swarmstage(["label"]).status == 0)
            let deployed = try await Deploy.deploy(secrets: secrets)
            #expect(deployed.status == 0, "\(deployed.errors)")
            let engine = try await Deploy.engine()

            // Three ledgers of 10 entries over an ensemble of 2: the least loaded bookies take each.
            var written: [String] = []
            for _ in 1...3 {
                let test = try await Self.shell(engine, ["simpletest", "-ensemble", "2", "-writeQuorum", "2", "-ackQuorum", "2", "-numEntries", "10"])
                #expect(test.succeeded, "\(test.output)")
                if let line = test.output.split(separator: "\n").first(where: { $0.hasPrefix("Ledger ID: ") }) {
                    written.append(String(line.dropFirst("Ledger ID: ".count)))
                }
            }
            #expect(written.count == 3, "\(written)")
            let onBookie3 = try await Self.ledgers(engine, on: "bookie3:3181").intersection(written)
            #expect(!onBookie3.isEmpty, "bookie3 holds some of \(written)")

            let file = try LabInventoryEdits.OperatorsFile(try LabInventoryEdits.droppingBookie3(), tag: "lab-bookie3-dropped")
            defer { file.remove() }
            let socket = ["-H", "unix://\(lab.managerSocket)"]
            let deploy = ["deploy", "-i", file.path, "--images", lab.directory + "/images.yml", "--secrets-file", secrets,
                          "--timeout", "300", "--only", "pulsar"]
            try await withCleanup {
                let plan = try await Programs.run(Programs.swarmstage, deploy + ["--plan"] + socket)
                #expect(plan.status == 0, "\(plan.output)\n\(plan.errors)")
                #expect(plan.output.contains("lab-pulsar_bookie3: decommission bookie bookie3:3181"), "\(plan.output)")
                let decommissioned = try await Programs.run(Programs.swarmstage, deploy + socket)
                #expect(decommissioned.status == 0, "\(decommissioned.output)\n\(decommissioned.errors)")
                print("deploy decommissioning bookie3:\n\(decommissioned.output)")
                #expect(try await engine.services().allSatisfy { $0.Spec.Name != "lab-pulsar_bookie3" })
                #expect(try await Self.ledgers(engine, on: "bookie3:3181").intersection(written).isEmpty, "no ledger names bookie3 any more")
                let listed = try await Self.shell(engine, ["listbookies", "-rw"])
                #expect(listed.output.contains("BookieID:bookie1:3181") && listed.output.contains("BookieID:bookie2:3181")
                    && !listed.output.contains("bookie3"), "\(listed.output)")
                for ledger in written {
                    let read = try await Self.shell(engine, ["readledger", "-ledgerid", ledger])
                    let payloads = (0..<10).map { "ledger\(ledger)-entry\($0)" }
                    #expect(read.succeeded && payloads.allSatisfy { read.output.contains($0) }, "ledger \(ledger): \(read.output)")
                    // Both bookies that stay hold every entry on their disks.
                    for host in ["lab-node2", "lab-node3"] {
                        let held = (try? String(contentsOfFile: "\(lab.directory)/nodes/\(host)/mnt/data/bookkeeper/ledgers/current/ledger-\(ledger)",
                                                encoding: .utf8)) ?? ""
                        #expect(held.split(separator: "\n").count == 10, "ledger \(ledger) on \(host): \(held)")
                    }
                }
                // Its label goes once its service is gone; a second deploy writes nothing.
                let labelled = try await Programs.run(Programs.swarmstage, ["label", "-i", file.path] + socket)
                #expect(labelled.status == 0, "\(labelled.output)\n\(labelled.errors)")
                let again = try await Programs.run(Programs.swarmstage, deploy + socket)
                #expect(again.status == 0 && again.output.contains("nothing changed (0 Engine writes)"), "\(again.output)\n\(again.errors)")
            } cleanup: {
                // A decommissioned bookie comes back only with empty disks (its cookie is gone from
                // ZooKeeper, as BookKeeper's cookie check requires): the operator's format, then the lab's inventory.
                let disk = "\(lab.directory)/nodes/lab-node4/mnt/data/bookkeeper"
                try? FileManager.default.removeItem(atPath: disk)
                try? FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
                _ = try? await Deploy.swarmstage(["label"])
                let restored = try? await Deploy.deploy(["--only", "pulsar"], secrets: secrets)
                #expect(restored?.status == 0, "\(restored?.errors ?? "")")
            }
        }
    }
}
