import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps two deploys or teardowns of one cluster from running at once on this
/// machine: an flock on /run/lock/swarmstage-<cluster>.lock (the kernel drops it when
/// the process ends, so a crash leaves no stale lock). A lock object in the swarm
/// would cost two Engine writes per run, and a no-op deploy must write nothing.
final class OperationLock {
    private let descriptor: Int32

    init(cluster: String, operation: String) throws {
        let folder = access("/run/lock", W_OK) == 0 ? "/run/lock" : NSTemporaryDirectory()
        let path = (folder as NSString).appendingPathComponent("swarmstage-\(cluster).lock")
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Failure(message: "error: cannot open the lock file \(path): \(String(cString: strerror(errno)))", code: .usage)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var holder = [UInt8](repeating: 0, count: 256)
            let count = pread(descriptor, &holder, holder.count, 0)
            let who = count > 0 ? String(decoding: holder[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "another process"
            close(descriptor)
            throw Failure(message: "error: another swarmstage deploy or teardown of cluster \(cluster) is running (\(who)); wait for it to finish", code: .usage)
        }
        let note = "\(operation), pid \(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = note.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
