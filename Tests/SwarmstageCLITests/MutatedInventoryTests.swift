import Blueprint
import Foundation
import Inventory
import SwarmstageCLI
import Testing
import TestSupport
import YAMLSource

/// Inventories nobody wrote: the committed ones with sizes, counts and roles pushed to their
/// limits, values of the wrong type, keys deleted or repeated, and random bytes. Whatever comes
/// in, nothing traps: an inventory is valid (and its stacks render), or it is refused with
/// located diagnostics, exit 3 and nothing written.
@Suite("Mutated inventories")
struct MutatedInventoryTests {
    static let files = ["inventory/lab.yml", "inventory/lab-26.yml", "inventory/milvus-26.yml"]

    /// Values an inventory line may get: the generic extremes plus sizes, addresses and roles at their limits.
    static let values = Mutations.extremes + [
        "{cpus: 1e9, memory: 4GiB}", "{cpus: 0.0001, memory: 1}", "{cpus: 2, memory: 1KiB}", "{cpus: -2, memory: 4GiB}",
        "{cpus: 2, memory: 9999999999999999PiB}", "{cpus: 2, memory: 18446744073709551615}", "{cpus: .inf, memory: 4GiB}",
        "[manager, manager, manager, manager, manager, manager, manager, manager]", "[unknown]", "[]", "[etcd, etcd]",
        "999.1.1.1", "10.0.0.1/24", "\"\"", "-", "~", "&a [x]", "*nothing", "!!binary aGk=", "0x10", "1_000",
    ]

    @Test(arguments: 1...4)
    func nothingTrapsAndEveryRefusalIsLocated(round: UInt64) throws {
        var generator = SeededGenerator(seed: round &* 7_919)
        var refused = 0, accepted = 0
        for file in Self.files {
            let text = try String(contentsOfFile: RepositoryPaths.path(file), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for _ in 0..<40 {
                var mutated = lines
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    mutated = Mutations.mutate(mutated, values: Self.values, using: &generator)
                }
                let path = "\(file) (round \(round))"
                do {
                    let inventory = try InventoryLoader.parse(mutated.joined(separator: "\n"), file: path)
                    let blueprint = MilvusBlueprint.make(inventory)
                    let tooSmall = Capacity.problems(blueprint)
                    #expect(tooSmall.allSatisfy { $0.location.file == path && $0.location.line >= 1 }, "\(tooSmall)")
                    if tooSmall.isEmpty { _ = StackFiles.render(blueprint) }
                    accepted += 1
                } catch let error as InputError {
                    #expect(!error.diagnostics.isEmpty)
                    #expect(error.diagnostics.allSatisfy { $0.location.file == path && $0.location.line >= 1 && $0.location.column >= 1 },
                            "\(error)")
                    #expect(error.diagnostics.allSatisfy { $0.message.count < 400 }, "one readable line each: \(error)")
                    refused += 1
                }
            }
        }
        #expect(refused > 0 && accepted > 0, "the mutations reach both outcomes (\(refused) refused, \(accepted) accepted)")
    }

    /// Through the command line: exit 0 with files, or exit 3 with nothing written.
    @Test func generateWritesAllOrNothing() async throws {
        var generator = SeededGenerator(seed: 424_242)
        let text = try String(contentsOfFile: RepositoryPaths.path("inventory/lab.yml"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let folder = NSTemporaryDirectory() + "swarmstage-mutated-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var codes: Set<Int32> = []
        for index in 0..<24 {
            let path = "\(folder)/inventory-\(index).yml"
            try Mutations.mutate(lines, values: Self.values, using: &generator).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let output = "\(folder)/out-\(index)"
            let code = await CommandTests.run("generate", "-i", path, "-o", output)
            codes.insert(code)
            #expect(code == 0 || code == 3, "inventory-\(index).yml: exit \(code)")
            if code == 3 { #expect(!FileManager.default.fileExists(atPath: output), "inventory-\(index).yml: refused, yet \(output) exists") }
        }
        #expect(codes.contains(3))
    }
}
