import Glibc

// The Pulsar image's programs: `bin/pulsar zookeeper|bookie|broker|proxy|zookeeper-shell|
// initialize-cluster-metadata`, `bin/bookkeeper shell whatisinstanceid`, the ZooKeeper
// health script and `bin/apply-config-from-env.py`. The stand-in ZooKeeper speaks a line
// protocol (ruok, srvr, conf, ls, create, dump) and keeps a tree of paths, replicated to its peers.

/// `bin/pulsar <command>`.
func runPulsar(_ arguments: [String]) -> Never {
    let rest = Array(arguments.dropFirst())
    switch arguments.first ?? "" {
    case "zookeeper": runZooKeeper()
    case "bookie": runBookie()
    case "broker": runBroker()
    case "proxy": runPulsarProxy()
    case "zookeeper-shell": runZooKeeperShell(rest)
    case "initialize-cluster-metadata": runInitializeClusterMetadata(rest)
    default:
        Log.error("standin pulsar: unknown command \(arguments.first ?? "")")
        exit(2)
    }
}

/// A client for the stand-in ZooKeeper ensemble.
struct ZooKeeperClient {
    var servers: [(String, Int)]

    init(_ connect: String) {
        servers = connect.split(whereSeparator: { $0 == "," || $0 == ";" }).map { item in
            let trimmed = item.split(separator: "/").first.map(String.init) ?? String(item)
            return endpoints(trimmed, defaultPort: 2181).first ?? ("", 2181)
        }
    }

    /// Sends one command to the first server that answers; nil when none does.
    func ask(_ command: String) -> String? {
        for (host, port) in servers {
            guard let fd = Network.connect(host: host, port: port) else { continue }
            defer { close(fd) }
            Network.send(fd, command + "\n")
            let answer = Network.receive(fd, timeout: 3, until: "\n.\n")
            if !answer.isEmpty { return answer.replacingEnd("\n.\n") }
        }
        return nil
    }

    func children(_ path: String) -> [String]? {
        guard let answer = ask("ls \(path)"), answer.hasPrefix("[") else { return nil }
        let inner = answer.dropFirst().prefix { $0 != "]" }
        return inner.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    }

    func create(_ path: String) -> Bool { ask("create \(path)")?.hasPrefix("Created") == true }
}

extension String {
    func replacingEnd(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

/// The paths a stand-in ZooKeeper server holds.
final class PathTree: @unchecked Sendable {
    private let lock = Lock()
    private var paths: Set<String> = ["/", "/zookeeper"]
    private let file: String

    init(file: String) {
        self.file = file
        for line in (Files.read(file) ?? "").split(separator: "\n") { paths.insert(String(line)) }
    }

    func insert(_ path: String) {
        lock.run {
            var current = ""
            for part in path.split(separator: "/") {
                current += "/" + part
                paths.insert(current)
            }
            _ = Files.write(file, paths.sorted().joined(separator: "\n") + "\n")
        }
    }

    func children(of path: String) -> [String]? {
        lock.run {
            guard paths.contains(path) else { return nil }
            let prefix = path == "/" ? "/" : path + "/"
            return paths.filter { $0.hasPrefix(prefix) && $0 != path && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }.sorted()
        }
    }

    var all: [String] { lock.run { paths.sorted() } }
}

func runZooKeeper() -> Never {
    let config = Files.read("/pulsar/conf/zookeeper.conf") ?? ""
    var dataDir = "/pulsar/data/zookeeper", clientPort = 2181
    var ensemble: [(id: Int, host: String, port: Int)] = []
    for raw in config.split(separator: "\n") {
        let line = raw.trimmingSpaces()
        if line.hasPrefix("dataDir=") { dataDir = String(line.dropFirst(8)) }
        if line.hasPrefix("clientPort="), let port = Int(line.dropFirst(11)) { clientPort = port }
        if line.hasPrefix("server."), let equals = line.firstIndex(of: "=") {
            let id = Int(line[line.index(line.startIndex, offsetBy: 7)..<equals]) ?? 0
            let parts = line[line.index(after: equals)...].split(separator: ":")
            ensemble.append((id, String(parts.first ?? ""), parts.count > 1 ? Int(parts[1]) ?? 2888 : 2888))
        }
    }
    let myid = Int((Files.read(dataDir + "/myid") ?? "").trimmingSpaces().trimmingTrailing("\n")) ?? 0
    guard !ensemble.isEmpty, ensemble.contains(where: { $0.id == myid }) else {
        Log.error("standin zookeeper: myid \(myid) is not among the servers of /pulsar/conf/zookeeper.conf")
        exit(1)
    }
    Files.makeDirectories(dataDir)
    let tree = PathTree(file: dataDir + "/standin-tree")
    let peers = ensemble.filter { $0.id != myid }
    let ids = ensemble.map(\.id)
    // A peer counts toward this server's quorum only while its own server list names this server:
    // ZooKeeper's static configuration is per server, and a leader takes votes (and syncs
    // learners) only from the servers of its own list (QuorumVerifier, QuorumPeer's
    // LearnerHandler). So a server added to the list before the running servers restart with
    // it (the rolling procedure) has no quorum, and syncs nothing, until a majority of its own
    // list has restarted naming it.
    let readiness = Readiness(role: "zk\(myid)", delay: 2) {
        zooKeeperQuorum(myid: myid, ensemble: ensemble.filter { $0.id != myid }.map { ($0.host, $0.port) }, size: ensemble.count)
    }
    // Catch up with the peers (a restarted server missed what happened meanwhile; one started
    // with an empty data directory gets the whole tree). Like ZooKeeper, which serves only once
    // it has synced with the leader (a follower's `srvr` says "not currently serving requests"
    // until then), it serves after its first catch-up from a peer.
    let syncLock = Lock()
    var synced = peers.isEmpty
    Threads.start {
        while true {
            var merged = false
            for peer in peers {
                if let dump = ZooKeeperClient("\(peer.host):\(clientPort)").ask("dump \(myid)"), !dump.hasPrefix("not a member") {
                    for path in dump.split(separator: "\n") where path.hasPrefix("/") { tree.insert(String(path)) }
                    merged = true
                }
            }
            let done = syncLock.run { () -> Bool in
                if merged { synced = true }
                return synced
            }
            Clock.sleep(done ? 5 : 1)
        }
    }
    let serving = { readiness.isReady && syncLock.run { synced } }
    // The leader, as the stand-in has it: the lowest id whose quorum port answers.
    let mode = { () -> String in
        peers.contains { $0.id < myid && zooKeeperPeerNames(myid, host: $0.host, port: $0.port) } ? "follower" : "leader"
    }
    // The quorum port tells a peer which servers this one's list names (see zooKeeperQuorum).
    let membership = "ensemble " + ids.map(String.init).joined(separator: ",") + "\n"
    for port in Set(ensemble.filter { $0.id == myid }.map(\.port) + [3888]) {
        Network.serve(port: port) { fd in
            Network.send(fd, membership)
            close(fd)
        }
    }
    Network.serve(port: clientPort) { fd in
        defer { close(fd) }
        let command = Network.receive(fd, limit: 4096, timeout: 3, until: "\n").trimmingSpaces().trimmingTrailing("\n")
        let words = command.split(separator: " ").map(String.init)
        if words.first == "replicate", words.count == 2 {
            tree.insert(words[1])
            Network.send(fd, "OK\n.\n")
            return
        }
        if words.first == "dump" {
            // A learner syncs only from a server whose list names it.
            guard words.count == 2, let asker = Int(words[1]), ids.contains(asker) else {
                Network.send(fd, "not a member of \(ids.map(String.init).joined(separator: ","))\n.\n")
                return
            }
            Network.send(fd, tree.all.joined(separator: "\n") + "\n.\n")
            return
        }
        // ZooKeeper's `conf` (four-letter word): this server's configuration, its server list
        // under "membership:" (QuorumPeer's dumpConf since 3.5), the list it counts a quorum in.
        if words.first == "conf" {
            Network.send(fd, "clientPort=\(clientPort)\ndataDir=\(dataDir)\nserverId=\(myid)\nmembership: \n"
                + ensemble.map { "server.\($0.id)=\($0.host):\($0.port):3888:participant;0.0.0.0:\(clientPort)" }.joined(separator: "\n")
                + "\nversion=0\n")
            return
        }
        // Like ZooKeeper's, `ruok` says the server runs, not that it has a quorum:
        // Swarm lists a task in DNS only once healthy, and the quorum needs the names.
        if words.first == "ruok" {
            if Clock.now() - readiness.startedAt >= readiness.delay { Network.send(fd, "imok") }
            return
        }
        // ZooKeeper's `srvr` (four-letter word): the mode and node count of a server that serves.
        if words.first == "srvr" {
            guard serving() else {
                Network.send(fd, "This ZooKeeper instance is not currently serving requests\n")
                return
            }
            Network.send(fd, "Zookeeper version: stand-in\nMode: \(mode())\n"
                + "Node count: \(tree.all.count)\n")
            return
        }
        guard serving() else { return }
        switch (words.first ?? "", words.count) {
        case ("ls", 2):
            if let children = tree.children(of: words[1]) {
                Network.send(fd, "[" + children.joined(separator: ", ") + "]\n.\n")
            } else {
                Network.send(fd, "Node does not exist: \(words[1])\n.\n")
            }
        case ("create", 2):
            // As ZooKeeper commits a write once a majority of the ensemble has logged it (the
            // leader does not wait for a follower that is down; ZooKeeper internals, "Zab"), the
            // peers are asked at once and the answer goes when a majority holds the path; a peer
            // that missed it catches up from the others (the sync loop above).
            tree.insert(words[1])
            let acks = Lock()
            var acked = 1, answered = 0
            for peer in peers {
                Threads.start {
                    let ok = ZooKeeperClient("\(peer.host):\(clientPort)").ask("replicate \(words[1])") == "OK"
                    acks.run {
                        answered += 1
                        if ok { acked += 1 }
                    }
                }
            }
            let needed = ensemble.count / 2 + 1, started = Clock.now()
            while acks.run({ acked < needed && answered < peers.count }), Clock.now() - started < 2.5 { Clock.sleep(0.02) }
            if acks.run({ acked >= needed }) {
                Network.send(fd, "Created \(words[1])\n.\n")
            } else {
                Network.send(fd, "KeeperErrorCode = ConnectionLoss for \(words[1]): no quorum\n.\n")
            }
        default:
            Network.send(fd, "unknown command\n.\n")
        }
    }
    parkForever()
}

/// Whether the server at `host:port` (its quorum port) answers and names `myid` in its server list.
func zooKeeperPeerNames(_ myid: Int, host: String, port: Int) -> Bool {
    guard let fd = Network.connect(host: host, port: port) else { return false }
    defer { close(fd) }
    let answer = Network.receive(fd, limit: 1024, timeout: 2, until: "\n").trimmingSpaces().trimmingTrailing("\n")
    guard answer.hasPrefix("ensemble ") else { return false }
    return answer.dropFirst("ensemble ".count).split(separator: ",").contains { Int($0) == myid }
}

/// nil when this server and the peers that name it make a majority of its own list of `size` servers.
func zooKeeperQuorum(myid: Int, ensemble peers: [(String, Int)], size: Int) -> String? {
    let counted = peers.filter { zooKeeperPeerNames(myid, host: $0.0, port: $0.1) }
    let needed = size / 2 + 1
    if counted.count + 1 >= needed { return nil }
    let others = peers.filter { peer in !counted.contains { $0.0 == peer.0 } }.map(\.0)
    return "\(counted.count + 1)/\(size) of its server list count (itself and the peers that answer naming it), need \(needed) "
        + "(not counted: \(others.joined(separator: ", ")))"
}

/// `bin/pulsar-zookeeper-ruok.sh`.
func runZooKeeperHealthcheck() -> Never {
    guard let fd = Network.connect(host: "127.0.0.1", port: 2181) else { exit(1) }
    Network.send(fd, "ruok\n")
    let answer = Network.receive(fd, timeout: 3)
    close(fd)
    exit(answer.hasPrefix("imok") ? 0 : 1)
}

/// `bin/pulsar zookeeper-shell -server a:2181,b:2181 ls /path`.
func runZooKeeperShell(_ arguments: [String]) -> Never {
    guard let serverIndex = arguments.firstIndex(of: "-server"), serverIndex + 1 < arguments.count else {
        Log.error("zookeeper-shell: -server is required")
        exit(2)
    }
    let client = ZooKeeperClient(arguments[serverIndex + 1])
    let command = arguments[(serverIndex + 2)...].joined(separator: " ")
    // ZooKeeper's client tries the servers of its connect string in turn until one takes its
    // session (ClientCnxn), within the session timeout: a server that does not serve for a
    // moment (its quorum check under load) is tried again, not taken for a failure.
    var answer = client.ask(command)
    let started = Clock.now()
    while answer == nil, Clock.now() - started < 10 {
        Clock.sleep(0.5)
        answer = client.ask(command)
    }
    guard let answer else {
        Log.error("Connecting to \(arguments[serverIndex + 1]): connection refused")
        exit(1)
    }
    Log.line(answer.trimmingTrailing("\n"))
    exit(answer.hasPrefix("Node does not exist") ? 1 : 0)
}

func runInitializeClusterMetadata(_ arguments: [String]) -> Never {
    failIfAsked("pulsar-init")
    func option(_ name: String) -> String? {
        arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    }
    guard let cluster = option("--cluster"), let store = option("--metadata-store") else {
        Log.error("initialize-cluster-metadata: --cluster and --metadata-store are required")
        exit(2)
    }
    let client = ZooKeeperClient(store.hasPrefix("zk:") ? String(store.dropFirst(3)) : store)
    for path in ["/ledgers", "/admin/clusters/\(cluster)", "/admin/policies/public", "/namespace"] {
        guard client.create(path) else {
            Log.error("initialize-cluster-metadata: cannot write \(path) to \(store)")
            exit(1)
        }
    }
    Log.line("Cluster metadata for '\(cluster)' setup correctly")
    exit(0)
}

func runBroker() -> Never {
    let store = Environment.value("metadataStoreUrl") ?? ""
    let zk = ZooKeeperClient(store.hasPrefix("zk:") ? String(store.dropFirst(3)) : store)
    let cluster = Environment.value("clusterName") ?? ""
    let ensemble = Environment.integer("managedLedgerDefaultEnsembleSize", default: 2)
    let name = Environment.value("advertisedAddress") ?? "broker"
    let readiness = Readiness(role: name, delay: 3) {
        guard let clusters = zk.children("/admin/clusters") else { return "ZooKeeper does not answer" }
        guard clusters.contains(cluster) else { return "cluster \(cluster) is not initialized" }
        let bookies = zk.children("/ledgers/available")?.count ?? 0
        return bookies >= ensemble ? nil : "\(bookies) bookies available, the ensemble needs \(ensemble)"
    }
    serveStatus(readiness)
    Network.serve(port: 6650) { fd in
        _ = Network.receive(fd, timeout: 30)
        close(fd)
    }
    parkForever()
}

func runPulsarProxy() -> Never {
    let brokers = endpoints(Environment.value("brokerServiceURL") ?? "", defaultPort: 6650)
    let readiness = Readiness(role: "pulsar-proxy", delay: 2) { quorum(brokers, needed: 1) }
    serveStatus(readiness)
    Network.serve(port: 6650) { fd in
        _ = Network.receive(fd, timeout: 30)
        close(fd)
    }
    parkForever()
}

/// `/status.html` answers 200 while the status file exists and the service is ready.
func serveStatus(_ readiness: Readiness) {
    let statusFile = Environment.value("statusFilePath") ?? ""
    HTTP.serve(port: 8080) { path in
        guard path.hasPrefix("/status.html") else { return (404, "") }
        guard statusFile.isEmpty || Files.exists(statusFile) else { return (404, "status file missing") }
        return readiness.isReady ? (200, "OK version=\(standinVersion(default: "3.1.0"))") : (503, "not ready")
    }
}
