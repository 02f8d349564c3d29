import Foundation
import Rollout
import SwarmModel

/// `etcdctl` against the lab's etcd, run where a client of the cluster runs, as deploy runs it
/// (`JobEtcdControl`: a one-shot Swarm job on the stacks' overlay network with the lab's etcd
/// image, Debian's real etcdctl 3.4, its output read back through the service's logs).
public enum LabEtcd {
    public static let endpoints = "http://etcd1:2379,http://etcd2:2379,http://etcd3:2379"

    public struct Result: Sendable {
        public var succeeded: Bool
        public var output: String

        public init(succeeded: Bool, output: String) {
            self.succeeded = succeeded
            self.output = output
        }
    }

    public static func etcdctl(_ engine: some SwarmAPI, _ arguments: [String], network: String = "lab-net",
                               endpoints: String = endpoints, timeout: Duration = .seconds(90)) async throws -> Result {
        let control = JobEtcdControl(swarm: engine, image: try Lab.require().image("etcd"), network: network,
                                     constraints: ["node.role==manager"], timeout: timeout, namePrefix: "sstest-etcdctl")
        let (succeeded, output) = try await control.run(arguments, endpoints: endpoints.split(separator: ",").map(String.init))
        return Result(succeeded: succeeded, output: output)
    }

    /// The members etcd itself lists: name → member ID (hex), from `member list`, whose simple
    /// format is `ID, status, name, peer URLs, client URLs, is learner` per line.
    public static func members(_ engine: some SwarmAPI) async throws -> [String: String] {
        let listed = try await etcdctl(engine, ["member", "list"])
        guard listed.succeeded else { throw LabEtcdError("etcdctl member list failed: \(listed.output)") }
        return Dictionary(EtcdMember.parseList(listed.output).map { ($0.name, $0.id) }, uniquingKeysWith: { first, _ in first })
    }
}

public struct LabEtcdError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
