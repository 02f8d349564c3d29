import Foundation

/// A program started in the background whose output can be read while it runs,
/// for tests that act on a deploy in the middle of a stage.
public final class BackgroundProgram: @unchecked Sendable {
    private let process = Process()
    private let outputPath: String
    private let errorsPath: String

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                directory: URL = RepositoryPaths.root) throws {
        let base = NSTemporaryDirectory() + "swarmstage-bg-\(UUID().uuidString.prefix(8))"
        outputPath = base + ".out"
        errorsPath = base + ".err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorsPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: errorsPath)
    }

    /// Sends SIGINT, as Ctrl-C would.
    public func interrupt() { if process.isRunning { process.interrupt() } }

    /// Sends SIGTERM, as `docker stop` would.
    public func terminate() { if process.isRunning { process.terminate() } }

    public var isRunning: Bool { process.isRunning }

    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    public var errors: String { (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? "" }

    /// Waits until stdout contains `text`; false if the program ended or time ran out first.
    public func waitForOutput(containing text: String, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            try await Task.sleep(for: .milliseconds(100))
        }
        // A busy test runner may wake this task after the deadline: look once more before saying no.
        return output.contains(text)
    }

    /// Waits for the program to end (killing it after `timeout`) and returns what it printed.
    public func finish(timeout: Duration) async throws -> Programs.Result {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return Programs.Result(status: -1, output: output, errors: errors + "\n(killed after \(timeout))")
        }
        process.waitUntilExit()
        return Programs.Result(status: process.terminationStatus, output: output, errors: errors)
    }
}
