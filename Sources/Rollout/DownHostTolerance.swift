import Blueprint
import StackConvert
import SwarmModel

/// A host that is gone (dead, not yet replaced) must not block every later deploy: the
/// services it holds cannot run anywhere else, by their constraints, while their tiers keep
/// serving. A stage's gate passes with such services left as they are (deploy then ends
/// degraded, exit 1, naming them) when all of these hold:
/// - the host was already down when the stage began (a host lost during the deploy still
///   fails the stage: something is happening that the operator must see);
/// - the service cannot run only because of down hosts (every node its constraints allow is
///   down, or, for a global service, only the down nodes lack its task);
/// - its tier serves without it: a quorum tier (etcd, ZooKeeper, MinIO) keeps a majority of
///   its members healthy (MinIO: of its server pool's), a redundant one (query, index and data nodes, brokers, bookies,
///   proxies, balancers) has another instance running, monitoring always; a Milvus
///   coordinator (one of each) or a job never.
public enum DownHostTolerance {
    /// Service name -> why it is left, for the unhealthy services of the verdict that are
    /// tolerated; the others are judged as usual.
    public static func tolerated(_ verdict: StageVerdict, stack: StackSpec, services: [SwarmService], tasks: [SwarmTask],
                                 nodes: [SwarmNode], downAtStart: Set<String>) -> [String: String] {
        let unhealthy = verdict.services.filter { !$0.isHealthy }
        guard !unhealthy.isEmpty, !downAtStart.isEmpty else { return [:] }
        let byName = Dictionary(services.map { ($0.Spec.Name, $0) }, uniquingKeysWith: { first, _ in first })
        func componentOf(_ name: String) -> Component? {
            stack.service(named: name)?.Labels?[Component.label].flatMap(Component.init(rawValue:))
        }
        var result: [String: String] = [:]
        for health in unhealthy {
            if case .failed = health.state { continue }
            guard let service = byName[health.name], let component = componentOf(health.name),
                  let hosts = downHostsHolding(service, tasks: tasks.filter { $0.ServiceID == service.ID }, nodes: nodes),
                  hosts.allSatisfy({ downAtStart.contains($0.ID) }) else { continue }
            let names = hosts.map(\.hostname).sorted().joined(separator: ", ")
            // A MinIO server's siblings are its pool's servers (an erasure set each, `MinioPoolGrowth.pool`).
            let pool = MinioPoolGrowth.pool(of: service.Spec)
            let siblings = verdict.services.filter { sibling in
                componentOf(sibling.name) == component && (pool == nil || byName[sibling.name].map { MinioPoolGrowth.pool(of: $0.Spec) } == pool)
            }
            let healthy = siblings.filter(\.isHealthy).count
            switch component.availability {
            case .quorum:
                let needed = Component.majority(of: siblings.count)
                guard healthy >= needed else { continue }
                result[health.name] = "its host \(names) was down before this deploy; \(component.rawValue)\(pool.map { " pool \($0)" } ?? "") keeps its quorum: "
                    + "\(healthy) of \(siblings.count) members healthy (\(needed) needed)"
            case .redundant:
                guard healthy > 0 || health.running > 0 else { continue }
                result[health.name] = "its host \(names) was down before this deploy; the other \(component.rawValue) instances serve"
            case .monitoring:
                result[health.name] = "its host \(names) was down before this deploy (monitoring only)"
            case .essential, .oneShot:
                continue
            }
        }
        return result
    }

    /// The down nodes that hold the service's missing tasks, when nothing else keeps it from
    /// running; nil when it could run (or is just starting) elsewhere, or never ran there (a
    /// service new in this deploy has never served: a tier it belongs to may need it to start,
    /// as MinIO's first format needs every server).
    static func downHostsHolding(_ service: SwarmService, tasks: [SwarmTask], nodes: [SwarmNode]) -> [SwarmNode]? {
        let constraints = service.Spec.TaskTemplate.constraints
        let allowed = nodes.filter { PlacementConstraint.allSatisfied(constraints, by: $0.facts) }
        let ranThere = Set(tasks.filter { $0.Status.State == .running || $0.Status.State.isTerminal }.compactMap(\.NodeID))
        let down = allowed.filter { $0.state != .ready && ranThere.contains($0.ID) }
        guard !down.isEmpty, !allowed.contains(where: { $0.state != .ready && !ranThere.contains($0.ID) }) || service.Spec.Mode?.Global != nil
        else { return nil }
        let ready = allowed.filter { $0.state == .ready }
        if service.Spec.Mode?.Global != nil {
            // Every ready node it may run on runs its current task: only the down ones lack one.
            let running = Set(tasks.filter { $0.DesiredState == .running && $0.Status.State == .running
                && SpecDiff.sameTaskSpec($0.Spec, service.Spec.TaskTemplate) }.compactMap(\.NodeID))
            return ready.allSatisfy { running.contains($0.ID) } ? down : nil
        }
        return ready.isEmpty ? down : nil
    }
}
