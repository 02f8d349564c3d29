import Foundation
import Inventory
import StackConvert
import SwarmModel

/// A later stage's images pulled on the hosts that will run them while an earlier stage waits
/// for its gate, so that the later stage's tasks start without a pull, and a host that cannot
/// pull an image is named before that stage is touched.
///
/// Swarm has no "pull" of its own; a task pulls its image when it is prepared on its node
/// (moby `daemon/cluster/executor/container/controller.go`, `Prepare`: `pullImage`, then
/// create), and an image pinned by digest that the node has is not pulled again (`adapter.go`,
/// `pullImage`). So each image is pulled by a global job (`docker service create --mode
/// global-job`): one task on every node its services' placement allows, running `true` once,
/// removed when every task is past preparing. A task past preparing (`ready`, `starting`,
/// `running`, `complete`, or `failed` at start: an image without `true`) had its image; a
/// `rejected` task did not (swarmkit `agent/exec/controller.go`: an error while preparing
/// rejects the task), and its error is the Engine's ("No such image: ..."); the registry's own
/// answer is in that host's dockerd log ("pulling image failed").
public struct ImagePrePull: Sendable {
    /// One image, on the nodes that a set of placement constraints (one service's) allows.
    public struct Request: Sendable, Hashable {
        public var image: String
        public var constraints: [String]
        public var services: [String]

        public init(image: String, constraints: [String], services: [String]) {
            self.image = image
            self.constraints = constraints
            self.services = services
        }
    }

    /// A host that did not pull an image.
    public struct Failure: Sendable, Equatable {
        public var image: String
        public var host: String
        public var error: String
        public var services: [String]
    }

    public struct Outcome: Sendable, Equatable {
        public var failures: [Failure] = []
        /// Hosts that have each image now (image → hosts).
        public var pulled: [String: Set<String>] = [:]
        public var jobs = 0
    }

    /// The label every pre-pull job carries (`docker service ls --filter label=io.swarmstage.job=pre-pull`).
    public static let jobLabel = "io.swarmstage.job"
    public static let jobKind = "pre-pull"

    /// The images a stage's plan will need where they may not be yet: the services it creates
    /// (or recreates, or adds as etcd members), and those it updates with another image or
    /// placement (new tasks, maybe on other hosts). What the plan leaves alone (a completed job
    /// whose image changed is not run again) needs nothing.
    public static func requests(for plan: StagePlan, running: [SwarmService]) -> [Request] {
        var specs: [ServiceSpec] = [], updated: [ServiceSpec] = []
        for action in plan.actions {
            switch action {
            case .createService(let spec), .recreateService(_, let spec, _), .addEtcdMember(let spec): specs.append(spec)
            case .updateService(_, let spec, _), .replaceEtcdMember(_, let spec, _): updated.append(spec)
            default: break
            }
        }
        return requests(merging: specs.compactMap { request(for: $0, running: []) } + updated.compactMap { request(for: $0, running: running) })
    }

    private static func requests(merging requests: [Request]) -> [Request] {
        var grouped: [String: Request] = [:]
        for request in requests {
            let key = request.image + "\n" + request.constraints.joined(separator: "\n")
            grouped[key, default: Request(image: request.image, constraints: request.constraints, services: [])].services += request.services
        }
        return grouped.keys.sorted().compactMap { grouped[$0] }
    }

    /// The images `services` need where they do not run yet: the services not running, and those
    /// whose image or placement differs from what runs. A service that keeps both starts its new
    /// tasks where its image already is. Grouped by image and constraints: one job each, so a host
    /// is asked once per image and placement.
    public static func requests(for services: [ServiceSpec], running: [SwarmService]) -> [Request] {
        requests(merging: services.compactMap { request(for: $0, running: running) })
    }

    /// One service's image where it may not be: nil when it has none, or runs with the same image
    /// and placement.
    private static func request(for spec: ServiceSpec, running: [SwarmService]) -> Request? {
        guard let image = spec.TaskTemplate.ContainerSpec?.Image, !image.isEmpty else { return nil }
        let constraints = (spec.TaskTemplate.Placement?.Constraints ?? []).sorted()
        if let current = running.first(where: { $0.Spec.Name == spec.Name }),
           current.Spec.TaskTemplate.ContainerSpec?.Image == image,
           (current.Spec.TaskTemplate.Placement?.Constraints ?? []).sorted() == constraints {
            return nil
        }
        return Request(image: image, constraints: constraints, services: [spec.Name])
    }

    /// The nodes a request's job runs on: ready, active, and allowed by its constraints.
    public static func hosts(for request: Request, nodes: [SwarmNode]) -> [SwarmNode] {
        let constraints = request.constraints.compactMap(PlacementConstraint.init(parsing:))
        return nodes.filter {
            $0.state == .ready && ($0.Spec.Availability ?? "active") == "active" && PlacementConstraint.allSatisfied(constraints, by: $0.facts)
        }
    }

    /// The requests whose jobs together reach every host of every request, with those hosts: a
    /// request whose hosts another request of the same image reaches (a data node on one coord
    /// host, the coord role on all of them) needs no job of its own; its services go with that one.
    /// Requests whose constraints allow no node are left out (the stage says "no suitable node").
    public static func covering(_ requests: [Request], nodes: [SwarmNode]) -> [(request: Request, hosts: [SwarmNode])] {
        let reached = requests.map { (request: $0, hosts: hosts(for: $0, nodes: nodes)) }.filter { !$0.hosts.isEmpty }
            .sorted { ($0.hosts.count, $1.request.constraints.count) > ($1.hosts.count, $0.request.constraints.count) }
        var kept: [(request: Request, hosts: [SwarmNode])] = []
        for candidate in reached {
            let ids = Set(candidate.hosts.map(\.ID))
            if let wider = kept.firstIndex(where: { $0.request.image == candidate.request.image && ids.isSubset(of: Set($0.hosts.map(\.ID))) }) {
                kept[wider].request.services += candidate.request.services
            } else {
                kept.append(candidate)
            }
        }
        return kept
    }

    /// Whether a pre-pull task's image is on its node: `true`, `false`, or nil (not known yet).
    public static func hadImage(_ task: SwarmTask) -> Bool? {
        switch task.Status.State {
        case .rejected: return false
        case .ready, .starting, .running, .complete, .failed: return true
        default: return nil
        }
    }

    public let swarm: any SwarmAPI
    public let timeout: Duration
    public let pollInterval: Duration

    public init(swarm: any SwarmAPI, timeout: Duration, pollInterval: Duration = .milliseconds(500)) {
        self.swarm = swarm
        self.timeout = timeout
        self.pollInterval = pollInterval
    }

    /// Pulls every request's image on its hosts among `nodes` (as the plan read them), all jobs at
    /// once; their services are removed afterwards, also when the caller is cancelled (as
    /// `SwarmJob` does).
    public func pull(_ requests: [Request], on nodes: [SwarmNode], stage: Stage) async throws -> Outcome {
        let prePull = self
        return try await Task { try await prePull.pullToEnd(requests, nodes: nodes, stage: stage) }.value
    }

    private func pullToEnd(_ requests: [Request], nodes: [SwarmNode], stage: Stage) async throws -> Outcome {
        // Jobs came with API 1.41 (Engine 20.10); an older Engine's stages pull for themselves.
        guard !requests.isEmpty, swarm.apiVersion >= APIVersion(1, 41) else { return Outcome() }
        var jobs: [(request: Request, id: String, hosts: [SwarmNode])] = []
        let outcome: Outcome, run = "swarmstage-pull-\(stage.rawValue)-\(UUID().uuidString.prefix(8).lowercased())"
        do {
            outcome = try await create(requests, nodes: nodes, namePrefix: run, jobs: &jobs)
        } catch {
            await remove(jobs.map(\.id), namePrefix: run)
            throw error
        }
        await remove(jobs.map(\.id), namePrefix: nil)
        return outcome
    }

    /// Removes the jobs, not cancelled with the caller; with `namePrefix`, also a job whose create
    /// reached the Engine while its answer was abandoned.
    private func remove(_ ids: [String], namePrefix: String?) async {
        let swarm = self.swarm
        await Task {
            var all = Set(ids)
            if let namePrefix, let jobs = try? await swarm.services(filters: Filters([("label", "\(Self.jobLabel)=\(Self.jobKind)")])) {
                all.formUnion(jobs.filter { $0.Spec.Name.hasPrefix(namePrefix) }.map(\.ID))
            }
            for id in all.sorted() { await removeRetrying(id, swarm: swarm) }
        }.value
    }

    /// A job is removed also across a short outage (a dockerd restarting): retried while the Engine
    /// does not answer, for about as long as a deploy waits for a lost Engine's first answers.
    private func removeRetrying(_ id: String, swarm: any SwarmAPI) async {
        for _ in 0..<60 {
            do {
                return try await swarm.removeService(id)
            } catch let error as EngineError where error.isOutage {
                try? await Task.sleep(for: max(pollInterval, .milliseconds(50)))
            } catch {
                return  // gone already, or refused: nothing more to do
            }
        }
    }

    private func create(_ requests: [Request], nodes: [SwarmNode], namePrefix: String,
                        jobs: inout [(request: Request, id: String, hosts: [SwarmNode])]) async throws -> Outcome {
        var outcome = Outcome()
        for (request, hosts) in Self.covering(requests, nodes: nodes) {
            let spec = ServiceSpec(
                Name: "\(namePrefix)-\(jobs.count + 1)",
                Labels: [Self.jobLabel: Self.jobKind, "io.swarmstage.image": request.image],
                TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: request.image, Command: ["true"]),
                                       RestartPolicy: RestartPolicy(Condition: "none"),
                                       Placement: Placement(Constraints: request.constraints.isEmpty ? nil : request.constraints)),
                Mode: ServiceMode(GlobalJob: .init()))
            jobs.append((request, try await swarm.createService(spec), hosts))
        }
        outcome.jobs = jobs.count
        let deadline = ContinuousClock.now + timeout
        var waiting = jobs
        while !waiting.isEmpty {
            var still: [(request: Request, id: String, hosts: [SwarmNode])] = []
            for job in waiting {
                let tasks = try await swarm.tasks(filters: .service(job.id))
                var known: [String: Bool] = [:]
                for task in tasks {
                    guard let node = task.NodeID, let had = Self.hadImage(task) else { continue }
                    known[node] = (known[node] ?? false) || had
                    if !had, let host = job.hosts.first(where: { $0.ID == node }) {
                        let error = task.Status.Err ?? task.Status.Message ?? "rejected"
                        if let same = outcome.failures.firstIndex(where: { $0.image == job.request.image && $0.host == host.hostname }) {
                            let services = Set(outcome.failures[same].services).union(job.request.services)
                            outcome.failures[same].services = services.sorted()
                        } else {
                            outcome.failures.append(Failure(image: job.request.image, host: host.hostname, error: error,
                                                            services: job.request.services))
                        }
                    }
                }
                for host in job.hosts where known[host.ID] == true {
                    outcome.pulled[job.request.image, default: []].insert(host.hostname)
                }
                if job.hosts.contains(where: { known[$0.ID] == nil }) {
                    if ContinuousClock.now >= deadline {
                        for host in job.hosts where known[host.ID] == nil {
                            outcome.failures.append(Failure(image: job.request.image, host: host.hostname,
                                                            error: "still pulling after \(timeout)", services: job.request.services))
                        }
                    } else {
                        still.append(job)
                    }
                }
            }
            waiting = still
            if !waiting.isEmpty { try await Task.sleep(for: pollInterval) }
        }
        // A host that rejected once and pulled on a later try has the image.
        outcome.failures.removeAll { outcome.pulled[$0.image]?.contains($0.host) == true }
        outcome.failures.sort { ($0.image, $0.host) < ($1.image, $1.host) }
        return outcome
    }
}
