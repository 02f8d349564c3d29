import Glibc

/// `minio server http://minio{1...4}/disk{1...2} --console-address :9090`. As MinIO: the
/// first start formats the drives only once every server answers, and writes the format to
/// each drive (`.minio.sys/format.json`); from then on, across restarts, the cluster is healthy
/// (`/minio/health/cluster` 200) while its write quorum answers: with the default parity of
/// half the drives, more than half of the servers (MinIO docs, "Erasure Coding": write quorum
/// is the data drives, one more when data equals parity; cmd/healthcheck-handler.go
/// ClusterCheckHandler). `/minio/health/live` only says the process serves. Objects: see
/// ObjectStore (erasure quorums, healing fresh drives, server pools).
///
/// Server pools (`minio server http://minio{1...4}/disk{1...2} http://minio{5...8}/disk{1...2}`):
/// a server belongs to the pool that names its hostname; quorums, formatting and healing are
/// its pool's. At start a server verifies that every other server it reaches was started with
/// the same pools, and waits while one was not, as MinIO does before it serves (cmd/server-main.go
/// verifyServerSystemConfig; cmd/bootstrap-peer-server.go: "Expected number of endpoints"): a
/// pool is added by restarting every server with the new list together. Once verified it does
/// not ask again (a running server does not notice a peer restarted with other pools). A new
/// pool's drives are formatted once its servers answer, not healed: the objects stay in the
/// pools that hold them. The deployment is healthy while each pool has its write quorum.
func runMinio(_ arguments: [String]) -> Never {
    let endpoints = arguments.filter { $0.hasPrefix("http://") }
    let pools = endpoints.map(expandMinio)
    let me = System.hostname()
    let mine = pools.firstIndex { $0.contains(me) } ?? 0
    let spec = endpoints.isEmpty ? "" : endpoints[mine]
    let peers = (pools.isEmpty ? [] : pools[mine]).map { ($0, 9000) }
    let otherPools = pools.enumerated().filter { $0.offset != mine }.map(\.element)
    let configuration = endpoints.joined(separator: " ")
    let drives = expandEllipsis(String(spec.dropFirst("http://".count).drop { $0 != "/" }))
    let formats = drives.map { $0 + "/.minio.sys/format.json" }
    let userFile = Environment.value("MINIO_ROOT_USER_FILE") ?? ""
    let passwordFile = Environment.value("MINIO_ROOT_PASSWORD_FILE") ?? ""
    let user = Files.read(userFile) ?? Environment.value("MINIO_ROOT_USER") ?? ""
    let password = Files.read(passwordFile) ?? Environment.value("MINIO_ROOT_PASSWORD") ?? ""
    guard user.count >= 3, password.count >= 8 else {
        Log.error("ERROR Unable to validate credentials inherited from the shell environment: Invalid credentials")
        exit(1)
    }
    let store = ObjectStore(drives: drives, peers: peers.map(\.0).filter { $0 != me }, otherPools: otherPools)
    let live = Readiness(role: "minio", delay: 2)
    let verified = Lock()
    var configurationVerified = false
    let cluster = Readiness(role: "minio-cluster", delay: 2) {
        if !verified.run({ configurationVerified }) {
            // As MinIO: at least half of the other servers answer with this server's pools.
            let everyone = pools.flatMap { $0 }.filter { $0 != me }
            let answers = zip(everyone, store.ask(everyone, "GET", "/minio/standin/peer-pools")).compactMap { server, answer in
                answer.flatMap { $0.status == 200 ? (server, $0.body) : nil }
            }
            let matching = answers.filter { $0.1 == configuration }.count
            guard matching >= everyone.count / 2 else {
                let differing = answers.filter { $0.1 != configuration }
                return "\(matching) of \(everyone.count) other servers were started with this server's pools (\(configuration)), "
                    + "\(everyone.count / 2) needed" + (differing.first.map { "; \($0.0) has incorrect configuration: \($0.1)" } ?? "")
            }
            verified.run { configurationVerified = true }
        }
        for pool in otherPools {
            if let missing = quorum(pool.map { ($0, 9000) }, needed: pool.count / 2 + 1) { return "another pool: \(missing)" }
        }
        let formatted = formats.contains { Files.exists($0) }
        // Fresh drives in a deployment the others formatted: formatted from theirs, then healed.
        let joining = !formatted && store.peers.contains { HTTP.get("http://\($0):9000/minio/standin/peer-format")?.status == 200 }
        if let missing = quorum(peers, needed: formatted || joining ? peers.count / 2 + 1 : peers.count) { return missing }
        if formatted { store.noHealNeeded() }
        if !formatted {
            for (drive, format) in zip(drives, formats) {
                _ = mkdir(drive + "/.minio.sys", 0o755)
                _ = Files.write(format, "{\"version\":\"1\",\"format\":\"xl\",\"servers\":\(peers.count)}\n")
            }
            Log.line("standin minio: formatted \(drives.joined(separator: ", ")) for \(peers.count) servers" + (joining ? "; healing them" : ""))
            if joining {
                store.healDue()
                Threads.start { store.healFromPeers() }
            }
        }
        return nil
    }
    HTTP.serveRequests(port: 9000) { request in
        let path = request.path
        if path.hasPrefix("/minio/health/live") { return live.isReady ? (200, "") : (503, "") }
        if path.hasPrefix("/minio/health/cluster") { return cluster.isReady ? (200, "") : (503, "") }
        if path.hasPrefix("/minio/standin/peer-format") { return formats.contains { Files.exists($0) } ? (200, "") : (404, "") }
        if path.hasPrefix("/minio/standin/peer-pools") { return (200, configuration) }
        // MinIO's admin API answers only the root credentials (the real one checks a request
        // signed with them, cmd/admin-handlers.go validateAdminReq: AccessDenied otherwise).
        if path.hasPrefix("/minio/standin/heal") {
            guard request.headers[adminCredentialsHeader] == "\(user):\(password)" else {
                return (403, "AccessDenied: Access Denied.")
            }
            return (200, store.heal)
        }
        if path.hasPrefix(ObjectStore.peerPrefix) { return store.answerPeer(request) }
        if path.hasPrefix(ObjectStore.poolPrefix) {
            guard formats.contains(where: { Files.exists($0) }) else { return (503, "XMinioServerNotInitialized: Server not initialized, please try again.") }
            return store.answerPool(request)
        }
        guard let name = ObjectStore.objectName(path) else { return (200, "minio stand-in") }
        // Once its drives are formatted a server serves what the quorums allow, whatever the cluster's health says.
        guard formats.contains(where: { Files.exists($0) }) else {
            return (503, "XMinioServerNotInitialized: Server not initialized, please try again.")
        }
        switch request.method {
        case "PUT": return store.put(name, request.body)
        case "GET": return store.get(name)
        default: return (400, "MethodNotAllowed")
        }
    }
    HTTP.serve(port: 9090) { _ in (200, "minio console stand-in") }
    parkForever()
}

/// `/disk{1...2}` -> /disk1, /disk2 (MinIO's ellipsis notation; no ellipsis: the text itself).
func expandEllipsis(_ text: String) -> [String] {
    guard let open = text.firstIndex(of: "{"), let close = text.firstIndex(of: "}"), open < close else { return text.isEmpty ? [] : [text] }
    let range = String(text[text.index(after: open)..<close]).components(separatedByString: "...")
    guard range.count == 2, let low = Int(range[0]), let high = Int(range[1]), low <= high else { return [] }
    return (low...high).map { "\(text[..<open])\($0)\(text[text.index(after: close)...])" }
}

/// `http://minio{1...4}/disk{1...2}` -> minio1 ... minio4.
func expandMinio(_ spec: String) -> [String] {
    expandEllipsis(String(spec.dropFirst("http://".count).prefix { $0 != "/" }))
}

/// nginx: reads /etc/nginx/nginx.conf and forwards each `listen` port to the servers of
/// the upstream its location passes to, byte for byte (HTTP and gRPC alike).
func runNginx(_ arguments: [String]) -> Never {
    failIfAsked("nginx")
    guard let config = Files.read("/etc/nginx/nginx.conf") else {
        Log.error("nginx: [emerg] open() \"/etc/nginx/nginx.conf\" failed (2: No such file or directory)")
        exit(1)
    }
    let parsed = NginxConfig(config)
    guard !parsed.routes.isEmpty else {
        Log.error("nginx: [emerg] no server blocks with listen and proxy_pass in nginx.conf")
        exit(1)
    }
    for route in parsed.routes {
        let servers = parsed.upstreams[route.upstream] ?? []
        Log.line("standin nginx: :\(route.port) -> \(route.upstream) (\(servers.map { "\($0.0):\($0.1)" }.joined(separator: ", ")))")
        let counter = Lock()
        var next = 0
        // nginx with `server NAME resolve` re-resolves its names in the background (the `resolver`'s
        // `valid=10s`) and serves requests from the peers it knows: a request never waits for DNS. A
        // name whose task is gone can take seconds to fail (the embedded DNS asks the outside, which
        // the lab has not), so each name is resolved on a thread of its own, every second.
        var known: [Int: [String]] = [:]
        for (index, server) in servers.enumerated() {
            Threads.start {
                while true {
                    let addresses = Network.resolve(server.0)
                    counter.run { known[index] = addresses }
                    Clock.sleep(1)
                }
            }
        }
        Network.serve(port: route.port) { client in
            // Until every name had its first answer (nginx resolves before it serves), wait, briefly.
            for _ in 0..<60 where counter.run({ known.count < servers.count }) { Clock.sleep(0.05) }
            let (start, peers) = counter.run { () -> (Int, [(String, Int)]) in
                defer { next += 1 }
                let peers = servers.enumerated().flatMap { index, server in (known[index] ?? []).map { ($0, server.1) } }
                return (next, peers)
            }
            // Round-robin over every address; a peer that refuses the connection is skipped for the next
            // (proxy_next_upstream / grpc_next_upstream "error", on by default).
            for offset in 0..<peers.count {
                let (address, port) = peers[(start + offset) % peers.count]
                if let upstream = Network.connect(host: address, port: port) {
                    Network.pipe(client, upstream)
                    return
                }
            }
            close(client)
        }
    }
    parkForever()
}

/// The parts of an nginx.conf the stand-in follows: upstream servers, and which
/// upstream each `listen` port passes to.
struct NginxConfig {
    var upstreams: [String: [(String, Int)]] = [:]
    var routes: [(port: Int, upstream: String)] = []

    init(_ text: String) {
        var currentUpstream: String?
        var currentListen: Int?
        var depth = 0, upstreamDepth = 0, serverDepth = 0
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingSpaces()
            if line.hasPrefix("#") { continue }
            let words = line.split(separator: " ").map { String($0).trimmingTrailing(";") }
            if words.first == "upstream", words.count >= 2 {
                currentUpstream = words[1]
                upstreamDepth = depth + 1
            } else if words.first == "server", words.last == "{" {
                currentListen = nil
                serverDepth = depth + 1
            } else if words.first == "server", let upstream = currentUpstream, words.count >= 2 {
                let target = words[1].split(separator: ":")
                upstreams[upstream, default: []].append((String(target[0]), target.count > 1 ? Int(target[1]) ?? 80 : 80))
            } else if words.first == "listen", words.count >= 2 {
                currentListen = Int(words[1])
            } else if ["proxy_pass", "grpc_pass"].contains(words.first ?? ""), words.count >= 2, let port = currentListen {
                let target = words[1].split(separator: "/", omittingEmptySubsequences: true)
                if target.count >= 2, !routes.contains(where: { $0.port == port }) { routes.append((port, String(target[1]))) }
            }
            depth += line.filter { $0 == "{" }.count - line.filter { $0 == "}" }.count
            if currentUpstream != nil, depth < upstreamDepth { currentUpstream = nil }
            if depth < serverDepth { currentListen = nil; serverDepth = 0 }
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" { slice = slice.dropLast() }
        return String(slice)
    }

    func trimmingTrailing(_ character: Character) -> String {
        var slice = Substring(self)
        while slice.last == character { slice = slice.dropLast() }
        return String(slice)
    }
}

/// The header the stand-ins' admin requests carry the root credentials in (the real client signs
/// the request with them instead; only the refusal without them matters to a test).
let adminCredentialsHeader = "x-standin-admin-credentials"

/// `mc` for the lab, run as a job on the cluster's network (the real client's verbs, no
/// signing): `mc put URL VALUE` writes an object, `mc cat URL` prints it, `mc admin heal ALIAS`
/// prints that server's heal status (`healed N of M`, `healing: ...`, `no heal needed`).
/// As the real mc, an alias comes from the environment, `MC_HOST_<alias>=http://USER:PASSWORD@HOST:PORT`
/// (mc docs, "MC_HOST_<alias>"), so credentials are never arguments. Exit 1 with MinIO's answer
/// when it refuses.
func runMinioClient(_ arguments: [String]) -> Never {
    let verb = arguments.first ?? ""
    let rest = Array(arguments.dropFirst())
    let answer: (status: Int, body: String)?
    switch (verb, rest.count) {
    case ("put", 2): answer = HTTP.request("PUT", rest[0], body: rest[1], timeout: 20)
    case ("cat", 1): answer = HTTP.request("GET", rest[0], timeout: 20)
    case ("admin", 2) where rest[0] == "heal":
        guard let alias = Environment.value("MC_HOST_\(rest[1])"), let target = minioAlias(alias) else {
            Log.error("mc: <ERROR> No valid configuration found for '\(rest[1])' host alias (set MC_HOST_\(rest[1]))")
            exit(1)
        }
        answer = HTTP.request("GET", target.url + "/minio/standin/heal",
                              headers: target.credentials.map { [adminCredentialsHeader: $0] } ?? [:], timeout: 10)
    default:
        Log.error("mc: usage: mc put URL VALUE | mc cat URL | mc admin heal ALIAS")
        exit(2)
    }
    guard let answer else {
        Log.error("mc: \(rest.first ?? ""): no answer")
        exit(1)
    }
    guard answer.status == 200 else {
        Log.error("mc: \(answer.status) \(answer.body)")
        exit(1)
    }
    Log.line(answer.body)
    exit(0)
}

/// `http://USER:PASSWORD@HOST:PORT` -> the server's URL and `USER:PASSWORD` (split at the last
/// `@`, so a password may hold one; the real mc wants such characters percent-encoded).
func minioAlias(_ text: String) -> (url: String, credentials: String?)? {
    guard text.hasPrefix("http://") else { return nil }
    let rest = text.dropFirst("http://".count)
    guard let at = rest.lastIndex(of: "@") else { return ("http://" + rest, nil) }
    let hostPart = rest[rest.index(after: at)...]
    guard !hostPart.isEmpty else { return nil }
    return ("http://" + hostPart, String(rest[..<at]))
}
