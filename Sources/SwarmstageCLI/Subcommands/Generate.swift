import ArgumentParser
import Blueprint
import Inventory

/// Writes the stage stack files and their configs; the same inventory always gives the same bytes.
struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the split stack files (one per stage) and their config files.",
        discussion: """
        Files go to stacks/<inventory name>/ unless --output says otherwise. Output is byte-for-byte \
        deterministic. Files an earlier run generated that are no longer needed are removed; other files \
        are left alone. With --check nothing is written and the exit code is 1 if the files differ.
        """
    )

    @OptionGroup var options: InventoryOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Output folder.", valueName: "dir"))
    var output: String?

    @Flag(help: "Write nothing; exit 1 if the files on disk differ from what would be generated.")
    var check = false

    func validate() throws {
        if let output, output.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--output is empty; name the folder to write the stacks into (default: stacks/<inventory name>)")
        }
    }

    mutating func run() async throws {
        let inventory = try options.load()
        let directory = output ?? options.defaultOutputDirectory
        let files = StackFiles.render(MilvusBlueprint.make(inventory))
        if check {
            let drift = try StackFiles.drift(files, in: directory)
            if drift.isEmpty {
                Console.out("\(directory): up to date (\(files.count) files)")
                return
            }
            throw Failure(message: "\(directory): out of date: \(drift.joined(separator: ", ")); run `swarmstage generate -i \(options.inventory)`",
                          code: .degraded)
        }
        let changed: [String]
        do {
            changed = try StackFiles.write(files, to: directory)
        } catch {
            throw Failure.classify(error) ?? Failure.writing(error, to: directory)
        }
        Console.out(changed.isEmpty
            ? "\(directory): up to date (\(files.count) files)"
            : "\(directory): wrote \(changed.count) of \(files.count) files: \(changed.joined(separator: ", "))")
    }
}
