import Glibc

/// The objects a MinIO stand-in keeps, modelled on MinIO's erasure coding so that what a test
/// relies on behaves as MinIO's does (MinIO docs, "Erasure Coding"; cmd/erasure-object.go):
/// - Every server of the pool writes each object to each of its drives, under the drive's
///   mount (the node's data directory: it outlives the container). MinIO writes one shard per
///   drive; the stand-in writes the whole object, and counts drives exactly as MinIO does.
/// - With MinIO's default parity (EC:4 for the lab's 8 drives), a write succeeds when it reached
///   the write quorum (the data drives, one more when data equals parity), else 503
///   "insufficient write quorum" and nothing kept (MinIO renames a write into place only once
///   the quorum has it); a read needs the read quorum (as many drives holding the object as
///   there are data drives), else 503; an object no drive of an answering quorum holds is 404 NoSuchKey.
/// - A server that starts with fresh drives in a deployment already formatted heals them: it
///   formats them from its peers' format and copies every object the others hold, in the
///   background, serving meanwhile (cmd/background-newdisks-heal-ops.go, "Healing drive";
///   `mc admin heal` shows the progress). `/minio/standin/heal` answers `starting` until the
///   server has looked at its drives, then `no heal needed`, `healing ...` or `healed N of M`.
/// - Server pools (`minio server POOL1 POOL2 ...`): each pool is an erasure set of its own,
///   with its own quorums. An object lives in one pool: a write of an object a pool holds goes
///   there; a new object goes to the pool with relatively more free space (MinIO docs, `mc admin
///   rebalance`: MinIO does not move objects when a pool is added, and writes new ones to the pool
///   with more free space), here the one holding the fewest objects; a read asks this server's
///   pool, then the others. A server reaches another pool's drives through one of its servers.
/// Requests are not signed (the real server checks AWS Signature V4): no test relies on it.
final class ObjectStore: @unchecked Sendable {
    let drives: [String]
    /// The other servers of this server's pool.
    let peers: [String]
    /// The servers of every other pool, in pool order.
    let otherPools: [[String]]
    let port: Int
    private let lock = Lock()
    private var healStatus = "starting: drives not checked yet"

    init(drives: [String], peers: [String], otherPools: [[String]] = [], port: Int = 9000) {
        self.drives = drives
        self.peers = peers
        self.otherPools = otherPools
        self.port = port
    }

    var totalDrives: Int { (peers.count + 1) * drives.count }
    /// MinIO's default parity for an erasure set of `drives` drives (internal/config/storageclass,
    /// DefaultParityBlocks): EC:4 from 8 drives on. The pool is one erasure set (up to 16 drives).
    static func defaultParity(_ drives: Int) -> Int {
        switch drives {
        case ...1: return 0
        case 2, 3: return 1
        case 4, 5: return 2
        case 6, 7: return 3
        default: return 4
        }
    }
    var parity: Int { Self.defaultParity(totalDrives) }
    /// A read needs the data shards; a write the data shards, one more when data equals parity.
    var readQuorum: Int { max(totalDrives - parity, 1) }
    var writeQuorum: Int { totalDrives - parity == parity ? totalDrives - parity + 1 : totalDrives - parity }
    var heal: String { lock.run { healStatus } }

    /// Drives found formatted at start: nothing to heal (unless a heal of this run is under way or done).
    func noHealNeeded() {
        lock.run { if healStatus.hasPrefix("starting") { healStatus = "no heal needed" } }
    }

    static let peerPrefix = "/minio/standin/peer/"
    /// A read or write of an object in the answering server's pool, from a server of another pool.
    static let poolPrefix = "/minio/standin/pool/"

    /// `bucket/key` from a request path, or nil when it names no object (or MinIO's own folder).
    static func objectName(_ path: String) -> String? {
        let name = String(path.drop { $0 == "/" }.prefix { $0 != "?" })
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0 != ".." && $0 != "." }), !name.hasPrefix(".minio.sys") else { return nil }
        return name
    }

    // MARK: this server's drives

    private func index(_ drive: String) -> String { drive + "/.minio.sys/standin-objects" }

    /// Writes the object to every local drive; how many took it.
    func storeLocally(_ name: String, _ body: String) -> Int {
        lock.run {
            var stored = 0
            for drive in drives {
                let path = drive + "/" + name
                Files.makeDirectories(String(path.prefix(upTo: path.lastIndex(of: "/") ?? path.endIndex)))
                guard Files.write(path, body) else { continue }
                let listed = (Files.read(index(drive)) ?? "").split(separator: "\n").contains { $0 == name }
                if !listed { _ = Files.append(index(drive), name + "\n") }
                stored += 1
            }
            return stored
        }
    }

    /// Takes a write back from every local drive (MinIO writes to a temporary folder and
    /// renames it into place only once the quorum has it: a refused write leaves nothing).
    func removeLocally(_ name: String) {
        lock.run {
            for drive in drives {
                _ = unlink(drive + "/" + name)
                let kept = (Files.read(index(drive)) ?? "").split(separator: "\n").filter { $0 != name }
                _ = Files.write(index(drive), kept.map { $0 + "\n" }.joined())
            }
        }
    }

    /// The object as a local drive holds it, and on how many local drives it is.
    func readLocally(_ name: String) -> (body: String?, drives: Int) {
        lock.run {
            let copies = drives.compactMap { Files.exists($0 + "/" + name) ? Files.read($0 + "/" + name) : nil }
            return (copies.first, copies.count)
        }
    }

    /// Every object a local drive lists.
    func localNames() -> [String] {
        lock.run {
            var names: [String] = []
            for drive in drives {
                for line in (Files.read(index(drive)) ?? "").split(separator: "\n") where !names.contains(String(line)) {
                    names.append(String(line))
                }
            }
            return names
        }
    }

    // MARK: the pool

    /// Asks every peer at once (a peer whose host is gone can take seconds to fail its name
    /// lookup in the lab); each answer, or nil, in the order of `peers`.
    func askPeers(_ method: String, _ path: String, body: String = "", timeout: Double = 3) -> [(status: Int, body: String)?] {
        ask(peers, method, path, body: body, timeout: timeout)
    }

    /// Asks each of `servers` at once; each answer, or nil, in their order.
    func ask(_ servers: [String], _ method: String, _ path: String, body: String = "", timeout: Double = 3) -> [(status: Int, body: String)?] {
        let peers = servers
        let results = Lock()
        var answers = [(status: Int, body: String)?](repeating: nil, count: peers.count)
        var done = 0
        for (index, peer) in peers.enumerated() {
            Threads.start { [port] in
                let answer = HTTP.request(method, "http://\(peer):\(port)\(path)", body: body, timeout: timeout)
                results.run {
                    answers[index] = answer
                    done += 1
                }
            }
        }
        // A peer whose name does not resolve yet is not waited for past the timeout (its thread ends later).
        let deadline = Clock.now() + timeout + 0.5
        while results.run({ done < peers.count }), Clock.now() < deadline { Clock.sleep(0.01) }
        return results.run { answers }
    }

    // MARK: the deployment's pools

    /// One answer from a server of `pool`: the first that answers at all.
    func askPool(_ pool: [String], _ method: String, _ path: String, body: String = "") -> (status: Int, body: String)? {
        ask(pool, method, path, body: body).lazy.compactMap { $0 }.first
    }

    /// A client's write: to the pool that holds the object, else to the pool with the fewest objects.
    func put(_ name: String, _ body: String) -> (Int, String) {
        guard !otherPools.isEmpty else { return putInPool(name, body) }
        if readLocally(name).drives > 0 || get(inPool: name).0 != 404 { return putInPool(name, body) }
        var holders: [[String]] = []
        var counts: [(pool: [String]?, objects: Int)] = [(nil, localNames().count)]
        for pool in otherPools {
            guard let answer = askPool(pool, "GET", Self.poolPrefix + name) else { continue }
            if answer.status != 404 { holders.append(pool) }
            if let index = askPool(pool, "GET", Self.peerPrefix + "index"), index.status == 200 {
                counts.append((pool, index.body.split(separator: "\n").count))
            }
        }
        let target = holders.first ?? counts.min { $0.objects < $1.objects }?.pool
        guard let target else { return putInPool(name, body) }
        guard let answer = askPool(target, "PUT", Self.poolPrefix + name, body: body) else {
            return (503, "InsufficientWriteQuorum: the pool of \(target.joined(separator: ", ")) does not answer")
        }
        return (answer.status, answer.body)
    }

    /// A client's read: this server's pool, then each other pool.
    func get(_ name: String) -> (Int, String) {
        let local = get(inPool: name)
        guard local.0 == 404, !otherPools.isEmpty else { return local }
        var unavailable: (Int, String)?
        for pool in otherPools {
            guard let answer = askPool(pool, "GET", Self.poolPrefix + name) else {
                unavailable = (503, "InsufficientReadQuorum: the pool of \(pool.joined(separator: ", ")) does not answer")
                continue
            }
            if answer.status == 200 { return (200, answer.body) }
            if answer.status != 404 { unavailable = (answer.status, answer.body) }
        }
        return unavailable ?? local
    }

    /// What a server of another pool asks of this server's pool.
    func answerPool(_ request: HTTP.Request) -> (Int, String) {
        guard let name = Self.objectName(String(request.path.dropFirst(Self.poolPrefix.count))) else { return (400, "bad object name") }
        switch request.method {
        case "PUT": return putInPool(name, request.body)
        case "GET": return get(inPool: name)
        default: return (400, "MethodNotAllowed")
        }
    }

    // MARK: this server's pool

    /// A write to this pool: here and on every peer; 200 once the write quorum of drives has it.
    func putInPool(_ name: String, _ body: String) -> (Int, String) {
        var stored = storeLocally(name, body)
        for answer in askPeers("PUT", Self.peerPrefix + name, body: body) {
            if let answer, answer.status == 200, let count = Int(answer.body.trimmingSpaces()) { stored += count }
        }
        guard stored >= writeQuorum else {
            removeLocally(name)
            Threads.start { [self] in _ = askPeers("DELETE", Self.peerPrefix + name) }
            return (503, "InsufficientWriteQuorum: Storage resources are insufficient for the write operation (\(stored) of \(totalDrives) drives, \(writeQuorum) needed)")
        }
        return (200, "")
    }

    /// A read from this pool: 200 with the object while the read quorum of drives holds it.
    func get(inPool name: String) -> (Int, String) {
        let local = readLocally(name)
        var body = local.body, holding = local.drives, answering = drives.count
        for answer in askPeers("GET", Self.peerPrefix + name) {
            guard let answer else { continue }
            answering += drives.count
            guard answer.status == 200 else { continue }
            let parts = answer.body.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            holding += Int(parts.first ?? "") ?? 0
            if body == nil, parts.count == 2 { body = String(parts[1]) }
        }
        if holding >= readQuorum, let body { return (200, body) }
        if holding == 0, answering >= readQuorum { return (404, "NoSuchKey: The specified key does not exist.") }
        return (503, "InsufficientReadQuorum: Storage resources are insufficient for the read operation (\(holding) of \(totalDrives) drives hold it, \(readQuorum) needed)")
    }

    /// What a peer asks of this server's drives.
    func answerPeer(_ request: HTTP.Request) -> (Int, String) {
        let rest = String(request.path.dropFirst(Self.peerPrefix.count))
        if rest == "index" { return (200, localNames().joined(separator: "\n")) }
        guard let name = Self.objectName(rest) else { return (400, "bad object name") }
        if request.method == "PUT" { return (200, "\(storeLocally(name, request.body))") }
        if request.method == "DELETE" {
            removeLocally(name)
            return (200, "")
        }
        let local = readLocally(name)
        guard let body = local.body else { return (404, "") }
        return (200, "\(local.drives)\n\(body)")
    }

    /// Says a heal is due before it starts in the background (no moment answers `no heal needed`).
    func healDue() {
        lock.run { healStatus = "healing: listing the objects the other servers hold" }
    }

    /// Heals fresh drives: copies every object a peer lists that the local drives lack.
    func healFromPeers() {
        var names: [String] = []
        for answer in askPeers("GET", Self.peerPrefix + "index", timeout: 5) {
            guard let answer, answer.status == 200 else { continue }
            for line in answer.body.split(separator: "\n") where !names.contains(String(line)) { names.append(String(line)) }
        }
        var healed = 0
        for (done, name) in names.enumerated() {
            lock.run { healStatus = "healing: \(done) of \(names.count) objects" }
            if readLocally(name).drives == drives.count { healed += 1; continue }
            for answer in askPeers("GET", Self.peerPrefix + name, timeout: 5) {
                guard let answer, answer.status == 200 else { continue }
                let parts = answer.body.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { continue }
                if storeLocally(name, String(parts[1])) == drives.count { healed += 1 }
                break
            }
        }
        Log.line("standin minio: healed \(healed) of \(names.count) objects onto \(drives.joined(separator: ", "))")
        lock.run { healStatus = "healed \(healed) of \(names.count)" }
    }
}
