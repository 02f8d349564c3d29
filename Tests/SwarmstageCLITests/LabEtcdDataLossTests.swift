import Engine
import Foundation
import Rollout
import SwarmModel
import Testing
import TestSupport

/// The guard against empty data, for etcd, with Debian's real etcd: etcd2's data directory on its
/// host is emptied (a disk replaced or wiped) and its container restarted. etcd refuses to start
/// it ("member ... has already been bootstrapped"); `health` says why, and `deploy` replaces the
/// member where it runs by etcd's procedure instead of letting it crash-loop; the data written
/// before is read from it alone.
@Suite("An etcd member whose data is lost where it runs, on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabEtcdDataLossTests {
    typealias Deploy = LabDeployTests

    @Test func aMemberWhoseDiskWasWipedIsReplacedInPlaceAndTheDataReadBack() async throws {
        try await LabLock.run {
            let lab = try Lab.require()
            let secrets = try Deploy.secretsFile()
            defer { try? FileManager.default.removeItem(atPath: secrets) }
            // The lab as other tests expect it afterwards: a new etcd cluster of the inventory's members.
            defer { try? LabEtcdReplacementTests.restartingEtcd(lab: lab) }
            let (engine, before, written) = try await LabEtcdReplacementTests.deployedWithAKey("swarmstage-test/wiped", secrets: secrets)

            // Where etcd2 runs and keeps its data (under the node's /mnt/data/etcd, mounted at /var/etcd).
            let service = try await engine.service("lab-storage_etcd2")
            let nodes = try await engine.nodes()
            let running = try await engine.tasks(filters: .service(service.ID)).filter { $0.Status.State == .running }
            let home = try #require(running.first.flatMap { task in nodes.first { $0.ID == task.NodeID }?.hostname })
            let dataDir = EtcdReplacement.argument("--data-dir=", in: service.Spec) ?? "/var/etcd/data"
            #expect(dataDir.hasPrefix("/var/etcd/"))
            let onHost = "\(lab.directory)/nodes/\(home)/mnt/data/etcd/\(dataDir.dropFirst("/var/etcd/".count))"
            #expect(FileManager.default.fileExists(atPath: onHost + "/member"), "etcd2's data is not at \(onHost)")

            // The disk is wiped: the container goes, its data with it; Swarm starts it again (after its 5 s restart delay) on an empty directory.
            let socket = "unix://\(lab.nodeSocket(home))"
            let containers = try Programs.run(Programs.docker, ["-H", socket, "ps", "-q", "--filter", "label=com.docker.swarm.service.name=lab-storage_etcd2"])
            let container = try #require(containers.output.split(separator: "\n").first.map(String.init), "\(containers.output)")
            let removed = try Programs.run(Programs.docker, ["-H", socket, "rm", "-f", container])
            #expect(removed.status == 0, "\(removed.errors)")
            try FileManager.default.removeItem(atPath: onHost)

            // etcd refuses the empty member; health names it, and what deploy does.
            let deadline = ContinuousClock.now + .seconds(120)
            var health = try LabHealthAndFaultTests.health()
            while !health.output.contains("etcd says this member's data is lost"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .seconds(3))
                health = try LabHealthAndFaultTests.health()
            }
            #expect(health.status == 1, "\(health.output)")
            #expect(health.output.contains("lab-storage_etcd2: etcd says this member's data is lost where it runs (member ")
                    && health.output.contains("has already been bootstrapped)"), "\(health.output)")

            let plan = try Deploy.deploy(["--plan"], secrets: secrets)
            #expect(plan.output.contains("lab-storage_etcd2: replace the etcd member: its data on \(home) is lost (etcd: member "),
                    "\(plan.output)\n\(plan.errors)")
            let replaced = try Deploy.deploy(["--progress", "plain"], secrets: secrets)
            #expect(replaced.status == 0, "\(replaced.output)\n\(replaced.errors)")

            // etcd's own view: etcd2 under a new ID, on the same host, the others untouched; the key read from etcd2 alone.
            let after = try await LabEtcd.members(engine)
            #expect(after.keys.sorted() == ["etcd1", "etcd2", "etcd3"], "\(after)")
            #expect(after["etcd2"] != before["etcd2"] && after["etcd1"] == before["etcd1"] && after["etcd3"] == before["etcd3"])
            let read = try await LabEtcd.etcdctl(engine, ["get", "--consistency=s", "--print-value-only", "swarmstage-test/wiped"],
                                                 endpoints: "http://etcd2:2379")
            #expect(read.succeeded && read.output.split(separator: "\n").contains { $0 == written }, "\(read.output)")
            let now = try await engine.tasks(filters: .service(service.ID)).filter { $0.Status.State == .running }
            #expect(now.compactMap { task in nodes.first { $0.ID == task.NodeID }?.hostname } == [home])
            let healthy = try await LabHealthAndFaultTests.waitForHealthStatus(0)
            #expect(healthy.status == 0, "\(healthy.output)")
            let again = try Deploy.deploy(secrets: secrets)
            #expect(again.output.contains("nothing changed (0 Engine writes)"), "\(again.output)\n\(again.errors)")
        }
    }
}
