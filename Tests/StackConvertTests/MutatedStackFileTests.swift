import Compose
import Foundation
import StackConvert
import Testing
import TestSupport
import YAMLSource

/// Stack files nobody wrote: the committed ones with numbers pushed to their limits, values of
/// the wrong type, keys deleted or repeated, and random bytes. Whatever comes in, the loader
/// and the converter neither trap nor accept a number they cannot use: a file is either loaded
/// and converted, or refused with located diagnostics.
@Suite("Mutated stack files")
struct MutatedStackFileTests {
    static let files = ["stacks/lab/1-storage.yml", "stacks/lab/2-pulsar.yml", "stacks/lab/3-milvus.yml",
                        "stacks/milvus-26/1-storage.yml", "stacks/milvus-26/2-pulsar.yml", "stacks/milvus-26/3-milvus.yml"]

    @Test(arguments: 1...6)
    func nothingTrapsAndEveryRefusalIsLocated(round: UInt64) throws {
        var generator = SeededGenerator(seed: round &* 104_729)
        for file in Self.files {
            let text = try String(contentsOfFile: RepositoryPaths.path(file), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for _ in 0..<40 {
                var mutated = lines
                for _ in 0..<Int.random(in: 1...3, using: &generator) { mutated = Mutations.mutate(mutated, using: &generator) }
                let path = "\(file) (round \(round))"
                do {
                    let compose = try ComposeLoader(file: path, environment: [:]).parse(mutated.joined(separator: "\n"))
                    let data = Dictionary(uniqueKeysWithValues: compose.configs.map { ($0.file, [UInt8]("x".utf8)) })
                    _ = try StackConverter.convert(compose, stack: "fuzz", configData: data)
                } catch let error as InputError {
                    #expect(!error.diagnostics.isEmpty)
                    #expect(error.diagnostics.allSatisfy { $0.location.file == path && $0.location.line >= 1 && $0.location.column >= 1 },
                            "\(error)")
                } catch is StackConverter.Failure {
                    // A reference that does not resolve: said without a trap.
                }
            }
        }
    }

    @Test func numbersBeyondWhatTheEngineHoldsAreRefusedWithTheirPlace() throws {
        let cases: [(String, String, String)] = [
            ("3-milvus.yml", "replicas: -1", "replicas must be 0 or more, found -1"),
            ("3-milvus.yml", "parallelism: -3", "parallelism must be 0 or more, found -3"),
            ("1-storage.yml", "max_attempts: -1", "max_attempts must be 0 or more, found -1"),
            ("3-milvus.yml", "interval: 9999999999999h", "interval '9999999999999h' is not a duration in whole seconds of at most"),
            ("3-milvus.yml", "cpus: \"99999999999999999\"", "cpus '99999999999999999' is not a number of CPUs"),
            ("3-milvus.yml", "memory: 18446744073709551616M", "memory '18446744073709551616M' is not a whole number of MiB"),
            ("3-milvus.yml", "memory: 8796093022208T", "memory '8796093022208T' is not a whole number of MiB"),
            ("3-milvus.yml", "published: 70000", "published must be 1 to 65535, found 70000"),
        ]
        for (file, line, message) in cases {
            let key = line.split(separator: ":")[0]
            let text = try String(contentsOfFile: RepositoryPaths.path("stacks/lab/\(file)"), encoding: .utf8)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let index = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(key):") }, "\(key)")
            lines[index] = String(lines[index].prefix { $0 == " " || $0 == "-" || $0 == "{" }) + line
            let error = try #require(throws: InputError.self) {
                try ComposeLoader(file: "3-milvus.yml", environment: [:]).parse(lines.joined(separator: "\n"))
            }
            #expect(error.diagnostics.contains { $0.location.line == index + 1 && $0.message.contains(message) }, "\(line): \(error)")
        }
    }
}
