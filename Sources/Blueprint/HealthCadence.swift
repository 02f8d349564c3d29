import Compose

/// How often the generated healthchecks run. A task is `starting` until its first check
/// passes, and a rolling step or a stage gate waits for that, so the first checks must come
/// quickly; once a task is healthy, a check is only a watch for a hang, and every check costs
/// a process spawned in the container (curl, wget or a shell script). So:
///
/// - while `start_period` lasts and the task has not passed yet, a check every
///   `startInterval` (compose `start_interval`, Engine API 1.44+, Docker 25: moby
///   `daemon/health.go` uses it until the first success or the period's end);
/// - afterwards, a check every `interval`; `retries` failures in a row make the task
///   unhealthy and Swarm replaces it (a hang is found within `interval * retries`, 90 s).
///
/// Engines before API 1.44 do not know `start_interval`; there deploy uses
/// `StackConvert.EngineAdaptation` (the shorter of `interval` and 5 s) rather than waiting
/// a calm interval for every start.
public enum HealthCadence {
    public static let startIntervalSeconds = 1
    public static let intervalSeconds = 30
    public static let timeoutSeconds = 5
    public static let retries = 3

    /// The most healthcheck processes per second a host may run in steady state, summed over
    /// every task that may be placed on it (`steadyChecksPerSecond`): one every 3 s. A check
    /// is a process spawned in the container (curl, wget, a shell script: a few milliseconds
    /// of CPU), so this stays well under 1% of a core. The reference plan's busiest host has 5
    /// checks per 30 s, the 7-host lab's (roles packed together) 8; with the 10 s interval the
    /// stacks had before, 15 and 24.
    public static let steadyBudgetPerHost = 1.0 / 3

    /// A healthcheck with the generated cadence.
    public static func check(_ test: [String], startPeriodSeconds: Int, timeoutSeconds: Int = timeoutSeconds) -> Healthcheck {
        Healthcheck(test: test, intervalSeconds: intervalSeconds, timeoutSeconds: timeoutSeconds, retries: retries,
                    startPeriodSeconds: startPeriodSeconds, startIntervalSeconds: startIntervalSeconds)
    }

    /// Healthcheck processes per second on each host once everything runs: every service
    /// that may be placed on the host counts there (a replicated service pinned to several
    /// hosts counts on each, the worst case), one check per `interval`.
    public static func steadyChecksPerSecond(_ blueprint: Blueprint, intervalCap: Int? = nil) -> [String: Double] {
        var rate: [String: Double] = [:]
        for host in blueprint.inventory.hosts { rate[host.name] = 0 }
        for planned in blueprint.services {
            guard let check = planned.service.healthcheck, !check.isDisabled else { continue }
            var interval = check.intervalSeconds ?? 30
            if let intervalCap { interval = min(interval, intervalCap) }
            for host in planned.eligibleHosts { rate[host.name, default: 0] += 1 / Double(max(interval, 1)) }
        }
        return rate
    }
}
