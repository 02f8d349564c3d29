import Foundation
import SwarmModel
import Testing

/// Typed states that still accept what a newer Engine may send, and placement constraints
/// read the way swarmkit reads them.
@Suite("States and placement constraints")
struct StatesAndConstraintsTests {
    @Test func knownStatesAreConstantsAndUnknownOnesSurvive() throws {
        let status = try JSONDecoder().decode(TaskStatus.self, from: Data(#"{"State": "running"}"#.utf8))
        #expect(status.State == .running)
        let future = try JSONDecoder().decode(TaskStatus.self, from: Data(#"{"State": "hibernating"}"#.utf8))
        #expect(future.State.rawValue == "hibernating")
        #expect(!future.State.isTerminal && !future.State.isFailure)
        #expect(String(decoding: try JSONEncoder().encode(future), as: UTF8.self).contains(#""State":"hibernating""#))
        #expect(TaskState.complete.isTerminal && TaskState.rejected.isFailure && TaskState.pending.isUnscheduled)
        #expect(UpdateState.rollbackCompleted.isStoppedOrRolledBack && !UpdateState.completed.isStoppedOrRolledBack)
        #expect(NodeState.down.isUnavailable && !NodeState.ready.isUnavailable)
    }

    static let worker = NodeFacts(id: "node-node7", hostname: "node7", role: .worker, labels: ["zone": "A"])

    static func satisfied(_ text: String, _ node: NodeFacts = worker) throws -> Bool {
        try #require(PlacementConstraint(parsing: text)).isSatisfied(by: node)
    }

    @Test func constraintsAreReadAsSwarmReadsThem() throws {
        #expect(try Self.satisfied("node.labels.zone == a"), "values compare without case")
        #expect(try !Self.satisfied("node.labels.zone != A"))
        #expect(try Self.satisfied("node.labels.rack != 3"), "a missing label is not equal")
        #expect(try !Self.satisfied("node.labels.rack == 3"))
        #expect(try Self.satisfied("node.role==worker"))
        #expect(try !Self.satisfied("node.role==manager"))
        #expect(try Self.satisfied("node.role!=manager"))
        #expect(try !Self.satisfied("node.hostname==node8"))
        #expect(try Self.satisfied("node.hostname!=node8"))
        #expect(try Self.satisfied("node.id == node-node7"))
        #expect(try Self.satisfied("engine.labels.disk == ssd"), "what it cannot read names no node")
        let unpinned = NodeFacts(id: nil, hostname: "h", role: .worker, labels: [:])
        #expect(try Self.satisfied("node.id==abc", unpinned), "an inventory host without a node ID is not ruled out by one")
    }

    @Test func constraintsParseBackToWhatTheyWere() throws {
        let written: [PlacementConstraint] = [.label("etcd1", equals: "true"), .manager, .hostname("h1"), .nodeID("abc"),
                                              PlacementConstraint(.role, equals: false, "manager"), PlacementConstraint(.other("node.platform.os"), "linux")]
        for constraint in written {
            #expect(PlacementConstraint(parsing: constraint.description) == constraint)
        }
        #expect(PlacementConstraint.manager.description == "node.role==manager")
        for bad in ["node.labels.x", "==true", "node.labels.x==", "a==b==c", "node.labels.==x"] {
            #expect(PlacementConstraint(parsing: bad)?.field != .label(""), "\(bad)")
        }
        #expect(PlacementConstraint(parsing: "node.labels.x") == nil)
        #expect(PlacementConstraint(parsing: "node.labels.x==") == nil)
    }

    @Test func aSwarmNodeIsJudgedByItsSpec() throws {
        let node = SwarmNode(ID: "n1", Version: ObjectVersion(Index: 1),
                             Spec: NodeSpec(Labels: ["etcd2": "true"], Role: .manager, Availability: "active"),
                             Description: NodeDescription(Hostname: "lab-manager"))
        let constraints = ["node.labels.etcd2==true", "node.role==manager", "node.hostname==lab-manager"].compactMap(PlacementConstraint.init(parsing:))
        #expect(PlacementConstraint.allSatisfied(constraints, by: node.facts))
        #expect(!PlacementConstraint.allSatisfied(constraints + [.label("etcd1", equals: "true")], by: node.facts))
    }

    @Test func oneFilterFindsAStack() {
        #expect(Filters.stack("lab-storage").json == #"{"label":{"com.docker.stack.namespace=lab-storage":true}}"#)
    }
}
