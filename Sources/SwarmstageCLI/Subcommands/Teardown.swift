import ArgumentParser
import Blueprint
import Inventory
import Rollout

/// Removes the stages in reverse order.
struct TeardownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teardown",
        abstract: "Remove the stages in reverse order (Milvus, then Pulsar, then etcd and MinIO).",
        discussion: """
        For each stage: its services, then, once their tasks are gone, its configs, secrets and networks. \
        Data under the hosts' data root is kept. If the Engine goes away meanwhile (a daemon restart), \
        teardown waits up to 180 s for it and carries on; otherwise it stops with exit 4.
        """
    )

    @OptionGroup var inventoryOptions: InventoryOptions
    @OptionGroup var engineOptions: EngineOptions
    @OptionGroup var stages: StageSelection
    @OptionGroup var progress: ProgressOptions

    mutating func run() async throws {
        let inventory = try inventoryOptions.load()
        let engine = try await engineOptions.connectToManager()
        let lock = try OperationLock(cluster: inventory.cluster.name, operation: "teardown")
        defer { withExtendedLifetime(lock) {} }
        let selected = stages.selected
        let stacks = Stage.allCases.filter { selected.contains($0) }.map { ($0, inventory.cluster.stackName(for: $0)) }
        try await Rollout.Teardown(swarm: engine, observer: ProgressPrinter(style: progress.style)).remove(stacks)
        Console.out("removed: \(stacks.map(\.1).reversed().joined(separator: ", ")); data on the hosts is kept")
    }
}
