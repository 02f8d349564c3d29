import Engine
import Foundation
import SwarmModel
import Testing
import TestSupport

/// Later stages' images are pulled while stage 1 waits for its gate (ImagePrePull), on the
/// real Engine: each node's own `pull` events show that stages 2 and 3 started with their
/// images already there, and an upgrade to an image a host cannot pull stops before its stage.
@Suite("Pre-pulled images on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabPrePullTests {
    typealias Deploy = LabDeployTests

    /// A node's image pulls (the Engine's `pull` events) while `body` runs: (time, reference).
    actor PullLog {
        var pulls: [(node: String, at: Int64, reference: String)] = []
        func add(_ node: String, _ at: Int64, _ reference: String) { pulls.append((node, at, reference)) }
    }

    static func nodes(_ lab: Lab) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(lab.directory)/nodes")) ?? []).sorted()
            .filter { FileManager.default.fileExists(atPath: lab.nodeSocket($0)) }
    }

    /// When a stack's first task was created (the stage started), in nanoseconds since 1970.
    static func started(_ engine: EngineClient, stack: String) async throws -> Int64 {
        let tasks = try await engine.tasks(filters: Filters([("label", "com.docker.stack.namespace=\(stack)")]))
        return try #require(tasks.compactMap(\.CreatedAt?.nanoseconds).min(), "\(stack) has tasks")
    }

    @Test func stagesTwoAndThreeStartWithTheirImagesAlreadyOnTheirHosts() async throws {
        try await LabLock.run {
            let lab = try Lab.require()
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            try await Deploy.teardownAll()
            #expect(try await Deploy.swarmstage(["label"]).status == 0)
            let images = ["lab-pulsar": try lab.image("pulsar"), "lab-milvus": try lab.image("milvus")]
            // No node has stage 2's and 3's images: without the pre-pull, their tasks would pull them.
            let nodes = Self.nodes(lab)
            for node in nodes {
                _ = try await Programs.run(Programs.docker, ["-H", "unix://\(lab.nodeSocket(node))", "image", "rm", "-f"] + images.values.sorted())
            }
            let log = PullLog()
            var watchers: [Task<Void, Never>] = []
            for node in nodes {
                let engine = try await EngineClient.connect(DockerHost(socketPath: lab.nodeSocket(node)))
                let events = try await engine.events(filters: Filters([("type", "image"), ("event", "pull")]))
                watchers.append(Task {
                    do {
                        for try await event in events {
                            await log.add(node, event.timeNano ?? (event.time ?? 0) * 1_000_000_000, event.Actor?.ID ?? "")
                        }
                    } catch {}
                })
            }
            let deployed = try await Deploy.deploy(["--progress", "plain"], secrets: secrets)
            try await Task.sleep(for: .seconds(1))
            for watcher in watchers { watcher.cancel() }
            #expect(deployed.status == 0, "\(deployed.errors)")
            #expect((deployed.output + deployed.errors).contains("stage 2 pulsar: 1 image pulled on") && (deployed.output + deployed.errors).contains("stage 3 milvus: 2 images pulled on"),
                    "\(deployed.output)")
            let engine = try await Deploy.engine()
            let pulls = await log.pulls
            for (stack, image) in images.sorted(by: { $0.key < $1.key }) {
                let digest = String(image.split(separator: "@").last ?? "")
                let start = try await Self.started(engine, stack: stack)
                let late = pulls.filter { $0.reference.contains(digest) && $0.at >= start }
                #expect(late.isEmpty, "\(stack) started at \(start); pulled after: \(late)")
                // Pulled before, on every node its tasks run on.
                let tasks = try await engine.tasks(filters: Filters([("label", "com.docker.stack.namespace=\(stack)")]))
                let hostnames = Dictionary(uniqueKeysWithValues: try await engine.nodes().map { ($0.ID, $0.hostname) })
                let running = Set(tasks.filter { $0.Status.State == .running || $0.Status.State == .complete }
                    .filter { $0.Spec?.ContainerSpec?.Image == image }.compactMap { $0.NodeID.flatMap { hostnames[$0] } })
                let early = Set(pulls.filter { $0.reference.contains(digest) && $0.at < start }.map(\.node))
                #expect(!running.isEmpty && running.isSubset(of: early), "\(stack) runs on \(running.sorted()); pulled before on \(early.sorted())")
            }
            // The jobs are gone; a redeploy pulls nothing and writes nothing.
            let jobs = try await engine.services(filters: Filters([("label", "io.swarmstage.job=pre-pull")]))
            #expect(jobs.isEmpty, "\(jobs.map(\.Spec.Name))")
            let again = try await Deploy.deploy([], secrets: secrets)
            #expect(again.status == 0 && again.output.contains("(0 Engine writes)"), "\(again.output)")

            // An upgrade to a Milvus image the registry does not hold: found while stage 1 waits,
            // and the deploy stops before any Milvus service changes (exit 2, the host named).
            let milvus = images["lab-milvus"] ?? ""
            let missing = (milvus.split(separator: "@").first.map(String.init) ?? milvus) + "@sha256:" + String(repeating: "0", count: 64)
            let before = Dictionary(uniqueKeysWithValues: try await engine.services(filters: .stack("lab-milvus")).map { ($0.Spec.Name, $0.Version.Index) })
            let broken = try await Deploy.deploy(["--image", "milvus=\(missing)"], secrets: secrets)
            #expect(broken.status == 2, "\(broken.output)\n\(broken.errors)")
            #expect(broken.errors.contains("stage milvus needs images that") && broken.errors.contains("No such image")
                    && broken.errors.contains(missing), "\(broken.errors)")
            let after = Dictionary(uniqueKeysWithValues: try await engine.services(filters: .stack("lab-milvus")).map { ($0.Spec.Name, $0.Version.Index) })
            #expect(!before.isEmpty && after == before, "no Milvus service was written")
            #expect(try await engine.services(filters: Filters([("label", "io.swarmstage.job=pre-pull")])).isEmpty)
            try await Deploy.teardownAll()
        }
    }
}
