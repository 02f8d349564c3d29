import Foundation
import StackConvert
import SwarmModel
import Testing
import YAMLSource

/// Stack files an operator broke by hand: each gives its error at its place.
/// First line of each file: `# expect: LINE:COLUMN: message start  (why)`.
@Suite("Bad stack files")
struct BadStackFileTests {
    static let files: [String] = {
        guard let folder = Bundle.module.url(forResource: "Fixtures/bad-stacks", withExtension: nil),
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return names.filter { $0.hasSuffix(".yml") }.sorted().map { folder.appendingPathComponent($0).path }
    }()

    @Test func thereAreEnough() { #expect(Self.files.count >= 10) }

    @Test(arguments: files)
    func reportsTheMistakeWhereItIs(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var spec = text.split(separator: "\n").first?.dropFirst("# expect: ".count) ?? ""
        if let why = spec.range(of: "  (") { spec = spec[..<why.lowerBound] }
        let parts = spec.split(separator: ":", maxSplits: 2)
        let line = Int(parts[0]) ?? 0, column = Int(parts[1]) ?? 0
        let message = parts[2].trimmingCharacters(in: .whitespaces)
        let error = try #require(throws: InputError.self) { try ComposeLoader.load(path: path, environment: [:]) }
        #expect(error.diagnostics.contains { $0.location.line == line && $0.location.column == column && $0.message.hasPrefix(message) },
                "expected \(line):\(column): \(message)\ngot:\n\(error.description.prefix(800))")
    }
}
