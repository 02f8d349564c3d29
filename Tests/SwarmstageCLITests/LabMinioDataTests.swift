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
