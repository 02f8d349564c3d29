import Foundation
import Inventory

/// Paths inside this repository, found from this file's location so tests run from any folder.
public enum RepositoryPaths {
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    public static let referenceInventory = "inventory/milvus-26.yml"
    public static let labInventory = "inventory/lab.yml"

    /// Loads an inventory of this repository by its relative path, as the CLI does from the root.
    public static func inventory(_ relative: String) throws -> Inventory {
        var inventory = try InventoryLoader.load(path: path(relative))
        inventory.file = relative
        return inventory
    }
}
