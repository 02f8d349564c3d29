import Foundation
import Inventory
import Testing
import YAMLSource

/// How refusals read: one per mistake, at the mistake, with long values cut.
@Suite("Message shapes")
struct MessageShapeTests {
    static func errors(_ text: String) throws -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("swarmstage-shape-\(UUID().uuidString.prefix(8)).yml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try InventoryLoader.load(path: path)
            return []
        } catch let error as InputError {
            return error.diagnostics.map { $0.message }
        }
    }

    @Test func aMistakeUsedThroughAnAliasIsReportedOnce() throws {
        let errors = try Self.errors("""
        cluster: {name: lab}
        sizes:
          s: &bad {cpus: x, memory: 4GiB}
        hosts:
          - {name: a, address: 10.0.0.1, roles: [manager], size: *bad}
          - {name: b, address: 10.0.0.2, roles: [etcd], size: *bad}
          - {name: c, address: 10.0.0.3, roles: [etcd], size: *bad}
        """)
        #expect(errors.filter { $0.contains("cpus must be a number") }.count == 1, "\(errors)")
    }

    @Test func longValuesAreCutInMessages() throws {
        let long = String(repeating: "q", count: 5000)
        let errors = try Self.errors("""
        cluster: {name: lab}
        hosts:
          - {name: a, address: 10.0.0.1, roles: [\(long)]}
        """)
        let message = try #require(errors.first { $0.contains("unknown role") })
        #expect(message.count < 200, "\(message.count) characters")
        #expect(message.contains("(5000 characters)"))
    }

    @Test func aRepeatedKeyIsFoundAtTheRepeat() {
        let text = "hosts:\n  - name: a\n    roles: [x]\n    size: s\n    roles: [y]\n  - name: b\n    roles: [z]\n"
        let first = SourceLocation(file: "f", line: 3, column: 5)
        #expect(YAMLReader.repeatedKey("roles", after: first, in: text) == SourceLocation(file: "f", line: 5, column: 5))
        // The next host's `roles` is another mapping: not a repeat.
        let single = "hosts:\n  - name: a\n    roles: [x]\n  - name: b\n    roles: [z]\n"
        #expect(YAMLReader.repeatedKey("roles", after: first, in: single) == nil)
        #expect(YAMLReader.repeatedKey("a", after: SourceLocation(file: "f", line: 1, column: 2), in: "{a: 1, b: 2, a: 3}")
            == SourceLocation(file: "f", line: 1, column: 14))
    }
}
