/// Whether Swarm can ever finish updating a service. With `order: start-first` the new task
/// starts before the old one stops, so both must fit at once (moby#36934, docker/cli#6604):
/// - a host-mode published port is still bound by the old task on its node;
/// - a writable bind mount would be shared by two tasks writing one data directory;
/// - with `max_replicas_per_node`, the new task needs a free slot on a node its constraints
///   allow: replicas below max-per-node times the eligible nodes.
/// Otherwise the new task stays Pending ("max replicas per node limit exceed") and the update
/// never completes. `stop-first` always progresses: one task down at a time.
public enum UpdateProgress {
    /// Why an update of `service` could never finish, or nil.
    /// - Parameter eligibleNodes: how many nodes may run it; nil when not known (a stack file alone).
    public static func blocker(_ service: Service, eligibleNodes: Int?) -> String? {
        guard service.deploy.updateConfig?.order == .startFirst || service.deploy.rollbackConfig?.order == .startFirst else { return nil }
        let which = service.deploy.updateConfig?.order == .startFirst ? "update_config" : "rollback_config"
        if let port = service.ports.first(where: { $0.mode == .host }) {
            return "\(which) order start-first cannot progress: the host-mode port \(port.published) is still held by the old task on its node; use stop-first"
        }
        if let mount = service.volumes.first(where: { !$0.readOnly }) {
            return "\(which) order start-first would run two tasks on one data directory (\(mount.source)); use stop-first"
        }
        if service.deploy.mode == .replicated, let perNode = service.deploy.maxReplicasPerNode, perNode > 0, let nodes = eligibleNodes {
            let replicas = service.deploy.replicas ?? 1
            if replicas >= perNode * nodes {
                return "\(which) order start-first cannot progress: \(replicas) replicas, at most \(perNode) per node on the \(nodes) node\(nodes == 1 ? "" : "s") its constraints allow, leave no free slot for the new task; use stop-first"
            }
        }
        return nil
    }
}
