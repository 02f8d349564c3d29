import Inventory
import SwarmModel

/// The Engine going away for a while in the middle of a stage (its dockerd restarting, a
/// manager electing a Raft leader), and waiting for it to come back. Deploy and teardown
/// both do their stage again afterwards: deploy plans it again from a fresh snapshot, and
/// every step of teardown ignores what is gone already.
public struct EngineOutage: Sendable {
    /// What was under way, so that the message can say what to run again.
    public enum Operation: String, Sendable {
        case deploy, teardown
    }

    public let swarm: any SwarmAPI
    public let observer: any RolloutObserver
    /// How long the Engine may take to answer as a manager again.
    public let window: Duration
    public let operation: Operation
    /// How often it asks whether the Engine is back.
    public let retryInterval: Duration

    public init(swarm: any SwarmAPI, observer: any RolloutObserver, window: Duration, operation: Operation,
                retryInterval: Duration = .seconds(1)) {
        self.swarm = swarm
        self.observer = observer
        self.window = window
        self.operation = operation
        self.retryInterval = retryInterval
    }

    /// Errors that mean the Engine went away for a while, not that it refused what was asked.
    public static func isOutage(_ error: any Error) -> Bool {
        (error as? EngineError)?.isOutage ?? false
    }

    /// Waits until the Engine answers as a Swarm manager with a leader again; returns its
    /// clock then (nil if it does not report one).
    public func waitForEngine(during stage: Stage, after error: any Error) async throws -> EngineTime? {
        let lost = ContinuousClock.now
        observer.report(.engineLost(stage, reason: "\(error)"))
        var lastError = error
        while ContinuousClock.now - lost < window {
            try await Task.sleep(for: retryInterval)
            do {
                let info = try await swarm.info()
                guard info.Swarm?.ControlAvailable == true else {
                    lastError = EngineRequirementError("the Engine answers but is not (yet) an active Swarm manager")
                    continue
                }
                // Listing needs a Raft leader: the surest sign that the manager works again.
                _ = try await swarm.nodes()
                observer.report(.engineBack(stage, after: ContinuousClock.now - lost))
                return info.SystemTime
            } catch where Self.isOutage(error) {
                lastError = error
            }
        }
        throw EngineLost(stage: stage, window: window, lastError: "\(lastError)", operation: operation)
    }
}

/// The Engine went away during a stage and did not come back in time.
public struct EngineLost: Error, Sendable {
    public var stage: Stage
    public var window: Duration
    public var lastError: String
    public var operation: EngineOutage.Operation

    public init(stage: Stage, window: Duration, lastError: String, operation: EngineOutage.Operation) {
        self.stage = stage
        self.window = window
        self.lastError = lastError
        self.operation = operation
    }
}
