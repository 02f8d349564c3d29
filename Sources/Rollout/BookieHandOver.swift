import Blueprint
import Foundation
import SwarmModel

/// A bookie handed from a host that is down to another one. BookKeeper's way for a bookie whose
/// disks are gone (BookKeeper docs, "Decommission Bookies",
/// https://bookkeeper.apache.org/docs/admin/decomission, and "Bookie cookies" in the admin
/// guide): while the bookie is down, `bookkeeper shell decommissionbookie -bookieid ID` from
/// another node re-replicates every ledger that names it onto the bookies that stay and removes
/// its cookie from the metadata store (BookKeeperAdmin.decommissionBookie; BP-68); then a bookie
/// started under the same ID on empty disks passes the cookie check (no cookie in the store, none
/// on its disks: a new one is written) and registers as a new, empty bookie. Started before the
/// decommission, the same bookie is refused by that check ("Cookie for this bookie is not stored
/// in metadata store" / an instance whose cookie the store still holds), so `label` decommissions
/// it before it writes the labels, and waits until BookKeeper lists it writable on its new host.
/// Safe only while every other bookie takes writes and they are at least the ensemble size
/// (each ledger needs a bookie outside its ensemble to copy to), one bookie at a time.
public struct BookieHandOver: Sendable, Equatable, CustomStringConvertible {
    public var service: String
    /// Its BookKeeper ID (`bookie1:3181`), kept on the new host.
    public var bookie: String
    public var from: String
    public var to: String
    public var toNodeID: String
    /// The other bookies, as services.
    public var others: [String]
    /// The ensemble size the brokers write ledgers with, when the stack says.
    public var ensemble: Int?

    public init(service: String, bookie: String, from: String, to: String, toNodeID: String, others: [String], ensemble: Int?) {
        self.service = service
        self.bookie = bookie
        self.from = from
        self.to = to
        self.toNodeID = toNodeID
        self.others = others
        self.ensemble = ensemble
    }

    public var description: String {
        "\(service) (bookie) moves from \(from) (down) to \(to): BookKeeper decommissions \(bookie) first (its ledgers "
            + "re-replicated onto the other bookies, its cookie removed), then it starts there with empty disks under the same ID"
    }
}

/// The steps around a bookie hand-over: before the labels are written, the checks and the
/// decommission (`decommission`); after, the wait until the bookie takes writes on its new host
/// (`wait`). Each shell command runs from a bookie that stays (`JobBookieControl`).
public struct BookieHandOverRun: Sendable {
    public let swarm: any SwarmAPI
    /// BookKeeper as the tests give it; nil: `bookkeeper shell` from a running other bookie.
    public let control: (any BookieControl)?
    public let timeout: Duration
    public let poll: Duration

    public init(swarm: any SwarmAPI, control: (any BookieControl)? = nil, timeout: Duration, poll: Duration = .seconds(2)) {
        self.swarm = swarm
        self.control = control
        self.timeout = timeout
        self.poll = poll
    }

    /// Checks that every other bookie takes writes and that they are at least the ensemble size,
    /// waits until BookKeeper no longer lists the bookie (its registration goes with its session),
    /// decommissions it and checks that no ledger names it. A check that fails throws
    /// `HandOverError` (nothing written anywhere); the decommission failing, or ledgers still
    /// naming the bookie after it, throws `Failed`. Returns the other bookies' IDs.
    public func decommission(_ handOver: BookieHandOver, progress: @Sendable (String) -> Void) async throws -> [String] {
        func refuse(_ problem: String) -> HandOverError { HandOverError(service: handOver.service, problem: problem) }
        if let ensemble = handOver.ensemble, handOver.others.count < ensemble {
            throw refuse("\(handOver.others.count) other bookies are fewer than the ensemble size \(ensemble): its ledgers would have "
                + "nowhere to be re-replicated (BookKeeper docs, Decommission Bookies); add a bookie host first")
        }
        // The other bookies' specs are read once: their IDs, and which of them run to ask BookKeeper from.
        let others = try await HandOverTask.services(swarm, named: handOver.others)
        guard let asker = try await HandOverTask.running(swarm, among: others).first else {
            throw refuse("no other bookie runs: a bookie is handed on only while the others hold its ledgers' replicas")
        }
        let shell = try bookKeeper(from: asker, handOver: handOver)
        let ids = others.map { DeployPlanner.bookieID($0.Spec) }.sorted()
        var writable = Set(try await run(handOver) { try await shell.writableBookies() })
        let missing = Set(ids).subtracting(writable).sorted()
        guard missing.isEmpty else {
            throw refuse("BookKeeper does not list \(missing.joined(separator: ", ")) as writable; a bookie is handed on only while "
                + "every other bookie takes writes (its ledgers are re-replicated onto them; BookKeeper docs, Decommission Bookies): "
                + "bring \(missing.count == 1 ? "it" : "them") back first")
        }
        let deadline = ContinuousClock.now + timeout
        while writable.contains(handOver.bookie) {
            guard ContinuousClock.now < deadline else {
                throw refuse("BookKeeper still lists \(handOver.bookie) as writable after \(timeout), though Swarm says \(handOver.from) "
                    + "is down: a bookie that answers is not decommissioned; make sure \(handOver.from) is off")
            }
            progress("\(handOver.service): BookKeeper still lists \(handOver.bookie) as writable; waiting for its registration to expire")
            try await Task.sleep(for: poll)
            writable = Set(try await run(handOver) { try await shell.writableBookies() })
        }
        progress("\(handOver.service): decommissioning \(handOver.bookie) (bookkeeper shell decommissionbookie, from \(asker.Spec.Name))")
        do {
            try await run(handOver) { try await shell.decommission(handOver.bookie) }
            let left = try await run(handOver) { try await shell.ledgers(on: handOver.bookie) }
            guard left.isEmpty else {
                throw refuse("bookkeeper shell decommissionbookie ended, and ledgers \(left.joined(separator: ", ")) still name "
                    + "\(handOver.bookie): their data is not re-replicated; see `bookkeeper shell listunderreplicated`")
            }
        } catch let error as HandOverError {
            throw Failed(error: error)
        }
        return ids
    }

    /// A decommission that was started and did not end as it should: BookKeeper may have changed.
    public struct Failed: Error, Sendable, CustomStringConvertible {
        public var error: HandOverError
        public var description: String { error.description }
    }

    /// Waits until the bookie's task runs on its new node and BookKeeper lists it writable.
    public func wait(_ handOver: BookieHandOver, progress: @Sendable (String) -> Void) async throws {
        try await HandOverTask.wait(swarm, service: handOver.service, nodeID: handOver.toNodeID, host: handOver.to, timeout: timeout,
                                    poll: poll, failing: "does not take writes", progress: progress) { _ -> HandOverTask.Check<Void> in
            // Its cookie check and registration take a moment after the task starts: asked again.
            guard let asker = try await runningOthers(handOver).first else { return .quiet("no other bookie runs to ask BookKeeper from") }
            do {
                let writable = try await bookKeeper(from: asker, handOver: handOver).writableBookies()
                return writable.contains(handOver.bookie) ? .done(()) : .quiet("BookKeeper does not list \(handOver.bookie) as writable yet")
            } catch let error as BookieCommandError {
                return .quiet(error.description)
            }
        }
    }

    func bookKeeper(from asker: SwarmService, handOver: BookieHandOver) throws -> any BookieControl {
        if let control { return control }
        guard let job = JobBookieControl.from(asker, swarm: swarm) else {
            throw HandOverError(service: handOver.service, problem: "\(asker.Spec.Name)'s spec names no image or network to run bookkeeper shell from")
        }
        return job
    }

    func run<T>(_ handOver: BookieHandOver, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let failed as BookieCommandError {
            throw HandOverError(service: handOver.service, problem: failed.description)
        }
    }

    /// The other bookies with a task running on a ready node (a job placed by their constraints can run there).
    func runningOthers(_ handOver: BookieHandOver) async throws -> [SwarmService] {
        try await HandOverTask.running(swarm, services: handOver.others)
    }
}
