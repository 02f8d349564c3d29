import Engine
import Foundation
import SwarmModel
import Testing
import TestSupport

/// The runbook's "grow a tier", for etcd, with Debian's real etcd: the inventory gives etcd to
/// lab-node4 (etcd4) and lab-manager3 (etcd5); `label` and `deploy` add both by etcd's procedure,
/// one at a time; a majority of the first three members commits throughout (sampled while the
/// deploy runs); the data written before is read from the new members. Then back to three:
/// `member remove` before each service goes, the three that stay healthy throughout.
@Suite("Growing etcd on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabEtcdGrowthTests {
    typealias Deploy = LabDeployTests

    @Test func etcdGrowsFromThreeMembersToFiveAndBackWithItsQuorumHeld() async throws {
        try await LabLock.run {
            let lab = try Lab.require()
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            try await withCleanup {
                #expect(try await Deploy.swarmstage(["label"]).status == 0)
                // The storage stage alone: growing etcd is its change (Milvus then gets the new endpoints
                // through its config, a rolling update of stage 3 that other tests cover).
                let deployed = try await Deploy.deploy(["--only", "storage"], secrets: secrets)
                #expect(deployed.status == 0, "\(deployed.errors)")
                let engine = try await Deploy.engine()
                let before = try await LabEtcd.members(engine)
                #expect(before.keys.sorted() == ["etcd1", "etcd2", "etcd3"], "\(before)")
                let written = "before-growth-\(UUID().uuidString.prefix(8))"
                let put = try await LabEtcd.etcdctl(engine, ["put", "swarmstage-test/grown", written])
                #expect(put.succeeded, "\(put.output)")

                // The operator's part: the data directories on the new hosts, the inventory, `label`.
                for host in ["lab-node4", "lab-manager3"] {
                    try FileManager.default.createDirectory(atPath: "\(lab.directory)/nodes/\(host)/mnt/data/etcd", withIntermediateDirectories: true)
                }
                let file = try LabInventoryEdits.OperatorsFile(LabInventoryEdits.growingEtcd(), tag: "lab-etcd-grown")
                defer { file.remove() }
                let inventory = file.path
                let socket = ["-H", "unix://\(lab.managerSocket)"]
                let labelled = try await Programs.run(Programs.swarmstage, ["label", "-i", inventory] + socket)
                #expect(labelled.status == 0, "\(labelled.output)\n\(labelled.errors)")

                let deploy = ["deploy", "-i", inventory, "--images", lab.directory + "/images.yml", "--secrets-file", secrets, "--timeout", "300",
                              "--only", "storage"]
                let plan = try await Programs.run(Programs.swarmstage, deploy + ["--plan"] + socket)
                #expect(plan.output.contains("lab-storage_etcd4: add an etcd member: member add --learner"), "\(plan.output)")
                #expect(plan.output.contains("lab-storage_etcd5: add an etcd member"), "\(plan.output)")

                // While the deploy runs, a majority of the original members must commit a proposal.
                let sampler = EtcdSamples.sampling(engine) { $0 >= 2 }
                let grown = try await BackgroundProgram(Programs.swarmstage, deploy + ["--progress", "plain"] + socket).finish(timeout: .seconds(900))
                let samples = await sampler.stop()
                #expect(grown.status == 0, "\(grown.output.suffix(3000))\n\(grown.errors)")
                #expect(grown.output.contains("lab-storage_etcd4: add an etcd member"), "\(grown.output.suffix(3000))")
                #expect(samples.count >= 3 && samples.allSatisfy { $0 }, "quorum samples while growing: \(samples)")

                // etcd's own view: five started voting members, the first three under their old IDs.
                let after = try await LabEtcd.members(engine)
                #expect(after.keys.sorted() == ["etcd1", "etcd2", "etcd3", "etcd4", "etcd5"], "\(after)")
                #expect(["etcd1", "etcd2", "etcd3"].allSatisfy { after[$0] == before[$0] }, "the running members were not replaced: \(before) \(after)")
                let all = "http://etcd1:2379,http://etcd2:2379,http://etcd3:2379,http://etcd4:2379,http://etcd5:2379"
                let listed = try await LabEtcd.etcdctl(engine, ["member", "list"], endpoints: all)
                #expect(!listed.output.contains(", true"), "no member is left a learner: \(listed.output)")
                let health = try await LabEtcd.etcdctl(engine, ["endpoint", "health"], endpoints: all)
                #expect(health.succeeded && EtcdSamples.healthyCount(health.output) == 5, "\(health.output)")
                for member in ["etcd4", "etcd5"] {
                    let read = try await LabEtcd.etcdctl(engine, ["get", "--consistency=s", "--print-value-only", "swarmstage-test/grown"],
                                                         endpoints: "http://\(member):2379")
                    #expect(read.succeeded && read.output.split(separator: "\n").contains { $0 == written }, "\(member): \(read.output)")
                }

                // Nothing left to do: the next deploy writes nothing and restarts no member.
                let again = try await Programs.run(Programs.swarmstage, deploy + socket)
                #expect(again.status == 0 && again.output.contains("nothing changed (0 Engine writes)"), "\(again.output)\n\(again.errors)")

                // And back to three (the runbook's "shrink a tier"): `label` first would stop etcd4 and
                // etcd5 while etcd still counts them, so it refuses and says to deploy first; deploy
                // removes each by `member remove`, then its service, with the other members healthy.
                let threeLabel = try await Deploy.swarmstage(["label"])
                #expect(threeLabel.status == 3 && threeLabel.errors.contains("lab-storage_etcd5 (etcd) runs on lab-manager3")
                    && threeLabel.errors.contains("deploy first"), "\(threeLabel.output)\n\(threeLabel.errors)")
                let shrinkSampler = EtcdSamples.sampling(engine) { $0 == 3 }
                let shrunk = try await BackgroundProgram(Programs.swarmstage,
                                                         ["deploy", "-i", Deploy.inventory, "--images", lab.directory + "/images.yml",
                                                          "--secrets-file", secrets, "--timeout", "300", "--only", "storage", "--progress", "plain"] + socket)
                    .finish(timeout: .seconds(900))
                let shrinkSamples = await shrinkSampler.stop()
                #expect(shrunk.status == 0, "\(shrunk.output.suffix(3000))\n\(shrunk.errors)")
                #expect(shrunk.output.contains("lab-storage_etcd5: remove the etcd member: member remove"), "\(shrunk.output.suffix(3000))")
                #expect(shrinkSamples.count >= 2 && shrinkSamples.allSatisfy { $0 }, "the members that stay, sampled while shrinking: \(shrinkSamples)")
                let three = try await LabEtcd.members(engine)
                #expect(three == before, "etcd lists the first three members under their IDs, and no other: \(three)")
                for member in ["etcd1", "etcd2", "etcd3"] {
                    let read = try await LabEtcd.etcdctl(engine, ["get", "--consistency=s", "--print-value-only", "swarmstage-test/grown"],
                                                         endpoints: "http://\(member):2379")
                    #expect(read.succeeded && read.output.split(separator: "\n").contains { $0 == written }, "\(member): \(read.output)")
                }
                let services = try await engine.services(filters: Filters.stack("lab-storage"), status: false).map(\.Spec.Name)
                #expect(!services.contains("lab-storage_etcd4") && !services.contains("lab-storage_etcd5"), "\(services)")
                let jobs = try await engine.services(filters: Filters(), status: false).map(\.Spec.Name).filter { $0.contains("etcdctl") }
                #expect(jobs.isEmpty, "every etcdctl job is removed once it has answered: \(jobs)")
                // Now the labels go, and nothing is left to do.
                let relabelled = try await Deploy.swarmstage(["label"])
                #expect(relabelled.status == 0, "\(relabelled.output)\n\(relabelled.errors)")
                let settled = try await Deploy.deploy(["--only", "storage"], secrets: secrets)
                #expect(settled.status == 0 && settled.output.contains("nothing changed (0 Engine writes)"), "\(settled.output)\n\(settled.errors)")
            } cleanup: {
                try? await Self.restore(lab: lab)
            }
        }
    }

    /// The lab as other tests expect it: etcd's data (five members now) cleared with the stacks.
    static func restore(lab: Lab) async throws { try await LabEtcdReplacementTests.restartingEtcd(lab: lab) }
}

enum EtcdSamples {
    /// Asks the first three members' `endpoint health` every 2 s until `stop()`; each sample is
    /// whether `good` holds for the number of healthy endpoints. `stop()` waits for the command
    /// in flight (no etcdctl job is abandoned) and returns the samples.
    static func sampling(_ engine: some SwarmAPI & Sendable, good: @escaping @Sendable (Int) -> Bool) -> ProbeSampler {
        ProbeSampler {
            let health = try? await LabEtcd.etcdctl(engine, ["endpoint", "health"], timeout: .seconds(30))
            return good(health.map { EtcdSamples.healthyCount($0.output) } ?? 0)
        }
    }

    /// How many endpoints `etcdctl endpoint health` named healthy.
    static func healthyCount(_ output: String) -> Int {
        output.split(separator: "\n").filter { $0.contains(" is healthy") }.count
    }
}
