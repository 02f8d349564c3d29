import Foundation
import Testing
import TestSupport

/// The docker CLI's own compose loader must accept every generated stack file.
@Suite("docker stack config")
struct DockerLoaderTests {
    static let docker = ["/usr/local/bin/docker", "/usr/bin/docker"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(arguments: ["stacks/milvus-26", "stacks/lab"])
    func dockerAcceptsEveryStackFile(_ folder: String) async throws {
        let docker = try #require(Self.docker, "the docker CLI is needed for this test (.ci/run installs it)")
        for file in ["1-storage.yml", "2-pulsar.yml", "3-milvus.yml"] {
            // No daemon is needed for `stack config`; keep the CLI away from any real one.
            let result = try await Programs.run(docker, ["stack", "config", "-c", file],
                                                environment: ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(),
                                                              "DOCKER_HOST": "unix:///nonexistent.sock"],
                                                directory: URL(fileURLWithPath: RepositoryPaths.path(folder)))
            #expect(result.status == 0, "\(folder)/\(file): \(result.errors)")
            let text = result.output
            #expect(text.contains("services:"), "\(folder)/\(file)")
            #expect(!text.contains("$$"), "\(folder)/\(file): interpolation left an escape")
        }
    }
}
