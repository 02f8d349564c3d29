import Blueprint
import Foundation
import SwarmModel

/// A ZooKeeper server handed from a host that is down to another one. The ensemble's server
/// list names services (`server.2=zk2:2888:3888`), so the replacement keeps the name and its
/// `myid` (written by the service's command at every start): only its data directory is new.
/// ZooKeeper's procedure for a server whose data is lost is to start it again empty while the
/// rest of the ensemble holds a quorum: it joins as a follower and the leader sends it the
/// whole tree (a SNAP) before it serves (ZooKeeper Administrator's Guide, "Ongoing Data
/// Directory Cleanup" and the "Replicated ZooKeeper" setup; Pulsar's `bin/pulsar zookeeper`
/// sets `zookeeper.snapshot.trust.empty=true`, so an empty directory is started, not refused).
/// Safe only while a majority of the ensemble *other than it* serves: an empty server counted
/// in a quorum of servers that miss the latest commits would lose them. So, before any label
/// is written, the other servers are asked (`srvr`) and a majority must serve with a leader;
/// after, `ZooKeeperSyncWait` waits until the moved server serves too (ZooKeeper answers `srvr`
/// with "This ZooKeeper instance is not currently serving requests" until it has synced).
public struct ZooKeeperHandOver: Sendable, Equatable, CustomStringConvertible {
    public var service: String
    /// Its host name on the overlay network (the ensemble's server list names it).
    public var host: String
    public var from: String
    public var to: String
    public var toNodeID: String
    /// The other servers of the ensemble, as services.
    public var others: [String]

    public init(service: String, host: String, from: String, to: String, toNodeID: String, others: [String]) {
        self.service = service
        self.host = host
        self.from = from
        self.to = to
        self.toNodeID = toNodeID
        self.others = others
    }

    public var description: String {
        "\(service) (zookeeper) moves from \(from) (down) to \(to): it starts there with an empty data directory and "
            + "syncs the tree from the leader of the other servers"
    }

    /// Servers that must serve for the hand-over: a majority of the whole ensemble, from the others.
    public var needed: Int { Component.majority(of: others.count + 1) }
}

/// What one ZooKeeper server said to `srvr` (ZooKeeper's four-letter words; Pulsar's
/// `bin/pulsar` allows them all, `-Dzookeeper.4lw.commands.whitelist=*`).
public struct ZooKeeperServerState: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    /// `leader`, `follower`, `observer` or `standalone`; nil when it does not serve (or did not answer).
    public var mode: String?
    public var nodeCount: Int?
    /// Why it does not serve, as it said (or that it did not answer).
    public var problem: String?
    /// The servers its configuration lists (`conf`'s server lines, by number); nil when it did not say.
    public var members: [String]?

    public init(host: String, mode: String?, nodeCount: Int? = nil, problem: String? = nil, members: [String]? = nil) {
        self.host = host
        self.mode = mode
        self.nodeCount = nodeCount
        self.problem = problem
        self.members = members
    }

    public var serves: Bool { mode != nil }

    public var description: String {
        if let mode { return "\(host): \(mode)" + (nodeCount.map { ", \($0) znodes" } ?? "") }
        return "\(host): \(problem ?? "does not serve")"
    }

    /// Reads the output of `ZooKeeperStatusJob.script`: a `== host` line before each server's answer.
    public static func reading(_ output: String, hosts: [String]) -> [ZooKeeperServerState] {
        var answers: [String: [String]] = [:]
        var current: String?
        for raw in output.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("== ") {
                current = String(line.dropFirst(3))
                answers[current ?? "", default: []] = []
            } else if let host = current, !line.isEmpty {
                answers[host, default: []].append(line)
            }
        }
        return hosts.map { host in
            guard let lines = answers[host], !lines.isEmpty else {
                return ZooKeeperServerState(host: host, mode: nil, problem: "no answer")
            }
            func value(_ key: String) -> String? {
                lines.first { $0.hasPrefix(key + ":") }.map { String($0.dropFirst(key.count + 1)).trimmingCharacters(in: .whitespaces) }
            }
            let listed = ZooKeeperGrowth.servers(in: lines.joined(separator: "\n")).map(\.host)
            let members = listed.isEmpty ? nil : listed
            guard let mode = value("Mode") else {
                return ZooKeeperServerState(host: host, mode: nil, problem: lines.first, members: members)
            }
            return ZooKeeperServerState(host: host, mode: mode, nodeCount: value("Node count").flatMap { Int($0) }, members: members)
        }
    }
}

/// How the servers' state is read.
public protocol ZooKeeperStatus: Sendable {
    /// `srvr` of each of `hosts`, asked from where `member` (a running server of the ensemble) runs.
    func states(of hosts: [String], from member: SwarmService) async throws -> [ZooKeeperServerState]
}

/// A hand-over ZooKeeper refuses, or that could not be checked.
public typealias ZooKeeperHandOverError = HandOverError

/// Asks `srvr` as `bin/pulsar-zookeeper-ruok.sh` asks `ruok` (`nc` from the Pulsar image), from a
/// one-shot job on the ensemble's network, from a running server's image and placed by its
/// constraints (where it runs, so the image is there).
public struct ZooKeeperStatusJob: ZooKeeperStatus {
    public let swarm: any SwarmAPI
    public let timeout: Duration

    public init(swarm: any SwarmAPI, timeout: Duration = .seconds(60)) {
        self.swarm = swarm
        self.timeout = timeout
    }

    /// Each argument is a host: its `== host` line, then what it answered to `srvr` and to `conf`
    /// (its server list; ZooKeeper's four-letter words, all allowed by Pulsar's `bin/pulsar`). The
    /// hosts are asked at once (each answer held open a second), their answers printed in order.
    static let script = #"d=$(mktemp -d); for host in "$@"; do { { echo srvr; sleep 1; } | nc "$host" 2181; echo; { echo conf; sleep 1; } | nc "$host" 2181; echo; } > "$d/$host" 2>&1 & done; wait; for host in "$@"; do echo "== $host"; cat "$d/$host"; done; rm -rf "$d""#

    public func states(of hosts: [String], from member: SwarmService) async throws -> [ZooKeeperServerState] {
        let name = member.Spec.Name
        guard let image = member.Spec.TaskTemplate.ContainerSpec?.Image, let network = member.Spec.TaskTemplate.Networks?.first?.Target else {
            throw ZooKeeperHandOverError(service: name, problem: "its spec names no image or network")
        }
        let job = SwarmJob(swarm: swarm, image: image, network: network,
                           constraints: member.Spec.TaskTemplate.Placement?.Constraints ?? [], timeout: timeout, namePrefix: "swarmstage-zk")
        let (_, output) = try await job.run(command: ["/bin/sh", "-c", Self.script, "sh"], args: hosts, label: "zookeeper srvr")
        return ZooKeeperServerState.reading(output, hosts: hosts)
    }
}

/// The checks around a ZooKeeper hand-over: before (a majority of the ensemble serves without
/// the moved server) and after (the moved server runs on its new host and serves).
public struct ZooKeeperSyncWait: Sendable {
    public let swarm: any SwarmAPI
    public let status: any ZooKeeperStatus
    public let timeout: Duration
    public let poll: Duration

    public init(swarm: any SwarmAPI, status: any ZooKeeperStatus, timeout: Duration, poll: Duration = .seconds(2)) {
        self.swarm = swarm
        self.status = status
        self.timeout = timeout
        self.poll = poll
    }

    /// The other servers' states; throws, naming each, unless a majority of the whole ensemble
    /// serves among them with a leader.
    public func checkQuorum(_ handOver: ZooKeeperHandOver) async throws -> [ZooKeeperServerState] {
        let others = try await runningOthers(handOver)
        guard let asker = others.first else {
            throw ZooKeeperHandOverError(service: handOver.service, problem: "no other server of the ensemble runs: "
                + "an empty server cannot be handed on without a majority that holds the data")
        }
        let hosts = handOver.others.map(Self.host(of:))
        let states: [ZooKeeperServerState]
        do {
            states = try await status.states(of: hosts, from: asker)
        } catch is SwarmJob.NotEnded {
            throw ZooKeeperHandOverError(service: handOver.service, problem: "the job asking the other servers (srvr) from where "
                + "\(asker.Spec.Name) runs did not end: nothing is known of their quorum")
        }
        let serving = states.filter(\.serves)
        guard serving.count >= handOver.needed, serving.contains(where: { $0.mode == "leader" }) else {
            throw ZooKeeperHandOverError(service: handOver.service, problem: "\(serving.count) of the other \(hosts.count) servers serve "
                + "(\(states.map(\.description).joined(separator: "; "))); an empty server joins safely only while \(handOver.needed) "
                + "of the ensemble's \(hosts.count + 1) hold the data with a leader (ZooKeeper Administrator's Guide): bring "
                + "the others back first")
        }
        return states
    }

    /// Waits until the moved server's task runs on its new node and the server serves; returns what it said.
    public func wait(_ handOver: ZooKeeperHandOver, progress: @Sendable (String) -> Void) async throws -> ZooKeeperServerState {
        try await HandOverTask.wait(swarm, service: handOver.service, nodeID: handOver.toNodeID, host: handOver.to, timeout: timeout,
                                    poll: poll, failing: "does not serve", progress: progress) { service in
            do {
                let asker = try await runningOthers(handOver).first ?? service
                guard let state = try await status.states(of: [handOver.host], from: asker).first else { return .said("no answer") }
                return state.serves ? .done(state) : .said(state.problem ?? "does not serve")
            } catch is SwarmJob.NotEnded {
                return .quiet("zookeeper srvr did not end")
            }
        }
    }

    /// The other servers with a task running on a ready node (a job placed by their constraints
    /// can run there), in the hand-over's order.
    func runningOthers(_ handOver: ZooKeeperHandOver) async throws -> [SwarmService] {
        try await HandOverTask.running(swarm, services: handOver.others)
    }

    /// A service's host name on the network: the stack's prefix dropped (`lab-pulsar_zk2` is `zk2`).
    static func host(of service: String) -> String {
        String(service.split(separator: "_").last ?? Substring(service))
    }
}
