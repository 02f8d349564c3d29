import ArgumentParser
import Engine
import Foundation

/// How commands that talk to Docker find the Engine.
struct EngineOptions: ParsableArguments {
    @Option(name: [.customShort("H"), .customLong("host")],
            help: ArgumentHelp("The manager's Engine socket, unix:///path (default: $DOCKER_HOST, else unix:///var/run/docker.sock). tcp:// is refused.",
                               valueName: "unix-socket"))
    var host: String?

    func dockerHost() throws -> DockerHost {
        try DockerHost.resolve(flag: host, environment: ProcessInfo.processInfo.environment)
    }

    /// Connects, negotiates the API version and makes sure the daemon is a Swarm manager.
    func connectToManager() async throws -> EngineClient {
        let engine = try await EngineClient.connect(try dockerHost())
        _ = try await engine.requireManager()
        return engine
    }
}
