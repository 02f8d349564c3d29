import Glibc

/// `milvus run <role>`: `/healthz` on 9091 answers 200 once etcd has a quorum (later: while
/// its session would live, see below), the MinIO cluster is healthy, Pulsar answers, and the
/// config and credentials are in place.
func runMilvus(_ arguments: [String]) -> Never {
    guard arguments.count >= 2, arguments[0] == "run" else {
        Log.error("standin milvus: expected `milvus run <role>`")
        exit(2)
    }
    let role = arguments[1]
    let ports = ["proxy": 19530, "rootcoord": 53100, "datacoord": 13333, "querycoord": 19531,
                 "datanode": 21124, "querynode": 21123, "indexnode": 21121, "mixture": 53100]
    guard let port = ports[role] else {
        Log.error("standin milvus: unknown role \(role)")
        exit(2)
    }
    let etcd = endpoints(Environment.value("ETCD_ENDPOINTS") ?? "", defaultPort: 2379)
    let minio = endpoints(Environment.value("MINIO_ADDRESS") ?? "", defaultPort: 9000).first
    let pulsar = endpoints(Environment.value("PULSAR_ADDRESS") ?? "", defaultPort: 6650).first
    // Milvus holds its etcd session by a lease it keeps alive (`common.session.ttl` in
    // milvus.yaml); once it has one, etcd answering slowly for a moment does not end it. etcd's
    // own /health fails on a single quorum read slower than 1 s (etcdhttp/metrics.go), as happens
    // on the lab's CPU-limited members under load: after the first start, the stand-in reports
    // etcd only once its members have failed for `sessionGrace` seconds (well inside the TTL).
    let sessionGrace = 5.0
    var etcdSeen = false
    var etcdFailingSince: Double?
    let readiness = Readiness(role: role, delay: 3) {
        guard Files.exists("/milvus/configs/milvus.yaml") else { return "no /milvus/configs/milvus.yaml" }
        guard (Files.read("/milvus/configs/user.yaml") ?? "").contains("accessKeyID") else { return "no MinIO credentials in /milvus/configs/user.yaml" }
        let healthyEtcd = etcd.filter { HTTP.get("http://\($0.0):\($0.1)/health")?.status == 200 }.count
        if healthyEtcd >= etcd.count / 2 + 1 {
            etcdSeen = true
            etcdFailingSince = nil
        } else {
            let since = etcdFailingSince ?? Clock.now()
            etcdFailingSince = since
            if !etcdSeen || Clock.now() - since >= sessionGrace { return "etcd: \(healthyEtcd)/\(etcd.count) members healthy" }
        }
        guard let minio, HTTP.get("http://\(minio.0):\(minio.1)/minio/health/cluster")?.status == 200 else { return "MinIO cluster is not healthy" }
        guard let pulsar, Network.canReach(pulsar.0, pulsar.1) else { return "Pulsar does not answer" }
        return nil
    }
    // The image's version (STANDIN_VERSION), so a rolling upgrade can be watched from outside.
    let version = standinVersion(default: "2.3.0")
    HTTP.serve(port: 9091) { path in
        guard path.hasPrefix("/healthz") else { return (404, "") }
        return readiness.isReady ? (200, "OK version=\(version)") : (503, readiness.blocker() ?? "")
    }
    if role == "proxy" {
        // The client port speaks gRPC: CheckHealth answers whether the proxy is ready, and, as
        // custom metadata, which task and version answered (the probe counts the spread).
        let task = System.hostname()
        GRPCServer.serve(port: port) {
            let blocker = readiness.blocker()
            let message = Protobuf.bool(field: 2, blocker == nil) + (blocker.map { Protobuf.string(field: 3, $0) } ?? [])
            return GRPCServer.Answer(message: message, metadata: [("standin-task", task), ("standin-version", version)])
        }
    } else {
        Network.serve(port: port) { fd in
            _ = Network.receive(fd, timeout: 30)
            close(fd)
        }
    }
    parkForever()
}

/// cAdvisor: `/healthz` on 8080.
func runCadvisor(_ arguments: [String]) -> Never {
    let readiness = Readiness(role: "cadvisor", delay: 1)
    HTTP.serve(port: 8080) { path in
        path.hasPrefix("/healthz") ? (readiness.isReady ? (200, "ok") : (503, "")) : (200, "cadvisor stand-in")
    }
    parkForever()
}

/// `curl [-f] [-s] [-S] URL`: exit 0 on 2xx; 22 with -f on an HTTP error; 7 when nothing answers.
func runCurl(_ arguments: [String]) -> Never {
    let failOnError = arguments.contains { $0.hasPrefix("-") && !$0.hasPrefix("--") && $0.contains("f") } || arguments.contains("--fail")
    guard let url = arguments.first(where: { $0.hasPrefix("http://") }) else {
        Log.error("curl: no URL")
        exit(2)
    }
    guard let response = HTTP.get(url, timeout: 5) else {
        Log.error("curl: (7) Failed to connect to \(url)")
        exit(7)
    }
    if (200..<300).contains(response.status) {
        Log.line(response.body)
        exit(0)
    }
    if failOnError {
        Log.error("curl: (22) The requested URL returned error: \(response.status)")
        exit(22)
    }
    Log.line(response.body)
    exit(0)
}

/// `wget --quiet --tries=1 --spider URL`.
func runWget(_ arguments: [String]) -> Never {
    guard let url = arguments.first(where: { $0.hasPrefix("http://") }), let response = HTTP.get(url, timeout: 5) else { exit(4) }
    exit((200..<300).contains(response.status) ? 0 : 8)
}
