import Glibc

// The lab's stand-in for every image of the Milvus topology except etcd (the lab runs Debian's
// real etcd, see scripts/etcd-fetch): one static binary that acts as the program its name (or
// first argument) says. It answers the same
// health endpoints and healthcheck commands as the real services, becomes healthy
// only after a start-up delay and once its upstreams answer over the network, and
// fails on demand (STANDIN_FAIL) so tests can break a stage.

// As PID 1 in a container a process gets no default SIGTERM action: stop gracefully like the
// real services do (see Shutdown).
nonisolated(unsafe) var runningAs = "standin"
Shutdown.install { runningAs }
// A client that hangs up mid-answer must not kill the server (writes then fail with EPIPE).
signal(SIGPIPE, SIG_IGN)

let arguments = CommandLine.arguments
var name = String(arguments.first?.split(separator: "/").last ?? "standin")
var rest = Array(arguments.dropFirst())
if name == "standin", let first = rest.first {
    name = String(first.split(separator: "/").last ?? "")
    rest = Array(rest.dropFirst())
}

runningAs = name
switch name {
case "minio": runMinio(rest.first == "server" ? Array(rest.dropFirst()) : rest)
case "mc": runMinioClient(rest)
case "nginx": runNginx(rest)
case "pulsar": runPulsar(rest)
case "bookkeeper": runBookkeeper(rest)
case "pulsar-zookeeper-ruok.sh": runZooKeeperHealthcheck()
case "apply-config-from-env.py":
    Log.line("standin: applying configuration from the environment to \(rest.first ?? "")")
    exit(0)
case "milvus": runMilvus(rest)
case "cadvisor": runCadvisor(rest)
case "curl": runCurl(rest)
case "wget": runWget(rest)
case "bash": execute("/bin/busybox", ["sh"] + rest)
default:
    Log.error("standin: unknown program \(name)")
    exit(127)
}
