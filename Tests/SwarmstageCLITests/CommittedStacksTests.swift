import Blueprint
import Foundation
import Inventory
import Testing
import TestSupport

/// The committed stacks/ must be what `generate` makes today.
@Suite("Committed stacks")
struct CommittedStacksTests {
    @Test(arguments: [("inventory/milvus-26.yml", "stacks/milvus-26"), ("inventory/lab.yml", "stacks/lab")])
    func committedStacksAreCurrent(_ inventoryPath: String, _ folder: String) throws {
        let files = StackFiles.render(MilvusBlueprint.make(try RepositoryPaths.inventory(inventoryPath)))
        let drift = try StackFiles.drift(files, in: RepositoryPaths.path(folder))
        #expect(drift.isEmpty, "\(folder) is out of date: \(drift); run `swarmstage generate -i \(inventoryPath)`")
    }
}
