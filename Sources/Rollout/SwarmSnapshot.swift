import Blueprint
import StackConvert
import SwarmModel

/// What the swarm holds that a stage's plan depends on, read in one go. Plans are pure
/// functions of a snapshot, so the same snapshot always gives the same plan.
public struct SwarmSnapshot: Sendable {
    public var networks: [SwarmNetwork]
    public var secrets: [SwarmFileObject]
    public var configs: [SwarmFileObject]
    /// The services of the stacks read, with their stack's namespace label.
    public var services: [SwarmService]
    /// The swarm's nodes: where an update can place its tasks.
    public var nodes: [SwarmNode]
    /// Job services (by name) that have a completed task: their work is done.
    public var completedJobs: Set<String>
    /// The API version the Engine was read (and will be written) at: what it keeps of a spec.
    public var apiVersion: APIVersion
    /// The tasks of the etcd member services: where each member's data is (`EtcdReplacement`).
    public var memberTasks: [SwarmTask]
    /// etcd members that fail to start because their data is lost where they run, with etcd's
    /// words (service name → line; `EtcdReplacement.dataLost`), read from their logs.
    public var etcdDataLost: [String: String] = [:]

    public init(networks: [SwarmNetwork] = [], secrets: [SwarmFileObject] = [], configs: [SwarmFileObject] = [],
                services: [SwarmService] = [], nodes: [SwarmNode] = [], completedJobs: Set<String> = [],
                apiVersion: APIVersion = .newestSpoken, memberTasks: [SwarmTask] = []) {
        self.apiVersion = apiVersion
        self.memberTasks = memberTasks
        self.networks = networks
        self.secrets = secrets
        self.configs = configs
        self.services = services
        self.nodes = nodes
        self.completedJobs = completedJobs
    }

    /// Networks, secrets and configs of the whole swarm (stacks share the overlay network),
    /// services of the given stacks.
    public static func read(_ swarm: any SwarmAPI, stacks: [String]) async throws -> SwarmSnapshot {
        var services: [SwarmService] = []
        for stack in stacks { services += try await swarm.services(filters: .stack(stack)) }
        var completedJobs: Set<String> = []
        for job in services where SpecDiff.modeKind(job.Spec).hasSuffix("-job") {
            if try await swarm.tasks(filters: .service(job.ID)).contains(where: { $0.Status.State == .complete }) {
                completedJobs.insert(job.Spec.Name)
            }
        }
        var memberTasks: [SwarmTask] = []
        var dataLost: [String: String] = [:]
        for member in services where member.Spec.Labels?[Component.label] == Component.etcd.rawValue {
            let tasks = try await swarm.tasks(filters: .service(member.ID))
            memberTasks += tasks
            if EtcdReplacement.isFailingToStart(member, tasks: tasks), let said = try await etcdDataLost(member, tasks: tasks, swarm: swarm) {
                dataLost[member.Spec.Name] = said
            }
        }
        var snapshot = SwarmSnapshot(networks: try await swarm.networks(), secrets: try await swarm.secrets(),
                                     configs: try await swarm.configs(), services: services, nodes: try await swarm.nodes(),
                                     completedJobs: completedJobs, apiVersion: swarm.apiVersion, memberTasks: memberTasks)
        snapshot.etcdDataLost = dataLost
        return snapshot
    }

    /// What a failing etcd member's recent logs say about its data (a read: the service's logs),
    /// counting only lines written since it runs its current spec (`EtcdReplacement.runsItsSpecSince`):
    /// what a member said before deploy replaced it is not why it fails now (CI, 2026-12-03: the
    /// "has already been bootstrapped" of etcd2 started `new` on the host it was handed to, before
    /// deploy replaced it there, was named when that member, now `existing`, had its disk wiped).
    static func etcdDataLost(_ member: SwarmService, tasks: [SwarmTask], swarm: any SwarmAPI) async throws -> String? {
        var lines: [String] = []
        let since = EtcdReplacement.runsItsSpecSince(member, tasks: tasks)
        for try await line in try await swarm.serviceLogs(member.ID, tail: 100, since: since, follow: false) { lines.append(line.text) }
        return EtcdReplacement.dataLost(in: lines)
    }

    public func services(of stack: String) -> [SwarmService] {
        services.filter { $0.Spec.Labels?[StackLabels.namespace] == stack }
    }

    /// IDs by name; the first of two objects with one name wins, as the Engine resolves names.
    var networkIDs: [String: String] { Dictionary(networks.map { ($0.Name, $0.Id) }, uniquingKeysWith: { first, _ in first }) }
    var secretIDs: [String: String] { Dictionary(secrets.map { ($0.Spec.Name, $0.ID) }, uniquingKeysWith: { first, _ in first }) }
    var configIDs: [String: String] { Dictionary(configs.map { ($0.Spec.Name, $0.ID) }, uniquingKeysWith: { first, _ in first }) }

    /// The snapshot as it will be once `plan` has run: what it creates exists (without an ID
    /// yet), what it removes is gone. Planning several stages at once plans each against the
    /// swarm the earlier ones leave.
    public func applying(_ plan: StagePlan) -> SwarmSnapshot {
        var next = self
        for action in plan.actions {
            switch action {
            case .createNetwork(let network):
                next.networks.append(SwarmNetwork(Id: "", Name: network.name, Labels: network.labels,
                                                  Options: network.encrypted ? ["encrypted": ""] : nil))
            case .createSecret(let name, let labels):
                next.secrets.append(SwarmFileObject(ID: "", Spec: .init(Name: name, Labels: labels)))
            case .rotateSecret(let choice, let labels):
                next.secrets.append(SwarmFileObject(ID: "", Spec: .init(Name: choice.name, Labels: labels)))
            case .removeSecret(let id, _):
                next.secrets.removeAll { $0.ID == id }
            case .createConfig(let config):
                next.configs.append(SwarmFileObject(ID: "", Spec: .init(Name: config.name, Labels: config.labels)))
            case .removeConfig(let id, let name):
                // A config made earlier in the plan has no ID yet: it goes by its name.
                next.configs.removeAll { id.isEmpty ? $0.Spec.Name == name : $0.ID == id }
            case .removeService(let id, _), .removeEtcdMember(let id, _, _, _), .decommissionBookie(let id, _, _):
                next.services.removeAll { $0.ID == id }
            case .createService(let spec), .recreateService(_, let spec, _), .updateService(_, let spec, _),
                 .replaceEtcdMember(_, let spec, _), .addEtcdMember(let spec):
                next.completedJobs.remove(spec.Name)
                next.services.removeAll { $0.Spec.Name == spec.Name }
                next.services.append(SwarmService(ID: "", Version: ObjectVersion(Index: 0), Spec: spec))
            case .leaveService, .waitForService, .waitForGate, .waitForZooKeeper, .stopForSessionExpiry, .deferService:
                break
            }
        }
        return next
    }
}
