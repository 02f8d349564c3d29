import Glibc

// Small pieces of POSIX for a program that links nothing but the Swift runtime and libc.

/// Standard output and error, one line at a time.
enum Log {
    static func line(_ text: String) {
        var out = text + "\n"
        out.withUTF8 { buffer in _ = write(1, buffer.baseAddress, buffer.count) }
    }

    static func error(_ text: String) {
        var out = text + "\n"
        out.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }

    static func integer(_ name: String, default fallback: Int) -> Int {
        value(name).flatMap { Int($0) } ?? fallback
    }
}

enum Files {
    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func write(_ path: String, _ text: String) -> Bool {
        guard let file = fopen(path, "w") else { return false }
        defer { fclose(file) }
        let bytes = Array(text.utf8)
        return fwrite(bytes, 1, bytes.count, file) == bytes.count
    }

    static func append(_ path: String, _ text: String) -> Bool {
        guard let file = fopen(path, "a") else { return false }
        defer { fclose(file) }
        let bytes = Array(text.utf8)
        return fwrite(bytes, 1, bytes.count, file) == bytes.count
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func makeDirectories(_ path: String) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            mkdir(current, 0o755)
        }
    }
}

enum System {
    /// The container's hostname: Swarm sets it to the container ID unless the service names one.
    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

enum Clock {
    /// Seconds since an arbitrary start, monotonic.
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Sleeps the whole time: a signal that interrupts the sleep (EINTR) does not shorten it.
    static func sleep(_ seconds: Double) {
        let whole = max(seconds, 0)
        var request = timespec(tv_sec: Int(whole), tv_nsec: Int((whole - Double(Int(whole))) * 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1, errno == EINTR { request = remaining }
    }
}

final class Lock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }

    func run<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

/// Runs a closure on a new detached thread.
enum Threads {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func start(_ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, 256 * 1024)
        pthread_create(&thread, &attributes, { raw in
            guard let raw else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            box.body()
            return nil
        }, box)
        pthread_attr_destroy(&attributes)
    }
}

/// Blocks the main thread for good (the servers run on other threads).
func parkForever() -> Never {
    while true { pause() }
}

/// Replaces this process with another program.
func execute(_ path: String, _ arguments: [String]) -> Never {
    var pointers = arguments.map { strdup($0) }
    pointers.append(nil)
    execv(path, &pointers)
    Log.error("standin: cannot run \(path)")
    exit(127)
}

/// A graceful stop, as the real services do on SIGTERM (`docker stop`, a Swarm update):
/// stop accepting connections (a gRPC server's GracefulStop, nginx's graceful shutdown),
/// let answers in flight finish, hand off for STANDIN_STOP_DELAY seconds, then exit 0.
/// Swarm waits up to the service's stop_grace_period before it kills the container.
enum Shutdown {
    private static let lock = Lock()
    nonisolated(unsafe) private static var listeners: [Int32] = []
    /// The self-pipe the signal handler writes to (only async-signal-safe calls there).
    nonisolated(unsafe) private static var signalPipe: [Int32] = [-1, -1]
    nonisolated(unsafe) private static var signalWriteEnd: Int32 = -1

    static func register(listener: Int32) {
        lock.run { listeners.append(listener) }
    }

    static func install(role: @escaping () -> String) {
        // A parent may hand down a mask that blocks SIGTERM (Foundation's Process does, from a test
        // runner's thread); a container's first process starts with none blocked. Start like that.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        guard pipe(&signalPipe) == 0 else {
            signal(SIGTERM) { _ in _exit(0) }
            return
        }
        signalWriteEnd = signalPipe[1]
        let handler: @convention(c) (Int32) -> Void = { _ in
            var byte: UInt8 = 1
            _ = write(Shutdown.signalWriteEnd, &byte, 1)
        }
        signal(SIGTERM, handler)
        signal(SIGINT, handler)
        Threads.start {
            var byte: UInt8 = 0
            while read(signalPipe[0], &byte, 1) != 1 {}
            let delay = Double(Environment.value("STANDIN_STOP_DELAY") ?? "") ?? 1
            Log.line("standin \(role()): stopping: no new connections, exiting in \(delay)s")
            for listener in lock.run({ listeners }) {
                shutdown(listener, Int32(SHUT_RDWR))
                close(listener)
            }
            Clock.sleep(delay)
            Log.line("standin \(role()): stopped")
            _exit(0)
        }
    }
}
