import Foundation
import Rollout
import SwarmModel
import TestSupport

/// An etcd cluster in memory with the rules a replacement relies on (etcd 3.4, checked by hand
/// against Debian's etcd and in the lab's real etcd): members by ID with name and peer URL; a
/// member added is `unstarted` with no name until it runs; `--strict-reconfig-check` (on by
/// default) refuses an add or remove that would leave fewer started members than the new
/// quorum; a peer URL is one member's only. A member added starts once its service on `swarm`
/// runs a task started with `--initial-cluster-state=existing`. A learner (`member add
/// --learner`) does not vote: it counts in no quorum, `endpoint health` does not pass on it,
/// and `member promote` is refused until it has started (caught up).
actor FakeEtcd: EtcdControl {
    private(set) var list: [EtcdMember]
    /// Members whose endpoint does not answer (their host is down).
    private(set) var down: Set<String> = []
    /// The commands that changed the membership, in order.
    private(set) var commands: [String] = []
    let swarm: FakeSwarm
    private var nextID = 0x1e9e05c52164694d

    init(members names: [String], swarm: FakeSwarm) {
        self.swarm = swarm
        var id = 0x1e9e05c52164694d
        list = names.map { name in
            id += 0x1111
            return EtcdMember(id: String(id, radix: 16), name: name, peerURLs: ["http://\(name):2380"], started: true)
        }
        nextID = id
    }

    /// Membership changes etcd refuses next as "unhealthy cluster" (a member connected less than 5 s ago).
    private var settling = 0
    func refuseWhileSettling(_ times: Int) { settling = times }

    private func settled(_ command: String) throws {
        guard settling > 0 else { return }
        settling -= 1
        throw EtcdCommandError(command: command, output: "Error: etcdserver: unhealthy cluster")
    }

    func setDown(_ name: String, _ isDown: Bool = true) {
        if isDown { down.insert(name) } else { down.remove(name) }
    }

    /// The state a deploy cut short after `member remove` and `member add` leaves behind.
    func replaceWithUnstarted(_ name: String) {
        list.removeAll { $0.name == name }
        nextID += 0x2222
        list.append(EtcdMember(id: String(nextID, radix: 16), name: "", peerURLs: ["http://\(name):2380"], started: false))
    }

    private func isUp(_ member: EtcdMember) -> Bool { member.started && !down.contains(member.name) }
    private var voters: [EtcdMember] { list.filter { !$0.isLearner } }

    private func startJoined() async {
        let services = await swarm.serviceList, tasks = await swarm.taskList
        for i in list.indices where !list[i].started {
            guard let peer = list[i].peerURLs.first,
                  let service = services.first(where: { ($0.Spec.TaskTemplate.ContainerSpec?.Args ?? []).contains("--initial-advertise-peer-urls=\(peer)") }),
                  EtcdReplacement.clusterState(service.Spec) == "existing",
                  let name = EtcdReplacement.argument("--name=", in: service.Spec),
                  tasks.contains(where: { $0.ServiceID == service.ID && $0.DesiredState == .running && $0.Status.State == .running
                      && EtcdReplacement.clusterStateOfTask($0) == "existing" }) else { continue }
            list[i].name = name
            list[i].started = true
            down.remove(name)
        }
    }

    private func answering(_ endpoints: [String]) -> Bool {
        endpoints.contains { url in list.contains { isUp($0) && url == "http://\($0.name):2379" } }
    }

    func members(endpoints: [String]) async throws -> [EtcdMember] {
        await startJoined()
        guard answering(endpoints) else { throw EtcdCommandError(command: "member list", output: "context deadline exceeded") }
        return list
    }

    /// Alarms raised (etcd keeps one per member and kind until disarmed).
    private(set) var raised: [EtcdAlarm] = []
    func raise(_ alarm: String, by name: String) {
        guard let member = list.first(where: { $0.name == name }) else { return }
        raised.append(EtcdAlarm(memberID: member.id, alarm: alarm))
    }

    func alarms(endpoints: [String]) async throws -> [EtcdAlarm] {
        // A raft request: without a quorum it times out.
        guard answering(endpoints), voters.filter(isUp).count >= EtcdReplacement.quorum(of: voters.count) else {
            throw EtcdCommandError(command: "alarm list", output: "context deadline exceeded")
        }
        return raised
    }

    func healthy(endpoints: [String]) async throws -> Set<String> {
        await startJoined()
        // Without a quorum no proposal commits: no endpoint is healthy.
        guard voters.filter(isUp).count >= EtcdReplacement.quorum(of: voters.count) else { return [] }
        return Set(endpoints.filter { url in voters.contains { isUp($0) && url == "http://\($0.name):2379" } })
    }

    func removeMember(id: String, endpoints: [String]) async throws {
        guard answering(endpoints) else { throw EtcdCommandError(command: "member remove", output: "context deadline exceeded") }
        guard let member = list.first(where: { $0.id == id }) else {
            throw EtcdCommandError(command: "member remove \(id)", output: "etcdserver: member not found")
        }
        try settled("member remove \(id)")
        let remaining = voters.filter { $0.id != id }
        guard remaining.filter(isUp).count >= EtcdReplacement.quorum(of: remaining.count) else {
            throw EtcdCommandError(command: "member remove \(id)", output: "etcdserver: re-configuration failed due to not enough started members")
        }
        list.removeAll { $0.id == id }
        commands.append("member remove \(member.name)")
    }

    func addMember(name: String, peerURL: String, asLearner: Bool, endpoints: [String]) async throws {
        guard answering(endpoints) else { throw EtcdCommandError(command: "member add", output: "context deadline exceeded") }
        guard !list.contains(where: { $0.peerURLs.contains(peerURL) }) else {
            throw EtcdCommandError(command: "member add \(name)", output: "etcdserver: Peer URLs already exists")
        }
        try settled("member add \(name)")
        guard asLearner || voters.filter(isUp).count >= EtcdReplacement.quorum(of: voters.count + 1) else {
            throw EtcdCommandError(command: "member add \(name)", output: "etcdserver: re-configuration failed due to not enough started members")
        }
        nextID += 0x2222
        list.append(EtcdMember(id: String(nextID, radix: 16), name: "", peerURLs: [peerURL], started: false, isLearner: asLearner))
        commands.append("member add \(name) \(peerURL)" + (asLearner ? " --learner" : ""))
    }

    func promoteMember(id: String, endpoints: [String]) async throws {
        await startJoined()
        guard answering(endpoints) else { throw EtcdCommandError(command: "member promote", output: "context deadline exceeded") }
        guard let index = list.firstIndex(where: { $0.id == id }), list[index].isLearner else {
            throw EtcdCommandError(command: "member promote \(id)", output: "etcdserver: can only promote a learner member")
        }
        guard list[index].started else {
            throw EtcdCommandError(command: "member promote \(id)", output: "etcdserver: can only promote a learner member which is in sync with leader")
        }
        list[index].isLearner = false
        commands.append("member promote \(list[index].name)")
    }
}

extension EtcdReplacement {
    static func clusterStateOfTask(_ task: SwarmTask) -> String? {
        (task.Spec?.ContainerSpec?.Args ?? []).first { $0.hasPrefix(clusterStateFlag) }.map { String($0.dropFirst(clusterStateFlag.count)) }
    }
}
