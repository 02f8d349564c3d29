import Compose
import Foundation
import StackConvert
import SwarmModel
import Testing
import YAMLSource

/// Healthcheck fields as the docker CLI reads and converts them, and as each Engine keeps them.
@Suite("Healthcheck cadence: file, conversion, Engine")
struct HealthcheckCadenceTests {
    static func stack(version: String?, healthcheck: String) -> String {
        (version.map { "version: \"\($0)\"\n" } ?? "") + """
        services:
          app:
            image: nginx:1.27.3
            healthcheck:
        \(healthcheck)
            deploy:
              replicas: 1
        """
    }

    static func load(version: String?, _ healthcheck: String) throws -> ComposeFile {
        try ComposeLoader(file: "s.yml", environment: [:]).parse(stack(version: version, healthcheck: healthcheck))
    }

    static func converted(version: String?, _ healthcheck: String) throws -> HealthConfig? {
        let spec = try StackConverter.convert(try load(version: version, healthcheck), stack: "s", configData: [:])
        return spec.services.first?.TaskTemplate.ContainerSpec?.Healthcheck
    }

    @Test func startIntervalIsReadFrom312AndConvertedToNanoseconds() throws {
        let check = try Self.converted(version: "3.12", """
                  test: [CMD, curl, -f, http://localhost/]
                  interval: 30s
                  start_period: 1m
                  start_interval: 2s
            """)
        #expect(check == HealthConfig(Test: ["CMD", "curl", "-f", "http://localhost/"], Interval: 30_000_000_000,
                                      StartPeriod: 60_000_000_000, StartInterval: 2_000_000_000))
        // No version and "3" are the newest the CLI knows (3.13), as `docker stack config` reads them.
        #expect(try Self.converted(version: nil, "      test: [CMD, 'true']\n      start_interval: 1s")?.StartInterval == 1_000_000_000)
        #expect(try Self.converted(version: "3", "      test: [CMD, 'true']\n      start_interval: 1s")?.StartInterval == 1_000_000_000)
    }

    @Test func fieldsLeftOutAreLeftToTheEngineAsTheCLIDoes() throws {
        // The CLI sends only what the file says; the Engine applies its own defaults (30 s, 30 s, 3, 0).
        let check = try Self.converted(version: "3.8", "      test: [CMD, 'true']")
        #expect(check == HealthConfig(Test: ["CMD", "true"]))
        #expect(try Self.load(version: "3.8", "      test: [CMD, 'true']").services[0].healthcheck == Healthcheck(test: ["CMD", "true"]))
    }

    @Test func startIntervalBefore312AndUnknownVersionsAreRefusedAsTheCLIRefusesThem() throws {
        let early = try #require(throws: InputError.self) {
            try Self.load(version: "3.8", "      test: [CMD, 'true']\n      start_interval: 1s")
        }
        #expect(early.diagnostics.map(\.message) == ["app: healthcheck: start_interval needs compose file version 3.12 or later (this file says 3.8)"])
        #expect(early.diagnostics.first?.location.line == 7)
        for version in ["3.14", "3.13.0", "4", "3.x"] {
            let refused = try #require(throws: InputError.self) { try Self.load(version: version, "      test: [CMD, 'true']") }
            #expect(refused.diagnostics.first?.message == "compose file version \(version) is not supported", "\(version)")
        }
        #expect(throws: InputError.self) { try Self.load(version: "3.7", "      test: [CMD, 'true']") }
        #expect(try Self.load(version: "3.13", "      test: [CMD, 'true']").services.count == 1)
    }

    static let calm = HealthConfig(Test: ["CMD", "true"], Interval: 30_000_000_000, Timeout: 5_000_000_000, Retries: 3,
                                   StartPeriod: 30_000_000_000, StartInterval: 1_000_000_000)

    static func stack(_ checks: [HealthConfig?]) -> StackSpec {
        StackSpec(name: "s", networks: [], configs: [], secrets: [], services: checks.enumerated().map { number, check in
            ServiceSpec(Name: "s_app\(number)", TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: "nginx", Healthcheck: check)))
        })
    }

    @Test func anEngineWithStartIntervalKeepsTheSpecAsItIs() {
        let spec = Self.stack([Self.calm, nil, HealthConfig(Test: ["NONE"])])
        for api in [APIVersion(1, 44), APIVersion(1, 45), APIVersion(1, 47)] {
            #expect(EngineAdaptation.adapt(spec, to: api).services == spec.services, "\(api)")
        }
    }

    @Test func anOlderEngineChecksAtTheShorterOfIntervalAndFiveSecondsWithoutStartInterval() {
        var quick = Self.calm
        quick.Interval = 3_000_000_000
        var slowStart = Self.calm
        slowStart.StartInterval = 10_000_000_000
        var engineDefault = Self.calm
        engineDefault.Interval = nil
        var plain = Self.calm
        plain.StartInterval = nil
        let spec = Self.stack([Self.calm, quick, slowStart, engineDefault, plain, nil])
        let adapted = EngineAdaptation.adapt(spec, to: APIVersion(1, 41)).services.map { $0.TaskTemplate.ContainerSpec?.Healthcheck }
        #expect(adapted.allSatisfy { $0?.StartInterval == nil })
        #expect(adapted.map { $0?.Interval } == [5_000_000_000, 3_000_000_000, 10_000_000_000, 5_000_000_000, 30_000_000_000, nil])
        #expect(adapted[0]?.StartPeriod == Self.calm.StartPeriod && adapted[0]?.Retries == 3 && adapted[0]?.Timeout == Self.calm.Timeout)
        // Adapting again changes nothing: the planner may see an adapted stage twice.
        let twice = EngineAdaptation.adapt(EngineAdaptation.adapt(spec, to: APIVersion(1, 43)), to: APIVersion(1, 43))
        #expect(twice.services.map { $0.TaskTemplate.ContainerSpec?.Healthcheck } == adapted)
    }
}
