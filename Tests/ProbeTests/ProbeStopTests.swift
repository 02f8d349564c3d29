import Foundation
import Testing
import TestSupport
@testable import Probe

/// Stopping the probe (Ctrl-C, or the test that started it) lets the requests in flight finish:
/// the stop is not a failure of the cluster.
@Suite struct ProbeStopTests {
    /// Holds every answer until the test lets them go.
    final class Gate: @unchecked Sendable {
        private let lock = NSLock()
        private var open = false
        func release() { lock.withLock { open = true } }
        func waitUntilOpen() { while !lock.withLock({ open }) { usleep(10_000) } }
    }

    @Test func requestsInFlightWhenTheProbeIsStoppedAreAnsweredNotFailed() async throws {
        let gate = Gate()
        let server = try FakeUnixServer(onLoopbackTCP: true) { _ in
            gate.waitUntilOpen()
            return [.init("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")]
        }
        defer { server.stop() }
        // Deadlines far away: a busy test runner must not turn a held answer into a timeout.
        let probe = AvailabilityProbe(targets: [ProbeTarget(kind: .minio, host: "127.0.0.1", port: server.port)],
                                      rate: 10, timeout: .seconds(120))
        let running = Task { await probe.run(for: .seconds(600)) }
        // Stop while at least three requests wait for their answer, then let the answers go.
        while server.requests.count < 3 { try await Task.sleep(for: .milliseconds(50)) }
        running.cancel()
        try await Task.sleep(for: .milliseconds(300))
        gate.release()
        let report = await running.value
        #expect(report.sent == server.requests.count, "every request sent reached the server: \(report.text)")
        #expect(report.sent >= 3 && report.failed == 0 && report.unhealthy == 0, "\(report.text)")
        #expect(report.totals["minio"]?.served == report.sent, "\(report.text)")
    }
}
