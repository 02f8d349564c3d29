import Foundation
import SwarmModel

extension EngineClient: SwarmAPI {
    public func info() async throws -> SystemInfo {
        try await get(SystemInfo.self, "/info")
    }

    /// Fails with a clear message unless this daemon is an active Swarm manager.
    public func requireManager() async throws -> SystemInfo {
        try await requireManager(describing: host.description)
    }

    // MARK: nodes

    public func nodes() async throws -> [SwarmNode] {
        try await get([SwarmNode].self, "/nodes")
    }

    public func node(_ id: String) async throws -> SwarmNode {
        try await get(SwarmNode.self, "/nodes/\(Query.encode(id))")
    }

    public func updateNode(_ id: String, version: ObjectVersion, spec: NodeSpec) async throws {
        try await post("/nodes/\(Query.encode(id))/update", query: [("version", String(version.Index))], body: spec)
    }

    // MARK: services and tasks

    public func services(filters: Filters, status: Bool) async throws -> [SwarmService] {
        var query: [(String, String)] = []
        if !filters.isEmpty { query.append(("filters", filters.json)) }
        if status { query.append(("status", "true")) }
        return try await get([SwarmService].self, "/services", query: query)
    }

    public func service(_ id: String) async throws -> SwarmService {
        try await get(SwarmService.self, "/services/\(Query.encode(id))")
    }

    public func createService(_ spec: ServiceSpec) async throws -> String {
        try await post(CreatedObject.self, "/services/create", body: spec).ID
    }

    public func updateService(_ id: String, version: ObjectVersion, spec: ServiceSpec) async throws {
        try await post("/services/\(Query.encode(id))/update", query: [("version", String(version.Index))], body: spec)
    }

    public func removeService(_ id: String) async throws {
        try await delete("/services/\(Query.encode(id))")
    }

    public func tasks(filters: Filters) async throws -> [SwarmTask] {
        try await get([SwarmTask].self, "/tasks", query: filters.isEmpty ? [] : [("filters", filters.json)])
    }

    // MARK: networks, configs, secrets

    public func networks(filters: Filters) async throws -> [SwarmNetwork] {
        try await get([SwarmNetwork].self, "/networks", query: filters.isEmpty ? [] : [("filters", filters.json)])
    }

    public func createNetwork(_ request: NetworkCreateRequest) async throws -> String {
        struct Created: Decodable { var Id: String }
        return try await post(Created.self, "/networks/create", body: request).Id
    }

    public func removeNetwork(_ id: String) async throws {
        try await delete("/networks/\(Query.encode(id))")
    }

    public func configs(filters: Filters) async throws -> [SwarmFileObject] {
        try await get([SwarmFileObject].self, "/configs", query: filters.isEmpty ? [] : [("filters", filters.json)])
    }

    public func config(_ id: String) async throws -> SwarmFileObject {
        try await get(SwarmFileObject.self, "/configs/\(Query.encode(id))")
    }

    public func createConfig(name: String, labels: [String: String], data: Data) async throws -> String {
        try await post(CreatedObject.self, "/configs/create",
                       body: FileObjectCreateRequest(Name: name, Labels: labels, base64Data: data.base64EncodedString())).ID
    }

    public func removeConfig(_ id: String) async throws {
        try await delete("/configs/\(Query.encode(id))")
    }

    public func secrets(filters: Filters) async throws -> [SwarmFileObject] {
        try await get([SwarmFileObject].self, "/secrets", query: filters.isEmpty ? [] : [("filters", filters.json)])
    }

    public func createSecret(name: String, labels: [String: String], data: Data) async throws -> String {
        try await post(CreatedObject.self, "/secrets/create",
                       body: FileObjectCreateRequest(Name: name, Labels: labels, base64Data: data.base64EncodedString())).ID
    }

    public func removeSecret(_ id: String) async throws {
        try await delete("/secrets/\(Query.encode(id))")
    }

    // MARK: streams

    /// Engine events as they happen, from now on. Use them to wake up; read the truth elsewhere.
    public func events(filters: Filters) async throws -> AsyncThrowingStream<EngineEvent, any Error> {
        let chunks = try await stream("/events", query: filters.isEmpty ? [] : [("filters", filters.json)])
        return AsyncThrowingStream { continuation in
            let reader = Task {
                var buffer = Data()
                do {
                    for try await chunk in chunks {
                        buffer.append(chunk)
                        while let newline = buffer.firstIndex(of: 0x0A) {
                            let line = buffer[buffer.startIndex..<newline]
                            buffer.removeSubrange(buffer.startIndex...newline)
                            if let event = try? JSONDecoder().decode(EngineEvent.self, from: Data(line)) {
                                continuation.yield(event)
                            }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }

    /// The last `tail` lines of a service's logs from all its tasks, through the manager; with
    /// `since`, only those written at or after it (the Engine takes `seconds.nanoseconds`).
    public func serviceLogs(_ service: String, tail: Int, since: EngineTime?, follow: Bool) async throws -> AsyncThrowingStream<LogLine, any Error> {
        var query = [("stdout", "1"), ("stderr", "1"), ("tail", String(tail)), ("follow", follow ? "1" : "0")]
        if let since { query.append(("since", since.unixTimestamp)) }
        let chunks = try await stream("/services/\(Query.encode(service))/logs", query: query)
        return AsyncThrowingStream { continuation in
            let reader = Task {
                var demultiplexer = LogDemultiplexer()
                var splitter = LogLineSplitter()
                do {
                    for try await chunk in chunks {
                        for frame in demultiplexer.feed(chunk) {
                            for line in splitter.lines(from: frame) { continuation.yield(line) }
                        }
                    }
                    for line in splitter.flush() { continuation.yield(line) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }
}
