import Compose
import Inventory
import SwarmModel

// MinIO (TOPOLOGY.md, stage 1): one server per host, in one server pool unless the inventory
// adds pools (`minio_pool:`), credentials from Docker secrets, and an nginx balancer on the
// managers that reports write quorum.
extension Builder {
    var minioNames: [String] { inventory.hosts(with: .minio).indices.map { "minio\($0 + 1)" } }

    /// Every server's endpoints: one ellipsis range per server pool, in pool order, the same on
    /// every server (MinIO docs, "Expand a MinIO deployment": `minio server` names the existing
    /// pool, then the new one). One pool is the stack the seed's plan runs.
    static func minioPoolEndpoints(_ servers: [Host]) -> [String] {
        let numbered = servers.compactMap { host in host.roleNumbers[.minio].map { (pool: host.minioPool ?? 1, number: $0) } }
        return Set(numbered.map(\.pool)).sorted().compactMap { pool in
            let numbers = numbered.filter { $0.pool == pool }.map(\.number)
            guard let low = numbers.min(), let high = numbers.max() else { return nil }
            return "http://minio{\(low)...\(high)}/disk{1...2}"
        }
    }

    mutating func minioServers(into draft: inout StageDraft) {
        let endpoints = Self.minioPoolEndpoints(inventory.hosts(with: .minio))
        let rootUser = secret(.minioRootUser, key: "minio_root_user")
        let rootPassword = secret(.minioRootPassword, key: "minio_root_password")
        draft.secrets = [rootUser, rootPassword]
        for (index, name) in minioNames.enumerated() {
            var service = base(name, image: images[.minio], stage: .storage, component: .minio)
            service.hostname = name
            service.command = ["server"] + endpoints + ["--console-address", ":9090"]
            service.environment = [
                "MINIO_ROOT_USER_FILE": "/run/secrets/\(rootUser.key)",
                "MINIO_ROOT_PASSWORD_FILE": "/run/secrets/\(rootPassword.key)",
            ]
            service.secrets = [
                ServiceFileReference(source: rootUser.key, target: rootUser.key),
                ServiceFileReference(source: rootPassword.key, target: rootPassword.key),
            ]
            service.volumes = [
                BindMount(source: "\(dataRoot)/disk1", target: "/disk1"),
                BindMount(source: "\(dataRoot)/disk2", target: "/disk2"),
            ]
            service.healthcheck = HealthCadence.check(["CMD", "curl", "-f", "http://localhost:9000/minio/health/live"],
                                              startPeriodSeconds: 30)
            draft.services.append(member(service, .minio, stage: .storage, label: Role.minio.numberedLabel(index + 1)))
        }
    }

    func minioBalancer(into draft: inout StageDraft) {
        config("minio-lb-nginx", file: "minio-lb.nginx.conf",
               contents: ConfigFiles.minioBalancer(minioHosts: minioNames), into: &draft)
        var balancer = base("minio-lb", image: images[.nginx], stage: .storage, component: .minioLB)
        balancer.configs = [ServiceFileReference(source: "minio-lb-nginx", target: "/etc/nginx/nginx.conf")]
        // Published only when the inventory's `expose:` asks: Milvus reaches MinIO over the overlay.
        balancer.ports = published([.minio, .minioConsole])
        balancer.healthcheck = HealthCadence.check(["CMD", "curl", "-f", "http://localhost:9000/minio/health/cluster"],
                                           startPeriodSeconds: 30)
        balancer.deploy.mode = .global
        balancer.deploy.replicas = nil
        draft.services.append(place(balancer, .minioLB, stage: .storage, on: [.manager]))
    }
}
