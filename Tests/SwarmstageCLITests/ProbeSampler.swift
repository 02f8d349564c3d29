import Foundation

/// Runs `probe` every 2 s until `stop()`; `stop()` waits for the probe in flight and returns the results.
final class ProbeSampler: Sendable {
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var raised = false
        var isRaised: Bool { lock.withLock { raised } }
        func raise() { lock.withLock { raised = true } }
    }

    private let stopped = Flag()
    private let task: Task<[Bool], Never>

    init(_ probe: @escaping @Sendable () async -> Bool) {
        let stopped = stopped
        task = Task {
            var samples: [Bool] = []
            while !stopped.isRaised {
                let ok = await probe()
                if stopped.isRaised { break }
                samples.append(ok)
                try? await Task.sleep(for: .seconds(2))
            }
            return samples
        }
    }

    func stop() async -> [Bool] {
        stopped.raise()
        return await task.value
    }
}
