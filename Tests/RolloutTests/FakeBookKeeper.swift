import Foundation
import Rollout
import SwarmModel
import TestSupport

/// BookKeeper in memory with the rules a decommission relies on (BookKeeper docs, "Decommission
/// Bookies"; the lab's stand-in keeps the same, with data): a bookie is writable while a task of
/// its service runs on a ready node of `swarm` (its registration is ephemeral) and it is not
/// marked down; each ledger has an ensemble of bookie IDs; `decommissionbookie` of a bookie that
/// is still writable never ends (auto-recovery re-replicates only a bookie that is down: refused
/// here as not ended), else every ledger naming it gets a writable bookie outside its ensemble in
/// its place (refused when there is none) and its cookie is removed. The cookie check: a bookie
/// that runs on a node other than the one it first ran on (empty disks) is refused while its
/// cookie is in the store, and admitted, on that node from then on, once it was decommissioned.
actor FakeBookKeeper: BookieControl {
    let swarm: FakeSwarm
    private(set) var ledgers: [Int: [String]]
    /// Bookies whose host is down though their service has a running task in the fake swarm.
    private var down: Set<String> = []
    /// The shell commands run, in order.
    private(set) var commands: [String] = []

    init(ledgers: [Int: [String]], swarm: FakeSwarm) {
        self.ledgers = ledgers
        self.swarm = swarm
    }

    func setDown(_ bookie: String) { down.insert(bookie) }

    /// Starts the record of commands afresh (after a test's own look at BookKeeper).
    func forgetCommands() { commands = [] }

    /// The node each bookie's cookie belongs to (where its disks are), set at its first start.
    private var homes: [String: String] = [:]
    /// Bookies whose cookie was removed by a decommission.
    private var decommissioned: Set<String> = []

    private func running() async -> [String] {
        let services = await swarm.serviceList, tasks = await swarm.taskList
        let ready = Set(await swarm.nodeList.filter { $0.state == .ready }.map(\.ID))
        var writable: [String] = []
        for service in services where service.Spec.Labels?["io.swarmstage.component"] == "bookie" {
            let id = DeployPlanner.bookieID(service.Spec)
            let running = tasks.filter { $0.ServiceID == service.ID && $0.Status.State == .running && $0.DesiredState == .running }
            // Where it first ran (a task on a node that is down included): its disks and cookie.
            if homes[id] == nil, let first = running.first?.NodeID { homes[id] = first }
            guard !down.contains(id), let node = running.first(where: { ready.contains($0.NodeID ?? "") })?.NodeID else { continue }
            if decommissioned.contains(id) {
                homes[id] = node
                decommissioned.remove(id)
            }
            // Empty disks on another node while the store holds its cookie: refused at start.
            if homes[id] == node { writable.append(id) }
        }
        return writable.sorted()
    }

    func writableBookies() async throws -> [String] {
        commands.append("listbookies -rw")
        return await running()
    }

    func ledgers(on bookie: String) async throws -> [String] {
        commands.append("listledgers -bookieid \(bookie)")
        return ledgers.filter { $0.value.contains(bookie) }.keys.sorted().map(String.init)
    }

    func decommission(_ bookie: String) async throws {
        commands.append("decommissionbookie -bookieid \(bookie)")
        let writable = await running()
        guard !writable.contains(bookie) else {
            throw BookieCommandError(command: "decommissionbookie -bookieid \(bookie)", output: "did not end within 300 seconds")
        }
        for (ledger, ensemble) in ledgers.sorted(by: { $0.key < $1.key }) where ensemble.contains(bookie) {
            guard let target = writable.first(where: { !ensemble.contains($0) }) else {
                throw BookieCommandError(command: "decommissionbookie -bookieid \(bookie)",
                                         output: "ledger \(ledger): no writable bookie outside its ensemble")
            }
            ledgers[ledger] = (ensemble.filter { $0 != bookie } + [target]).sorted()
        }
        decommissioned.insert(bookie)
    }
}
