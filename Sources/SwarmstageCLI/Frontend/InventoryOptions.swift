import ArgumentParser
import Blueprint
import Foundation
import Inventory
import YAMLSource

/// How every command finds the inventory and its image overrides.
struct InventoryOptions: ParsableArguments {
    static let defaultPath = "inventory/lab.yml"

    @Option(name: [.short, .customLong("inventory")],
            help: ArgumentHelp("The inventory file.", valueName: "file"))
    var inventory: String = ProcessInfo.processInfo.environment["SWARMSTAGE_INVENTORY"] ?? InventoryOptions.defaultPath

    @Option(name: .customLong("images"),
            help: ArgumentHelp("A YAML file mapping image keys (milvus, etcd, minio, nginx, pulsar, cadvisor) to references; overrides the inventory's.",
                               valueName: "file"))
    var imagesFile: String?

    @Option(name: .customLong("image"),
            help: ArgumentHelp("Override one image, e.g. --image milvus=registry.local:5000/milvus:2.3.0 (repeatable; wins over --images).",
                               valueName: "key=reference"))
    var imageFlags: [String] = []

    /// The validated inventory with every override applied. Nothing is written before this succeeds.
    func load() throws -> Inventory {
        var overrides: [ImageMap.Key: String] = [:]
        if let imagesFile {
            overrides = try InventoryLoader.loadImageOverrides(path: imagesFile)
        }
        for flag in imageFlags {
            switch InventoryLoader.parseImageFlag(flag) {
            case .success(let (key, reference)): overrides[key] = reference
            case .failure(let error): throw error
            }
        }
        var inventory = try InventoryLoader.load(path: inventory)
        inventory.images = inventory.images.overriding(overrides)
        // Sizes against what the topology places on each host: needs the blueprint, so checked here.
        let tooSmall = Capacity.problems(MilvusBlueprint.make(inventory))
        if !tooSmall.isEmpty { throw InputError(tooSmall) }
        return inventory
    }

    /// `stacks/<inventory name without extension>`.
    var defaultOutputDirectory: String {
        let name = URL(fileURLWithPath: inventory).deletingPathExtension().lastPathComponent
        return "stacks/\(name)"
    }
}
