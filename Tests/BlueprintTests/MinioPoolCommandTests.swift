import Blueprint
import Compose
import Foundation
import Inventory
import Testing
import TestSupport

/// Every MinIO server names every pool, in pool order, one range each (MinIO docs, "Expand a
/// MinIO deployment"); one pool generates the command the seed's plan runs.
@Suite("MinIO pools on the servers' command line")
struct MinioPoolCommandTests {
    static func minioCommands(_ inventory: Inventory) -> [String: [String]] {
        let services = MilvusBlueprint.make(inventory).stacks.flatMap(\.compose.services)
        return Dictionary(uniqueKeysWithValues: services.filter { $0.name.hasPrefix("minio") && $0.name != "minio-lb" }
            .map { ($0.name, $0.command ?? []) })
    }

    @Test func onePoolIsOneRange() throws {
        let commands = Self.minioCommands(try RepositoryPaths.inventory(RepositoryPaths.labInventory))
        #expect(commands.keys.sorted() == ["minio1", "minio2", "minio3", "minio4"])
        #expect(Set(commands.values) == [["server", "http://minio{1...4}/disk{1...2}", "--console-address", ":9090"]])
    }

    @Test func aSecondPoolFollowsTheFirstOnEveryServer() throws {
        let inventory = try InventoryLoader.parse(LabInventoryEdits.growingMinioByAPool(), file: "lab.yml")
        let commands = Self.minioCommands(inventory)
        #expect(commands.count == 8)
        #expect(Set(commands.values) == [["server", "http://minio{1...4}/disk{1...2}", "http://minio{5...8}/disk{1...2}",
                                           "--console-address", ":9090"]])
        // The balancer sends requests to every server of every pool.
        let files = StackFiles.render(MilvusBlueprint.make(inventory))
        let nginx = try #require(files.first { $0.path.hasSuffix("minio-lb.nginx.conf") })
        #expect((1...8).allSatisfy { nginx.contents.contains("minio\($0):9000") })
    }
}
