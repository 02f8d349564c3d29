import Foundation
import SwarmModel

/// A swarm in memory that answers `SwarmAPI` the way a manager's Engine does, for the parts
/// swarmstage relies on: objects versioned with one growing index, names unique, the
/// Engine's defaults filled in on create (as captured from Engine 20.10 in
/// Tests/SwarmModelTests/Fixtures), tasks made from the spec in force and placed by the same
/// constraint rules, tasks of a replaced spec shut down, objects in use refused removal.
/// It can be told to fail a service's tasks, lose a node, or drop the connection.
/// The lab proves the real Engine; this proves the decisions above it, in milliseconds.
public actor FakeSwarm: SwarmAPI {
    public private(set) var nodeList: [SwarmNode] = []
    public private(set) var serviceList: [SwarmService] = []
    public private(set) var taskList: [SwarmTask] = []
    public private(set) var networkList: [SwarmNetwork] = []
    public private(set) var configList: [SwarmFileObject] = []
    public private(set) var secretList: [SwarmFileObject] = []

    /// Every write request (create, update, remove) that reached the fake, in order: "create service NAME".
    public private(set) var writeLog: [String] = []
    public var writes: Int { writeLog.count }

    private var index: UInt64 = 10
    private var clock = EngineTime(seconds: 1_795_900_000)
    private var nextID = 0
    private var failing: Set<String> = []
    /// Services whose tasks fail only while they run this task spec (a member whose data was lost).
    private var failingSpecs: [String: TaskSpec] = [:]
    /// Each service's log lines with the time they were written.
    private var logs: [String: [(at: EngineTime, text: String)]] = [:]
    /// Requests to refuse as unreachable, and after how many more writes that starts.
    private var dropAfterWrites: Int?
    private var droppedRequests = 0
    private var staleVersions: Set<String> = []
    /// Images each node holds (node ID → references), and images a host's registry access cannot fetch.
    private var imagesOnNodes: [String: Set<String>] = [:]
    private var unpullable: Set<String> = []
    /// Every image pull, in order: which host pulled which image for which service's task (the
    /// Engine's `pull` event; a node that holds an image pinned by digest does not pull it again).
    public private(set) var pulls: [(host: String, image: String, service: String)] = []

    /// The API requests are made with: Engine 20.10's 1.41 unless a test picks a newer one.
    public nonisolated let apiVersion: APIVersion
    public static let engine20API = APIVersion(1, 41)
    public static let engine26API = APIVersion(1, 45)

    /// - Parameter nodes: hostname, role and labels of each node; all ready.
    public init(nodes: [(hostname: String, role: NodeRole, labels: [String: String])], apiVersion: APIVersion = FakeSwarm.engine20API) {
        self.apiVersion = apiVersion
        nodeList = nodes.enumerated().map { number, node in
            SwarmNode(ID: "node\(number)-\(node.hostname)", Version: ObjectVersion(Index: UInt64(number + 1)),
                      Spec: NodeSpec(Labels: node.labels, Role: node.role, Availability: "active"),
                      Description: NodeDescription(Hostname: node.hostname, Resources: NodeResources(NanoCPUs: 8_000_000_000, MemoryBytes: 16 << 30)),
                      Status: NodeStatus(State: .ready, Addr: "10.77.0.\(number + 2)"),
                      ManagerStatus: node.role == .manager ? ManagerStatus(Leader: number == 0, Reachability: .reachable, Addr: "10.77.0.\(number + 2):2377") : nil)
        }
    }

    // MARK: what a test can do to it

    /// Nodes as `swarmstage label` leaves them for these hosts: a host without a node joins,
    /// every node's labels become its host's (none for a node no host names).
    public func label(_ hosts: [(hostname: String, role: NodeRole, labels: [String: String])]) {
        for host in hosts where !nodeList.contains(where: { $0.hostname == host.hostname }) {
            let number = nodeList.count
            nodeList.append(SwarmNode(ID: "node\(number)-\(host.hostname)", Version: bump(), Spec: NodeSpec(Labels: [:], Role: host.role, Availability: "active"),
                                      Description: NodeDescription(Hostname: host.hostname), Status: NodeStatus(State: .ready, Addr: "10.77.1.\(number)")))
        }
        for i in nodeList.indices {
            let host = hosts.first { $0.hostname == nodeList[i].hostname }
            nodeList[i].Spec.Labels = host?.labels ?? [:]
            nodeList[i].Spec.Role = host?.role ?? nodeList[i].Spec.Role
            nodeList[i].Version = bump()
        }
        // Swarm's orchestrators react to node changes: global services gain tasks, pending ones get placed.
        for service in serviceList { reconcile(service.ID) }
    }

    /// Every task of this service fails from now on, as a program that exits 1 at start.
    public func failTasks(of serviceName: String) {
        failing.insert(serviceName)
        for service in serviceList where service.Spec.Name == serviceName { reconcile(service.ID) }
    }

    /// Every task of this service fails while the service keeps its current task spec (as a
    /// member whose data is lost fails until it is started another way).
    public func failTasksUntilTheirSpecChanges(of serviceName: String) {
        guard let service = serviceList.first(where: { $0.Spec.Name == serviceName }) else { return }
        failingSpecs[serviceName] = service.Spec.TaskTemplate
        reconcile(service.ID)
    }

    /// The node stops answering its managers: down, with its tasks still listed as they were.
    public func loseNode(_ hostname: String) {
        for i in nodeList.indices where nodeList[i].hostname == hostname {
            nodeList[i].Status?.State = .down
            nodeList[i].Status?.Message = "heartbeat failure"
        }
    }

    /// The node's state as the managers report it, its tasks left as they were.
    public func setNodeState(_ hostname: String, _ state: NodeState) {
        for i in nodeList.indices where nodeList[i].hostname == hostname { nodeList[i].Status?.State = state }
    }

    /// After `writes` more writes, the next `requests` requests find no Engine (a dockerd restart).
    public func dropConnection(afterWrites writes: Int, forRequests requests: Int) {
        dropAfterWrites = writes
        droppedRequests = requests
    }

    /// Requests still to be refused of the outage `dropConnection` set up.
    public var unansweredRequestsLeft: Int { droppedRequests }

    /// The next update of this service meets "update out of sequence" (its tasks moved meanwhile).
    public func moveVersionOnce(of serviceName: String) { staleVersions.insert(serviceName) }

    /// The service's logs become `lines`, written now.
    public func setLogs(of serviceName: String, _ lines: [String]) {
        let now = tick()
        logs[serviceName] = lines.map { (now, $0) }
    }

    /// `lines` written now, after the service's earlier lines.
    public func appendLogs(of serviceName: String, _ lines: [String]) {
        let now = tick()
        logs[serviceName, default: []] += lines.map { (now, $0) }
    }

    /// `image` cannot be pulled on `hostname` (no such image in the registry, or no access there):
    /// a task that needs it there is rejected while preparing, as the Engine rejects it.
    public func failPulls(of image: String, on hostname: String) { unpullable.insert(image + "@" + hostname) }

    /// How many times an object of this kind and name was created.
    public func creations(_ kind: String, _ name: String) -> Int { writeLog.filter { $0 == "create \(kind) \(name)" }.count }

    // MARK: SwarmAPI

    public func info() async throws -> SystemInfo {
        try request()
        return SystemInfo(Name: "fake", ServerVersion: "20.10.24", SystemTime: clock,
                          Swarm: SwarmInfo(LocalNodeState: "active", ControlAvailable: true, NodeID: nodeList.first?.ID,
                                           Managers: nodeList.filter(\.isManager).count, Nodes: nodeList.count))
    }

    public func nodes() async throws -> [SwarmNode] {
        try request()
        return nodeList
    }

    public func node(_ id: String) async throws -> SwarmNode {
        try request()
        guard let node = nodeList.first(where: { $0.ID == id || $0.hostname == id }) else { throw notFound("node", id) }
        return node
    }

    public func updateNode(_ id: String, version: ObjectVersion, spec: NodeSpec) async throws {
        try write("update node \(id)")
        guard let i = nodeList.firstIndex(where: { $0.ID == id }) else { throw notFound("node", id) }
        guard nodeList[i].Version == version else { throw outOfSequence("/nodes/\(id)/update") }
        nodeList[i].Spec = spec
        nodeList[i].Version = bump()
    }

    public func services(filters: Filters, status: Bool) async throws -> [SwarmService] {
        try request()
        return serviceList.filter { matches($0.Spec.Labels ?? [:], id: $0.ID, name: $0.Spec.Name, filters) }.map { service in
            var service = service
            if status {
                let live = taskList.filter { $0.ServiceID == service.ID && $0.DesiredState == .running }
                service.ServiceStatus = ServiceStatus(RunningTasks: live.filter { $0.Status.State == .running }.count,
                                                      DesiredTasks: desiredCount(service))
            }
            return service
        }
    }

    public func service(_ id: String) async throws -> SwarmService {
        try request()
        guard let service = serviceList.first(where: { $0.ID == id || $0.Spec.Name == id }) else { throw notFound("service", id) }
        return service
    }

    public func createService(_ spec: ServiceSpec) async throws -> String {
        try write("create service \(spec.Name)")
        guard !serviceList.contains(where: { $0.Spec.Name == spec.Name }) else {
            throw EngineError(method: "POST", path: "/services/create", status: 409,
                              message: "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service \(spec.Name) already exists")
        }
        try checkReferences(spec, path: "/services/create")
        let id = newID("svc")
        serviceList.append(SwarmService(ID: id, Version: bump(), CreatedAt: clock, UpdatedAt: clock, Spec: Self.withEngineDefaults(spec, api: apiVersion)))
        reconcile(id)
        return id
    }

    public func updateService(_ id: String, version: ObjectVersion, spec: ServiceSpec) async throws {
        try write("update service \(spec.Name)")
        guard let i = serviceList.firstIndex(where: { $0.ID == id }) else { throw notFound("service", id) }
        if staleVersions.remove(serviceList[i].Spec.Name) != nil { serviceList[i].Version = bump() }
        guard serviceList[i].Version == version else { throw outOfSequence("/services/\(id)/update") }
        guard SpecKind(serviceList[i].Spec) == SpecKind(spec) else {
            throw EngineError(method: "POST", path: "/services/\(id)/update", status: 400,
                              message: "rpc error: code = Unimplemented desc = service mode change is not allowed")
        }
        try checkReferences(spec, path: "/services/\(id)/update")
        let previous = serviceList[i].Spec
        serviceList[i].PreviousSpec = previous
        serviceList[i].Spec = Self.withEngineDefaults(spec, api: apiVersion)
        serviceList[i].Version = bump()
        serviceList[i].UpdatedAt = clock
        serviceList[i].UpdateStatus = UpdateStatus(State: .completed, StartedAt: clock, CompletedAt: clock, Message: "update completed")
        reconcile(id)
    }

    public func removeService(_ id: String) async throws {
        guard let service = serviceList.first(where: { $0.ID == id || $0.Spec.Name == id }) else {
            try write("remove service \(id)")
            throw notFound("service", id)
        }
        try write("remove service \(service.Spec.Name)")
        serviceList.removeAll { $0.ID == service.ID }
        // A task on a node that is down keeps its last state until the node is back.
        let down = Set(nodeList.filter { $0.state != .ready }.map(\.ID))
        for i in taskList.indices where taskList[i].ServiceID == service.ID {
            if let node = taskList[i].NodeID, down.contains(node) { taskList[i].DesiredState = .shutdown } else { shutDown(i) }
        }
    }

    public func tasks(filters: Filters) async throws -> [SwarmTask] {
        try request()
        let services = filters.values("service")
        let desired = filters.values("desired-state")
        return taskList.filter { task in
            (services.isEmpty || services.contains(task.ServiceID))
                && (desired.isEmpty || desired.contains(task.DesiredState.rawValue))
                && matches(task.Labels ?? [:], id: task.ID, name: nil, filters.removing("service", "desired-state"))
        }
    }

    public func networks(filters: Filters) async throws -> [SwarmNetwork] {
        try request()
        return networkList.filter { matches($0.Labels ?? [:], id: $0.Id, name: $0.Name, filters) }
    }

    public func createNetwork(_ request: NetworkCreateRequest) async throws -> String {
        try write("create network \(request.Name)")
        guard !networkList.contains(where: { $0.Name == request.Name }) else {
            throw EngineError(method: "POST", path: "/networks/create", status: 409, message: "network with name \(request.Name) already exists")
        }
        let id = newID("net")
        networkList.append(SwarmNetwork(Id: id, Name: request.Name, Driver: request.Driver, Scope: "swarm", Labels: request.Labels,
                                        Options: request.Options))
        return id
    }

    public func removeNetwork(_ id: String) async throws {
        try write("remove network \(networkList.first { $0.Id == id }?.Name ?? id)")
        guard let network = networkList.first(where: { $0.Id == id || $0.Name == id }) else { throw notFound("network", id) }
        // SwarmKit's rule (manager/controlapi/network.go): a task is a user while it is meant to
        // run and has not ended; a removed service's task on a down node is not.
        let users = taskList.filter {
            !$0.DesiredState.isTerminal && !$0.Status.State.isTerminal && ($0.Spec?.Networks ?? []).contains { $0.Target == network.Id }
        }
        if let user = users.first {
            throw EngineError(method: "DELETE", path: "/networks/\(id)", status: 403,
                              message: "rpc error: code = FailedPrecondition desc = network \(network.Name) is in use by task \(user.ID)")
        }
        networkList.removeAll { $0.Id == network.Id }
    }

    public func configs(filters: Filters) async throws -> [SwarmFileObject] {
        try request()
        return configList.filter { matches($0.Spec.Labels ?? [:], id: $0.ID, name: $0.Spec.Name, filters) }
    }

    public func config(_ id: String) async throws -> SwarmFileObject {
        try request()
        guard let config = configList.first(where: { $0.ID == id || $0.Spec.Name == id }) else { throw notFound("config", id) }
        return config
    }

    public func createConfig(name: String, labels: [String: String], data: Data) async throws -> String {
        try write("create config \(name)")
        return try createFileObject(&configList, kind: "config", name: name, labels: labels, data: data.base64EncodedString())
    }

    public func removeConfig(_ id: String) async throws {
        try write("remove config \(configList.first { $0.ID == id }?.Spec.Name ?? id)")
        try removeFileObject(&configList, kind: "config", id: id) { $0.TaskTemplate.ContainerSpec?.Configs?.map(\.ConfigID) ?? [] }
    }

    public func secrets(filters: Filters) async throws -> [SwarmFileObject] {
        try request()
        return secretList.filter { matches($0.Spec.Labels ?? [:], id: $0.ID, name: $0.Spec.Name, filters) }
    }

    public func createSecret(name: String, labels: [String: String], data: Data) async throws -> String {
        try write("create secret \(name)")
        return try createFileObject(&secretList, kind: "secret", name: name, labels: labels, data: nil)
    }

    public func removeSecret(_ id: String) async throws {
        try write("remove secret \(secretList.first { $0.ID == id }?.Spec.Name ?? id)")
        try removeFileObject(&secretList, kind: "secret", id: id) { $0.TaskTemplate.ContainerSpec?.Secrets?.map(\.SecretID) ?? [] }
    }

    public func events(filters: Filters) async throws -> AsyncThrowingStream<EngineEvent, any Error> {
        try request()
        // Deploy polls on a short interval in tests; events are only a wake-up.
        return AsyncThrowingStream { _ in }
    }

    public func serviceLogs(_ service: String, tail: Int, since: EngineTime?, follow: Bool) async throws -> AsyncThrowingStream<LogLine, any Error> {
        try request()
        let name = serviceList.first { $0.ID == service }?.Spec.Name ?? service
        let written = (logs[name] ?? []).filter { entry in since.map { entry.at >= $0 } ?? true }
        let lines = written.suffix(tail).map { LogLine(stream: .stdout, text: $0.text) }
        return AsyncThrowingStream { continuation in
            for line in lines { continuation.yield(line) }
            continuation.finish()
        }
    }

    // MARK: the Engine's rules

    /// What Engine 20.10 fills into a service spec it stores, as far as the wire models see
    /// (captured: Tests/SwarmModelTests/Fixtures/engine-20.10/service-create-request.json and
    /// service-inspect.json): a replicated service with 1 replica when no mode is given (also
    /// on update: a null replica count resets scaling), and a restart counter of 0. A
    /// healthcheck's `StartInterval` is kept only at API 1.44+: Engine 20.10 does not know the
    /// field, and newer Engines zero it for older clients (moby api/server/router/swarm,
    /// `adjustForAPIVersion`).
    public static func withEngineDefaults(_ spec: ServiceSpec, api: APIVersion = engine20API) -> ServiceSpec {
        var spec = spec
        if api < APIVersion(1, 44) { spec.TaskTemplate.ContainerSpec?.Healthcheck?.StartInterval = nil }
        if spec.Mode == nil { spec.Mode = ServiceMode(Replicated: .init(Replicas: 1)) }
        if let replicated = spec.Mode?.Replicated, replicated.Replicas == nil { spec.Mode?.Replicated = .init(Replicas: 1) }
        if spec.TaskTemplate.ForceUpdate == nil { spec.TaskTemplate.ForceUpdate = 0 }
        return spec
    }

    private struct SpecKind: Equatable {
        var kind: Int
        init(_ spec: ServiceSpec) { kind = spec.Mode?.Global != nil ? 1 : (spec.Mode?.ReplicatedJob != nil ? 2 : 0) }
    }

    private func desiredCount(_ service: SwarmService) -> Int {
        if service.Spec.Mode?.Global != nil || service.Spec.Mode?.GlobalJob != nil { return eligibleNodes(service.Spec).count }
        if let job = service.Spec.Mode?.ReplicatedJob { return Int(job.TotalCompletions ?? 1) }
        return Int(service.Spec.Mode?.Replicated?.Replicas ?? 1)
    }

    private func eligibleNodes(_ spec: ServiceSpec) -> [SwarmNode] {
        let constraints = spec.TaskTemplate.constraints
        return nodeList.filter { $0.state == .ready && PlacementConstraint.allSatisfied(constraints, by: $0.facts) }
    }

    /// Makes the service's tasks match its spec: tasks of another spec shut down, one task
    /// per slot (per eligible node for global services) made from the spec in force.
    private func reconcile(_ serviceID: String) {
        guard let service = serviceList.first(where: { $0.ID == serviceID }) else { return }
        let template = service.Spec.TaskTemplate
        // Swarm's constraint enforcer: a task on a node that no longer satisfies the constraints
        // (its label moved) is shut down; on a down node it stays listed as it was last seen.
        let constraints = template.constraints
        for i in taskList.indices where taskList[i].ServiceID == serviceID && taskList[i].DesiredState == .running {
            guard let node = nodeList.first(where: { $0.ID == taskList[i].NodeID }),
                  !PlacementConstraint.allSatisfied(constraints, by: node.facts) else { continue }
            if node.state == .ready { shutDown(i) } else { taskList[i].DesiredState = .shutdown }
        }
        for i in taskList.indices where taskList[i].ServiceID == serviceID && taskList[i].DesiredState == .running
            && !Self.sameJSON(taskList[i].Spec, template) {
            shutDown(i)
        }
        let fails = failing.contains(service.Spec.Name) || failingSpecs[service.Spec.Name].map { Self.sameJSON($0, template) } == true
        if fails {
            for i in taskList.indices where taskList[i].ServiceID == serviceID && taskList[i].DesiredState == .running { shutDown(i) }
        }
        let eligible = eligibleNodes(service.Spec)
        for i in taskList.indices where taskList[i].ServiceID == serviceID && taskList[i].Status.State == .pending && taskList[i].NodeID == nil {
            if let node = eligible.randomElement()?.ID {
                taskList[i].NodeID = node
                taskList[i].Status = pull(template, on: node, for: service.Spec.Name) ?? TaskStatus(Timestamp: tick(), State: .running, Message: "started")
                taskList[i].Version = bump()
            }
        }
        var current = taskList.filter { $0.ServiceID == serviceID && $0.DesiredState != .shutdown && Self.sameJSON($0.Spec, template) }
        let isJob = service.Spec.Mode?.ReplicatedJob != nil || service.Spec.Mode?.GlobalJob != nil
        let perNode = service.Spec.Mode?.Global != nil || service.Spec.Mode?.GlobalJob != nil
        // Scaled down (to 0 before a coordinator restarts): Swarm shuts down the highest slots.
        if !perNode, !isJob, current.count > desiredCount(service) {
            let extra = current.sorted { ($0.Slot ?? 0) > ($1.Slot ?? 0) }.prefix(current.count - desiredCount(service)).map(\.ID)
            for i in taskList.indices where extra.contains(taskList[i].ID) { shutDown(i) }
            current.removeAll { extra.contains($0.ID) }
        }
        var wanted: [String?]
        if perNode {
            wanted = eligible.map(\.ID).filter { node in !current.contains { $0.NodeID == node } }
        } else {
            wanted = Array(repeating: nil, count: max(0, desiredCount(service) - current.count))
        }
        for (slot, pinned) in wanted.enumerated() {
            let node = pinned ?? eligible.randomElement()?.ID
            var status = TaskStatus(Timestamp: tick(), State: isJob ? .complete : .running, Message: isJob ? "finished" : "started")
            if node == nil {
                status = TaskStatus(Timestamp: clock, State: .pending, Message: "pending task scheduling",
                                    Err: "no suitable node (scheduling constraints not satisfied on \(nodeList.count) nodes)")
            } else if let node, let rejected = pull(template, on: node, for: service.Spec.Name) {
                status = rejected
            } else if fails {
                // Three failures and a fourth try under way, as Swarm's restart loop leaves them.
                for _ in 0..<3 {
                    taskList.append(task(service, slot: slot, node: node, desired: .shutdown,
                                         status: TaskStatus(Timestamp: tick(), State: .failed, Message: "started",
                                                            Err: "task: non-zero exit (1)", ContainerStatus: ContainerStatus(ExitCode: 1))))
                }
                status = TaskStatus(Timestamp: tick(), State: .starting, Message: "starting")
            }
            taskList.append(task(service, slot: slot, node: node, desired: isJob ? .complete : .running, status: status))
        }
    }

    /// A task prepared on `node`: its image pulled unless the node holds it; the status of a
    /// task rejected because the pull failed, else nil.
    private func pull(_ template: TaskSpec, on node: String, for service: String) -> TaskStatus? {
        guard let image = template.ContainerSpec?.Image, imagesOnNodes[node]?.contains(image) != true else { return nil }
        let host = nodeList.first { $0.ID == node }?.hostname ?? node
        if unpullable.contains(image + "@" + host) {
            return TaskStatus(Timestamp: tick(), State: .rejected, Message: "preparing", Err: "No such image: \(image)")
        }
        imagesOnNodes[node, default: []].insert(image)
        pulls.append((host, image, service))
        return nil
    }

    private func task(_ service: SwarmService, slot: Int, node: String?, desired: TaskState, status: TaskStatus) -> SwarmTask {
        SwarmTask(ID: newID("task"), Version: bump(), CreatedAt: clock, UpdatedAt: clock, Labels: service.Spec.Labels,
                  ServiceID: service.ID, Slot: slot + 1, NodeID: node, Status: status, DesiredState: desired,
                  Spec: service.Spec.TaskTemplate)
    }

    private func shutDown(_ i: Int) {
        taskList[i].DesiredState = .shutdown
        // A node that is down cannot report its task stopped: Swarm lists it as last seen.
        let nodeDown = nodeList.first { $0.ID == taskList[i].NodeID }.map { $0.state != .ready } ?? false
        if !taskList[i].Status.State.isTerminal, !nodeDown {
            taskList[i].Status = TaskStatus(Timestamp: tick(), State: .shutdown, Message: "shutdown")
        }
        taskList[i].Version = bump()
    }

    private func checkReferences(_ spec: ServiceSpec, path: String) throws {
        for reference in spec.TaskTemplate.ContainerSpec?.Configs ?? [] where !configList.contains(where: { $0.ID == reference.ConfigID }) {
            throw EngineError(method: "POST", path: path, status: 404, message: "config \(reference.ConfigName) not found")
        }
        for reference in spec.TaskTemplate.ContainerSpec?.Secrets ?? [] where !secretList.contains(where: { $0.ID == reference.SecretID }) {
            throw EngineError(method: "POST", path: path, status: 404, message: "secret \(reference.SecretName) not found")
        }
        for attachment in spec.TaskTemplate.Networks ?? [] where !networkList.contains(where: { $0.Id == attachment.Target || $0.Name == attachment.Target }) {
            throw EngineError(method: "POST", path: path, status: 404, message: "network \(attachment.Target) not found")
        }
    }

    private func createFileObject(_ list: inout [SwarmFileObject], kind: String, name: String, labels: [String: String],
                                  data: String?) throws -> String {
        guard !list.contains(where: { $0.Spec.Name == name }) else {
            throw EngineError(method: "POST", path: "/\(kind)s/create", status: 409,
                              message: "rpc error: code = AlreadyExists desc = \(kind) \(name) already exists")
        }
        let id = newID(kind)
        list.append(SwarmFileObject(ID: id, Version: bump(), Spec: .init(Name: name, Labels: labels, Data: data)))
        return id
    }

    private func removeFileObject(_ list: inout [SwarmFileObject], kind: String, id: String, used: (ServiceSpec) -> [String]) throws {
        guard let object = list.first(where: { $0.ID == id }) else { throw notFound(kind, id) }
        if let user = serviceList.first(where: { used($0.Spec).contains(id) }) {
            throw EngineError(method: "DELETE", path: "/\(kind)s/\(id)", status: 400,
                              message: "rpc error: code = InvalidArgument desc = \(kind) '\(object.Spec.Name)' is in use by the following service: \(user.Spec.Name)")
        }
        list.removeAll { $0.ID == id }
    }

    private func matches(_ labels: [String: String], id: String, name: String?, _ filters: Filters) -> Bool {
        for wanted in filters.values("label") {
            let parts = wanted.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 ? labels[parts[0]] != parts[1] : labels[parts[0]] == nil { return false }
        }
        let names = filters.values("name"), ids = filters.values("id")
        if !names.isEmpty, !names.contains(where: { name?.hasPrefix($0) ?? false }) { return false }
        if !ids.isEmpty, !ids.contains(where: { id.hasPrefix($0) }) { return false }
        return true
    }

    // MARK: requests

    private func request() throws {
        clock = clock + .milliseconds(1)
        if dropAfterWrites == nil || dropAfterWrites == 0, droppedRequests > 0 {
            droppedRequests -= 1
            if droppedRequests == 0 { dropAfterWrites = nil }
            throw EngineError(unanswered: "GET", path: "/", kind: .unreachable,
                              message: "nothing is listening on /fake/docker.sock (a stale socket; is dockerd running?)")
        }
    }

    private func write(_ entry: String) throws {
        try request()
        writeLog.append(entry)
        if let left = dropAfterWrites, left > 0 { dropAfterWrites = left - 1 }
    }

    private func bump() -> ObjectVersion {
        index += 1
        return ObjectVersion(Index: index)
    }

    private func tick() -> EngineTime {
        clock = clock + .milliseconds(1)
        return clock
    }

    private func newID(_ prefix: String) -> String {
        nextID += 1
        return "\(prefix)\(nextID)"
    }

    private func notFound(_ kind: String, _ id: String) -> EngineError {
        EngineError(method: "GET", path: "/\(kind)s/\(id)", status: 404, message: "\(kind) \(id) not found")
    }

    private func outOfSequence(_ path: String) -> EngineError {
        EngineError(method: "POST", path: path, status: 500, message: "rpc error: code = Unknown desc = update out of sequence")
    }

    static func sameJSON(_ a: TaskSpec?, _ b: TaskSpec?) -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(a)) == (try? encoder.encode(b))
    }
}

extension Filters {
    func removing(_ keys: String...) -> Filters {
        var copy = Filters()
        for key in ["label", "name", "id", "type", "node"] where !keys.contains(key) {
            for value in values(key) { copy.add(key, value) }
        }
        return copy
    }
}
