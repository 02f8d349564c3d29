import Blueprint
import Compose
import Foundation
import StackConvert
import SwarmModel
import Testing
import TestSupport
import YAMLSource

@Suite("Stack files back into the model")
struct RoundTripTests {
    @Test(arguments: [RepositoryPaths.referenceInventory, RepositoryPaths.labInventory])
    func everyGeneratedStackLoadsBackToTheSameModel(_ path: String) throws {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(path))
        let files = StackFiles.render(blueprint)
        for stack in blueprint.stacks {
            let text = try #require(files.first { $0.path == stack.stage.fileName }?.contents)
            let loaded = try ComposeLoader(file: stack.stage.fileName, environment: [:]).parse(text)
            for (read, written) in zip(loaded.services, stack.compose.services) where read != written {
                Issue.record("\(stack.stage.fileName): service \(written.name) reads back differently:\n read \(String(describing: read).prefix(600))\n wrote \(String(describing: written).prefix(600))")
            }
            #expect(loaded.services.count == stack.compose.services.count)
            #expect(loaded.networks == stack.compose.networks && loaded.configs == stack.compose.configs && loaded.secrets == stack.compose.secrets)
        }
    }

    @Test func theCommittedReferenceStacksLoad() throws {
        for file in ["1-storage.yml", "2-pulsar.yml", "3-milvus.yml"] {
            let compose = try ComposeLoader.load(path: RepositoryPaths.path("stacks/milvus-26/\(file)"), environment: [:])
            #expect(!compose.services.isEmpty)
        }
    }

    @Test func interpolationFollowsTheDockerCLI() throws {
        let text = """
        version: "3.8"
        services:
          a:
            image: "${REGISTRY:-docker.io}/nginx"
            command: [sh, -c, "echo $$HOME $TAG"]
            deploy: {mode: replicated}
        """
        let compose = try ComposeLoader(file: "x.yml", environment: ["TAG": "v1"]).parse(text)
        #expect(compose.services.first?.image == "docker.io/nginx")
        #expect(compose.services.first?.command == ["sh", "-c", "echo $HOME v1"])
        let missing = try #require(throws: InputError.self) { try ComposeLoader(file: "x.yml", environment: [:]).parse(text) }
        #expect(missing.diagnostics.contains { $0.message.contains("variable TAG is not set") })
    }

    @Test(arguments: ["10s", "1m30s", "2h", "90", "500ms"])
    func durations(_ text: String) {
        let expected = ["10s": 10, "1m30s": 90, "2h": 7200, "90": 90, "500ms": nil] as [String: Int?]
        #expect(Units.seconds(text) == expected[text] ?? nil)
    }

    @Test func cpusAndMemoryAreExact() {
        #expect(Units.centiCPUs("3.6") == 360)
        #expect(Units.centiCPUs("0.05") == 5)
        #expect(Units.centiCPUs("2") == 200)
        #expect(Units.centiCPUs("0.125") == nil)
        #expect(Units.mebibytes("7372M") == 7372)
        #expect(Units.mebibytes("8g") == 8192)
        #expect(Units.mebibytes("1000") == nil)
    }
}
