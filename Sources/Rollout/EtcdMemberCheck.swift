import Blueprint
import Inventory
import StackConvert
import SwarmModel

/// An alarm etcd holds (`etcdctl alarm list`): raised by one member, it applies to the whole
/// cluster until disarmed. NOSPACE (the backend reached its quota) makes etcd refuse every
/// write; CORRUPT (a member's data differs from the others') makes it refuse writes as well.
/// Sources: etcd docs, "Maintenance" (space quota, `alarm disarm`), and etcd 3.4's
/// etcdserver/apply.go (the capped and corrupt appliers). Checked against Debian's etcd 3.4.23:
/// `endpoint health` still passes with NOSPACE raised, while the member's HTTP `/health` says
/// false; only `alarm list` names it.
public struct EtcdAlarm: Sendable, Equatable, Codable {
    /// Hexadecimal, as `member list` prints member IDs (`alarm list` prints them in decimal).
    public var memberID: String
    public var alarm: String

    public init(memberID: String, alarm: String) {
        self.memberID = memberID
        self.alarm = alarm
    }

    /// Lines `memberID:<decimal> alarm:<NAME>` (etcdctl 3.4 and 3.5, simple format); others skipped.
    public static func parseList(_ output: String) -> [EtcdAlarm] {
        output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 2, fields[0].hasPrefix("memberID:"), fields[1].hasPrefix("alarm:"),
                  let decimal = UInt64(fields[0].dropFirst("memberID:".count)) else { return nil }
            let alarm = String(fields[1].dropFirst("alarm:".count))
            guard !alarm.isEmpty else { return nil }
            return EtcdAlarm(memberID: String(decimal, radix: 16), alarm: alarm)
        }
    }
}

/// What `health --members` learns by asking etcd itself, which the swarm cannot show: etcd's
/// own member list against the inventory's members, and the alarms it holds. A member the
/// swarm no longer runs but etcd still lists counts in etcd's quorum (etcd docs, "Runtime
/// reconfiguration": remove a member before its machine goes); a member added but never
/// started counts too, without a vote.
public struct EtcdMemberReport: Sendable, Codable, Equatable {
    public struct Member: Sendable, Codable, Equatable {
        public var id: String
        /// Empty for a member added but not started.
        public var name: String
        public var started: Bool
        public var learner: Bool
        public var inInventory: Bool
    }

    public struct RaisedAlarm: Sendable, Codable, Equatable {
        public var alarm: String
        public var memberID: String
        /// The name etcd lists for `memberID`, when it lists it.
        public var member: String?
    }

    public var members: [Member]
    public var alarms: [RaisedAlarm]
    /// What etcd did not answer (the member list or the alarm list), and why.
    public var unanswered: [String]

    public init(members: [Member], alarms: [RaisedAlarm], unanswered: [String]) {
        self.members = members
        self.alarms = alarms
        self.unanswered = unanswered
    }

    /// The report for etcd's `listed` members and `alarms`, against the inventory's member names.
    public static func make(inventoryMembers: [String], listed: [EtcdMember]?, alarms: [EtcdAlarm]?,
                            unanswered: [String] = []) -> EtcdMemberReport {
        let members = (listed ?? []).map {
            Member(id: $0.id, name: $0.name, started: $0.started, learner: $0.isLearner, inInventory: inventoryMembers.contains($0.name))
        }
        func sameID(_ a: String, _ b: String) -> Bool { UInt64(a, radix: 16).map { $0 == UInt64(b, radix: 16) } ?? (a == b) }
        let raised = (alarms ?? []).map { alarm in
            RaisedAlarm(alarm: alarm.alarm, memberID: alarm.memberID,
                        member: (listed ?? []).first { sameID($0.id, alarm.memberID) && !$0.name.isEmpty }?.name)
        }
        return EtcdMemberReport(members: members, alarms: raised, unanswered: unanswered)
    }

    /// Every reason this makes the cluster unhealthy, with its severity. An alarm is a failure:
    /// etcd refuses writes while it holds one, so Milvus cannot write its metadata. A member list
    /// that differs from the inventory's is degraded: the quorum holds, but counts a member that
    /// is not the inventory's (or misses one).
    public func problems(inventoryMembers: [String]) -> [(ClusterHealth.Status, String)] {
        var problems: [(ClusterHealth.Status, String)] = []
        for raised in alarms {
            let by = "raised by \(raised.member ?? "member") \(raised.memberID)"
            switch raised.alarm {
            case "NOSPACE":
                problems.append((.failed, "etcd alarm NOSPACE (\(by)): etcd's database reached its quota (ETCD_QUOTA_BACKEND_BYTES) "
                    + "and etcd refuses every write, Milvus's included; free space (etcdctl compact, then defrag on each member), "
                    + "then `etcdctl alarm disarm` (etcd docs, Maintenance: space quota)"))
            case "CORRUPT":
                problems.append((.failed, "etcd alarm CORRUPT (\(by)): a member's data differs from the others' and etcd refuses "
                    + "writes; replace the corrupt member with an empty data directory (README: a host died) "
                    + "(etcd docs, Maintenance and data corruption)"))
            default:
                problems.append((.failed, "etcd alarm \(raised.alarm) (\(by)): etcd refuses writes until it is disarmed"))
            }
        }
        let voting = members.filter { !$0.learner }.count
        let quorum = "\(Component.majority(of: voting)) of \(voting) voting members"
        for member in members where !member.started {
            problems.append((.degraded, "etcd lists member \(member.id), added but never started: it counts in etcd's quorum "
                + "(\(quorum)) and cannot vote; run deploy to finish the change, or `etcdctl member remove \(member.id)`"))
        }
        for member in members where member.started && !member.inInventory {
            problems.append((.degraded, "etcd lists member \(member.name) (\(member.id)) that the inventory does not have: it counts "
                + "in etcd's quorum (\(quorum)); `etcdctl member remove \(member.id)` (etcd docs, Runtime reconfiguration)"))
        }
        for member in members where member.started && member.learner {
            problems.append((.degraded, "etcd member \(member.name) (\(member.id)) is a learner and does not vote yet; "
                + "run deploy to promote it"))
        }
        if unanswered.isEmpty {
            for name in inventoryMembers where !members.contains(where: { $0.name == name }) {
                problems.append((.degraded, "the inventory's etcd member \(name) is not in etcd's member list; deploy adds it (member add)"))
            }
        }
        for what in unanswered {
            problems.append((.degraded, "etcd did not answer \(what)"))
        }
        return problems
    }

    /// The inventory's etcd member names (each member's `--name`).
    public static func inventoryMembers(_ inventory: Inventory) -> [String] {
        MilvusBlueprint.make(inventory).services.filter { $0.component == .etcd }.map(\.service.name).sorted()
    }

    /// Asks etcd, through `control`, at the client URLs of the member services that run.
    /// `control` nil: a job from a member whose task runs (its image, network and placement).
    public static func read(_ swarm: any SwarmAPI, inventory: Inventory, services: [SwarmService], tasks: [SwarmTask],
                            control: (any EtcdControl)? = nil) async -> EtcdMemberReport? {
        let members = services.filter { $0.Spec.Labels?[Component.label] == Component.etcd.rawValue }
        guard !members.isEmpty else { return nil }
        let running = members.filter { service in
            tasks.contains { $0.ServiceID == service.ID && $0.DesiredState == .running && $0.Status.State == .running }
        }
        let endpoints = running.compactMap { EtcdReplacement.argument("--advertise-client-urls=", in: $0.Spec) }
        let names = inventoryMembers(inventory)
        guard let control = control ?? JobEtcdControl.forMembers(running, swarm: swarm, healthyMember: running.first?.Spec.Name,
                                                                 timeout: .seconds(45), namePrefix: "swarmstage-health-etcdctl"),
              !endpoints.isEmpty else {
            return make(inventoryMembers: names, listed: nil, alarms: nil, unanswered: ["(no etcd member runs a task)"])
        }
        var unanswered: [String] = []
        var listed: [EtcdMember]?
        do { listed = try await control.members(endpoints: endpoints) } catch { unanswered.append("`member list`: \(error)") }
        var alarms: [EtcdAlarm]?
        do { alarms = try await control.alarms(endpoints: endpoints) } catch { unanswered.append("`alarm list`: \(error)") }
        return make(inventoryMembers: names, listed: listed, alarms: alarms, unanswered: unanswered)
    }
}
