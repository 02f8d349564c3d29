import Compose
import Inventory
import SwarmModel

// cAdvisor (TOPOLOGY.md, monitoring): one task on every node.
extension Builder {
    func cadvisor(into draft: inout StageDraft) {
        var cadvisor = base("cadvisor", image: images[.cadvisor], stage: .storage, component: .cadvisor)
        cadvisor.command = ["--docker_only=true", "--housekeeping_interval=30s"]
        cadvisor.volumes = [
            BindMount(source: "/", target: "/rootfs", readOnly: true),
            BindMount(source: "/var/run", target: "/var/run", readOnly: true),
            BindMount(source: "/sys", target: "/sys", readOnly: true),
            BindMount(source: "/var/lib/docker", target: "/var/lib/docker", readOnly: true),
            BindMount(source: "/dev/disk", target: "/dev/disk", readOnly: true),
        ]
        cadvisor.healthcheck = HealthCadence.check(["CMD", "wget", "--quiet", "--tries=1", "--spider", "http://localhost:8080/healthz"],
                                           startPeriodSeconds: 30)
        cadvisor.deploy.mode = .global
        cadvisor.deploy.replicas = nil
        draft.services.append(place(cadvisor, .cadvisor, stage: .storage, on: []))
    }
}
