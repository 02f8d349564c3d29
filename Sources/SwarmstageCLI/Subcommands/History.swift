import ArgumentParser
import Inventory
import Rollout

/// Lists what earlier deploys applied.
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the revisions earlier deploys recorded in the swarm (newest first).",
        discussion: """
        Every deploy that writes to the Engine records a revision: the stack files and config files it \
        applied, the images, and when. `swarmstage rollback REV` applies one again. The last \
        \(RevisionStore.kept) are kept.
        """
    )

    @OptionGroup var inventoryOptions: InventoryOptions
    @OptionGroup var engineOptions: EngineOptions

    mutating func run() async throws {
        let inventory = try inventoryOptions.load()
        let engine = try await engineOptions.connectToManager()
        let revisions = try await RevisionStore(swarm: engine, cluster: inventory.cluster.name).list()
        guard !revisions.isEmpty else {
            Console.out("cluster \(inventory.cluster.name): no revision recorded yet (a deploy that changes something records one)")
            return
        }
        var lines = ["REV  TIME                            STACKS      MADE BY"]
        for revision in revisions {
            let number = String(revision.number).padding(toLength: 4, withPad: " ", startingAt: 0)
            let time = revision.time.padding(toLength: 31, withPad: " ", startingAt: 0)
            lines.append("\(number) \(time) \(revision.inventoryDigest)  \(revision.reason)")
        }
        Console.out(lines.joined(separator: "\n"))
    }
}
