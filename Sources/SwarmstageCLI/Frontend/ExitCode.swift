import ArgumentParser
import Blueprint
import CurlTransport
import Engine
import Inventory
import Rollout
import StackConvert
import YAMLSource

/// The exit codes every command shares (documented in README and `--help`).
public enum StatusCode: Int32, Sendable {
    case success = 0
    /// Health: degraded but serving. `generate --check`: files differ.
    case degraded = 1
    /// Health: a stage is down or a quorum is lost. Deploy: a stage never got healthy.
    case failed = 2
    /// The user's input is wrong: flags, inventory, image file.
    case usage = 3
    /// The Docker Engine cannot be reached, refuses, or is not a Swarm manager.
    case engine = 4
}

/// An error turned into what the user sees: one message and an exit code.
/// This is the only place that decides which code an error gets.
struct Failure: Error {
    var message: String
    var code: StatusCode

    static func classify(_ error: any Error) -> Failure? {
        switch error {
        case let failure as Failure:
            return failure
        case let invalid as InventoryError:
            let count = invalid.diagnostics.count
            return Failure(message: invalid.description + "\n\(count) error\(count == 1 ? "" : "s"); nothing was written",
                           code: .usage)
        case let unreadable as InputFileError:
            return Failure(message: unreadable.description, code: .usage)
        case let failure as StageFailure:
            return Failure(message: failure.description, code: .failed)
        case let secrets as SecretValues.Problem:
            return Failure(message: "error: \(secrets.description)", code: .usage)
        case let conversion as StackConverter.Failure:
            return Failure(message: "error: \(conversion.description)", code: .usage)
        case let host as DockerHostError:
            return Failure(message: "error: \(host.description)", code: .usage)
        case let lost as EngineLost:
            return Failure(message: "error: \(lost.description)", code: .engine)
        case let transport as TransportError:
            return Failure(message: "error: \(transport.description)", code: .engine)
        case let requirement as EngineRequirementError:
            return Failure(message: "error: \(requirement.description)", code: .engine)
        case let engine as EngineError where engine.isNotManager:
            return Failure(message: "error: \(engine.message); point --host or DOCKER_HOST at a manager's socket", code: .engine)
        case let engine as EngineError:
            return Failure(message: "error: the Engine refused \(engine.description)", code: .failed)
        default:
            // ArgumentParser's own errors (help, version, bad flags) keep their handling.
            return nil
        }
    }
}
