import Compose
import Inventory
import SwarmModel

// Milvus 2.3 (TOPOLOGY.md, stage 3): coordinators on the coord hosts, a data node per coord
// host, query and index nodes pinned by their numbered labels, the proxy and its balancer on
// the managers. Every role shares one image, milvus.yaml and the MinIO credentials.
extension Builder {
    static let milvusYAML = "milvus-yaml"
    static let milvusCredentials = "milvus_minio_credentials"

    /// The config and the secret every Milvus role mounts.
    func milvusShared(into draft: inout StageDraft) {
        draft.secrets = [secret(.milvusMinioCredentials, key: Self.milvusCredentials)]
        config(Self.milvusYAML, file: "milvus.yaml",
               contents: ConfigFiles.milvus(etcdEndpoints: etcdNames.map { "\($0):2379" },
                                   authorization: inventory.cluster.milvusAuthorization,
                                   sessionTTL: inventory.cluster.milvusSessionTTLSeconds),
               into: &draft)
    }

    func milvusRole(_ name: String, role: String, component: Component) -> Service {
        var service = base(name, image: images[.milvus], stage: .milvus, component: component)
        // What deploy waits for after stopping it (a label of the service: its tasks do not restart for it).
        if component.sessionExpirySeconds != nil {
            service.deploy.labels[GracefulStop.sessionTTLLabel] = String(inventory.cluster.milvusSessionTTLSeconds)
        }
        service.command = ["milvus", "run", role]
        service.environment = [
            "ETCD_ENDPOINTS": etcdNames.map { "\($0):2379" }.joined(separator: ","),
            "MINIO_ADDRESS": "minio-lb:9000",
            "PULSAR_ADDRESS": "pulsar://pulsar-proxy:6650",
        ]
        service.configs = [ServiceFileReference(source: Self.milvusYAML, target: "/milvus/configs/milvus.yaml")]
        service.secrets = [ServiceFileReference(source: Self.milvusCredentials, target: "/milvus/configs/user.yaml")]
        service.volumes = [BindMount(source: "\(dataRoot)/milvus/system-logs/\(name)", target: "/var/lib/milvus/logs")]
        service.healthcheck = HealthCadence.check(["CMD", "curl", "-f", "http://localhost:9091/healthz"], startPeriodSeconds: 90,
                                                   timeoutSeconds: 10)
        return service
    }

    static let coordHosts = PlacementConstraint.label(Role.coord.rawValue, equals: "true")

    func milvusCoordinators(into draft: inout StageDraft) {
        for (role, component) in [("rootcoord", Component.rootcoord), ("datacoord", .datacoord), ("querycoord", .querycoord)] {
            draft.services.append(place(milvusRole(role, role: role, component: component), component, stage: .milvus, on: [Self.coordHosts]))
        }
    }

    /// One data node per coord host, so that two never share a host.
    func milvusDataNodes(into draft: inout StageDraft) {
        for (index, host) in inventory.hosts(with: .coord).enumerated() {
            let service = milvusRole("datanode\(index + 1)", role: "datanode", component: .datanode)
            draft.services.append(place(service, .datanode, stage: .milvus, on: [Self.coordHosts, .pinned(to: host)]))
        }
    }

    func milvusQueryNodes(into draft: inout StageDraft) {
        for index in inventory.hosts(with: .query).indices {
            let service = milvusRole("querynode\(index + 1)", role: "querynode", component: .querynode)
            draft.services.append(member(service, .querynode, stage: .milvus, label: Role.query.numberedLabel(index + 1)))
        }
    }

    func milvusIndexNodes(into draft: inout StageDraft) {
        for index in inventory.hosts(with: .index).indices {
            let service = milvusRole("indexnode\(index + 1)", role: "indexnode", component: .indexnode)
            draft.services.append(member(service, .indexnode, stage: .milvus, label: Role.index.numberedLabel(index + 1)))
        }
    }

    /// One proxy per manager. Updated stop-first: every manager already runs one, so a
    /// start-first task would find no free node and the update would never finish (see
    /// `UpdateProgress`); one proxy down at a time while the others serve through milvus-lb.
    func milvusProxy(into draft: inout StageDraft) {
        var proxy = milvusRole("proxy", role: "proxy", component: .proxy)
        proxy.deploy.replicas = managerCount
        proxy.deploy.maxReplicasPerNode = 1
        draft.services.append(place(proxy, .proxy, stage: .milvus, on: [.manager]))
    }

    func milvusBalancer(into draft: inout StageDraft) {
        config("milvus-lb-nginx", file: "milvus-lb.nginx.conf", contents: ConfigFiles.milvusBalancer(),
               into: &draft)
        var balancer = base("milvus-lb", image: images[.nginx], stage: .milvus, component: .milvusLB)
        balancer.configs = [ServiceFileReference(source: "milvus-lb-nginx", target: "/etc/nginx/nginx.conf")]
        // Host mode: an ingress-published port adds an interface Milvus 2.3 may register.
        balancer.ports = [PublishedPort(target: 19530, published: 19530)]
        balancer.healthcheck = HealthCadence.check(["CMD", "curl", "-f", "http://localhost:9091/healthz"], startPeriodSeconds: 30)
        balancer.deploy.mode = .global
        balancer.deploy.replicas = nil
        draft.services.append(place(balancer, .milvusLB, stage: .milvus, on: [.manager]))
    }
}
