import Blueprint
import Compose
import Foundation
import Inventory
import Testing
import TestSupport

/// What the inventory's `expose:` and `security:` change in the generated stacks.
@Suite("Exposure and security options")
struct SecurityOptionTests {
    /// The lab inventory with `extra` lines added to its cluster section.
    static func lab(cluster extra: String) throws -> Inventory {
        let text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        return try InventoryLoader.parse(text.replacingOccurrences(of: "  pulsar_cluster: lab-pulsar\n",
                                                                   with: "  pulsar_cluster: lab-pulsar\n\(extra)"), file: "lab.yml")
    }

    /// Every published port of the generated stacks, by service.
    static func published(_ inventory: Inventory) -> [String: [Int]] {
        var ports: [String: [Int]] = [:]
        for stack in MilvusBlueprint.make(inventory).stacks {
            for service in stack.compose.services where !service.ports.isEmpty {
                ports[service.name] = service.ports.map(\.published)
            }
        }
        return ports
    }

    @Test func byDefaultOnlyMilvusIsPublished() throws {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        #expect(inventory.cluster.exposed.isEmpty)
        #expect(Self.published(inventory) == ["milvus-lb": [19530]])
        let reference = try RepositoryPaths.inventory(RepositoryPaths.referenceInventory)
        #expect(Self.published(reference) == ["milvus-lb": [19530]])
    }

    @Test func exposeNamesWhatElseIsPublished() throws {
        #expect(Self.published(try Self.lab(cluster: "  expose: [minio-console]\n")) == ["milvus-lb": [19530], "minio-lb": [9090]])
        #expect(Self.published(try Self.lab(cluster: "  expose: [minio, pulsar-admin, pulsar]\n"))
            == ["milvus-lb": [19530], "minio-lb": [9000], "pulsar-proxy": [6650, 8080]])
        #expect(Self.published(try Self.lab(cluster: "  expose: []\n")) == ["milvus-lb": [19530]])
    }

    @Test func anUnknownEndpointIsLocated() throws {
        let error = try #require(throws: InventoryError.self) { try Self.lab(cluster: "  expose: [minio, pulsar-admn]\n") }
        let text = "\(error)"
        #expect(text.contains("lab.yml:13:19:") && text.contains("unknown endpoint 'pulsar-admn' in expose"), "\(text)")
        #expect(text.contains("did you mean 'pulsar-admin'?"), "\(text)")
    }

    @Test func milvusAuthorizationIsOnUnlessTurnedOff() throws {
        func milvusYAML(_ inventory: Inventory) -> String {
            MilvusBlueprint.make(inventory).stacks.flatMap(\.configFiles).first { $0.path == "configs/milvus.yaml" }?.contents ?? ""
        }
        let lab = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        #expect(lab.cluster.milvusAuthorization)
        #expect(milvusYAML(lab).contains("  security:\n    authorizationEnabled: true\n"))
        let off = try Self.lab(cluster: "  security:\n    milvus_authorization: false\n")
        #expect(milvusYAML(off).contains("  security:\n    authorizationEnabled: false\n"))
        let error = try #require(throws: InventoryError.self) { try Self.lab(cluster: "  security:\n    milvus_authorization: yes\n") }
        #expect("\(error)".contains("security milvus_authorization must be true or false, found 'yes'"), "\(error)")
    }

    @Test func anEncryptedNetworkIsAnOverlayOption() throws {
        let encrypted = try Self.lab(cluster: "  security:\n    encrypted_network: true\n")
        let files = StackFiles.render(MilvusBlueprint.make(encrypted))
        let storage = try #require(files.first { $0.path == "1-storage.yml" }?.contents)
        #expect(storage.contains("    driver: overlay\n    driver_opts:\n      encrypted: \"\"\n"), "\(storage.suffix(600))")
        let plain = StackFiles.render(MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.labInventory)))
        #expect(plain.first { $0.path == "1-storage.yml" }?.contents.contains("driver_opts") == false)
    }
}
