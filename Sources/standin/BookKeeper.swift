import Glibc

// The stand-in bookie and `bin/bookkeeper shell`, with what a decommission and a replaced disk
// rely on (BookKeeper docs, "Decommission Bookies" and "Bookie cookies"; bookkeeper-server's
// Bookie.checkEnvironment and BookKeeperAdmin.decommissionBookie):
// - A bookie keeps the entries written to it in its ledger directory (one file per ledger).
// - Ledger metadata is in ZooKeeper: each ledger's ensemble, a new version when it changes.
//   The stand-in ZooKeeper only adds paths, so a version is one path,
//   `/ledgers/meta/<ledger>/<version>-<bookie>+<bookie>` (`ls` separates children with commas),
//   and the highest version counts.
// - Cookies: a bookie's first start writes a cookie to its directories and to ZooKeeper
//   (`/ledgers/cookies/<bookie>/<generation>`; removed by adding
//   `/ledgers/cookies-removed/<bookie>/<generation>`). A bookie whose directories are empty
//   while ZooKeeper holds its cookie, or whose directories hold a cookie ZooKeeper does not,
//   refuses to start, as BookKeeper's cookie check does.
// - A bookie is writable while it is registered under `/ledgers/available` and answers on
//   3181 (ZooKeeper's ephemeral registration, gone when the bookie stops, as liveness).
// - `decommissionbookie` (real BookKeeper: auto-recovery re-replicates the ledgers of a bookie
//   that is down and the command waits for it; against a bookie that still runs it waits
//   forever) copies each ledger that names the bookie from a replica that answers to a
//   writable bookie outside its ensemble, writes the new ensemble, and removes the cookie;
//   it refuses at once while the bookie still runs.

private let bookiePort = 3181

/// The metadata and the bookies, as the shell and a bookie see them through ZooKeeper.
struct LedgerRegistry {
    let zk: ZooKeeperClient

    init() {
        let uri = Environment.value("metadataServiceUri") ?? Environment.value("zkServers") ?? ""
        let hosts = uri.hasPrefix("zk+hierarchical://") ? String(uri.dropFirst("zk+hierarchical://".count)) : uri
        zk = ZooKeeperClient(hosts)
    }

    /// nil while ZooKeeper does not answer; [] for a path that does not exist.
    func list(_ path: String) -> [String]? {
        guard let answer = zk.ask("ls \(path)") else { return nil }
        guard answer.hasPrefix("[") else { return [] }
        return answer.dropFirst().prefix { $0 != "]" }.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    }

    var ledgers: [Int] { (list("/ledgers/meta") ?? []).compactMap { Int($0) }.sorted() }

    /// The ledger's current ensemble and its version.
    func ensemble(_ ledger: Int) -> (version: Int, bookies: [String])? {
        let versions = (list("/ledgers/meta/\(ledger)") ?? []).compactMap { entry -> (Int, [String])? in
            guard let dash = entry.firstIndex(of: "-"), let version = Int(entry[..<dash]) else { return nil }
            return (version, entry[entry.index(after: dash)...].split(separator: "+").map(String.init))
        }
        return versions.max { $0.0 < $1.0 }
    }

    func setEnsemble(_ ledger: Int, version: Int, bookies: [String]) -> Bool {
        zk.create("/ledgers/meta/\(ledger)/\(version)-\(bookies.joined(separator: "+"))")
    }

    /// Registered bookies that answer: the writable ones.
    var writable: [String] {
        (list("/ledgers/available") ?? []).filter { !$0.hasPrefix("readonly") && BookieClient($0).ask("ping") == "pong" }.sorted()
    }

    /// How many ledgers name each bookie now.
    func load() -> [String: Int] {
        var counts: [String: Int] = [:]
        for ledger in ledgers { for bookie in ensemble(ledger)?.bookies ?? [] { counts[bookie, default: 0] += 1 } }
        return counts
    }

    /// The cookie generations ZooKeeper holds for `bookie` that were not removed.
    func cookies(_ bookie: String) -> (live: [Int], all: [Int])? {
        guard let written = list("/ledgers/cookies/\(bookie)"), let removed = list("/ledgers/cookies-removed/\(bookie)") else { return nil }
        let all = written.compactMap { Int($0) }
        return (all.filter { !removed.contains(String($0)) }.sorted(), all.sorted())
    }
}

/// One request to a bookie's 3181 port (the stand-in's line protocol).
struct BookieClient {
    let host: String
    let port: Int

    init(_ id: String) {
        let parts = id.split(separator: ":")
        host = parts.first.map(String.init) ?? id
        port = parts.count > 1 ? Int(parts[1]) ?? bookiePort : bookiePort
    }

    /// Three tries, as BookKeeper's client retries: a new container's first connection through
    /// the overlay's virtual IP can take longer than one try allows (seen in the lab).
    func ask(_ command: String) -> String? {
        // A bookie whose service is gone has no name any more: no point in trying again.
        guard !Network.resolve(host).isEmpty else { return nil }
        for attempt in 1...3 {
            if let fd = Network.connect(host: host, port: port, timeout: 2) {
                Network.send(fd, command + "\n")
                let answer = Network.receive(fd, limit: 1 << 20, timeout: 3, until: "\n.\n")
                close(fd)
                if answer.hasSuffix("\n.\n") { return answer.replacingEnd("\n.\n") }
            }
            if attempt < 3 { Clock.sleep(0.5) }
        }
        return nil
    }

    /// The entries the bookie holds of `ledger` (id, payload); nil when it does not answer or holds none.
    func read(_ ledger: Int) -> [(Int, String)]? {
        guard let answer = ask("read \(ledger)"), !answer.hasPrefix("NoSuchLedger") else { return nil }
        return answer.split(separator: "\n").compactMap { line in
            guard let space = line.firstIndex(of: " "), let id = Int(line[..<space]) else { return nil }
            return (id, String(line[line.index(after: space)...]))
        }
    }

    func add(_ ledger: Int, entry: Int, payload: String) -> Bool { ask("add \(ledger) \(entry) \(payload)") == "OK" }
}

func runBookie() -> Never {
    let registry = LedgerRegistry()
    let address = Environment.value("advertisedAddress") ?? "bookie"
    let id = "\(address):\(bookiePort)"
    let directory = Environment.value("ledgerDirectories") ?? "/pulsar/data/bookkeeper/ledgers"
    Files.makeDirectories(directory + "/current")
    checkCookie(id: id, file: directory + "/current/cookie", registry: registry)

    let registered = Lock()
    var isRegistered = false
    let readiness = Readiness(role: address, delay: 3) {
        registered.run { isRegistered } ? nil : "registering with ZooKeeper"
    }
    Threads.start {
        while !registered.run({ isRegistered }) {
            if registry.zk.create("/ledgers/available/\(id)") { registered.run { isRegistered = true } } else { Clock.sleep(1) }
        }
    }
    let store = Lock()
    Network.serve(port: bookiePort) { fd in
        defer { close(fd) }
        let line = Network.receive(fd, limit: 65_536, timeout: 3, until: "\n").trimmingTrailing("\n")
        let words = line.split(separator: " ", maxSplits: 3).map(String.init)
        switch (words.first ?? "", words.count) {
        case ("ping", 1):
            Network.send(fd, "pong\n.\n")
        case ("add", 4):
            guard let ledger = Int(words[1]), let entry = Int(words[2]) else { return Network.send(fd, "BadRequest\n.\n") }
            let file = "\(directory)/current/ledger-\(ledger)"
            let written = store.run { () -> Bool in
                let held = Files.read(file) ?? ""
                if held.split(separator: "\n").contains(where: { $0.hasPrefix("\(entry) ") }) { return true }
                return Files.append(file, "\(entry) \(words[3])\n")
            }
            Network.send(fd, written ? "OK\n.\n" : "WriteError\n.\n")
        case ("read", 2):
            let held = store.run { Files.read("\(directory)/current/ledger-\(words[1])") }
            Network.send(fd, (held ?? "NoSuchLedger\n") + ".\n")
        default:
            Network.send(fd, "BadRequest\n.\n")
        }
    }
    HTTP.serve(port: Environment.integer("httpServerPort", default: 8000)) { path in
        guard path.hasPrefix("/api/v1/bookie/is_ready") else { return (404, "") }
        return readiness.isReady ? (200, "OK version=\(standinVersion(default: "3.1.0"))") : (503, "Bookie is not ready")
    }
    parkForever()
}

/// BookKeeper's cookie check at start-up (Bookie.checkEnvironment): the cookie in the bookie's
/// directories and the one in the metadata store must agree; a bookie new to both writes one.
private func checkCookie(id: String, file: String, registry: LedgerRegistry) {
    var cookies = registry.cookies(id)
    while cookies == nil {
        Clock.sleep(1)
        cookies = registry.cookies(id)
    }
    let (live, all) = cookies ?? ([], [])
    let local = Int((Files.read(file) ?? "").trimmingSpaces().trimmingTrailing("\n"))
    switch (local, live.last) {
    case (let local?, let stored?) where local == stored:
        return
    case (nil, let stored?):
        Log.error("org.apache.bookkeeper.bookie.BookieException$InvalidCookieException: the metadata store holds cookie "
            + "\(stored) for bookie \(id), and its journal and ledger directories are empty: a bookie with empty disks is not "
            + "admitted under the identity of one that held data; decommission it first (bookkeeper shell decommissionbookie)")
        exit(1)
    case (let local?, _):
        Log.error("org.apache.bookkeeper.bookie.BookieException$InvalidCookieException: Cookie for this bookie is not stored in "
            + "metadata store. Bookie failing to come up (bookie \(id), cookie \(local) in its directories)")
        exit(1)
    case (nil, nil):
        let generation = (all.max() ?? 0) + 1
        guard registry.zk.create("/ledgers/cookies/\(id)/\(generation)"), Files.write(file, "\(generation)\n") else {
            Log.error("standin bookie: cannot write the cookie of \(id)")
            exit(1)
        }
        Log.line("standin bookie: new cookie \(generation) for \(id)")
    }
}

/// `bin/bookkeeper shell <command>`: whatisinstanceid, listbookies, simpletest, readledger,
/// listledgers, decommissionbookie.
func runBookkeeper(_ arguments: [String]) -> Never {
    guard arguments.first == "shell", arguments.count >= 2 else {
        Log.error("standin bookkeeper: only `shell <command>` is implemented")
        exit(2)
    }
    // The lab's DNS forwards a name it does not know (a bookie whose service was removed) to an
    // upstream the lab cannot reach, and says so only after 5 s per try; a cluster's DNS answers
    // NXDOMAIN at once. The shell waits at most 1 s per lookup (glibc's RES_OPTIONS).
    setenv("RES_OPTIONS", "timeout:1 attempts:1", 0)
    let command = arguments[1], options = Array(arguments.dropFirst(2))
    func option(_ name: String) -> String? {
        options.firstIndex(of: name).flatMap { $0 + 1 < options.count ? options[$0 + 1] : nil }
    }
    let registry = LedgerRegistry()
    guard registry.list("/ledgers") != nil else {
        Log.error("Failed to connect to the metadata store: ZooKeeper does not answer")
        exit(1)
    }
    switch command {
    case "whatisinstanceid":
        guard registry.zk.children("/ledgers") != nil else {
            Log.error("Failed to get instance id: /ledgers does not exist")
            exit(1)
        }
        Log.line("Metadata Service Uri: \(Environment.value("metadataServiceUri") ?? "") InstanceId: standin")
    case "listbookies":
        Log.line("ReadWrite Bookies :")
        for bookie in registry.writable {
            let host = BookieClient(bookie).host
            Log.line("BookieID:\(bookie), IP:\(Network.resolve(host).first ?? host), Port:\(bookiePort), Hostname:\(host)")
        }
    case "listledgers":
        let bookie = option("-bookieid")
        for ledger in registry.ledgers where bookie == nil || registry.ensemble(ledger)?.bookies.contains(bookie ?? "") == true {
            Log.line("ledgerID: \(ledger)")
        }
    case "simpletest":
        simpleTest(registry, ensemble: Int(option("-ensemble") ?? "") ?? 3, entries: Int(option("-numEntries") ?? "") ?? 100)
    case "readledger":
        guard let ledger = Int(option("-ledgerid") ?? "") else {
            Log.error("readledger: -ledgerid is required")
            exit(2)
        }
        readLedger(registry, ledger)
    case "decommissionbookie":
        guard let bookie = option("-bookieid") else {
            Log.error("decommissionbookie: -bookieid is required when it runs off the bookie")
            exit(2)
        }
        decommission(registry, bookie)
    default:
        Log.error("standin bookkeeper: shell \(command) is not implemented")
        exit(2)
    }
    exit(0)
}

/// `simpletest`: a new ledger on the writable bookies that hold the fewest ledgers, `entries` entries written to each.
private func simpleTest(_ registry: LedgerRegistry, ensemble size: Int, entries: Int) {
    let load = registry.load()
    let chosen = registry.writable.sorted { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) }.prefix(size).sorted()
    guard chosen.count == size else {
        Log.error("BKNotEnoughBookiesException: Not enough non-faulty bookies available (\(chosen.count) writable, ensemble \(size))")
        exit(1)
    }
    let ledger = (registry.ledgers.last ?? 0) + 1
    guard registry.setEnsemble(ledger, version: 1, bookies: chosen) else {
        Log.error("simpletest: cannot write the metadata of ledger \(ledger)")
        exit(1)
    }
    for entry in 0..<entries {
        for bookie in chosen where !BookieClient(bookie).add(ledger, entry: entry, payload: "ledger\(ledger)-entry\(entry)") {
            Log.error("simpletest: bookie \(bookie) did not take entry \(entry) of ledger \(ledger)")
            exit(1)
        }
    }
    Log.line("Ledger ID: \(ledger)")
    Log.line("\(entries) entries written to ledger \(ledger) on \(chosen.joined(separator: ", "))")
}

/// `readledger`: the entries, from the first bookie of the ensemble that answers.
private func readLedger(_ registry: LedgerRegistry, _ ledger: Int) {
    guard let ensemble = registry.ensemble(ledger) else {
        Log.error("Error reading ledger \(ledger): No such ledger exists")
        exit(1)
    }
    guard let entries = ensemble.bookies.lazy.compactMap({ BookieClient($0).read(ledger) }).first else {
        Log.error("Error reading ledger \(ledger): no bookie of its ensemble (\(ensemble.bookies.joined(separator: ", "))) answers")
        exit(1)
    }
    for (id, payload) in entries.sorted(by: { $0.0 < $1.0 }) {
        Log.line("--------- Lid=\(ledger), Eid=\(id) ---------")
        Log.line(payload)
    }
}

private func decommission(_ registry: LedgerRegistry, _ bookie: String) {
    let writable = registry.writable
    guard !writable.contains(bookie) else {
        Log.error("decommissionbookie: bookie \(bookie) is still available; stop it first (BookKeeper docs, Decommission "
            + "Bookies): auto-recovery re-replicates only the ledgers of a bookie that is down")
        exit(1)
    }
    for ledger in registry.ledgers {
        guard let ensemble = registry.ensemble(ledger), ensemble.bookies.contains(bookie) else { continue }
        let others = ensemble.bookies.filter { $0 != bookie }
        guard let (source, entries) = others.lazy.compactMap({ other in BookieClient(other).read(ledger).map { (other, $0) } }).first else {
            Log.error("decommissionbookie: ledger \(ledger) has no replica that answers (\(others.joined(separator: ", ")))")
            exit(1)
        }
        let load = registry.load()
        guard let target = writable.filter({ !ensemble.bookies.contains($0) })
            .sorted(by: { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) }).first else {
            Log.error("decommissionbookie: ledger \(ledger) cannot be re-replicated: no writable bookie outside its ensemble "
                + "(\(ensemble.bookies.joined(separator: ", ")))")
            exit(1)
        }
        for (id, payload) in entries where !BookieClient(target).add(ledger, entry: id, payload: payload) {
            Log.error("decommissionbookie: bookie \(target) did not take entry \(id) of ledger \(ledger)")
            exit(1)
        }
        guard registry.setEnsemble(ledger, version: ensemble.version + 1, bookies: (others + [target]).sorted()) else {
            Log.error("decommissionbookie: cannot write the new ensemble of ledger \(ledger)")
            exit(1)
        }
        Log.line("ledger \(ledger): \(entries.count) entries re-replicated from \(source) to \(target)")
    }
    for generation in registry.cookies(bookie)?.live ?? [] {
        guard registry.zk.create("/ledgers/cookies-removed/\(bookie)/\(generation)") else {
            Log.error("decommissionbookie: cannot remove the cookie of \(bookie)")
            exit(1)
        }
    }
    Log.line("Decommission of bookie \(bookie) completed")
}
