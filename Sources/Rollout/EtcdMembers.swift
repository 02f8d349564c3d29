import Blueprint
import StackConvert
import SwarmModel

/// A member as etcd lists it (`etcdctl member list`, simple format): a member added but not
/// started yet has no name.
public struct EtcdMember: Sendable, Equatable {
    /// Hexadecimal, as `member list` prints it and `member remove` takes it.
    public var id: String
    public var name: String
    public var peerURLs: [String]
    public var started: Bool
    /// A learner (`member add --learner`) receives the log but does not vote until promoted.
    public var isLearner: Bool

    public init(id: String, name: String, peerURLs: [String], started: Bool, isLearner: Bool = false) {
        self.id = id
        self.name = name
        self.peerURLs = peerURLs
        self.started = started
        self.isLearner = isLearner
    }

    /// Lines `ID, status, name, peer URLs, client URLs, is learner` (etcdctl 3.4 and 3.5); other lines are skipped.
    public static func parseList(_ output: String) -> [EtcdMember] {
        output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 5, ["started", "unstarted"].contains(fields[1]), !fields[0].isEmpty,
                  fields[0].allSatisfy(\.isHexDigit) else { return nil }
            return EtcdMember(id: fields[0], name: fields[2], peerURLs: fields[3].split(separator: " ").map(String.init),
                              started: fields[1] == "started", isLearner: fields.count > 5 && fields[5] == "true")
        }
    }

    /// The endpoints `etcdctl endpoint health` named healthy ("URL is healthy: ...").
    public static func healthyEndpoints(_ output: String) -> Set<String> {
        Set(output.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: " is healthy") else { return nil }
            return String(line[..<range.lowerBound]).trimmingCharacters(in: .whitespaces)
        })
    }
}

/// Replacing an etcd member whose data is on a host it can no longer run on (a dead host whose
/// `etcdN` label the inventory gave to a spare one), as etcd documents it ("Runtime
/// reconfiguration", replace a failed machine; `etcdctl member remove` / `member add`):
/// the others must hold a quorum; the dead member is removed, the new one added under the same
/// name and peer URL, and started with `--initial-cluster-state existing` and an empty data
/// directory, from which it receives the data from the leader. One member at a time.
///
/// `--initial-cluster-state` is read only when a member bootstraps: with a data directory,
/// etcd ignores it (etcd FAQ; etcd 3.4 logs "already initialized as member before"), so a
/// service that runs `existing` after a replacement is left so; the stack file's `new` stays
/// what a new cluster starts with.
public enum EtcdReplacement {
    public static let clusterStateFlag = "--initial-cluster-state="

    /// A member service whose data is on `from` while its labels now let it run only elsewhere.
    public struct Move: Sendable, Equatable {
        public var service: String
        /// The member's name (`--name`) and peer URL (`--initial-advertise-peer-urls`).
        public var member: String
        public var peerURL: String
        public var from: String
        public var fromState: String
        public var to: [String]
        /// What etcd said when the member's data was lost where it runs (its data directory empty
        /// while the cluster knows the member): the member is replaced on the same host.
        public var dataLost: String?

        public init(service: String, member: String, peerURL: String, from: String, fromState: String, to: [String],
                    dataLost: String? = nil) {
            self.service = service
            self.member = member
            self.peerURL = peerURL
            self.from = from
            self.fromState = fromState
            self.to = to
            self.dataLost = dataLost
        }
    }

    /// etcd's words for a member that starts with an empty data directory (a disk replaced or
    /// wiped) under an identity the cluster already has, each with where etcd's own words begin
    /// on its log line. Both checked against Debian's etcd 3.4.23, a member of three whose data
    /// directory was removed and which was restarted with its stack's flags:
    /// - started with `--initial-cluster-state new` (as first deployed), etcdmain exits with
    ///   "member <ID> has already been bootstrapped";
    /// - started with `existing` (a member added or replaced by swarmstage), raft panics when the
    ///   leader's first heartbeat arrives: "tocommit(9) is out of range [lastIndex(0)]. Was the
    ///   raft log corrupted, truncated, or lost?" (etcd's raft/log.go, `commitTo`).
    /// Started again and again by Swarm, it never rejoins; etcd's remedy is the replacement of a
    /// failed member (remove it, add it again, start it with `existing` and an empty directory;
    /// etcd's runtime-configuration guide, "Replace a failed machine").
    public static let dataLostMarkers: [(marker: String, from: String)] = [
        ("has already been bootstrapped", "member "),
        ("Was the raft log corrupted, truncated, or lost?", "tocommit("),
    ]

    /// The line of `logs` in which etcd says the member's data is lost, from where etcd's words
    /// begin (without timestamp or logger).
    public static func dataLost(in logs: [String]) -> String? {
        for line in logs.reversed() {
            guard let said = dataLostMarkers.first(where: { line.contains($0.marker) }) else { continue }
            if let start = line.range(of: said.from) { return String(line[start.lowerBound...]).trimmingCharacters(in: .whitespaces) }
            return line.trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// Whether a member service's tasks show it failing to start (none that Swarm wants running
    /// runs, and one failed): only then are its logs read for `dataLostMarkers`. A task on a host
    /// that is down stays listed as running (nobody reports it stopped) with its desired state
    /// shut down once Swarm moved the member: it is not a running member.
    public static func isFailingToStart(_ service: SwarmService, tasks: [SwarmTask]) -> Bool {
        let own = tasks.filter { $0.ServiceID == service.ID }
        return !own.contains { $0.DesiredState == .running && $0.Status.State == .running } && own.contains { $0.Status.State == .failed }
    }

    /// Since when `service` runs its current spec: the creation of the oldest of its tasks that
    /// carries it (the Engine copies the service's task template into each task it creates). Its
    /// log lines from before are an earlier spec's. Not the service's `UpdatedAt`: Swarm also moves
    /// that when an update finishes or pauses, after the new task may already have said why it
    /// fails. nil (every line) when no task carries the spec. Log lines are stamped by the clock of
    /// the host that ran the task, so hosts' clocks are assumed to agree within the seconds etcd
    /// takes to start. Specs compare as `StageHealth` compares them (`SpecDiff.sameTaskSpec`: an
    /// empty field and an absent one alike, as the Engine may answer either).
    public static func runsItsSpecSince(_ service: SwarmService, tasks: [SwarmTask]) -> EngineTime? {
        tasks.filter { $0.ServiceID == service.ID && SpecDiff.sameTaskSpec($0.Spec, service.Spec.TaskTemplate) }.compactMap(\.CreatedAt).min()
    }

    /// The members whose data etcd says is lost (`dataLost`: service name → etcd's line) on a host
    /// that is ready and where they may still run: replaced there.
    public static func dataLostMoves(services: [SwarmService], tasks: [SwarmTask], nodes: [SwarmNode],
                                     dataLost: [String: String]) -> [Move] {
        services.sorted { $0.Spec.Name < $1.Spec.Name }.compactMap { service in
            guard service.Spec.Labels?[Component.label] == Component.etcd.rawValue, let said = dataLost[service.Spec.Name],
                  let member = argument("--name=", in: service.Spec),
                  let peerURL = argument("--initial-advertise-peer-urls=", in: service.Spec) else { return nil }
            let zero = EngineTime(nanoseconds: 0)
            let newest = tasks.filter { $0.ServiceID == service.ID && $0.NodeID != nil }.max { ($0.CreatedAt ?? zero) < ($1.CreatedAt ?? zero) }
            guard let home = nodes.first(where: { $0.ID == newest?.NodeID }), home.state == .ready,
                  PlacementConstraint.allSatisfied(service.Spec.TaskTemplate.constraints, by: home.facts) else { return nil }
            return Move(service: service.Spec.Name, member: member, peerURL: peerURL, from: home.hostname, fromState: home.state.rawValue,
                        to: [home.hostname], dataLost: said)
        }
    }

    public static func argument(_ flag: String, in spec: ServiceSpec) -> String? {
        (spec.TaskTemplate.ContainerSpec?.Args ?? []).first { $0.hasPrefix(flag) }.map { String($0.dropFirst(flag.count)) }
    }

    public static let dataDirFlag = "--data-dir="

    public static func clusterState(_ spec: ServiceSpec) -> String? { argument(clusterStateFlag, in: spec) }

    /// The spec with `<flag><value>` for the argument that has the flag (when it has it at all).
    public static func with(_ flag: String, _ value: String, in spec: ServiceSpec) -> ServiceSpec {
        var spec = spec
        let args = spec.TaskTemplate.ContainerSpec?.Args?.map { $0.hasPrefix(flag) ? flag + value : $0 }
        spec.TaskTemplate.ContainerSpec?.Args = args
        return spec
    }

    /// A member added by a replacement runs in a data directory of its own, named after its
    /// member ID: whatever an earlier start left in the stack's data directory on that host
    /// (Swarm starts the member there as soon as its label moves, and etcd may bootstrap a WAL
    /// under the old member's identity before it learns that identity is taken; seen in the lab)
    /// is not mistaken for its state ("the member has been permanently removed from the cluster").
    public static func replacedDataDir(_ spec: ServiceSpec, memberID: String) -> String {
        let base = argument(dataDirFlag, in: spec) ?? "/var/etcd/data"
        let parent = base.split(separator: "/").dropLast().joined(separator: "/")
        return "/\(parent)/member-\(memberID)"
    }

    /// What a running member keeps of its spec: the `--initial-cluster` it started with (read
    /// only at bootstrap: a member added later does not restart the others), and, for a member
    /// that joined a running cluster (replaced or added), `existing` and its data directory.
    public static func keepingMemberIdentity(_ desired: ServiceSpec, current: ServiceSpec) -> ServiceSpec {
        var kept = desired
        if let cluster = argument(EtcdGrowth.initialClusterFlag, in: current) { kept = with(EtcdGrowth.initialClusterFlag, cluster, in: kept) }
        guard clusterState(current) == "existing" else { return kept }
        kept = with(clusterStateFlag, "existing", in: kept)
        if let dataDir = argument(dataDirFlag, in: current) { kept = with(dataDirFlag, dataDir, in: kept) }
        return kept
    }

    /// Which member services have moved: for each etcd member that runs, where its data is (the
    /// node of its oldest task of the current spec that was placed and started) against where
    /// its constraints let it run now. A member whose home is down or no longer eligible while
    /// another ready node is eligible has moved; one whose only eligible node is down has not
    /// (that host may come back with its data).
    public static func moves(services: [SwarmService], tasks: [SwarmTask], nodes: [SwarmNode]) -> [Move] {
        var moves: [Move] = []
        for service in services.sorted(by: { $0.Spec.Name < $1.Spec.Name })
        where service.Spec.Labels?[Component.label] == Component.etcd.rawValue {
            guard let member = argument("--name=", in: service.Spec),
                  let peerURL = argument("--initial-advertise-peer-urls=", in: service.Spec) else { continue }
            let started: Set<TaskState> = [.running, .complete, .failed, .shutdown, .orphaned]
            let placed = tasks.filter {
                $0.ServiceID == service.ID && $0.NodeID != nil && started.contains($0.Status.State)
                    && SpecDiff.sameTaskSpec($0.Spec, service.Spec.TaskTemplate)
            }
            let zero = EngineTime(nanoseconds: 0)
            guard let first = placed.min(by: { ($0.CreatedAt ?? zero) < ($1.CreatedAt ?? zero) }),
                  let home = nodes.first(where: { $0.ID == first.NodeID }) else { continue }
            let constraints = service.Spec.TaskTemplate.constraints
            let eligible = nodes.filter { $0.state == .ready && PlacementConstraint.allSatisfied(constraints, by: $0.facts) }
            guard !eligible.contains(where: { $0.ID == home.ID }), !eligible.isEmpty else { continue }
            moves.append(Move(service: service.Spec.Name, member: member, peerURL: peerURL, from: home.hostname,
                              fromState: home.state.rawValue, to: eligible.map(\.hostname).sorted()))
        }
        return moves
    }

    /// The members a quorum needs: a majority of all members, counted by etcd.
    public static func quorum(of members: Int) -> Int { Component.majority(of: members) }
}

/// Adding a member to a running etcd cluster, as etcd documents it (etcd docs, "Runtime
/// reconfiguration", add a new member; "Learner", etcd 3.4+): with every member healthy,
/// `etcdctl member add NAME --peer-urls URL --learner`, start the member with
/// `--initial-cluster-state existing` and an `--initial-cluster` of the members etcd lists and
/// itself, `member promote` it once its log has caught up (etcd refuses before), and wait until
/// every member is healthy. A learner does not vote, so the quorum never counts a member that
/// has not started: at no step can one more failure cost the cluster its quorum that would not
/// have before. One member at a time.
public enum EtcdGrowth {
    public static let initialClusterFlag = "--initial-cluster="

    /// The `--initial-cluster` of a member joining now: every member etcd lists under a name (a
    /// member added but not started has none yet), then the new one.
    public static func initialCluster(_ members: [EtcdMember], adding name: String, peerURL: String) -> String {
        let others = members.filter { !$0.name.isEmpty && $0.name != name && !$0.peerURLs.contains(peerURL) }
            .flatMap { member in member.peerURLs.map { "\(member.name)=\($0)" } }
        return (others + ["\(name)=\(peerURL)"]).joined(separator: ",")
    }

    /// The spec a member added now starts with.
    public static func joining(_ spec: ServiceSpec, members: [EtcdMember], name: String, peerURL: String) -> ServiceSpec {
        let existing = EtcdReplacement.with(EtcdReplacement.clusterStateFlag, "existing", in: spec)
        return EtcdReplacement.with(initialClusterFlag, initialCluster(members, adding: name, peerURL: peerURL), in: existing)
    }
}
