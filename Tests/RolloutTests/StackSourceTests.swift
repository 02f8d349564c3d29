import Blueprint
import Foundation
import Rollout
import Testing
import TestSupport

/// Stack files on disk (`deploy --stacks DIR`) with their config files.
@Suite("Stack files from a folder")
struct StackSourceTests {
    @Test func aConfigWithAnAbsolutePathIsReadFromThatPath() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swarmstage-stacks-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: RepositoryPaths.path("stacks/lab"), toPath: folder)
        let elsewhere = folder + "-milvus.yaml"
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        try "# milvus.yaml kept elsewhere\n".write(toFile: elsewhere, atomically: true, encoding: .utf8)
        let stack = (folder as NSString).appendingPathComponent("3-milvus.yml")
        let text = try String(contentsOfFile: stack, encoding: .utf8)
        #expect(text.contains("./configs/milvus.yaml"))
        try text.replacingOccurrences(of: "./configs/milvus.yaml", with: elsewhere).write(toFile: stack, atomically: true, encoding: .utf8)

        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.labInventory))
        let files = try StackSource.directory(folder, blueprint: blueprint)
        let milvus = try #require(files.first { $0.stage == .milvus })
        #expect(milvus.configData[elsewhere] == Array("# milvus.yaml kept elsewhere\n".utf8))
        #expect(try StackSource.prepare(files).count == 3)
    }
}
