import Engine
import Foundation
import Rollout
import SwarmModel
import Testing
import TestSupport

/// The runbook's "grow a tier", for ZooKeeper: the inventory gives zk to lab-node4 (zk4) and
/// lab-manager3 (zk5); `label` and `deploy` add both by the rolling procedure, one server per
/// round; the ensemble answers a client throughout (sampled while the deploy runs); a znode
/// written before is listed by the new servers; each of the five serves and names all five.
/// The stand-in counts a peer toward a server's quorum only while the peer's list names that
/// server, and syncs a server only from such a peer, as ZooKeeper's leader does.
@Suite("Growing ZooKeeper on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabZooKeeperGrowthTests {
    typealias Deploy = LabDeployTests

    @Test func zooKeeperGrowsFromThreeServersToFiveByRoundsOfOne() async throws {
        try await LabLock.run {
            let lab = try Lab.require()
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            try await withCleanup {
                #expect(try await Deploy.swarmstage(["label"]).status == 0)
                // Storage (the network) and Pulsar: ZooKeeper and its clients are all there (Milvus does not use ZooKeeper).
                for stage in ["storage", "pulsar"] {
                    let deployed = try await Deploy.deploy(["--only", stage], secrets: secrets)
                    #expect(deployed.status == 0, "\(deployed.errors)")
                }
                let engine = try await Deploy.engine()
                let znode = "/swarmstage-test-grown-\(UUID().uuidString.prefix(8).lowercased())"
                let created = try await LabEtcdReplacementTests.zookeeperShell(engine, servers: "zk1:2181,zk2:2181,zk3:2181", ["create", znode])
                #expect(created.succeeded, "\(created.output)")

                // The operator's part: the data directories on the new hosts, the inventory, `label`.
                for host in ["lab-node4", "lab-manager3"] {
                    try FileManager.default.createDirectory(atPath: "\(lab.directory)/nodes/\(host)/mnt/data/zookeeper",
                                                            withIntermediateDirectories: true)
                }
                let file = try LabInventoryEdits.OperatorsFile(LabInventoryEdits.growingZooKeeper(), tag: "lab-zk-grown")
                defer { file.remove() }
                let socket = ["-H", "unix://\(lab.managerSocket)"]
                let labelled = try await Programs.run(Programs.swarmstage, ["label", "-i", file.path] + socket)
                #expect(labelled.status == 0, "\(labelled.output)\n\(labelled.errors)")

                let deploy = ["deploy", "-i", file.path, "--images", lab.directory + "/images.yml", "--secrets-file", secrets,
                              "--timeout", "300", "--only", "pulsar"]
                let plan = try await Programs.run(Programs.swarmstage, deploy + ["--plan"] + socket)
                #expect(plan.output.contains("then wait until ZooKeeper's 4 servers (lab-pulsar_zk1, lab-pulsar_zk2, lab-pulsar_zk3, lab-pulsar_zk4) serve"),
                        "\(plan.output)")
                #expect(plan.output.contains("then wait until ZooKeeper's 5 servers"), "\(plan.output)")

                // While the deploy runs, the ensemble must answer a client that knows the first three servers.
                let sampler = ProbeSampler {
                    (try? await LabEtcdReplacementTests.zookeeperShell(engine, servers: "zk1:2181,zk2:2181,zk3:2181", ["ls", znode]))?.succeeded == true
                }
                let grown = try await BackgroundProgram(Programs.swarmstage, deploy + ["--progress", "plain"] + socket).finish(timeout: .seconds(900))
                let samples = await sampler.stop()
                #expect(grown.status == 0, "\(grown.output.suffix(3000))\n\(grown.errors)")
                #expect(grown.output.contains("zookeeper: 4 servers serve on one list"), "\(grown.output.suffix(3000))")
                #expect(grown.output.contains("zookeeper: 5 servers serve on one list"), "\(grown.output.suffix(3000))")
                #expect(samples.count >= 3 && samples.allSatisfy { $0 }, "the ensemble answering, sampled while growing: \(samples)")

                // ZooKeeper's own view: five servers serving, one leader, each listing all five.
                let hosts = (1...5).map { "zk\($0)" }
                let zk1 = try await engine.service("lab-pulsar_zk1")
                let states = try await ZooKeeperStatusJob(swarm: engine).states(of: hosts, from: zk1)
                #expect(states.allSatisfy { $0.serves && $0.members == hosts } && states.filter { $0.mode == "leader" }.count == 1,
                        "\(states.map { "\($0.description) lists \($0.members ?? [])" })")
                // The data written before is on the new servers (each asked alone).
                for server in ["zk4", "zk5"] {
                    let listed = try await LabEtcdReplacementTests.zookeeperShell(engine, servers: "\(server):2181", ["ls", "/"])
                    #expect(listed.succeeded && listed.output.contains(String(znode.dropFirst())) && listed.output.contains("ledgers"),
                            "\(server): \(listed.output)")
                }
                let configs = try await engine.configs().map(\.Spec.Name).filter { $0.contains("zookeeper") }
                #expect(configs.count == 1, "the round's server list is removed: \(configs)")

                // Nothing left to do: the next deploy writes nothing; health finds five servers healthy.
                let again = try await Programs.run(Programs.swarmstage, deploy + socket)
                #expect(again.status == 0 && again.output.contains("nothing changed (0 Engine writes)"), "\(again.output)\n\(again.errors)")
                let health = try await Programs.run(Programs.swarmstage, ["health", "-i", file.path] + socket)
                // Milvus's stage is not deployed here: the one problem health names.
                let problems = health.output.components(separatedBy: "problems:\n").last?.split(separator: "\n") ?? []
                #expect(health.output.contains("stage pulsar (lab-pulsar): healthy") && health.output.contains("label drift on 0 nodes")
                    && (1...5).allSatisfy { number in
                        health.output.split(separator: "\n").contains { $0.split(separator: " ") == ["lab-pulsar_zk\(number)", "1/1"] }
                    }
                    && problems == ["  - stage milvus: stack lab-milvus is not deployed"], "\(health.output)\n\(health.errors)")
            } cleanup: {
                try? await Self.restore(lab: lab)
            }
        }
    }

    /// The lab as other tests expect it: the stacks removed (ZooKeeper does not shrink), the new
    /// servers' data directories gone, the inventory's labels again.
    static func restore(lab: Lab) async throws {
        try await Deploy.teardownAll()
        for host in ["lab-node4", "lab-manager3"] {
            try? FileManager.default.removeItem(atPath: "\(lab.directory)/nodes/\(host)/mnt/data/zookeeper")
        }
        #expect(try await Deploy.swarmstage(["label"]).status == 0)
    }
}
