import ArgumentParser
import Blueprint
import Engine
import Foundation
import Inventory
import Rollout
import StackConvert
import SwarmModel
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
    /// A bug in swarmstage: an error nobody classified. The message asks for a report.
    case internalError = 5
}

/// An error turned into what the user sees: one message and an exit code.
/// This is the only place that decides which code an error gets, and where the
/// facts lower layers report are put into words.
struct Failure: Error {
    var message: String
    var code: StatusCode

    /// Every error swarmstage itself throws; nil for ArgumentParser's own outcomes and
    /// for errors nobody classified (which `internal(_:)` reports as a bug).
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
            return Failure(message: describe(failure), code: failure.reason.isRefusal ? .usage : .failed)
        case let secrets as SecretValues.Problem:
            return Failure(message: "error: \(describe(secrets))", code: .usage)
        case let conversion as StackConverter.Failure:
            return Failure(message: "error: \(conversion.description)", code: .usage)
        case let host as DockerHostError:
            return Failure(message: "error: \(host.description)", code: .usage)
        case let lost as EngineLost:
            return Failure(message: "error: lost the Docker Engine during stage \(lost.stage.number) \(lost.stage.rawValue) and it did not answer "
                + "as a Swarm manager within \(lost.window) (last: \(lost.lastError)); once it is back, run \(lost.operation.rawValue) "
                + "again: it continues from where the cluster stands", code: .engine)
        case let timeout as TeardownTimeout:
            return Failure(message: "error: teardown of stage \(timeout.stage.number) \(timeout.stage.rawValue): waited \(timeout.timeout) "
                + "for \(timeout.waitingFor); run teardown again once it has happened"
                + timeout.still.prefix(20).map { "\n  \($0)" }.joined(), code: .engine)
        case let inUse as NetworkInUse:
            return Failure(message: "error: \(inUse.description)", code: .failed)
        case let etcd as EtcdCommandError:
            // etcd refused a membership step (its own words); the deploy stopped there and runs on from it next time.
            return Failure(message: "error: \(etcd.description); deploy stopped at that step and goes on from it when run again",
                           code: .failed)
        case let missing as RevisionMissing:
            return Failure(message: "error: revision \(missing.number) cannot be read back from the swarm (removed, or not written by swarmstage)",
                           code: .usage)
        case let requirement as EngineRequirementError:
            return Failure(message: "error: \(requirement.description)", code: .engine)
        case let engine as EngineError where engine.status == nil:
            // No answer (socket missing, refused, permission denied): the transport's own words.
            return Failure(message: "error: \(engine.message)", code: .engine)
        case let engine as EngineError where engine.isNotManager:
            return Failure(message: "error: \(engine.message); point --host or DOCKER_HOST at a manager's socket", code: .engine)
        case let engine as EngineError where engine.kind == .transient:
            return Failure(message: "error: the Engine cannot answer now (\(engine.description)); try again", code: .engine)
        case let engine as EngineError:
            return Failure(message: "error: the Engine refused \(engine.description)", code: .failed)
        default:
            return nil
        }
    }

    /// An error no case above knows: a bug, with its own exit code, never "usage".
    static func `internal`(_ error: any Error) -> Failure {
        Failure(message: "internal error: \(String(describing: error).prefix(2000))\n"
            + "this is a bug in swarmstage, not in your input: please report it with the command you ran and this message",
                code: .internalError)
    }

    static func summary(_ reason: StageFailure.Reason, stage: Stage) -> String {
        switch reason {
        case .unhealthy:
            return "stage \(stage.rawValue) is not healthy"
        case .timedOut(let timeout):
            return "stage \(stage.rawValue) did not become healthy within \(timeout)"
        case .missingExternalNetwork(let name):
            return "the network \(name) does not exist; it is created by stage \(Stage.allCases.first?.rawValue ?? "1"): deploy that stage first"
        case .networkEncryptionDiffers(let name, let wanted):
            return "the network \(name) exists \(wanted ? "unencrypted" : "encrypted") and the inventory asks for it "
                + "\(wanted ? "encrypted" : "unencrypted"); a network's driver options cannot change while services use it: "
                + "run `swarmstage teardown` and deploy again (data on the hosts stays), or set security.encrypted_network back"
        case .unknownSecret(let name):
            return "the secret \(name) does not exist and swarmstage does not know what it holds; create it with `docker secret create`"
        case .updateCannotProgress(let service, let reason):
            return "update of \(service) cannot progress: \(reason)"
        case .rollingChangeUnsafe(let service, let reason):
            return "refusing to change \(service): \(reason)"
        case .membershipChangeRefused(let tier, let running, let wanted, let added, let removed, let procedure):
            let change = (added.isEmpty ? [] : ["add \(added.joined(separator: ", "))"]) + (removed.isEmpty ? [] : ["remove \(removed.joined(separator: ", "))"])
            return "refusing to change the \(tier) members from \(running) to \(wanted) (\(change.joined(separator: "; "))): \(procedure); "
                + "nothing was written"
        case .imagesNotPulled(let hosts):
            return "stage \(stage.rawValue) needs images that \(hosts) host\(hosts == 1 ? "" : "s") could not pull (below); nothing of the stage was written: "
                + "check the image names and the hosts' access to the registry"
        case .configContentsDiffer(let name):
            return "the config \(name) exists in the swarm with other contents, and Swarm configs cannot change: give the changed file "
                + "a new config name (swarmstage generate puts a hash of the contents in the name)"
        }
    }

    static func describe(_ failure: StageFailure) -> String {
        var lines = ["error: \(summary(failure.reason, stage: failure.stage))"]
        for problem in failure.services {
            lines.append("  \(problem.service): \(problem.reason)")
            for line in problem.logLines { lines.append("    | \(line)") }
        }
        let later = failure.laterStages.map(\.rawValue)
        if !later.isEmpty { lines.append("later stages (\(later.joined(separator: ", "))) were not touched; fix the cause and run deploy again") }
        return lines.joined(separator: "\n")
    }

    static func describe(_ problem: SecretValues.Problem) -> String {
        switch problem {
        case .unreadableFile(let path):
            return "\(path): cannot read the secrets file"
        case .fileReadableByOthers(let path, let mode):
            return "\(path): the secrets file is readable by others (mode \(String(mode, radix: 8))); chmod 600 it"
        case .malformedLine(let path, let line):
            return "\(path):\(line): expected MINIO_ROOT_USER=... or MINIO_ROOT_PASSWORD=..."
        case .missing(let secrets):
            return "MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must be set (in the environment or a --secrets-file) to create the secrets \(secrets.joined(separator: ", "))"
        case .userTooShort:
            return "MINIO_ROOT_USER must have at least 3 characters (MinIO refuses shorter)"
        case .passwordTooShort:
            return "MINIO_ROOT_PASSWORD must have at least 8 characters (MinIO refuses shorter)"
        case .lineBreak:
            return "MinIO credentials cannot contain line breaks"
        }
    }

    /// A file-system error while writing output, said without Foundation's internals.
    static func writing(_ error: any Error, to path: String) -> Failure {
        let nsError = error as NSError
        let underlying = (nsError.userInfo[NSUnderlyingErrorKey] as? NSError).map { $0.domain == NSPOSIXErrorDomain ? $0.code : 0 } ?? 0
        let reason = underlying != 0 ? String(cString: strerror(Int32(underlying))).lowercased() : Self.obstacle(to: path)
        return Failure(message: "error: cannot write \(path): \(reason)", code: .usage)
    }

    /// What keeps a folder from being made at `path`, found by looking at the path itself
    /// (Foundation's own sentences name neither the folder nor the cause).
    static func obstacle(to path: String) -> String {
        var current = (path as NSString).standardizingPath
        var isFolder: ObjCBool = false
        while !current.isEmpty {
            if FileManager.default.fileExists(atPath: current, isDirectory: &isFolder) {
                if !isFolder.boolValue { return "\(current) is a file, not a folder" }
                if access(current, W_OK) != 0 { return "\(current) is not writable (\(String(cString: strerror(errno)).lowercased()))" }
                return "no folder can be made inside \(current)"
            }
            let parent = (current as NSString).deletingLastPathComponent
            if parent == current { break }
            current = parent
        }
        return "the folder cannot be made"
    }
}
