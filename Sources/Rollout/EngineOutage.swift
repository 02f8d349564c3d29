import CurlTransport
import Engine
import Inventory

/// The Engine going away for a while in the middle of a stage (its dockerd restarting, a
/// manager electing a Raft leader), and waiting for it to come back. Deploy and teardown
/// both do their stage again afterwards: each step of theirs is idempotent.
public struct EngineOutage: Sendable {
    public let engine: EngineClient
    public let observer: any RolloutObserver
    /// How long the Engine may take to answer as a manager again.
    public let window: Duration
    /// The command to run again if it does not: "deploy" or "teardown".
    public let operation: String

    public init(engine: EngineClient, observer: any RolloutObserver, window: Duration, operation: String) {
        self.engine = engine
        self.observer = observer
        self.window = window
        self.operation = operation
    }

    /// Errors that mean the Engine went away for a while, not that it refused what was asked.
    public static func isOutage(_ error: any Error) -> Bool {
        switch error {
        case let transport as TransportError:
            return [.socketMissing, .connectionRefused, .timedOut, .other].contains(transport.kind)
        case let engine as EngineError:
            guard engine.status >= 500 else { return false }
            let message = engine.message.lowercased()
            return engine.status == 503 || ["leader", "unavailable", "connection", "not a swarm manager", "shutting down"].contains { message.contains($0) }
        default:
            return false
        }
    }

    /// Waits until the Engine answers as a Swarm manager with a leader again; returns its clock then.
    public func waitForEngine(during stage: Stage, after error: any Error) async throws -> EngineTime {
        let lost = ContinuousClock.now
        observer.report(.engineLost(stage, reason: "\(error)"))
        var lastError = error
        while ContinuousClock.now - lost < window {
            try await Task.sleep(for: .seconds(1))
            do {
                let info = try await engine.info()
                guard info.Swarm?.ControlAvailable == true else {
                    lastError = EngineRequirementError("the Engine answers but is not (yet) an active Swarm manager")
                    continue
                }
                // Listing needs a Raft leader: the surest sign that the manager works again.
                _ = try await engine.nodes()
                observer.report(.engineBack(stage, after: ContinuousClock.now - lost))
                return EngineTime(info.SystemTime ?? "") ?? EngineTime(nanoseconds: .max)
            } catch where Self.isOutage(error) {
                lastError = error
            }
        }
        throw EngineLost(stage: stage, window: window, lastError: "\(lastError)", operation: operation)
    }
}

/// The Engine went away during a stage and did not come back in time.
public struct EngineLost: Error, Sendable, CustomStringConvertible {
    public var stage: Stage
    public var window: Duration
    public var lastError: String
    public var operation: String

    public var description: String {
        "lost the Docker Engine during stage \(stage.number) \(stage.rawValue) and it did not answer as a Swarm manager within \(window) "
            + "(last: \(lastError)); once it is back, run \(operation) again: it continues from where the cluster stands"
    }
}
