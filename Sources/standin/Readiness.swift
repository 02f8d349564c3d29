import Glibc

/// When a stand-in counts as ready: after its start-up delay, and only while its
/// upstreams answer. Logs each change, so `docker service logs` tells the story.
///
/// The upstreams are checked on a thread of their own, once a second, and a health request
/// reads the last result, as the real services keep their peers' state in the background
/// (MinIO's ClusterCheckHandler reads its in-memory view of the drives, ZooKeeper's `ruok`
/// and etcd's `/health` do not dial anyone). A request that checked the upstreams itself
/// could wait on the lookup of a name whose task is on a host that is down, which the lab's
/// embedded DNS sends outside and gives up on only after seconds, past a healthcheck's
/// timeout.
final class Readiness: @unchecked Sendable {
    let role: String
    let startedAt = Clock.now()
    let delay: Double
    private let lock = Lock()
    private var lastReport = ""
    /// The last check's answer; nil before the first check has finished.
    private var checked: String??

    /// - Parameters:
    ///   - delay: seconds before the first healthy answer (STANDIN_DELAY overrides).
    ///   - check: nil when every upstream answers, else what is missing.
    init(role: String, delay: Double, check: @escaping () -> String? = { nil }) {
        self.role = role
        self.delay = Double(Environment.value("STANDIN_DELAY") ?? "") ?? delay
        failIfAsked(role)
        Log.line("standin \(role): starting, ready in \(self.delay)s once upstreams answer")
        Threads.start { [self] in
            while true {
                let blocker = check()
                lock.run { checked = .some(blocker) }
                Clock.sleep(1)
            }
        }
    }

    /// What keeps the stand-in from being ready, or nil when it is.
    func blocker() -> String? {
        let now = Clock.now()
        return lock.run {
            if now - startedAt < delay { return report("starting up") }
            guard let checked else { return report("checking its upstreams") }
            return report(checked)
        }
    }

    var isReady: Bool { blocker() == nil }

    private func report(_ blocker: String?) -> String? {
        let text = blocker.map { "waiting: \($0)" } ?? "ready"
        if text != lastReport {
            lastReport = text
            Log.line("standin \(role): \(text)")
        }
        return blocker
    }
}

/// STANDIN_FAIL=1 (or the role's name, e.g. STANDIN_FAIL=broker) makes a stand-in fail
/// at start, as a broken service would: tests use it to break a stage.
func failIfAsked(_ role: String) {
    guard let asked = Environment.value("STANDIN_FAIL"), !asked.isEmpty else { return }
    let roles = asked.split(separator: ",").map(String.init)
    guard asked == "1" || roles.contains(role) || roles.contains(where: { role.hasPrefix($0) }) else { return }
    Log.error("standin \(role): failing on demand (STANDIN_FAIL=\(asked))")
    Clock.sleep(1)
    exit(1)
}

/// `host:port` pairs from "a:1,b:2".
func endpoints(_ list: String, defaultPort: Int) -> [(String, Int)] {
    list.split(separator: ",").map { item in
        var text = String(item)
        if let scheme = text.firstRange(of: "://") { text = String(text[scheme.upperBound...]) }
        let parts = text.split(separator: ":")
        return (String(parts.first ?? ""), parts.count > 1 ? Int(parts[1].prefix { $0.isNumber }) ?? defaultPort : defaultPort)
    }
}

/// nil when at least `needed` of `peers` accept a connection, else who is missing.
func quorum(_ peers: [(String, Int)], needed: Int) -> String? {
    let missing = peers.filter { !Network.canReach($0.0, $0.1) }
    if peers.count - missing.count >= needed { return nil }
    return "\(peers.count - missing.count)/\(peers.count) reachable, need \(needed) (missing \(missing.map { "\($0.0):\($0.1)" }.joined(separator: ", ")))"
}

/// The version an image of the stand-in claims (STANDIN_VERSION, set per lab image), else the
/// version of the real image it stands in for.
func standinVersion(default fallback: String) -> String {
    Environment.value("STANDIN_VERSION") ?? fallback
}
