import Foundation
import SwarmstageCLI
import Testing
import TestSupport

/// Commands that talk to the Engine, against the lab, checking what a user sees.
@Suite("Commands against the lab", .enabled(if: Lab.enabled), .serialized)
struct EngineCommandTests {
    /// The swarmstage binary built next to this test bundle.
    static var binary: String {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("swarmstage").path
    }

    /// Runs the binary, optionally as another user, and returns its exit code and stderr.
    static func runBinary(_ arguments: [String], asUser uid: Int? = nil) async throws -> (Int32, String) {
        let result = if let uid {
            try await Programs.run("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--", binary] + arguments)
        } else {
            try await Programs.run(binary, arguments)
        }
        return (result.status, result.errors)
    }

    @Test func aWorkerSocketExitsFourAndSaysWhy() async throws {
        try await LabLock.sharing {
            let lab = try Lab.require()
            let (code, message) = try await Self.runBinary(["label", "-H", "unix://\(lab.nodeSocket("lab-node2"))"])
            #expect(code == 4)
            #expect(message.contains("is a swarm worker, not a manager"))
        }
    }

    @Test func aSocketWithoutPermissionExitsFourAndSaysWhy() async throws {
        try await LabLock.sharing {
            let lab = try Lab.require()
            #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the executable first (swift build --build-tests)")
            // As "nobody": dockerd's socket is rw for root and its group only.
            let (code, message) = try await Self.runBinary(["label", "--dry-run", "-H", "unix://\(lab.managerSocket)"], asUser: 65534)
            #expect(code == 4, "\(message)")
            #expect(message.contains("permission denied on \(lab.managerSocket)"), "\(message)")
        }
    }

    @Test func aMissingSocketExitsFour() async throws {
        let (code, message) = try await Self.runBinary(["label", "-H", "unix:///nonexistent/docker.sock"])
        #expect(code == 4)
        #expect(message.contains("no Docker socket at /nonexistent/docker.sock"))
    }

    /// A bad option is refused before swarmstage looks for the Engine at all (exit 3, not 4).
    @Test func aHealTimeoutBelowOneSecondIsRefusedBeforeTheEngineIsAsked() async throws {
        for value in ["0", "-5"] {
            let (code, message) = try await Self.runBinary(["label", "--heal-timeout=\(value)", "-H", "unix:///nonexistent/docker.sock"])
            #expect(code == 3, "\(message)")
            #expect(message.contains("--heal-timeout must be 1 to 86400 seconds, not \(value)"), "\(message)")
            #expect(!message.contains("no Docker socket"), "\(message)")
        }
        let (code, message) = try await Self.runBinary(["label", "--heal-timeout", "1", "-H", "unix:///nonexistent/docker.sock"])
        #expect(code == 4 && message.contains("no Docker socket"), "\(message)")
    }

    @Test func labelTwiceThenDryRunReportsNothingToDo() async throws {
        try await LabLock.run {
            let lab = try Lab.require()
            #expect(await SwarmstageCommand.run(arguments: ["label", "-i", RepositoryPaths.path("inventory/lab.yml"), "-H", "unix://\(lab.managerSocket)"]) == 0)
            #expect(await SwarmstageCommand.run(arguments: ["label", "-i", RepositoryPaths.path("inventory/lab.yml"), "-H", "unix://\(lab.managerSocket)"]) == 0)
            // An inventory that names a host the swarm does not have: nothing is written, exit 3.
            let inventory = try String(contentsOfFile: RepositoryPaths.path("inventory/lab.yml"), encoding: .utf8)
                .replacingOccurrences(of: "name: lab-node4", with: "name: lab-node9")
            let path = NSTemporaryDirectory() + "swarmstage-lab-mismatch-\(UUID().uuidString.prefix(6)).yml"
            try inventory.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(await SwarmstageCommand.run(arguments: ["label", "-i", path, "-H", "unix://\(lab.managerSocket)"]) == 3)
        }
    }
}
