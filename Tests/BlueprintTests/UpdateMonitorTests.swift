import Blueprint
import Compose
import Foundation
import Inventory
import Testing
import TestSupport

/// `update_monitor:` sets how long Swarm watches each replaced task (update_config.monitor and
/// rollback_config.monitor of every long-running service); without it, 15 s.
@Suite("The inventory's update monitor")
struct UpdateMonitorTests {
    static func lab(monitor line: String?) throws -> Inventory {
        let text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        #expect(text.contains("  update_monitor: 2s\n"), "inventory/lab.yml no longer sets update_monitor: 2s")
        let changed = text.replacingOccurrences(of: "  update_monitor: 2s\n", with: line.map { "  update_monitor: \($0)\n" } ?? "")
        return try InventoryLoader.parse(changed, file: "lab.yml")
    }

    /// Monitor seconds of every service's update and rollback config (jobs have none).
    static func monitors(_ inventory: Inventory) -> Set<Int> {
        let services = MilvusBlueprint.make(inventory).stacks.flatMap(\.compose.services)
        return Set(services.flatMap { [$0.deploy.updateConfig?.monitorSeconds, $0.deploy.rollbackConfig?.monitorSeconds].compactMap { $0 } })
    }

    @Test(arguments: [(nil, 15), ("5s", 5), ("2m", 120), ("1s", 1), ("10m", 600)] as [(String?, Int)])
    func everyServiceIsWatchedForTheInventorysPeriod(_ line: String?, _ seconds: Int) throws {
        let inventory = try Self.lab(monitor: line)
        #expect(inventory.cluster.updateMonitorSeconds == seconds)
        #expect(Self.monitors(inventory) == [seconds])
        let stacks = StackFiles.render(MilvusBlueprint.make(inventory)).filter { $0.path.hasSuffix(".yml") }
        #expect(stacks.allSatisfy { $0.contents.contains("monitor: \"\(seconds)s\"") })
    }

    @Test func theCommittedLabWatchesTwoSecondsAndTheReferenceFifteen() throws {
        #expect(Self.monitors(try RepositoryPaths.inventory(RepositoryPaths.labInventory)) == [2])
        #expect(Self.monitors(try RepositoryPaths.inventory(RepositoryPaths.referenceInventory)) == [15])
    }

    @Test(arguments: ["0s", "15", "fifteen", "1h", "-5s", "601s", "99999999999999999999m", "1.5s", "s"])
    func aPeriodOutsideOneSecondToTenMinutesIsRefusedWhereItIs(_ value: String) throws {
        let text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        let line = try #require(text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("  update_monitor:") }) + 1
        let error = try #require(throws: InventoryError.self) { try Self.lab(monitor: "\"\(value)\"") }
        #expect(error.diagnostics.contains { $0.message.hasPrefix("update_monitor '\(value)'") && $0.location.line == line },
                "\(error.description)")
    }
}
