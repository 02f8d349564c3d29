import Foundation

/// Runs programs the way a user would, capturing what they print.
public enum Programs {
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var errors: String
    }

    /// The swarmstage binary built next to the test bundle.
    public static var swarmstage: String {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("swarmstage").path
    }

    public static let docker = ["/usr/local/bin/docker", "/usr/bin/docker"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "docker"

    /// Runs a program and waits for it on a thread of its own: a test waiting on a program (a
    /// deploy takes minutes) must not hold one of Swift's few cooperative threads meanwhile, or
    /// every other test's task stops with it (CI saw a fake-swarm test's 60 s reconnect window
    /// pass while its 5 ms sleep waited for a thread).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           directory: URL = RepositoryPaths.root) async throws -> Result {
        try await onOwnThread { try runBlocking(executable, arguments, environment: environment, directory: directory) }
    }

    /// `runSpawned`'s wait, off the cooperative threads as `run`'s is.
    public static func runSpawned(_ executable: String, _ arguments: [String]) async throws -> Result {
        try await onOwnThread { try runSpawnedBlocking(executable, arguments) }
    }

    private static func onOwnThread(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Swift.Result { try body() }) }
            thread.name = "swarmstage-tests: program"
            thread.start()
        }
    }

    private static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String],
                                    directory: URL) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes while the program runs, so a chatty one cannot block on a full pipe.
        let collected = Collected()
        let group = DispatchGroup()
        for (pipe, isError) in [(output, false), (errors, true)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.set(data, isError: isError)
                group.leave()
            }
        }
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus, output: collected.output, errors: collected.errors)
    }

    /// Runs a program that leaves daemons behind (`scripts/lab start-node`), with its output in
    /// a file, through posix_spawn and waitpid: Foundation's Process did not reap such a
    /// script here (a zombie, and waitUntilExit never returned).
    private static func runSpawnedBlocking(_ executable: String, _ arguments: [String]) throws -> Result {
        let outputPath = NSTemporaryDirectory() + "swarmstage-spawn-\(UUID().uuidString.prefix(8)).log"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = status & 0x7f == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Result(status: code, output: text, errors: text)
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var out = Data(), err = Data()
        func set(_ data: Data, isError: Bool) { lock.withLock { if isError { err = data } else { out = data } } }
        var output: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
        var errors: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
    }
}
