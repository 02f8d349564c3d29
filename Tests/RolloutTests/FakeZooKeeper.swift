import Foundation
import Rollout
import SwarmModel
import TestSupport

/// ZooKeeper's servers as the services of a fake swarm make them, with the rules a growth relies
/// on (as the lab's stand-in models them): each server reads its list from the zookeeper.conf
/// config its service mounts; it serves only while it and the servers that name it in their own
/// lists make a majority of its list (a leader counts only the servers of its list); the lowest
/// number serving leads. `conf` gives its list.
actor FakeZooKeeper: ZooKeeperStatus {
    let swarm: FakeSwarm
    /// Lists of this many servers never get a quorum (a server that does not start): a round stops there.
    let failingSize: Int?
    /// Every answer, in order: the hosts asked and, per host, its mode (or "-") and list.
    private(set) var asked: [[String]] = []

    init(swarm: FakeSwarm, failingSize: Int? = nil) {
        self.swarm = swarm
        self.failingSize = failingSize
    }

    func states(of hosts: [String], from member: SwarmService) async throws -> [ZooKeeperServerState] {
        let services = try await swarm.services().filter { $0.Spec.Labels?["io.swarmstage.component"] == "zookeeper" }
        let configs = try await swarm.configs()
        var lists: [String: [String]] = [:]
        for service in services {
            let host = service.Spec.TaskTemplate.ContainerSpec?.Hostname ?? String(service.Spec.Name.split(separator: "_").last ?? "")
            guard let name = ZooKeeperGrowth.configName(service.Spec),
                  let stored = configs.first(where: { $0.Spec.Name == name })?.Spec.Data,
                  let data = Data(base64Encoded: stored) else { continue }
            lists[host] = ZooKeeperGrowth.servers(in: String(decoding: data, as: UTF8.self)).map(\.host)
        }
        func serves(_ host: String) -> Bool {
            guard let list = lists[host], list.count != failingSize else { return false }
            let counted = list.filter { $0 == host || lists[$0]?.contains(host) == true }
            return counted.count > list.count / 2
        }
        let serving = hosts.filter(serves)
        let states = hosts.map { host -> ZooKeeperServerState in
            guard serving.contains(host) else {
                return ZooKeeperServerState(host: host, mode: nil, problem: "This ZooKeeper instance is not currently serving requests",
                                            members: lists[host])
            }
            return ZooKeeperServerState(host: host, mode: host == serving.first ? "leader" : "follower", members: lists[host])
        }
        asked.append(states.map { "\($0.host) \($0.mode ?? "-") \($0.members?.joined(separator: ",") ?? "")" })
        return states
    }
}
