import Foundation
import Inventory
import Testing
import TestSupport

/// `minio_pool:` puts a host's MinIO server in a server pool (1 unless given). Each pool is an
/// erasure set of its own, named on every server's command line as one range of minio numbers.
@Suite("MinIO server pools in the inventory")
struct MinioPoolTests {
    static func errors(_ text: String) -> [String] {
        do {
            _ = try InventoryLoader.parse(text, file: "lab.yml")
            return []
        } catch let error as InventoryError {
            return error.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message)" }
        } catch {
            return ["\(error)"]
        }
    }

    @Test func aPoolOfFourAfterTheFirstIsNumberedAfterIt() throws {
        let inventory = try InventoryLoader.parse(LabInventoryEdits.growingMinioByAPool(), file: "lab.yml")
        let servers = inventory.hosts(with: .minio)
        #expect(servers.map { $0.roleNumbers[.minio] } == Array(1...8))
        #expect(servers.map(\.minioPool) == [1, 1, 1, 1, 2, 2, 2, 2])
        #expect(servers.suffix(4).allSatisfy { $0.labels["minio\($0.roleNumbers[.minio] ?? 0)"] == "true" })
        #expect(inventory.hosts.filter { !$0.has(.minio) }.allSatisfy { $0.minioPool == nil })
    }

    @Test(arguments: [1, 2, 3])
    func aPoolOfFewerThanFourServersIsRefused(_ count: Int) throws {
        let errors = Self.errors(try LabInventoryEdits.growingMinioByAPool(hosts: count))
        #expect(errors.contains { $0.contains("minio pool 2 has \(count) server") && $0.contains("needs at least 4") }, "\(errors)")
    }

    @Test func poolsAreNumberedWithoutGaps() throws {
        let errors = Self.errors(try LabInventoryEdits.growingMinioByAPool(pool: 3))
        #expect(errors.contains { $0.contains("without gaps; no host is in pool 2") }, "\(errors)")
    }

    @Test func aPoolsServersComeAfterThePoolBeforeIt() throws {
        // The new hosts take minio1...minio4 by their labels: the running servers would be numbered after them.
        var text = try LabInventoryEdits.growingMinioByAPool()
        for index in 1...4 {
            let host = "  - name: lab-pool2-\(index)\n    address: 10.77.0.\(30 + index)\n    roles: [minio]\n    size: lab\n    minio_pool: 2\n"
            #expect(text.contains(host))
            text = text.replacingOccurrences(of: host, with: host + "    labels: {minio\(index): \"true\"}\n")
        }
        let errors = Self.errors(text)
        #expect(errors.contains { $0.contains("is in pool 1 but minio4 is in pool 2") }, "\(errors)")
    }

    @Test func minioPoolOnAHostWithoutMinioIsRefusedWhereItIs() throws {
        let text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
            .replacingOccurrences(of: "    roles: [manager]\n    size: lab\n", with: "    roles: [manager]\n    size: lab\n    minio_pool: 2\n")
        let errors = Self.errors(text)
        #expect(errors.contains { $0.hasSuffix(": minio_pool is set on a host without the role 'minio'") && $0.hasPrefix("29:17:") }, "\(errors)")
    }

    @Test(arguments: ["0", "-1", "two", "1.5", "[2]"])
    func aPoolNumberIsAPositiveInteger(_ value: String) throws {
        let text = try LabInventoryEdits.growingMinioByAPool().replacingOccurrences(of: "minio_pool: 2", with: "minio_pool: \(value)")
        #expect(!Self.errors(text).isEmpty)
    }
}
