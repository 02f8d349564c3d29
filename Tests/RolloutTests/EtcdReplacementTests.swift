import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

/// A dead host's etcd member handed to a spare host is replaced by etcd's procedure, one member
/// at a time with the others' quorum checked; what cannot be done safely is refused before the
/// first write. The lab proves it with the real etcd (LabEtcdReplacementTests).
@Suite("etcd member replacement against a fake swarm")
struct EtcdReplacementTests {
    typealias Cluster = FakeSwarmDeployTests.Cluster

    @Test func etcdctlOutputIsReadAsEtcd34PrintsIt() {
        let list = """
            8e9e05c52164694d, started, etcd1, http://etcd1:2380, http://etcd1:2379, false
            91bc3c398fb3c146, started, etcd2, http://etcd2:2380, http://etcd2:2379, false
            fd422379fda50e48, unstarted, , http://etcd3:2380, , false
            {"level":"warn","msg":"some log line"}
            """
        #expect(EtcdMember.parseList(list) == [
            EtcdMember(id: "8e9e05c52164694d", name: "etcd1", peerURLs: ["http://etcd1:2380"], started: true),
            EtcdMember(id: "91bc3c398fb3c146", name: "etcd2", peerURLs: ["http://etcd2:2380"], started: true),
            EtcdMember(id: "fd422379fda50e48", name: "", peerURLs: ["http://etcd3:2380"], started: false),
        ])
        let health = """
            http://etcd1:2379 is healthy: successfully committed proposal: took = 2.317ms
            http://etcd2:2379 is unhealthy: failed to commit proposal: context deadline exceeded
            Error: unhealthy cluster
            """
        #expect(EtcdMember.healthyEndpoints(health) == ["http://etcd1:2379"])
    }

    /// The lab deployed, lab-node2 lost, its etcd member's label handed to lab-node4.
    static func handedOn() async throws -> (Cluster, FakeSwarm, FakeEtcd) {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let etcd = FakeEtcd(members: ["etcd1", "etcd2", "etcd3"], swarm: swarm)
        await swarm.loseNode("lab-node2")
        await etcd.setDown("etcd2")
        let edited = try Cluster(InventoryLoader.parse(try LabInventoryEdits.handingNode2sEtcdMember(to: "lab-node4"), file: "lab.yml"))
        await swarm.label(edited.inventory)
        return (edited, swarm, etcd)
    }

    static func deploy(_ cluster: Cluster, on swarm: FakeSwarm, etcd: FakeEtcd) async throws -> DeployReport {
        try await Deployer(swarm: swarm, options: FakeSwarmDeployTests.fast(), etcd: etcd)
            .deploy(cluster.stages, secrets: cluster.blueprint.secrets, values: cluster.values, stagesToApply: Set(Stage.allCases))
    }

    @Test func aDeadHostsMemberHandedOnIsRemovedAddedAndStartedAsExisting() async throws {
        let (cluster, swarm, etcd) = try await Self.handedOn()
        let before = await etcd.list
        let oldID = try #require(before.first { $0.name == "etcd2" }?.id)

        // The plan: one step for etcd2, nothing else in the storage stage changes.
        let plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        let storage = try #require(plans.first { $0.stage == .storage })
        #expect(storage.problems.isEmpty)
        let replacements = storage.writes.compactMap { action -> EtcdReplacement.Move? in
            if case .replaceEtcdMember(_, let spec, let move) = action {
                #expect(EtcdReplacement.clusterState(spec) == "existing")
                return move
            }
            return nil
        }
        #expect(replacements == [EtcdReplacement.Move(service: "lab-storage_etcd2", member: "etcd2", peerURL: "http://etcd2:2380",
                                                      from: "lab-node2", fromState: "down", to: ["lab-node4"])])
        // lab-node4 runs one service more (etcd2): its services' shares shrink, updated one by one after the replacement.
        let node4 = Set(["lab-storage_minio4"])
        // lab-node2's own services would be resized too (it lost etcd2), but their only host is down: deferred.
        #expect(storage.actions.contains { if case .deferService("lab-storage_minio2", _, ["lab-node2"]) = $0 { return true }; return false })
        #expect(Set(storage.writes.dropFirst().compactMap(\.serviceName)) == node4, "\(storage.writes.map(\.serviceName))")

        let report = try await Self.deploy(cluster, on: swarm, etcd: etcd)
        #expect(report.changes[.storage]?["lab-storage_etcd2"] == .memberReplaced(from: "lab-node2", to: "lab-node4"))
        #expect(await etcd.commands == ["member remove etcd2", "member add etcd2 http://etcd2:2380"])
        // The gates passed without lab-node2's services (down before the deploy; their tiers serve): named, not waited for.
        let left = report.leftDown.values.reduce(into: [String: String]()) { $0.merge($1) { a, _ in a } }
        #expect(left["lab-storage_minio2"]?.hasPrefix("update deferred") == true, "\(left)")
        #expect(Set(left.keys).isSuperset(of: ["lab-storage_minio2", "lab-pulsar_zk2", "lab-pulsar_bookie1", "lab-milvus_indexnode1"]), "\(left)")
        #expect(left.values.allSatisfy { $0.contains("lab-node2") }, "\(left)")
        let after = await etcd.list
        #expect(after.map(\.name).sorted() == ["etcd1", "etcd2", "etcd3"] && after.allSatisfy(\.started))
        #expect(!after.contains { $0.id == oldID }, "the dead member is gone from etcd's list")
        let service = try #require(await swarm.serviceList.first { $0.Spec.Name == "lab-storage_etcd2" })
        #expect(EtcdReplacement.clusterState(service.Spec) == "existing")
        // In a data directory of its own: nothing an earlier start left on lab-node4 is taken for its state.
        let newID = try #require(after.first { $0.name == "etcd2" }?.id)
        #expect(EtcdReplacement.argument("--data-dir=", in: service.Spec) == "/var/etcd/member-\(newID)")
        let nodes = await swarm.nodeList
        let running = await swarm.taskList.filter { $0.ServiceID == service.ID && $0.DesiredState == .running }
        #expect(running.compactMap { task in nodes.first { $0.ID == task.NodeID }?.hostname } == ["lab-node4"])

        // Done: the next deploy replaces nothing, keeps `existing` (read only at bootstrap), writes nothing.
        let writes = await swarm.writes
        #expect(try await Self.deploy(cluster, on: swarm, etcd: etcd).writes == 0)
        #expect(await swarm.writes == writes)
        #expect(await etcd.commands.count == 2)
    }

    /// etcd 3.4.23's last line for a member restarted with an empty data directory (Debian's etcd, by hand).
    static let bootstrapped = "2026-12-02 17:39:12.467928 C | etcdmain: member 1034a180e6b3302 has already been bootstrapped"

    @Test func aMemberWhoseDataIsLostWhereItRunsIsNamedByHealthAndReplacedThereByDeploy() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let etcd = FakeEtcd(members: ["etcd1", "etcd2", "etcd3"], swarm: swarm)
        let oldID = try #require(await etcd.list.first { $0.name == "etcd2" }?.id)
        let home = try #require(await Self.hosts(of: "lab-storage_etcd2", on: swarm).first)
        // lab-node2's etcd disk was replaced: the member fails at every start, and says why.
        await swarm.failTasksUntilTheirSpecChanges(of: "lab-storage_etcd2")
        await swarm.setLogs(of: "lab-storage_etcd2", ["starting", Self.bootstrapped])
        await etcd.setDown("etcd2")

        // health names it, and what deploy does about it; without a write.
        let writesBefore = await swarm.writes
        let health = try await ClusterHealth.read(swarm, inventory: cluster.inventory)
        let named = health.problems.first { $0.hasPrefix("lab-storage_etcd2: etcd says this member's data is lost") }
        #expect(named?.contains("(member 1034a180e6b3302 has already been bootstrapped)") == true, "\(health.problems)")
        #expect(await swarm.writes == writesBefore)

        let plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        let moves = plans.flatMap(\.actions).compactMap { action -> EtcdReplacement.Move? in
            if case .replaceEtcdMember(_, _, let move) = action { return move }
            return nil
        }
        #expect(moves == [EtcdReplacement.Move(service: "lab-storage_etcd2", member: "etcd2", peerURL: "http://etcd2:2380", from: home,
                                               fromState: "ready", to: [home],
                                               dataLost: "member 1034a180e6b3302 has already been bootstrapped")])

        let report = try await Self.deploy(cluster, on: swarm, etcd: etcd)
        #expect(report.changes[.storage]?["lab-storage_etcd2"]
                == .memberReplaced(from: home, to: home, dataLost: "member 1034a180e6b3302 has already been bootstrapped"))
        #expect(await etcd.commands == ["member remove etcd2", "member add etcd2 http://etcd2:2380"])
        let after = await etcd.list
        #expect(after.map(\.name).sorted() == ["etcd1", "etcd2", "etcd3"] && after.allSatisfy(\.started) && !after.contains { $0.id == oldID })
        let service = try #require(await swarm.serviceList.first { $0.Spec.Name == "lab-storage_etcd2" })
        let newID = try #require(after.first { $0.name == "etcd2" }?.id)
        #expect(EtcdReplacement.argument("--data-dir=", in: service.Spec) == "/var/etcd/member-\(newID)")
        #expect(try await Self.hosts(of: "lab-storage_etcd2", on: swarm) == [home])
        #expect(try await Self.deploy(cluster, on: swarm, etcd: etcd).writes == 0)
    }

    /// etcd 3.4.23's lines for a member started with `existing` (added or replaced before) whose data
    /// directory was then removed (Debian's etcd, by hand): raft panics, then the goroutine trace follows.
    static let raftLogLost = [
        "raft2026/12/03 06:12:43 tocommit(9) is out of range [lastIndex(0)]. Was the raft log corrupted, truncated, or lost?",
        "panic: tocommit(9) is out of range [lastIndex(0)]. Was the raft log corrupted, truncated, or lost?",
        "",
        "goroutine 120 [running]:",
        "go.etcd.io/etcd/raft.(*node).run(0xc000230300)",
        "\tgo.etcd.io/etcd/raft/node.go:354 +0xa05",
    ]

    @Test func bothOfEtcdsWordsForLostDataAreRecognisedAndQuotedWithoutTimestamp() {
        #expect(EtcdReplacement.dataLost(in: ["starting", Self.bootstrapped])
                == "member 1034a180e6b3302 has already been bootstrapped")
        #expect(EtcdReplacement.dataLost(in: ["starting"] + Self.raftLogLost)
                == "tocommit(9) is out of range [lastIndex(0)]. Was the raft log corrupted, truncated, or lost?")
        #expect(EtcdReplacement.dataLost(in: ["etcdmain: listen tcp 0.0.0.0:2380: bind: address already in use", "member of nothing"]) == nil)
        #expect(EtcdReplacement.dataLost(in: []) == nil)
    }

    @Test func aMemberStartedAsExistingWhoseDataIsLostIsReplacedThereToo() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let etcd = FakeEtcd(members: ["etcd1", "etcd2", "etcd3"], swarm: swarm)
        let home = try #require(await Self.hosts(of: "lab-storage_etcd3", on: swarm).first)
        await swarm.failTasksUntilTheirSpecChanges(of: "lab-storage_etcd3")
        await swarm.setLogs(of: "lab-storage_etcd3", ["starting"] + Self.raftLogLost)
        await etcd.setDown("etcd3")
        let said = "tocommit(9) is out of range [lastIndex(0)]. Was the raft log corrupted, truncated, or lost?"
        let health = try await ClusterHealth.read(swarm, inventory: cluster.inventory)
        #expect(health.problems.contains { $0.hasPrefix("lab-storage_etcd3: etcd says this member's data is lost") && $0.contains(said) },
                "\(health.problems)")
        let report = try await Self.deploy(cluster, on: swarm, etcd: etcd)
        #expect(report.changes[.storage]?["lab-storage_etcd3"] == .memberReplaced(from: home, to: home, dataLost: said))
        #expect(await etcd.commands == ["member remove etcd3", "member add etcd3 http://etcd3:2380"])
        #expect(try await Self.deploy(cluster, on: swarm, etcd: etcd).writes == 0)
    }

    /// As the lab's Engine lists them after etcd2 moved off a host that lost power: the old task
    /// still "running" there (nobody reports it stopped) but shut down by Swarm, the new host's task
    /// failed, its successor waiting out the restart delay.
    @Test func aMembersTaskLeftRunningOnADownHostDoesNotHideItsFailureToStart() throws {
        let service = SwarmService(ID: "s2", Version: ObjectVersion(Index: 1), Spec: ServiceSpec(Name: "lab-storage_etcd2", TaskTemplate: TaskSpec()))
        func task(_ id: String, on node: String, _ state: TaskState, desired: TaskState) -> SwarmTask {
            SwarmTask(ID: id, ServiceID: "s2", NodeID: node, Status: TaskStatus(State: state), DesiredState: desired)
        }
        let leftOnTheDeadHost = task("t1", on: "node2", .running, desired: .shutdown)
        let failed = task("t2", on: "manager3", .failed, desired: .shutdown)
        let waiting = task("t3", on: "manager3", .ready, desired: .running)
        #expect(EtcdReplacement.isFailingToStart(service, tasks: [leftOnTheDeadHost, failed, waiting]))
        #expect(!EtcdReplacement.isFailingToStart(service, tasks: [leftOnTheDeadHost, failed, task("t3", on: "manager3", .running, desired: .running)]))
        #expect(!EtcdReplacement.isFailingToStart(service, tasks: [leftOnTheDeadHost, waiting]))
        #expect(!EtcdReplacement.isFailingToStart(service, tasks: [failed].map { var other = $0; other.ServiceID = "s1"; return other }))
    }

    @Test func aMemberThatFailsForAnotherReasonIsNotReplaced() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        await swarm.failTasksUntilTheirSpecChanges(of: "lab-storage_etcd2")
        await swarm.setLogs(of: "lab-storage_etcd2", ["etcdmain: listen tcp 0.0.0.0:2380: bind: address already in use"])
        let plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        #expect(!plans.flatMap(\.actions).contains { if case .replaceEtcdMember = $0 { return true }; return false })
        let health = try await ClusterHealth.read(swarm, inventory: cluster.inventory)
        #expect(!health.problems.contains { $0.contains("data is lost") })
    }

    /// What a member said before it runs its current spec is not why it fails now. As on the lab:
    /// etcd2, handed to another host, started there `new` before deploy replaced it and said "has
    /// already been bootstrapped"; replaced (started `existing`), it later fails for another
    /// reason: nothing is named or replaced. When it then says etcd's words for lost data again,
    /// those new words are the ones named.
    @Test func whatAMemberSaidBeforeItsSpecChangedIsNotWhyItFailsNow() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        await swarm.setLogs(of: "lab-storage_etcd2", ["starting", Self.bootstrapped])
        let before = try #require(await swarm.serviceList.first { $0.Spec.Name == "lab-storage_etcd2" })
        var spec = before.Spec
        let args = spec.TaskTemplate.ContainerSpec?.Args ?? []
        spec.TaskTemplate.ContainerSpec?.Args = args.map {
            $0 == "--initial-cluster-state=new" ? "--initial-cluster-state=existing" : $0
        }
        #expect(spec != before.Spec)
        try await swarm.updateService(before.ID, version: before.Version, spec: spec)
        await swarm.failTasksUntilTheirSpecChanges(of: "lab-storage_etcd2")
        await swarm.appendLogs(of: "lab-storage_etcd2", ["etcdmain: listen tcp 0.0.0.0:2380: bind: address already in use"])

        let health = try await ClusterHealth.read(swarm, inventory: cluster.inventory)
        #expect(health.problems.contains { $0.hasPrefix("lab-storage_etcd2: ") }, "\(health.problems)")
        #expect(!health.problems.contains { $0.contains("data is lost") }, "\(health.problems)")
        var plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        #expect(!plans.flatMap(\.actions).contains { if case .replaceEtcdMember = $0 { return true }; return false })

        await swarm.appendLogs(of: "lab-storage_etcd2", Self.raftLogLost)
        let said = "tocommit(9) is out of range [lastIndex(0)]. Was the raft log corrupted, truncated, or lost?"
        let again = try await ClusterHealth.read(swarm, inventory: cluster.inventory)
        #expect(again.problems.contains { $0.hasPrefix("lab-storage_etcd2: etcd says this member's data is lost") && $0.contains(said) },
                "\(again.problems)")
        plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        let moves = plans.flatMap(\.actions).compactMap { action -> EtcdReplacement.Move? in
            if case .replaceEtcdMember(_, _, let move) = action { return move }
            return nil
        }
        #expect(moves.map(\.dataLost) == [said])
    }

    @Test func twoMembersWhoseDataIsLostAreRefusedBeforeAnyWrite() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        for member in ["lab-storage_etcd1", "lab-storage_etcd2"] {
            await swarm.failTasksUntilTheirSpecChanges(of: member)
            await swarm.setLogs(of: member, [Self.bootstrapped])
        }
        let plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        let reasons = plans.flatMap(\.problems).map { "\($0)" }
        #expect(reasons.contains { $0.contains("2 of the 3 etcd members have lost their hosts or data") && $0.contains("snapshot") }, "\(reasons)")
    }

    /// The hostnames where the service's tasks are meant to run now.
    static func hosts(of service: String, on swarm: FakeSwarm) async throws -> [String] {
        let id = try #require(await swarm.serviceList.first { $0.Spec.Name == service }?.ID)
        let nodes = await swarm.nodeList
        return await swarm.taskList.filter { $0.ServiceID == id && $0.DesiredState == .running }
            .compactMap { task in nodes.first { $0.ID == task.NodeID }?.hostname }
    }

    @Test func aDeployCutShortAfterMemberAddGoesOnWithTheStart() async throws {
        let (cluster, swarm, etcd) = try await Self.handedOn()
        await etcd.replaceWithUnstarted("etcd2")
        _ = try await Self.deploy(cluster, on: swarm, etcd: etcd)
        #expect(await etcd.commands.isEmpty, "etcd showed remove and add done: neither is repeated")
        #expect(await etcd.list.contains { $0.name == "etcd2" && $0.started })
    }

    @Test func aHostThatIsDownWithItsLabelsIsNotAReplacement() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        await swarm.loseNode("lab-node2")
        // It may come back with its data: nothing is planned for its member.
        let plans = try await FakeSwarmDeployTests.plan(cluster, on: swarm)
        #expect(!plans.flatMap(\.actions).contains { if case .replaceEtcdMember = $0 { return true }; return false })
    }

    @Test func aReplacementWhileAnotherMemberIsDownIsRefusedWithNothingRemoved() async throws {
        let (cluster, swarm, etcd) = try await Self.handedOn()
        await etcd.setDown("etcd3")
        let writes = await swarm.writes
        let failure = try await #require(throws: StageFailure.self) { try await Self.deploy(cluster, on: swarm, etcd: etcd) }
        guard case .rollingChangeUnsafe(let service, let reason) = failure.reason else {
            Issue.record("\(failure.reason)")
            return
        }
        #expect(service == "lab-storage_etcd2")
        #expect(reason.contains("none of the other etcd members is healthy") || reason.contains("are healthy"), "\(reason)")
        let members = await etcd.list
        #expect(await etcd.commands.isEmpty && members.count == 3)
        #expect(await swarm.writes == writes, "nothing written: the service still has its old spec")
    }

    @Test func twoOfThreeMembersLostIsRefusedBeforeAnyWrite() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        await swarm.loseNode("lab-node1")
        await swarm.loseNode("lab-node2")
        // etcd1 and etcd2 both handed on: lab-node4 and lab-manager3.
        var text = try LabInventoryEdits.handingNode2sEtcdMember(to: "lab-node4")
        text = text.replacingOccurrences(of: "    roles: [etcd, zk, minio, coord, query]\n", with: "    roles: [zk, minio, coord, query]\n")
        text = text.replacingOccurrences(of: "  - name: lab-manager3\n    address: 10.77.0.16\n    roles: [manager]\n    size: lab\n",
                                         with: "  - name: lab-manager3\n    address: 10.77.0.16\n    roles: [manager, etcd]\n    size: lab\n    labels: {etcd1: \"true\"}\n")
        let edited = try Cluster(InventoryLoader.parse(text, file: "lab.yml"))
        await swarm.label(edited.inventory)
        let etcd = FakeEtcd(members: ["etcd1", "etcd2", "etcd3"], swarm: swarm)
        let plans = try await FakeSwarmDeployTests.plan(edited, on: swarm)
        let problem = try #require(plans.first { $0.stage == .storage }?.problems.first)
        guard case .rollingChangeUnsafe(_, let reason) = problem else {
            Issue.record("\(problem)")
            return
        }
        #expect(reason.hasPrefix("2 of the 3 etcd members have lost their hosts or data (etcd1 on lab-node1, etcd2 on lab-node2): etcd has lost its quorum"))
        let writes = await swarm.writes
        await #expect(throws: StageFailure.self) { try await Self.deploy(edited, on: swarm, etcd: etcd) }
        #expect(await swarm.writes == writes)
        #expect(await etcd.commands.isEmpty)
    }
}
