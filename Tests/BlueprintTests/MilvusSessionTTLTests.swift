import Blueprint
import Compose
import Foundation
import Inventory
import Testing
import TestSupport

/// `milvus_session_ttl:` sets Milvus's `common.session.ttl` in milvus.yaml and the coordinators'
/// label that deploy reads for its wait after stopping one; without it, Milvus's 30 s.
@Suite("The inventory's Milvus session TTL")
struct MilvusSessionTTLTests {
    static func reference(adding line: String?) throws -> Inventory {
        let text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.referenceInventory), encoding: .utf8)
        guard let line else { return try InventoryLoader.parse(text, file: "reference.yml") }
        let changed = text.replacingOccurrences(of: "\ncluster:\n", with: "\ncluster:\n  milvus_session_ttl: \(line)\n")
        #expect(changed != text, "the reference inventory has no cluster: section to add to")
        return try InventoryLoader.parse(changed, file: "reference.yml")
    }

    /// The ttl line of milvus.yaml and the label of every Milvus service that has one.
    static func written(_ inventory: Inventory) throws -> (yaml: [String], labels: [String: String]) {
        let blueprint = MilvusBlueprint.make(inventory)
        let files = StackFiles.render(blueprint)
        let yaml = try #require(files.first { $0.path.hasSuffix("milvus.yaml") }).contents
        let ttl = yaml.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("ttl:") }.map(String.init)
        var labels: [String: String] = [:]
        for service in blueprint.stacks.flatMap(\.compose.services) {
            if let value = service.deploy.labels[GracefulStop.sessionTTLLabel] { labels[service.name] = value }
        }
        return (ttl, labels)
    }

    @Test(arguments: [(nil, 30), ("10s", 10), ("2m", 120), ("5s", 5), ("10m", 600)] as [(String?, Int)])
    func milvusYAMLAndTheCoordinatorsSayTheInventorysTTL(_ line: String?, _ seconds: Int) throws {
        let inventory = try Self.reference(adding: line)
        #expect(inventory.cluster.milvusSessionTTLSeconds == seconds)
        let (yaml, labels) = try Self.written(inventory)
        #expect(yaml.map { $0.trimmingCharacters(in: .whitespaces) } == ["ttl: \(seconds)"])
        #expect(Set(labels.keys) == ["rootcoord", "datacoord", "querycoord"], "\(labels)")
        #expect(Set(labels.values) == [String(seconds)])
    }

    @Test(arguments: ["4s", "0s", "30", "thirty", "11m", "-30s", "1.5s", "99999999999999999999m"])
    func aTTLOutsideFiveSecondsToTenMinutesIsRefusedWhereItIs(_ value: String) throws {
        let error = try #require(throws: InventoryError.self) { try Self.reference(adding: "\"\(value)\"") }
        #expect(error.diagnostics.contains { $0.message.hasPrefix("milvus_session_ttl '\(value)'") }, "\(error.description)")
        let line = try #require(error.diagnostics.first { $0.message.hasPrefix("milvus_session_ttl") }).location.line
        let text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.referenceInventory), encoding: .utf8)
        let cluster = try #require(text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0 == "cluster:" }) + 1
        #expect(line == cluster + 1, "the error points at the added line")
    }

    /// The running coordinator's label, as deploy reads it: within the key's range, the default without one.
    @Test(arguments: [("30", 30), ("5", 5), ("600", 600), ("1", 5), ("999999999", 600), ("0", 30), ("-7", 30),
                      ("thirty", 30), ("", 30), ("30s", 30), ("99999999999999999999999", 30)])
    func aRunningCoordinatorsLabelIsReadWithinTheKeysRange(label: String, seconds: Int) {
        #expect(GracefulStop.sessionExpirySeconds(of: [GracefulStop.sessionTTLLabel: label], component: .rootcoord) == seconds)
        #expect(GracefulStop.sessionExpirySeconds(of: [GracefulStop.sessionTTLLabel: label], component: .querynode) == nil, "not a coordinator")
    }

    @Test func aCoordinatorWithoutTheLabelWaitsMilvussDefault() {
        #expect(GracefulStop.sessionExpirySeconds(of: nil, component: .datacoord) == 30)
        #expect(GracefulStop.sessionExpirySeconds(of: ["other": "5"], component: .querycoord) == 30)
    }
}
