import Foundation
import Testing
import TestSupport

/// The docker CLI's own compose loader must accept every generated stack file.
@Suite("docker stack config")
struct DockerLoaderTests {
    static let docker = ["/usr/local/bin/docker", "/usr/bin/docker"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(arguments: ["stacks/milvus-26", "stacks/lab"])
    func dockerAcceptsEveryStackFile(_ folder: String) throws {
        let docker = try #require(Self.docker, "the docker CLI is needed for this test (.ci/run installs it)")
        for file in ["1-storage.yml", "2-pulsar.yml", "3-milvus.yml"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: docker)
            process.arguments = ["stack", "config", "-c", file]
            process.currentDirectoryURL = URL(fileURLWithPath: RepositoryPaths.path(folder))
            // No daemon is needed for `stack config`; keep the CLI away from any real one.
            process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "DOCKER_HOST": "unix:///nonexistent.sock"]
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let printed = output.fileHandleForReading.readDataToEndOfFile()
            let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(folder)/\(file): \(complaint)")
            let text = String(decoding: printed, as: UTF8.self)
            #expect(text.contains("services:"), "\(folder)/\(file)")
            #expect(!text.contains("$$"), "\(folder)/\(file): interpolation left an escape")
        }
    }
}
