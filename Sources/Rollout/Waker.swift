import SwarmModel
import Foundation

/// Sleeps until the Engine reports something or a short interval passes, whichever
/// comes first: events are a wake-up, the truth is read from /services and /tasks.
final class Waker: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var reader: Task<Void, Never>?

    /// Starts listening (again, after a lost Engine); without events (an old daemon,
    /// a broken stream) it still wakes on time.
    func start(_ engine: any SwarmAPI) async {
        reader?.cancel()
        reader = nil
        guard let events = try? await engine.events(filters: Filters([("type", "service"), ("type", "node"), ("type", "container")])) else { return }
        reader = Task { [weak self] in
            do {
                for try await _ in events { self?.signal() }
            } catch {}
        }
    }

    func stop() {
        reader?.cancel()
        reader = nil
        signal()
    }

    func signal() {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            if let waiter {
                self.waiter = nil
                return waiter
            }
            pending = true
            return nil
        }
        continuation?.resume()
    }

    /// Returns at the next event, or after `interval`.
    func wait(upTo interval: Duration) async {
        let timer = Task { [weak self] in
            do {
                try await Task.sleep(for: interval)
                self?.signal()
            } catch {}
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock {
                if pending {
                    pending = false
                    return true
                }
                waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
        lock.withLock { pending = false }
    }
}
