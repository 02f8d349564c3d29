import Blueprint
import Foundation
import Inventory
import SwarmModel

extension Deployer {
    /// BookKeeper's procedure for a bookie the inventory no longer has (BookKeeper docs,
    /// "Decommission Bookies", https://bookkeeper.apache.org/docs/admin/decomission): with every
    /// bookie that stays writable (so the ledgers have somewhere to go and Pulsar keeps its
    /// ensemble), stop the bookie, wait until BookKeeper no longer lists it (its registration is
    /// ephemeral: gone with its ZooKeeper session), `decommissionbookie -bookieid` it (its ledgers
    /// re-replicated from their other replicas, its cookie removed), check with `listledgers
    /// -bookieid` that no ledger names it, then remove its service. Each step is skipped when it
    /// shows done, so a deploy cut short goes on where it stopped.
    func decommissionBookie(id: String, service: String, bookie: String, stage: Stage, staying: [SwarmService]) async throws {
        func refuse(_ reason: String) -> StageFailure {
            StageFailure(stage: stage, reason: .rollingChangeUnsafe(service: service, reason: reason), services: [])
        }
        let stayingBookies = staying.filter { $0.Spec.Labels?[Component.label] == Component.bookie.rawValue }
        guard let control = bookies ?? stayingBookies.first.flatMap({ JobBookieControl.from($0, swarm: swarm) }) else {
            throw refuse("no bookie that stays to run `bookkeeper shell` from")
        }
        let timeout = options.stageTimeouts[stage] ?? options.stageTimeout
        let deadline = ContinuousClock.now + timeout
        func shell<T>(_ body: () async throws -> T) async throws -> T {
            do { return try await body() } catch let failed as BookieCommandError { throw refuse(failed.description) }
        }
        let others = Set(stayingBookies.map { DeployPlanner.bookieID($0.Spec) })
        let writable = Set(try await shell { try await control.writableBookies() })
        let missing = others.subtracting(writable).sorted()
        guard missing.isEmpty else {
            throw refuse("BookKeeper does not list \(missing.joined(separator: ", ")) as writable; a bookie is decommissioned only "
                + "while every bookie that stays takes writes (its ledgers are re-replicated onto them; BookKeeper docs, "
                + "Decommission Bookies): bring \(missing.count == 1 ? "it" : "them") back first")
        }
        // Stopped first, as the procedure says: auto-recovery re-replicates only a bookie that is down.
        if (try? await swarm.service(id)) != nil {
            try await stopBookie(id)
            var listed = writable.contains(bookie)
            while listed {
                guard ContinuousClock.now < deadline else {
                    throw StageFailure(stage: stage, reason: .timedOut(timeout), services: [
                        StageFailure.ServiceProblem(service: service, reason: "bookie \(bookie) has stopped, and BookKeeper still lists it as writable",
                                                    logLines: []),
                    ])
                }
                try await Task.sleep(for: options.pollInterval)
                listed = try await shell { try await control.writableBookies() }.contains(bookie)
            }
        }
        try await shell { try await control.decommission(bookie) }
        let left = try await shell { try await control.ledgers(on: bookie) }
        guard left.isEmpty else {
            throw refuse("bookkeeper shell decommissionbookie ended, and ledgers \(left.joined(separator: ", ")) still name \(bookie): "
                + "their data is not re-replicated, so its service stays (stopped); see `bookkeeper shell listunderreplicated`")
        }
        try await ignoringMissing { try await swarm.removeService(id) }
    }

    /// Scales the bookie's service to 0 and waits until its task has stopped, within its stop
    /// grace period and 30 s. A task on a node that is down is not waited for: it runs nowhere
    /// (the host that held it is gone, the runbook's "a host died"), and Swarm, which cannot hear
    /// from that node, keeps listing it as running.
    func stopBookie(_ id: String) async throws {
        let grace = try await scaleToZero(id)
        let deadline = ContinuousClock.now + grace + .seconds(30)
        let ready = Set(try await swarm.nodes().filter { $0.state == .ready }.map(\.ID))
        while ContinuousClock.now < deadline {
            let tasks = try await swarm.tasks(filters: .service(id))
            if tasks.allSatisfy({ $0.Status.State.isTerminal || !ready.contains($0.NodeID ?? "") }) { return }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
