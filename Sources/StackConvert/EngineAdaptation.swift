import SwarmModel

/// What a converted stack becomes for the Engine it is deployed to. The docker CLI sends
/// the same spec to every Engine and each keeps what it knows; swarmstage must predict what
/// is kept (or a redeploy of an unchanged file would see a difference every time) and, where
/// a field is lost, keep what the field was for.
///
/// `HealthConfig.StartInterval` (API 1.44, Docker 25): Engine 20.10 does not know it, and
/// newer Engines zero it for clients below 1.44 (moby `api/server/router/swarm`,
/// `adjustForAPIVersion`). Without it an Engine checks at `Interval` from the start, so a calm
/// interval (the generated 30 s) would hold every new task `starting` for up to 30 s. On those
/// Engines the check runs every `min(Interval, olderEngineInterval)` instead: readiness seen
/// within 5 s, for six times the steady checks of the calm interval (README, "Health cadence").
public enum EngineAdaptation {
    /// The first API version whose Engines keep `StartInterval`.
    public static let startIntervalAPI = APIVersion(1, 44)
    /// The interval used for a check that asks for `start_interval` on an older Engine.
    public static let olderEngineIntervalSeconds = 5

    public static func adapt(_ spec: StackSpec, to api: APIVersion) -> StackSpec {
        guard api < startIntervalAPI else { return spec }
        var spec = spec
        spec.services = spec.services.map { service in
            var service = service
            guard var check = service.TaskTemplate.ContainerSpec?.Healthcheck, let start = check.StartInterval else { return service }
            check.StartInterval = nil
            let cap = Int64(olderEngineIntervalSeconds) * 1_000_000_000
            // An unset interval is the Engine's 30 s default.
            check.Interval = max(start, min(check.Interval ?? 30_000_000_000, cap))
            service.TaskTemplate.ContainerSpec?.Healthcheck = check
            return service
        }
        return spec
    }
}
