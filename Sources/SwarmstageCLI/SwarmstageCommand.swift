import ArgumentParser

/// `swarmstage`: from a list of hosts to a running, healthy Milvus cluster on Docker Swarm.
public struct SwarmstageCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "swarmstage",
        abstract: "Deploy Milvus 2.3 on Docker Swarm in stages, from one inventory file.",
        discussion: """
        Exit codes (all commands): 0 success or healthy, 1 degraded or differences found, \
        2 failed, 3 usage or configuration error, 4 Docker Engine unreachable or refused, \
        5 internal error (a bug: please report it).
        """,
        version: BuildInfo.version,
        subcommands: [Validate.self, Generate.self, Images.self, Hosts.self, Label.self, Deploy.self, History.self, Rollback.self,
                      TeardownCommand.self, Health.self, ProbeCommand.self, VersionCommand.self]
    )

    public init() {}

    /// Runs the command line and exits with the documented code.
    public static func runAndExit() async -> Never {
        let code = await run(arguments: Array(CommandLine.arguments.dropFirst()))
        Glibc.exit(code)
    }

    /// Runs one command line and returns its exit code; messages go to stdout and stderr.
    public static func run(arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return StatusCode.success.rawValue
        } catch {
            return report(error)
        }
    }

    /// Prints what an error means for the user and returns its exit code.
    static func report(_ error: any Error) -> Int32 {
        if let failure = Failure.classify(error) {
            if !failure.message.isEmpty { Console.error(failure.message) }
            return failure.code.rawValue
        }
        // ArgumentParser's own outcomes: help and version exit 0, usage errors get our usage code.
        let code = exitCode(for: error)
        let message = fullMessage(for: error)
        if code == .success {
            if !message.isEmpty { Console.out(message) }
            return StatusCode.success.rawValue
        }
        if code == .validationFailure {
            Console.error(message)
            return StatusCode.usage.rawValue
        }
        // Anything else is an error nobody classified: a bug, never "usage".
        let failure = Failure.internal(error)
        Console.error(failure.message)
        return failure.code.rawValue
    }
}

import Glibc
