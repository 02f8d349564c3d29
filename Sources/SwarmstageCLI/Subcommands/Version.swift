import ArgumentParser
import Engine
import Foundation

/// Which swarmstage this is, and, when an Engine answers, which Engine and API it would speak.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print swarmstage's version and commit, and the Engine's version and the negotiated API.",
        discussion: "The Engine part is best effort: an unreachable Engine is reported, not an error (exit 0)."
    )

    @OptionGroup var engineOptions: EngineOptions

    mutating func run() async throws {
        var lines = ["swarmstage \(BuildInfo.version)"]
        if let build = BuildInfo.packaged() {
            lines.append("commit: \(build["commit"] ?? "unknown")")
            if let built = build["built"] { lines.append("built: \(built)") }
        } else {
            lines.append("commit: development build (not packaged by scripts/package)")
        }
        do {
            let engine = try await EngineClient.connect(try engineOptions.dockerHost())
            lines.append("engine: Docker Engine \(engine.serverVersion) at \(engine.host.socketPath), API \(engine.apiVersion) negotiated")
        } catch {
            let reason = Failure.classify(error)?.message ?? "\(error)"
            lines.append("engine: not reachable (\(reason.hasPrefix("error: ") ? String(reason.dropFirst(7)) : reason))")
        }
        Console.out(lines.joined(separator: "\n"))
    }
}
