import Blueprint
import Foundation
import Inventory
import SwarmstageCLI
import Testing
import TestSupport

/// Commands run in-process as a user would type them, from the repository root.
@Suite("Commands", .serialized)
struct CommandTests {
    static func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("swarmstage-cli-\(UUID().uuidString)").path
    }

    static func run(_ arguments: String...) async -> Int32 {
        _ = FileManager.default.changeCurrentDirectoryPath(RepositoryPaths.root.path)
        return await SwarmstageCommand.run(arguments: arguments)
    }

    static func contents(of folder: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for path in try StackFilesListing.files(in: folder) {
            result[path] = FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(path))
        }
        return result
    }

    @Test func validateAcceptsTheReferenceInventory() async {
        #expect(await Self.run("validate", "inventory/milvus-26.yml") == 0)
        #expect(await Self.run("validate", "-i", "inventory/lab.yml") == 0)
    }

    @Test func badInventoriesExitThreeAndWriteNothing() async throws {
        let output = Self.temporaryFolder()
        let bad = RepositoryPaths.path("Tests/InventoryTests/Fixtures/bad/duplicate-numbered-label.yml")
        #expect(await Self.run("validate", bad) == 3)
        #expect(await Self.run("generate", "-i", bad, "-o", output) == 3)
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(await Self.run("generate", "-i", "/nonexistent.yml", "-o", output) == 3)
        #expect(await Self.run("generate", "--image", "milvus=Not A Reference", "-o", output) == 3)
        #expect(await Self.run("generate", "--no-such-flag") == 3)
        #expect(await Self.run("generate", "-o", "") == 3, "an empty output folder would write into the current one")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func aHostTooSmallForItsServicesIsRefusedAtTheHost() async throws {
        let lab = try String(contentsOfFile: RepositoryPaths.path("inventory/lab.yml"), encoding: .utf8)
        let small = lab.replacingOccurrences(of: "  lab: {cpus: 2, memory: 4GiB}", with: "  lab: {cpus: 2, memory: 4GiB}\n  tiny: {cpus: 0.3, memory: 300MiB}")
            .replacingOccurrences(of: "roles: [etcd, zk, minio, coord, query]\n    size: lab", with: "roles: [etcd, zk, minio, coord, query]\n    size: tiny")
        #expect(small.contains("size: tiny"))
        let path = Self.temporaryFolder() + ".yml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try small.write(toFile: path, atomically: true, encoding: .utf8)
        let output = Self.temporaryFolder()
        #expect(await Self.run("validate", path) == 3)
        #expect(await Self.run("generate", "-i", path, "-o", output) == 3)
        #expect(!FileManager.default.fileExists(atPath: output))
        let inventory = try InventoryLoader.load(path: path)
        let problems = Capacity.problems(MilvusBlueprint.make(inventory))
        #expect(problems.map(\.message).allSatisfy { $0.hasPrefix("host lab-node1 has ") }, "\(problems)")
        #expect(problems.count == 2, "cpus and memory: \(problems)")
        #expect(problems.first?.location.line == inventory.host(named: "lab-node1")?.location.line)
        // Every committed inventory fits.
        for name in ["lab", "lab-26", "milvus-26"] {
            let committed = try InventoryLoader.load(path: RepositoryPaths.path("inventory/\(name).yml"))
            #expect(Capacity.problems(MilvusBlueprint.make(committed)).isEmpty, "\(name)")
        }
    }

    @Test func generateIsByteForByteRepeatable() async throws {
        let first = Self.temporaryFolder(), second = Self.temporaryFolder()
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        #expect(await Self.run("generate", "-i", "inventory/milvus-26.yml", "-o", first) == 0)
        #expect(await Self.run("generate", "-i", "inventory/milvus-26.yml", "-o", second) == 0)
        let a = try Self.contents(of: first), b = try Self.contents(of: second)
        #expect(a.count == 7)
        #expect(a == b)
        #expect(a == (try Self.contents(of: RepositoryPaths.path("stacks/milvus-26"))))
        #expect(await Self.run("generate", "-i", "inventory/milvus-26.yml", "-o", first, "--check") == 0)
        try "changed".write(toFile: (first as NSString).appendingPathComponent("configs/milvus.yaml"), atomically: true, encoding: .utf8)
        #expect(await Self.run("generate", "-i", "inventory/milvus-26.yml", "-o", first, "--check") == 1)
    }

    @Test func imageOverridesReachTheStackFiles() async throws {
        let output = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let imagesFile = (Self.temporaryFolder() as NSString).appendingPathExtension("yml") ?? "images.yml"
        try "etcd: 10.77.0.1:5000/lab/etcd:stand-in\n".write(toFile: imagesFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: imagesFile) }
        #expect(await Self.run("generate", "--images", imagesFile, "--image", "milvus=10.77.0.1:5000/lab/milvus:stand-in", "-o", output) == 0)
        let storage = try String(contentsOfFile: (output as NSString).appendingPathComponent("1-storage.yml"), encoding: .utf8)
        let milvus = try String(contentsOfFile: (output as NSString).appendingPathComponent("3-milvus.yml"), encoding: .utf8)
        #expect(storage.contains("image: \"10.77.0.1:5000/lab/etcd:stand-in\""))
        #expect(milvus.contains("image: \"10.77.0.1:5000/lab/milvus:stand-in\""))
        #expect(!milvus.contains("milvusdb/milvus"))
    }

    @Test func imagesListsWhatEachHostNeeds() async {
        #expect(await Self.run("images", "-i", "inventory/milvus-26.yml") == 0)
        #expect(await Self.run("images", "--json") == 0)
    }
}

/// Lists files below a folder, relative paths, sorted.
enum StackFilesListing {
    static func files(in folder: String) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(path), isDirectory: &isDirectory),
               !isDirectory.boolValue { files.append(path) }
        }
        return files.sorted()
    }
}
