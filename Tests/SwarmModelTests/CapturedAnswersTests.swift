import Foundation
import SwarmModel
import Testing
import TestSupport

/// Answers captured from the lab's Engine 20.10 (API 1.41) decode into the typed model, and
/// the fake swarm fills in what the real Engine fills in.
@Suite("Captured Engine answers")
struct CapturedAnswersTests {
    static func fixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/engine-20.10/\(name)", withExtension: "json"))
        return try JSONDecoder().decode(type, from: Data(contentsOf: url))
    }

    @Test func servicesTasksAndNodesDecodeWithTypedStatesAndTimes() throws {
        let services = try Self.fixture("services-lab-storage", as: [SwarmService].self)
        let tasks = try Self.fixture("tasks-lab-storage", as: [SwarmTask].self)
        let nodes = try Self.fixture("nodes", as: [SwarmNode].self)
        #expect(services.count == 10)
        #expect(services.allSatisfy { $0.CreatedAt != nil && $0.Spec.Labels?[StackLabels.namespace] == "lab-storage" })
        #expect(services.allSatisfy { ($0.ServiceStatus?.DesiredTasks ?? -1) >= 0 })
        #expect(!tasks.isEmpty && tasks.allSatisfy { $0.Status.Timestamp != nil && $0.CreatedAt != nil })
        let known: Set<TaskState> = [.running, .complete, .shutdown, .failed]
        #expect(tasks.allSatisfy { known.contains($0.Status.State) }, "\(Set(tasks.map(\.Status.State)))")
        #expect(tasks.contains { $0.Status.State == .running && $0.DesiredState == .running })
        #expect(nodes.count == 5 && nodes.allSatisfy { $0.state == .ready })
        #expect(nodes.filter(\.isManager).count == 1)
        #expect(nodes.first(where: \.isManager)?.ManagerStatus?.Reachability == .reachable)
        // Every running task sits where its service's constraints allow, by the shared rule.
        for task in tasks where task.Status.State == .running {
            let service = try #require(services.first { $0.ID == task.ServiceID })
            let node = try #require(nodes.first { $0.ID == task.NodeID })
            #expect(PlacementConstraint.allSatisfied(service.Spec.TaskTemplate.constraints, by: node.facts),
                    "\(service.Spec.Name) on \(node.hostname)")
        }
    }

    /// The Engine copies a service's task template into each task it creates: the model reads both
    /// alike (the service's answer adds `Runtime`, which the model does not read), so a task's spec
    /// tells which spec of its service it runs.
    @Test func eachTaskCarriesItsServicesTaskTemplate() throws {
        let services = try Self.fixture("services-lab-storage", as: [SwarmService].self)
        let tasks = try Self.fixture("tasks-lab-storage", as: [SwarmTask].self)
        for task in tasks {
            let service = try #require(services.first { $0.ID == task.ServiceID })
            #expect(task.Spec == service.Spec.TaskTemplate, "\(service.Spec.Name)")
            var other = service.Spec.TaskTemplate
            let args = other.ContainerSpec?.Args ?? []
            other.ContainerSpec?.Args = args + ["--changed"]
            #expect(task.Spec != other)
        }
    }

    @Test func infoCarriesTheEngineClock() throws {
        let info = try Self.fixture("info", as: SystemInfo.self)
        #expect(info.SystemTime != nil)
        #expect(info.Swarm?.ControlAvailable == true && info.Swarm?.LocalNodeState == "active")
        let version = try Self.fixture("version", as: EngineVersion.self)
        #expect(version.ApiVersion == "1.41")
    }

    @Test func theFakeFillsInWhatTheEngineFillsIn() throws {
        let request = try Self.fixture("service-create-request", as: ServiceSpec.self)
        let stored = try Self.fixture("service-inspect", as: SwarmService.self)
        #expect(request != stored.Spec, "the Engine does fill something in")
        #expect(FakeSwarm.withEngineDefaults(request) == stored.Spec)
    }
}
