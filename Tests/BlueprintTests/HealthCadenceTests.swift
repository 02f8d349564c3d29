import Blueprint
import Compose
import Foundation
import Inventory
import Testing
import TestSupport

@Suite("Health cadence of the generated stacks")
struct HealthCadenceTests {
    static func blueprints() throws -> [(String, Blueprint)] {
        try [RepositoryPaths.referenceInventory, RepositoryPaths.labInventory, "inventory/lab-26.yml"].map {
            ($0, MilvusBlueprint.make(try RepositoryPaths.inventory($0)))
        }
    }

    @Test func everyCheckStartsQuicklyAndRunsCalmlyOnceHealthy() throws {
        for (file, blueprint) in try Self.blueprints() {
            let checks = blueprint.services.compactMap { planned in planned.service.healthcheck.map { (planned.service.name, $0) } }
            #expect(checks.count > 20, "\(file)")
            for (name, check) in checks where !check.isDisabled {
                #expect(check.startIntervalSeconds == HealthCadence.startIntervalSeconds, "\(file) \(name)")
                #expect(check.intervalSeconds == HealthCadence.intervalSeconds, "\(file) \(name)")
                #expect(check.retries == HealthCadence.retries, "\(file) \(name)")
                // The quick cadence lasts only the start period: it must be long enough for many quick checks.
                #expect((check.startPeriodSeconds ?? 0) >= 30, "\(file) \(name)")
                #expect((check.timeoutSeconds ?? 30) < HealthCadence.intervalSeconds, "\(file) \(name)")
            }
        }
    }

    /// The steady check rate on every host (every task that may land there counted) stays within
    /// the budget; on an Engine without start_interval (5 s interval) it is six times as much.
    @Test func theSteadyCheckRateOfEveryHostIsWithinTheBudget() throws {
        for (file, blueprint) in try Self.blueprints() {
            let rates = HealthCadence.steadyChecksPerSecond(blueprint)
            #expect(rates.count == blueprint.inventory.hosts.count)
            let busiest = try #require(rates.max { $0.value < $1.value })
            #expect(busiest.value <= HealthCadence.steadyBudgetPerHost, "\(file): \(busiest.key) runs \(busiest.value) checks/s")
            #expect(busiest.value > 0)
            let older = HealthCadence.steadyChecksPerSecond(blueprint, intervalCap: 5)
            #expect(abs((older[busiest.key] ?? 0) - busiest.value * 6) < 1e-9, "\(file)")
        }
    }
}
