import Foundation

/// Tests in different suites run in parallel. Three ways to hold the lab:
/// - `sharing`: only reads the Engine or makes throwaway services of its own;
/// - `run`: changes the lab's shared state (node labels, deployed stacks): one at a time,
///   beside the sharing tests;
/// - `outage`: stops daemons (a restart, a node down): nothing else runs meanwhile.
public actor LabLock {
    public static let shared = LabLock()

    private var stateHeld = false
    private var stateWaiters: [CheckedContinuation<Void, Never>] = []
    private var users = 0
    private var outageHeld = false
    private var outageWaiting = 0
    private var userWaiters: [CheckedContinuation<Void, Never>] = []
    private var outageWaiters: [CheckedContinuation<Void, Never>] = []

    /// For a test that changes shared state (stacks, labels).
    public static func run<T: Sendable>(_ test: String = #function, _ body: @Sendable () async throws -> T) async throws -> T {
        try await holding(test, "run", { await $0.acquireState(); await $0.acquireUse() }, { await $0.releaseUse(); await $0.releaseState() }, body)
    }

    /// For a test that needs the daemons up but changes nothing shared.
    public static func sharing<T: Sendable>(_ test: String = #function, _ body: @Sendable () async throws -> T) async throws -> T {
        try await holding(test, "sharing", { await $0.acquireUse() }, { await $0.releaseUse() }, body)
    }

    /// For a test that stops or restarts daemons.
    public static func outage<T: Sendable>(_ test: String = #function, _ body: @Sendable () async throws -> T) async throws -> T {
        try await holding(test, "outage", { await $0.acquireState(); await $0.acquireOutage() }, { await $0.releaseOutage(); await $0.releaseState() }, body)
    }

    /// Runs `body` holding the lab and prints how long the test waited for it and held it: the
    /// suite's wall time is mostly lab holds one after another, and this is where CI logs show them.
    private static func holding<T: Sendable>(_ test: String, _ kind: String, _ acquire: (LabLock) async -> Void,
                                             _ release: (LabLock) async -> Void,
                                             _ body: @Sendable () async throws -> T) async throws -> T {
        let asked = ContinuousClock.now
        await acquire(shared)
        let got = ContinuousClock.now
        defer {
            let held = ContinuousClock.now - got, waited = got - asked
            print("lab hold: \(test) (\(kind)) held the lab \(seconds(held)) s after waiting \(seconds(waited)) s")
        }
        if let reason = LabCondition.broken {
            await release(shared)
            throw LabBroken(reason: reason)
        }
        do {
            let value = try await body()
            await release(shared)
            return value
        } catch {
            await release(shared)
            throw error
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let (whole, attoseconds) = duration.components
        return String(format: "%.1f", Double(whole) + Double(attoseconds) / 1e18)
    }

    private func acquireState() async {
        if !stateHeld {
            stateHeld = true
            return
        }
        await withCheckedContinuation { stateWaiters.append($0) }
    }

    private func releaseState() {
        if stateWaiters.isEmpty {
            stateHeld = false
        } else {
            stateWaiters.removeFirst().resume()
        }
    }

    private func acquireUse() async {
        // A waiting outage goes first, so that it is not starved by a stream of readers.
        if !outageHeld && outageWaiting == 0 {
            users += 1
            return
        }
        await withCheckedContinuation { userWaiters.append($0) }
    }

    private func releaseUse() {
        users -= 1
        if users == 0, !outageWaiters.isEmpty {
            outageWaiting -= 1
            outageHeld = true
            outageWaiters.removeFirst().resume()
        }
    }

    private func acquireOutage() async {
        if users == 0 && !outageHeld {
            outageHeld = true
            return
        }
        outageWaiting += 1
        await withCheckedContinuation { outageWaiters.append($0) }
    }

    private func releaseOutage() {
        outageHeld = false
        let waiting = userWaiters
        userWaiters = []
        users += waiting.count
        for waiter in waiting { waiter.resume() }
    }
}

/// Set when a test leaves the lab in a state the next ones cannot start from (a teardown that
/// cannot finish, a node that does not come back): every lab test after it fails at once with
/// that reason, instead of each one waiting out its own timeouts (which once took a CI run past
/// its time limit and hid the first failure).
public enum LabCondition {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var reason: String?

    /// Keeps the first reason: later failures follow from it.
    public static func markBroken(_ why: String) {
        lock.withLock { if reason == nil { reason = why } }
    }

    public static var broken: String? { lock.withLock { reason } }
}

public struct LabBroken: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "not run: an earlier test left the lab unusable: \(reason)" }
}

/// Runs `body`, then `cleanup` whether `body` threw or not: a `defer` that may await (a lab
/// restore runs programs, which a test awaits rather than blocking one of Swift's few
/// cooperative threads on them).
public func withCleanup<T>(_ body: () async throws -> T, cleanup: () async -> Void) async throws -> T {
    let value: T
    do {
        value = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return value
}
