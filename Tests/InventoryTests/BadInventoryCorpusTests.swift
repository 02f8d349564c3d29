import Foundation
import Inventory
import YAMLSource
import Testing

/// Every file under Fixtures/bad is a mistake an operator makes. Its first line says
/// what must be reported: `# expect: LINE:COLUMN: message start  (why)`.
@Suite("Bad inventories")
struct BadInventoryCorpusTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var path: String
        var line: Int
        var column: Int
        var message: String
        var testDescription: String { URL(fileURLWithPath: path).lastPathComponent }
    }

    static let cases: [Case] = {
        guard let folder = Bundle.module.url(forResource: "Fixtures/bad", withExtension: nil),
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return names.filter { $0.hasSuffix(".yml") }.sorted().compactMap { name in
            let path = folder.appendingPathComponent(name).path
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let first = text.split(separator: "\n", omittingEmptySubsequences: false).first,
                  first.hasPrefix("# expect: ") else { return Case(path: path, line: 0, column: 0, message: "<no expectation line>") }
            var spec = first.dropFirst("# expect: ".count)
            if let why = spec.range(of: "  (") { spec = spec[..<why.lowerBound] }
            let parts = spec.split(separator: ":", maxSplits: 2)
            guard parts.count == 3, let line = Int(parts[0]), let column = Int(parts[1]) else {
                return Case(path: path, line: 0, column: 0, message: "<malformed expectation>")
            }
            return Case(path: path, line: line, column: column, message: parts[2].trimmingCharacters(in: .whitespaces))
        }
    }()

    @Test func theCorpusIsLargeEnough() {
        #expect(Self.cases.count >= 25)
    }

    @Test(arguments: cases)
    func reportsTheMistakeWhereItIs(_ bad: Case) throws {
        let error = try #require(throws: InventoryError.self) { try InventoryLoader.load(path: bad.path) }
        let match = error.diagnostics.first { diagnostic in
            diagnostic.location.line == bad.line && diagnostic.location.column == bad.column
                && diagnostic.message.hasPrefix(bad.message)
        }
        #expect(match != nil, "expected \(bad.line):\(bad.column): \(bad.message)\ngot:\n\(error.description)")
        #expect(error.diagnostics.allSatisfy { $0.location.file == bad.path })
    }

    @Test func everyDiagnosticIsOneLineWithFileLineColumn() throws {
        for bad in Self.cases {
            guard let error = try? #require(throws: InventoryError.self, performing: { try InventoryLoader.load(path: bad.path) }) else { continue }
            for line in error.description.split(separator: "\n") {
                #expect(line.hasPrefix("\(bad.path):"), "\(line)")
                #expect(line.contains(": error: "), "\(line)")
            }
        }
    }

    @Test func aMissingFileIsReportedAsSuch() {
        #expect(throws: InputFileError.self) { try InventoryLoader.load(path: "/nonexistent/inventory.yml") }
    }
}
