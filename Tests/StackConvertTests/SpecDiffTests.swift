import Foundation
import StackConvert
import SwarmModel
import Testing

@Suite("Spec differences")
struct SpecDiffTests {
    static let base = ServiceSpec(
        Name: "s_a", Labels: ["com.docker.stack.namespace": "s"],
        TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: "img:1", Env: ["A=1"]),
                               RestartPolicy: RestartPolicy(Condition: "any", Delay: 5_000_000_000),
                               Networks: [NetworkAttachment(Target: "netid", Aliases: ["a"])]),
        Mode: ServiceMode(Replicated: .init(Replicas: 1)))

    @Test func whatTheEngineFillsInIsNotADifference() throws {
        // As the Engine returns it: zero values, empty objects and fields swarmstage does not set.
        let returned = """
        {"Name":"s_a","Labels":{"com.docker.stack.namespace":"s"},
         "TaskTemplate":{"ContainerSpec":{"Image":"img:1","Env":["A=1"],"Isolation":"default","Mounts":[]},
           "Resources":{"Limits":{},"Reservations":{}},
           "RestartPolicy":{"Condition":"any","Delay":5000000000,"MaxAttempts":0},
           "Placement":{"Platforms":[{"Architecture":"amd64"}]},"ForceUpdate":0,"Runtime":"container",
           "Networks":[{"Target":"netid","Aliases":["a"]}]},
         "Mode":{"Replicated":{"Replicas":1}},"EndpointSpec":{"Mode":"vip"}}
        """
        let current = try JSONDecoder().decode(ServiceSpec.self, from: Data(returned.utf8))
        var desired = Self.base
        desired.EndpointSpec = EndpointSpec(Mode: "vip", Ports: [])
        #expect(SpecDiff.changedFields(desired: desired, current: current) == [])
    }

    @Test func realChangesAreNamedByField() {
        var changed = Self.base
        changed.TaskTemplate.ContainerSpec?.Image = "img:2"
        changed.TaskTemplate.ContainerSpec?.Env = ["A=2"]
        changed.Mode = ServiceMode(Replicated: .init(Replicas: 3))
        #expect(SpecDiff.changedFields(desired: changed, current: Self.base)
            == ["Mode.Replicated.Replicas", "TaskTemplate.ContainerSpec.Env", "TaskTemplate.ContainerSpec.Image"])
    }

    @Test func theClustersRestartCounterIsNotAChange() {
        var restarted = Self.base
        restarted.TaskTemplate.ForceUpdate = 3
        #expect(SpecDiff.changedFields(desired: Self.base, current: restarted).isEmpty, "`docker service update --force` is kept")
        var changed = Self.base
        changed.TaskTemplate.ContainerSpec?.Image = "img:2"
        #expect(SpecDiff.changedFields(desired: changed, current: restarted) == ["TaskTemplate.ContainerSpec.Image"])
    }

    @Test func modeKindsAndTaskSpecs() {
        var global = Self.base
        global.Mode = ServiceMode(Global: .init())
        #expect(SpecDiff.modeKind(global) == "global")
        #expect(SpecDiff.modeKind(Self.base) == "replicated")
        var other = Self.base.TaskTemplate
        #expect(SpecDiff.sameTaskSpec(other, Self.base.TaskTemplate))
        other.ForceUpdate = 0
        #expect(SpecDiff.sameTaskSpec(other, Self.base.TaskTemplate))
        other.ContainerSpec?.Image = "img:2"
        #expect(!SpecDiff.sameTaskSpec(other, Self.base.TaskTemplate))
    }
}
