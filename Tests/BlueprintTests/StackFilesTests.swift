import Blueprint
import Foundation
import Inventory
import Testing
import TestSupport
import Yams

@Suite("Generated stack files")
struct StackFilesTests {
    @Test func renderingIsDeterministic() throws {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.referenceInventory)
        let first = StackFiles.render(MilvusBlueprint.make(inventory))
        let second = StackFiles.render(MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.referenceInventory)))
        #expect(first == second)
        #expect(first.map(\.path) == ["1-storage.yml", "2-pulsar.yml", "3-milvus.yml", "configs/milvus-lb.nginx.conf",
                                      "configs/milvus.yaml", "configs/minio-lb.nginx.conf", "configs/zookeeper.conf"])
    }

    @Test func configNamesFollowTheirContent() throws {
        let lab = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        var wider = lab
        // Two more ZooKeeper servers: zookeeper.conf changes, milvus.yaml does not.
        wider.hosts = lab.hosts.map { host in
            var host = host
            if host.name == "lab-node4" || host.name == "lab-manager" {
                host.roles.append(.zk)
                host.roleNumbers[.zk] = host.name == "lab-node4" ? 4 : 5
            }
            return host
        }
        func configNames(_ inventory: Inventory) -> [String: String] {
            Dictionary(uniqueKeysWithValues: MilvusBlueprint.make(inventory).stacks.flatMap(\.compose.configs).map { ($0.key, $0.name) })
        }
        let before = configNames(lab), after = configNames(wider)
        #expect(before == configNames(try RepositoryPaths.inventory(RepositoryPaths.labInventory)))
        #expect(before["zookeeper-conf"] != after["zookeeper-conf"])
        #expect(before["milvus-yaml"] == after["milvus-yaml"])
        #expect(before["zookeeper-conf"]?.hasPrefix("lab_zookeeper-conf-") == true)
    }

    /// A config's name follows its content; the same inventory read from a file of another name
    /// (an operator's copy, a renamed file) gives the same configs, so a deploy from it replaces
    /// none and restarts nothing. Only the stack files' header comment names the file.
    @Test func theInventoryFilesNameChangesNoConfig() throws {
        let text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        let one = MilvusBlueprint.make(try InventoryLoader.parse(text, file: "inventory/lab.yml"))
        let other = MilvusBlueprint.make(try InventoryLoader.parse(text, file: "/tmp/operators-copy.yml"))
        #expect(one.stacks.flatMap(\.compose.configs).map(\.name) == other.stacks.flatMap(\.compose.configs).map(\.name))
        let files = StackFiles.render(one), otherFiles = StackFiles.render(other)
        #expect(files.filter { $0.path.hasPrefix("configs/") } == otherFiles.filter { $0.path.hasPrefix("configs/") })
        #expect(files.first { $0.path == "1-storage.yml" }?.contents.contains("from lab.yml;") == true)
        #expect(otherFiles.first { $0.path == "1-storage.yml" }?.contents.contains("from operators-copy.yml;") == true)
    }

    @Test func stackFilesParseAndReferenceOnlyDefinedObjects() throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.labInventory))
        for file in StackFiles.render(blueprint) where file.path.hasSuffix(".yml") {
            let node = try #require(try Yams.compose(yaml: file.contents), "\(file.path)")
            let configs = Set(node["configs"]?.mapping?.keys.compactMap(\.string) ?? [])
            let secrets = Set(node["secrets"]?.mapping?.keys.compactMap(\.string) ?? [])
            let networks = Set(node["networks"]?.mapping?.keys.compactMap(\.string) ?? [])
            for (name, service) in node["services"]?.mapping ?? [:] {
                for reference in service["configs"]?.sequence ?? [] {
                    #expect(configs.contains(reference["source"]?.string ?? ""), "\(file.path) \(name.string ?? "")")
                }
                for reference in service["secrets"]?.sequence ?? [] {
                    #expect(secrets.contains(reference["source"]?.string ?? ""), "\(file.path) \(name.string ?? "")")
                }
                for network in service["networks"]?.sequence ?? [] {
                    #expect(networks.contains(network.string ?? ""))
                }
            }
        }
    }

    @Test func onlyTheFirstStageCreatesTheSharedNetwork() throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.labInventory))
        #expect(blueprint.stacks.map { $0.compose.networks.map(\.external) } == [[false], [true], [true]])
        #expect(Set(blueprint.stacks.flatMap { $0.compose.networks.map(\.name) }) == ["lab-net"])
    }

    @Test func noCredentialIsWrittenAnywhere() throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.referenceInventory))
        #expect(Set(blueprint.secrets.map(\.content)) == [.minioRootUser, .minioRootPassword, .milvusMinioCredentials])
        let files = StackFiles.render(blueprint)
        let forbidden = ["minioadmin", "MINIO_ROOT_PASSWORD:", "MINIO_ROOT_USER:", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY",
                         "accessKeyID", "secretAccessKey", "password="]
        for file in files {
            for word in forbidden {
                #expect(!file.contents.contains(word), "\(file.path) contains \(word)")
            }
        }
        let minio = try #require(blueprint.services.first { $0.service.name == "minio1" }?.service)
        #expect(minio.environment["MINIO_ROOT_PASSWORD_FILE"] == "/run/secrets/minio_root_password")
        #expect(minio.secrets.map(\.source).sorted() == ["minio_root_password", "minio_root_user"])
    }

    @Test func writeIsIdempotentAndRemovesOnlyItsOwnStaleFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swarmstage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = StackFiles.render(MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.labInventory)))
        #expect(try StackFiles.write(files, to: directory).count == files.count)
        #expect(try StackFiles.write(files, to: directory).isEmpty)
        let foreign = (directory as NSString).appendingPathComponent("notes.txt")
        try "mine".write(toFile: foreign, atomically: true, encoding: .utf8)
        let stale = (directory as NSString).appendingPathComponent("configs/old.conf")
        try "# \(StackFiles.marker) from lab.yml\nold".write(toFile: stale, atomically: true, encoding: .utf8)
        #expect(try StackFiles.drift(files, in: directory) == ["configs/old.conf"])
        #expect(try StackFiles.write(files, to: directory) == ["configs/old.conf"])
        #expect(FileManager.default.fileExists(atPath: foreign))
        #expect(!FileManager.default.fileExists(atPath: stale))
    }
}
