import ArgumentParser

/// `swarmstage`: from a list of hosts to a running, healthy Milvus cluster on Docker Swarm.
public struct SwarmstageCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "swarmstage",
        abstract: "Deploy Milvus 2.3 on Docker Swarm in stages, from one inventory file.",
        discussion: """
        Exit codes (all commands): 0 success or healthy, 1 degraded or differences found, \
        2 failed, 3 usage or configuration error, 4 Docker Engine unreachable or refused.
        """,
        version: "0.1.0",
        subcommands: [Validate.self, Generate.self, Images.self]
    )

    public init() {}

    /// Runs the command line and exits with the documented code.
    public static func runAndExit() async -> Never {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(withError: nil)
        } catch {
            if let failure = Failure.classify(error) {
                Console.error(failure.message)
                _exit(failure.code.rawValue)
            }
            exit(withError: error)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
