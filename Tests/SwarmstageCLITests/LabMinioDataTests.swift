import Engine
import Foundation
import Rollout
import SwarmModel
import Testing
import TestSupport

/// The lab's MinIO keeps what is written to it as MinIO does (ObjectStore in the stand-in):
/// objects on the nodes' drives, reads and writes by erasure quorum while servers are down,
/// writes refused below the write quorum, and fresh drives healed from the other servers.
/// The ground the day-2 procedures (a host replaced, a pool added) are proved on.
@Suite("MinIO's objects on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabMinioDataTests {
    typealias Deploy = LabDeployTests

    /// The labelled lab with the storage stage deployed and four new objects written through minio-lb.
    static func storageHoldingFourObjects(secrets: String) async throws -> (EngineClient, [(key: String, value: String)]) {
        #expect(try await Deploy.swarmstage(["label"]).status == 0)
        let deployed = try await Deploy.deploy(["--only", "storage"], secrets: secrets)
        #expect(deployed.status == 0, "\(deployed.errors)")
        let engine = try await Deploy.engine()
        let run = UUID().uuidString.prefix(6)
        let objects = (1...4).map { (key: "lab-test/\(run)/object-\($0)", value: "value-\($0)-\(run)") }
        for (key, value) in objects {
            let put = try await LabMinio.mc(engine, ["put", "http://minio-lb:9000/\(key)", value])
            #expect(put.succeeded, "\(key): \(put.output)")
        }
        return (engine, objects)
    }

    @Test func objectsSurviveServersDownWithinQuorumAndAFreshDriveIsHealed() async throws {
        try await LabLock.run {
            let lab = try Lab.require()
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            try await withCleanup {
                // 8 drives (4 servers x 2), parity 4: writes need 5 drives, reads 4.
                let (engine, objects) = try await Self.storageHoldingFourObjects(secrets: secrets)
                // MinIO's admin API (what `label` asks for a heal's progress) answers only its root credentials.
                let anonymous = try await SwarmJob(swarm: engine, image: try lab.image("minio"), network: "lab-net", constraints: ["node.role==manager"],
                                                   timeout: .seconds(60), namePrefix: "sstest-mc")
                    .run(command: ["/bin/sh", "-c", "MC_HOST_anonymous=http://minio4:9000 exec /usr/bin/mc admin heal anonymous"], args: [],
                         label: "mc admin heal")
                #expect(!anonymous.succeeded && anonymous.output.contains("AccessDenied"), "\(anonymous.output)")
                let settled = try await JobMinioHeal(swarm: engine).status(of: try await engine.service("lab-storage_minio4"))
                // Settled: nothing to heal (or, for a server that formatted after the others in a new deployment, 0 of 0 objects).
                #expect((try? MinioHealWait.reading(settled).get()) != nil, "\(settled)")
                let run = UUID().uuidString.prefix(6)
                try await LabMinio.scale(engine, service: "lab-storage_minio1", to: 0)
                try await Self.waitUntilStopped(engine, "lab-storage_minio1")
                let withThree = try await LabMinio.mc(engine, ["put", "http://minio3:9000/lab-test/\(run)/written-with-three", "three"])
                #expect(withThree.succeeded, "6 of 8 drives take a write: \(withThree.output)")
                try await LabMinio.scale(engine, service: "lab-storage_minio2", to: 0)
                try await Self.waitUntilStopped(engine, "lab-storage_minio2")
                let withTwo = try await LabMinio.mc(engine, ["put", "http://minio3:9000/lab-test/\(run)/written-with-two", "two"])
                #expect(!withTwo.succeeded && withTwo.output.contains("InsufficientWriteQuorum"), "4 of 8 drives refuse a write: \(withTwo.output)")
                let readWithTwo = try await LabMinio.mc(engine, ["cat", "http://minio3:9000/\(objects[0].0)"])
                #expect(readWithTwo.succeeded && readWithTwo.output.contains(objects[0].1), "4 of 8 drives serve a read: \(readWithTwo.output)")
                try await LabMinio.scale(engine, service: "lab-storage_minio1", to: 1)
                try await LabMinio.scale(engine, service: "lab-storage_minio2", to: 1)
                try await Self.waitUntilRunning(engine, "lab-storage_minio1")
                try await Self.waitUntilRunning(engine, "lab-storage_minio2")

                // minio4's drives replaced by empty ones: it formats them from the others and heals.
                let host = try await Self.host(engine, of: "lab-storage_minio4")
                try await LabMinio.scale(engine, service: "lab-storage_minio4", to: 0)
                try await Self.waitUntilStopped(engine, "lab-storage_minio4")
                for disk in ["disk1", "disk2"] {
                    let folder = "\(lab.directory)/nodes/\(host)/mnt/data/\(disk)"
                    for entry in try FileManager.default.contentsOfDirectory(atPath: folder) {
                        try FileManager.default.removeItem(atPath: "\(folder)/\(entry)")
                    }
                }
                try await LabMinio.scale(engine, service: "lab-storage_minio4", to: 1)
                try await Self.waitUntilRunning(engine, "lab-storage_minio4")
                // Asked as swarmstage asks it: MinIO's admin API with minio4's own credentials, mounted into the job.
                var heal = ""
                for _ in 0..<60 {
                    heal = (try? await JobMinioHeal(swarm: engine).status(of: try await engine.service("lab-storage_minio4"))) ?? heal
                    if heal.contains("healed 5 of 5") { break }
                    try await Task.sleep(for: .seconds(2))
                }
                #expect(heal.contains("healed 5 of 5"), "\(heal)")
                // With minio1 and minio2 down, only minio3's and the healed minio4's drives hold the objects: 4 of 8, a read quorum.
                try await LabMinio.scale(engine, service: "lab-storage_minio1", to: 0)
                try await LabMinio.scale(engine, service: "lab-storage_minio2", to: 0)
                try await Self.waitUntilStopped(engine, "lab-storage_minio1")
                try await Self.waitUntilStopped(engine, "lab-storage_minio2")
                for (key, value) in objects + [("lab-test/\(run)/written-with-three", "three")] {
                    let read = try await LabMinio.mc(engine, ["cat", "http://minio4:9000/\(key)"])
                    #expect(read.succeeded && read.output.contains(value), "\(key): \(read.output)")
                }
                try await LabMinio.scale(engine, service: "lab-storage_minio1", to: 1)
                try await LabMinio.scale(engine, service: "lab-storage_minio2", to: 1)
            } cleanup: {
                try? await Self.restore(lab: lab)
            }
        }
    }

    /// The runbook's "Grow MinIO": four hosts join the swarm, the inventory gives them the role
    /// minio in pool 2, `label` and `deploy` add the pool (its servers created, the running ones
    /// restarted together with both pools named). The objects written before read back through
    /// minio-lb and from a server of the new pool; new objects go to the emptier new pool; a
    /// second deploy writes nothing.
    @Test func aServerPoolIsAddedAndTheObjectsWrittenBeforeReadBack() async throws {
        try await LabLock.run {
            let lab = try Lab.require()
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            let added = (1...4).map { (name: "lab-pool2-\($0)", address: "10.77.0.\(30 + $0)") }
            try await withCleanup {
                let (engine, objects) = try await Self.storageHoldingFourObjects(secrets: secrets)
                for host in added {
                    try await LabOutageTests.labScript(["add-node", host.name, host.address])
                    for disk in ["disk1", "disk2"] {
                        try FileManager.default.createDirectory(atPath: "\(lab.directory)/nodes/\(host.name)/mnt/data/\(disk)", withIntermediateDirectories: true)
                    }
                }
                let file = try LabInventoryEdits.OperatorsFile(LabInventoryEdits.growingMinioByAPool(), tag: "lab-minio-pool2")
                defer { file.remove() }
                let inventory = file.path
                let socket = ["-H", "unix://\(lab.managerSocket)"]
                let labelled = try await Programs.run(Programs.swarmstage, ["label", "-i", inventory] + socket)
                #expect(labelled.status == 0, "\(labelled.output)\n\(labelled.errors)")
                let deploy = ["deploy", "-i", inventory, "--images", lab.directory + "/images.yml", "--secrets-file", secrets,
                              "--only", "storage", "--timeout", "300"] + socket
                let plan = try await Programs.run(Programs.swarmstage, deploy + ["--plan"])
                #expect(plan.status == 0 && plan.output.contains("lab-storage_minio5") && plan.output.contains("lab-storage_minio1"),
                        "\(plan.output)\n\(plan.errors)")
                print("plan of the new pool:\n\(plan.output)")
                // MinIO's cluster health (write quorum in every pool, what minio-lb's clients need) sampled
                // through minio-lb from inside the lab's network while the pool is added.
                let sampler = try await MinioHealthSampler.start(lab: lab)
                let began = Date().timeIntervalSince1970
                let grown = try await Programs.run(Programs.swarmstage, deploy + ["--progress", "plain"])
                let ended = Date().timeIntervalSince1970
                try await Task.sleep(for: .seconds(2))
                let samples = try await sampler.finish()
                #expect(grown.status == 0, "\(grown.output.suffix(3000))\n\(grown.errors)")
                // The samples cover the whole deploy, and MinIO answers healthy again at its end.
                #expect((samples.first?.at ?? .infinity) <= began && (samples.last?.at ?? 0) >= ended, "\(samples.count) samples")
                #expect(samples.last?.healthy == true)
                let outage = MinioHealthSampler.longestOutage(samples)
                print("MinIO cluster health during the pool's addition: \(samples.filter { !$0.healthy }.count) of \(samples.count) "
                      + "samples unhealthy (at \(samples.filter { !$0.healthy }.map { Int($0.at - began) }) s into the deploy), the longest "
                      + "outage \(outage) s (deploy took \(Int(ended - began)) s)\n\(grown.output.suffix(2500))")
                // By MinIO's procedure every server restarts at once with the new pool list: write quorum
                // goes for as long as their restart takes, not for the deploy (the new pool's servers start first).
                #expect(outage <= 20, "MinIO was without write quorum for \(outage) s")
                let servers = try await engine.services().filter { $0.Spec.Labels?["io.swarmstage.component"] == "minio" }
                #expect(servers.count == 8)
                #expect(servers.allSatisfy { MinioPoolGrowth.pools($0.Spec) == ["http://minio{1...4}/disk{1...2}", "http://minio{5...8}/disk{1...2}"] })

                for (index, (key, value)) in objects.enumerated() {
                    // Through the balancer, and (two of them) from a server of the new pool, which asks the old one.
                    for url in ["http://minio-lb:9000/\(key)"] + (index < 2 ? ["http://minio6:9000/\(key)"] : []) {
                        let read = try await LabMinio.mc(engine, ["cat", url])
                        #expect(read.succeeded && read.output.contains(value), "\(url): \(read.output)")
                    }
                }
                // The new pool holds no object yet: new ones go there (MinIO writes to the pool with more free space).
                let run = UUID().uuidString.prefix(6)
                for index in 1...2 {
                    let key = "lab-test/\(run)/after-\(index)"
                    let put = try await LabMinio.mc(engine, ["put", "http://minio-lb:9000/\(key)", "after-\(index)"])
                    #expect(put.succeeded, "\(key): \(put.output)")
                    let onNewPool = added.filter { FileManager.default.fileExists(atPath: "\(lab.directory)/nodes/\($0.name)/mnt/data/disk1/\(key)") }
                    let onOldPool = FileManager.default.fileExists(atPath: "\(lab.directory)/nodes/lab-node1/mnt/data/disk1/\(key)")
                    #expect(onNewPool.count == 4 && !onOldPool, "\(key) is on the new pool's drives only: \(onNewPool.map(\.name)), old pool: \(onOldPool)")
                    let read = try await LabMinio.mc(engine, ["cat", "http://minio2:9000/\(key)"])
                    #expect(read.succeeded && read.output.contains("after-\(index)"), "read from the old pool's server: \(read.output)")
                }
                let again = try await Programs.run(Programs.swarmstage, deploy + ["--progress", "plain"])
                #expect(again.status == 0 && again.output.contains("nothing changed (0 Engine writes)"), "\(again.output.suffix(1500))")
            } cleanup: {
                _ = try? await Programs.run(Programs.docker, ["-H", "unix://\(lab.managerSocket)", "service", "rm", MinioHealthSampler.name])
                try? await Self.restore(lab: lab)
                for host in added { try? await LabOutageTests.labScript(["remove-node", host.name]) }
            }
        }
    }

    /// A service on the lab's network that asks minio-lb for MinIO's cluster health (200 only while
    /// every pool has write quorum) about twice a second and logs each answer with the time.
    struct MinioHealthSampler {
        static let name = "sstest-minio-health-sampler"
        let socket: String

        static func start(lab: Lab) async throws -> MinioHealthSampler {
            let sampler = MinioHealthSampler(socket: "unix://\(lab.managerSocket)")
            // The image's curl (the stand-in's: a 5 s deadline; busybox's `wget -T` crashes on a failed name lookup).
            let loop = "while :; do if curl -f -s http://minio-lb:9000/minio/health/cluster >/dev/null 2>&1; then echo \"$(date +%s) up\"; "
                + "else echo \"$(date +%s) down\"; fi; sleep 0.5; done"
            let created = try await Programs.run(Programs.docker, ["-H", sampler.socket, "service", "create", "--detach", "--name", name,
                                                                   "--network", "lab-net", "--constraint", "node.role==manager",
                                                                   "--entrypoint", "/bin/sh", try lab.image("minio"), "-c", loop])
            #expect(created.status == 0, "\(created.errors)")
            // Sampling before the change starts: a first healthy answer logged.
            for _ in 0..<60 where !(try await sampler.samples().contains { $0.healthy }) {
                try await Task.sleep(for: .seconds(1))
            }
            return sampler
        }

        func samples() async throws -> [(at: Double, healthy: Bool)] {
            let logs = try await Programs.run(Programs.docker, ["-H", socket, "service", "logs", "--raw", Self.name])
            return logs.output.split(separator: "\n").compactMap { line in
                let parts = line.split(separator: " ")
                guard parts.count == 2, let at = Double(parts[0]) else { return nil }
                return (at, parts[1] == "up")
            }.sorted { $0.at < $1.at }
        }

        /// The samples, then the service removed (it would hold lab-net against the stacks' teardown).
        func finish() async throws -> [(at: Double, healthy: Bool)] {
            let taken = try await samples()
            _ = try await Programs.run(Programs.docker, ["-H", socket, "service", "rm", Self.name])
            return taken
        }

        /// Seconds from the first unhealthy sample of a run to the next healthy one, the longest such run.
        static func longestOutage(_ samples: [(at: Double, healthy: Bool)]) -> Int {
            var longest = 0.0, downSince: Double?
            for sample in samples {
                if !sample.healthy, downSince == nil { downSince = sample.at }
                if sample.healthy, let since = downSince {
                    longest = max(longest, sample.at - since)
                    downSince = nil
                }
            }
            if let since = downSince, let last = samples.last { longest = max(longest, last.at - since) }
            return Int(longest)
        }
    }

    /// The node of the service's running task.
    static func host(_ engine: EngineClient, of service: String) async throws -> String {
        let id = try await engine.service(service).ID
        let task = try #require(try await engine.tasks(filters: .service(id)).first { $0.Status.State == .running })
        return try await engine.nodes().first { $0.ID == task.NodeID }?.hostname ?? ""
    }

    static func waitUntilStopped(_ engine: EngineClient, _ service: String) async throws {
        let id = try await engine.service(service).ID
        for _ in 0..<120 {
            let live = try await engine.tasks(filters: .service(id)).filter { [.running, .starting, .preparing, .assigned, .pending].contains($0.Status.State) }
            if live.isEmpty { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("\(service) did not stop")
    }

    static func waitUntilRunning(_ engine: EngineClient, _ service: String) async throws {
        let id = try await engine.service(service).ID
        for _ in 0..<120 {
            if try await engine.tasks(filters: .service(id)).contains(where: { $0.Status.State == .running && $0.DesiredState == .running }) { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("\(service) did not start")
    }

    /// The stacks removed and MinIO's drives emptied: the next deploy formats a new deployment.
    static func restore(lab: Lab) async throws {
        try await Deploy.teardownAll()
        for node in (try? FileManager.default.contentsOfDirectory(atPath: "\(lab.directory)/nodes")) ?? [] {
            for disk in ["disk1", "disk2"] {
                let folder = "\(lab.directory)/nodes/\(node)/mnt/data/\(disk)"
                for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                    try FileManager.default.removeItem(atPath: "\(folder)/\(entry)")
                }
            }
        }
    }
}
