/// Tests in different suites run in parallel; those that change the lab's shared
/// state (node labels, deployed stacks) take this lock so they do not see each other's changes.
public actor LabLock {
    public static let shared = LabLock()

    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public static func run<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await shared.acquire()
        do {
            let value = try await body()
            await shared.release()
            return value
        } catch {
            await shared.release()
            throw error
        }
    }

    private func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
