import CurlTransport
import Foundation

/// Sends requests at a steady rate to every target during a change and counts what was not
/// served. Each request opens its own connection (a new client to the load balancer), has a
/// deadline, and does not wait for the one before it, so a slow answer shows as a failure
/// instead of lowering the rate.
public struct AvailabilityProbe: Sendable {
    /// One quorum family's members up at a moment, from the Engine.
    public typealias QuorumSample = (family: String, up: Int, members: Int, needed: Int)

    public var targets: [ProbeTarget]
    /// Requests per second for each kind of target, spread round-robin over its addresses.
    public var rate: Double
    public var timeout: Duration
    /// Reads the quorum families' state, every `sampleInterval`; nil to skip.
    public var sampleQuorums: (@Sendable () async -> [QuorumSample]?)?
    public var sampleInterval: Duration
    /// Milvus credentials as gRPC's `authorization` metadata wants them (base64 of user:password,
    /// as pymilvus sends); needed when Milvus checks authorization. Never printed.
    public var milvusAuthorization: String?

    public init(targets: [ProbeTarget], rate: Double, timeout: Duration = .seconds(2),
                sampleInterval: Duration = .seconds(2), sampleQuorums: (@Sendable () async -> [QuorumSample]?)? = nil) {
        self.targets = targets
        self.rate = rate
        self.timeout = timeout
        self.sampleInterval = sampleInterval
        self.sampleQuorums = sampleQuorums
    }

    /// Runs until `duration` is over or the task is cancelled; requests in flight finish first.
    public func run(for duration: Duration, onFailure: @escaping @Sendable (ProbeReport.Failure) -> Void = { _ in }) async -> ProbeReport {
        let tally = Tally(onFailure: onFailure)
        let start = ContinuousClock.now
        let end = start + duration
        let interval = Duration.seconds(1 / max(rate, 0.01))
        let kinds = Dictionary(grouping: targets, by: \.kind)
        await withTaskGroup(of: Void.self) { group in
            for (_, addresses) in kinds {
                group.addTask {
                    await withTaskGroup(of: Void.self) { requests in
                        var next = start
                        var turn = 0
                        while next < end, !Task.isCancelled {
                            let target = addresses[turn % addresses.count]
                            turn += 1
                            requests.addTask {
                                // Stopping the probe does not cancel a request already sent: its
                                // answer (or deadline) is awaited in a task that cancellation does
                                // not reach, else the stop itself would count as a failed request.
                                let outcome = await Task {
                                    await Self.request(target, timeout: timeout, authorization: milvusAuthorization)
                                }.value
                                await tally.record(outcome, target: target, at: (ContinuousClock.now - start).seconds)
                            }
                            next += interval
                            guard (try? await Task.sleep(until: next, clock: .continuous)) != nil else { break }
                        }
                        await requests.waitForAll()
                    }
                }
            }
            if let sampleQuorums {
                group.addTask {
                    var next = start
                    while next < end, !Task.isCancelled {
                        if let samples = await sampleQuorums() { await tally.sample(samples) }
                        next += sampleInterval
                        guard (try? await Task.sleep(until: next, clock: .continuous)) != nil else { break }
                    }
                }
            }
        }
        return await tally.finish(seconds: (ContinuousClock.now - start).seconds)
    }

    /// One request to one target, read into an outcome; never throws.
    static func request(_ target: ProbeTarget, timeout: Duration, authorization: String? = nil) async -> ProbeOutcome {
        let transport = TCPTransport(host: target.host, port: target.port, http2: target.kind == .milvus)
        var request: HTTPRequest
        switch target.kind {
        case .milvus:
            var headers = MilvusHealthCall.headers
            if let authorization { headers["authorization"] = authorization }
            request = HTTPRequest(method: .post, path: MilvusHealthCall.path, headers: headers,
                                  body: MilvusHealthCall.requestBody, timeout: timeout)
        case .minio:
            request = HTTPRequest(method: .get, path: MinIOHealthCall.path, timeout: timeout)
        }
        request.connectTimeoutMilliseconds = Int(timeout.seconds * 1000)
        do {
            let response = try await transport.send(request)
            switch target.kind {
            case .milvus: return MilvusHealthCall.outcome(status: response.status, headers: response.headers, body: response.body)
            case .minio: return MinIOHealthCall.outcome(status: response.status)
            }
        } catch let error as TransportError {
            switch error.kind {
            case .connectionRefused: return .failed("connection refused")
            case .timedOut: return .failed("no answer within \(timeout)")
            default: return .failed(error.detail)
            }
        } catch {
            return .failed("\(error)")
        }
    }
}

/// Collects outcomes from concurrent requests.
actor Tally {
    private var report = ProbeReport()
    private let onFailure: @Sendable (ProbeReport.Failure) -> Void

    init(onFailure: @escaping @Sendable (ProbeReport.Failure) -> Void) {
        self.onFailure = onFailure
    }

    func record(_ outcome: ProbeOutcome, target: ProbeTarget, at: Double) {
        report.record(outcome, target: target, at: at)
        switch outcome {
        case .served: break
        case .unhealthy(let reason): onFailure(.init(at: at, target: target.description, reason: "unhealthy: \(reason)"))
        case .failed(let reason): onFailure(.init(at: at, target: target.description, reason: reason))
        }
    }

    func sample(_ samples: [AvailabilityProbe.QuorumSample]) {
        report.healthSamples += 1
        for sample in samples {
            report.sample(family: sample.family, up: sample.up, members: sample.members, needed: sample.needed)
        }
    }

    func finish(seconds: Double) -> ProbeReport {
        report.seconds = seconds
        return report
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
