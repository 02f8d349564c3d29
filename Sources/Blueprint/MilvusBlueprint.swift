import Compose
import Foundation
import Inventory
import SwarmModel
import struct Inventory.Host

/// The Milvus 2.3 topology (../shared/TOPOLOGY.md): inventory in, three stacks out.
/// Pure: the same inventory always gives the same blueprint.
public enum MilvusBlueprint {
    public static func make(_ inventory: Inventory) -> Blueprint {
        var builder = Builder(inventory: inventory)
        let drafts = [
            (Stage.storage, builder.storageStage()),
            (Stage.pulsar, builder.pulsarStage()),
            (Stage.milvus, builder.milvusStage()),
        ]
        // Limits depend on how many services share each host, across all stages.
        let sizing = Sizing(services: drafts.flatMap { $0.1.services })
        let stacks = drafts.map { stage, draft in
            let services = draft.services.map { planned -> PlannedService in
                var planned = planned
                planned.service = planned.service.canonical
                planned.service.deploy.limits = sizing.limits(for: planned)
                builder.applyMemorySettings(&planned)
                return planned
            }
            let compose = ComposeFile(
                services: services.map(\.service),
                networks: [Network(key: Builder.networkKey, name: inventory.cluster.network, external: stage != .storage)],
                configs: draft.configs,
                secrets: draft.secrets.map { SecretDefinition(key: $0.key, name: $0.name) }
            )
            return StackPlan(stage: stage, stackName: inventory.cluster.stackName(for: stage), compose: compose,
                             configFiles: draft.files, services: services)
        }
        return Blueprint(inventory: inventory, stacks: stacks, secrets: builder.allSecrets)
    }
}

/// The services of one stage before limits are known.
struct StageDraft {
    var services: [PlannedService] = []
    var configs: [ConfigDefinition] = []
    var files: [GeneratedFile] = []
    var secrets: [SecretSpec] = []
}

struct Builder {
    static let networkKey = "cluster"
    static let stageLabel = "io.swarmstage.stage"
    static let componentLabel = Component.label

    let inventory: Inventory
    var allSecrets: [SecretSpec] = []
    /// Host positions by what constraints ask for, so placement costs no scan of all hosts.
    private let hostsByLabel: [String: [Int]]
    private let hostsByName: [String: Int]
    private let hostsByNodeID: [String: Int]
    private let managerHosts: [Int]

    init(inventory: Inventory) {
        self.inventory = inventory
        var byLabel: [String: [Int]] = [:], byName: [String: Int] = [:], byNodeID: [String: Int] = [:], managers: [Int] = []
        for (index, host) in inventory.hosts.enumerated() {
            // Swarm compares constraint values without regard to case.
            for (key, value) in host.labels { byLabel["\(key)=\(value.lowercased())", default: []].append(index) }
            byName[host.name.lowercased()] = index
            if let nodeID = host.nodeID { byNodeID[nodeID.lowercased()] = index }
            if host.has(.manager) { managers.append(index) }
        }
        hostsByLabel = byLabel
        hostsByName = byName
        hostsByNodeID = byNodeID
        managerHosts = managers
        etcdHosts = inventory.hosts(with: .etcd)
        zkHosts = inventory.hosts(with: .zk)
        etcdNames = etcdHosts.indices.map { "etcd\($0 + 1)" }
        zkNames = zkHosts.indices.map { "zk\($0 + 1)" }
        brokerNames = inventory.hosts(with: .broker).indices.map { "broker\($0 + 1)" }
        zkConnect = zkNames.map { "\($0):2181" }.joined(separator: ",")
        managerCount = managers.count
    }

    private var cluster: ClusterSettings { inventory.cluster }
    private var images: ImageMap { inventory.images }
    private var dataRoot: String { cluster.dataRoot }
    private var inventoryName: String { URL(fileURLWithPath: inventory.file).lastPathComponent }

    // MARK: names every stage uses

    // Computed once: every service of a large inventory refers to them.
    private let etcdHosts: [Host]
    private let zkHosts: [Host]
    private let etcdNames: [String]
    private let zkNames: [String]
    private let brokerNames: [String]
    private let zkConnect: String
    private let managerCount: Int

    private func secret(_ content: SecretSpec.Content, key: String) -> SecretSpec {
        SecretSpec(key: key, name: "\(cluster.name)_\(key)", content: content)
    }

    private func config(_ key: String, file: String, contents: String, into draft: inout StageDraft) {
        draft.configs.append(ConfigDefinition(key: key, name: "\(cluster.name)_\(key)-\(ContentHash.short(contents))",
                                              file: "./configs/\(file)"))
        draft.files.append(GeneratedFile(path: "configs/\(file)", contents: contents))
    }

    // MARK: stage 1: etcd, MinIO, cAdvisor

    mutating func storageStage() -> StageDraft {
        var draft = StageDraft()
        let initialCluster = etcdNames.map { "\($0)=http://\($0):2380" }.joined(separator: ",")
        for (index, host) in etcdHosts.enumerated() {
            let name = etcdNames[index]
            var service = base(name, image: images[.etcd], stage: .storage, component: .etcd)
            service.hostname = name
            service.command = [
                "/usr/local/bin/etcd",
                "--name=\(name)",
                "--data-dir=/var/etcd/data",
                "--listen-client-urls=http://0.0.0.0:2379",
                "--advertise-client-urls=http://\(name):2379",
                "--listen-peer-urls=http://0.0.0.0:2380",
                "--initial-advertise-peer-urls=http://\(name):2380",
                "--initial-cluster=\(initialCluster)",
                "--initial-cluster-state=new",
                "--initial-cluster-token=\(cluster.name)-etcd",
            ]
            service.environment = [
                "ETCD_AUTO_COMPACTION_MODE": "revision",
                "ETCD_AUTO_COMPACTION_RETENTION": "1000",
                "ETCD_QUOTA_BACKEND_BYTES": "4294967296",
                "ETCD_SNAPSHOT_COUNT": "50000",
                "ETCD_HEARTBEAT_INTERVAL": "500",
                "ETCD_ELECTION_TIMEOUT": "2500",
            ]
            service.volumes = [BindMount(source: "\(dataRoot)/etcd", target: "/var/etcd")]
            // Swarm puts a task in DNS only once its healthcheck passes, and `etcdctl endpoint
            // health` passes only with a quorum, which needs the other members' names: a
            // member healthcheck would deadlock the cluster's first start. The etcd-quorum
            // job below proves the cluster healthy instead.
            service.healthcheck = .disabled
            service.stopGracePeriodSeconds = 30
            draft.services.append(pinned(service, .etcd, to: host, label: Role.etcd.numberedLabel(index + 1)))
        }

        // One-shot: succeeds once every member answers `endpoint health` (a leader, a quorum).
        var quorum = base("etcd-quorum", image: images[.etcd], stage: .storage, component: .etcdQuorum)
        quorum.command = ["etcdctl", "--endpoints=\(etcdNames.map { "http://\($0):2379" }.joined(separator: ","))",
                          "--dial-timeout=3s", "--command-timeout=5s", "endpoint", "health"]
        quorum.deploy.mode = .replicatedJob
        quorum.deploy.replicas = 1
        quorum.deploy.restartPolicy = RestartPolicy(condition: .onFailure, delaySeconds: 5, maxAttempts: 60)
        quorum.deploy.updateConfig = nil
        quorum.deploy.rollbackConfig = nil
        quorum.deploy.maxReplicasPerNode = 1
        quorum.deploy.constraints = [PlacementConstraint.manager.description]
        draft.services.append(planned(quorum, .etcdQuorum, stage: .storage))

        let minioHosts = inventory.hosts(with: .minio)
        let minioNames = minioHosts.indices.map { "minio\($0 + 1)" }
        let rootUser = secret(.minioRootUser, key: "minio_root_user")
        let rootPassword = secret(.minioRootPassword, key: "minio_root_password")
        draft.secrets = [rootUser, rootPassword]
        for (index, host) in minioHosts.enumerated() {
            let name = minioNames[index]
            var service = base(name, image: images[.minio], stage: .storage, component: .minio)
            service.hostname = name
            service.command = ["server", "http://minio{1...\(minioHosts.count)}/disk{1...2}", "--console-address", ":9090"]
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
            service.healthcheck = Healthcheck(test: ["CMD", "curl", "-f", "http://localhost:9000/minio/health/live"],
                                              startPeriodSeconds: 30)
            service.stopGracePeriodSeconds = 30
            draft.services.append(pinned(service, .minio, to: host, label: Role.minio.numberedLabel(index + 1)))
        }

        config("minio-lb-nginx", file: "minio-lb.nginx.conf",
               contents: ConfigFiles.minioBalancer(minioHosts: minioNames, inventoryName: inventoryName), into: &draft)
        var balancer = base("minio-lb", image: images[.nginx], stage: .storage, component: .minioLB)
        balancer.configs = [ServiceFileReference(source: "minio-lb-nginx", target: "/etc/nginx/nginx.conf")]
        balancer.ports = [PublishedPort(target: 9000, published: 9000), PublishedPort(target: 9090, published: 9090)]
        balancer.healthcheck = Healthcheck(test: ["CMD", "curl", "-f", "http://localhost:9000/minio/health/cluster"],
                                           startPeriodSeconds: 30)
        balancer.deploy.mode = .global
        balancer.deploy.replicas = nil
        balancer.deploy.constraints = [PlacementConstraint.manager.description]
        draft.services.append(planned(balancer, .minioLB, stage: .storage))

        var cadvisor = base("cadvisor", image: images[.cadvisor], stage: .storage, component: .cadvisor)
        cadvisor.command = ["--docker_only=true", "--housekeeping_interval=30s"]
        cadvisor.volumes = [
            BindMount(source: "/", target: "/rootfs", readOnly: true),
            BindMount(source: "/var/run", target: "/var/run", readOnly: true),
            BindMount(source: "/sys", target: "/sys", readOnly: true),
            BindMount(source: "/var/lib/docker", target: "/var/lib/docker", readOnly: true),
            BindMount(source: "/dev/disk", target: "/dev/disk", readOnly: true),
        ]
        cadvisor.healthcheck = Healthcheck(test: ["CMD", "wget", "--quiet", "--tries=1", "--spider", "http://localhost:8080/healthz"],
                                           startPeriodSeconds: 30)
        cadvisor.deploy.mode = .global
        cadvisor.deploy.replicas = nil
        draft.services.append(planned(cadvisor, .cadvisor, stage: .storage))
        allSecrets += draft.secrets
        return draft
    }

    // MARK: stage 2: Pulsar

    mutating func pulsarStage() -> StageDraft {
        var draft = StageDraft()
        let metadataStore = "zk:\(zkConnect)"
        let clusterName = cluster.pulsarCluster
        let waitForCluster = "until bin/pulsar zookeeper-shell -server \(zkConnect) ls /admin/clusters 2>/dev/null | grep -qw \(clusterName); "
            + "do echo waiting for the cluster metadata of \(clusterName); sleep 3; done"

        config("zookeeper-conf", file: "zookeeper.conf",
               contents: ConfigFiles.zookeeper(zkHosts: zkNames, inventoryName: inventoryName), into: &draft)
        for (index, host) in zkHosts.enumerated() {
            let name = zkNames[index]
            var service = pulsarService(name, component: .zookeeper)
            service.hostname = name
            service.command = ["bash", "-c",
                               "mkdir -p /pulsar/data/zookeeper && echo \(index + 1) > /pulsar/data/zookeeper/myid && exec bin/pulsar zookeeper"]
            service.configs = [ServiceFileReference(source: "zookeeper-conf", target: "/pulsar/conf/zookeeper.conf")]
            service.volumes = [BindMount(source: "\(dataRoot)/zookeeper", target: "/pulsar/data/zookeeper")]
            service.healthcheck = Healthcheck(test: ["CMD", "bin/pulsar-zookeeper-ruok.sh"], startPeriodSeconds: 30)
            service.stopGracePeriodSeconds = 30
            draft.services.append(pinned(service, .zookeeper, to: host, label: Role.zk.numberedLabel(index + 1)))
        }

        // One-shot: writes the cluster's metadata once; skipped when it exists.
        var initJob = pulsarService("pulsar-init", component: .pulsarInit)
        let brokerWeb = brokerNames.map { "http://\($0):8080" }.joined(separator: ",")
        let brokerService = brokerNames.map { "pulsar://\($0):6650" }.joined(separator: ",")
        initJob.command = ["bash", "-c", [
            "until bin/pulsar zookeeper-shell -server \(zkConnect) ls / >/dev/null 2>&1; do echo waiting for ZooKeeper; sleep 3; done",
            "if bin/pulsar zookeeper-shell -server \(zkConnect) ls /admin/clusters 2>/dev/null | grep -qw \(clusterName); "
                + "then echo cluster metadata of \(clusterName) already present; exit 0; fi",
            "exec bin/pulsar initialize-cluster-metadata --cluster \(clusterName) --metadata-store \(metadataStore) "
                + "--configuration-metadata-store \(metadataStore) --web-service-url \(brokerWeb) --broker-service-url \(brokerService)",
        ].joined(separator: "; ")]
        initJob.deploy.mode = .replicatedJob
        initJob.deploy.replicas = 1
        initJob.deploy.restartPolicy = RestartPolicy(condition: .onFailure, delaySeconds: 10, maxAttempts: 5)
        initJob.deploy.updateConfig = nil
        initJob.deploy.rollbackConfig = nil
        initJob.deploy.constraints = [PlacementConstraint.label(Role.zk.numberedLabel(1), equals: "true").description]
        draft.services.append(planned(initJob, .pulsarInit, stage: .pulsar))

        let quorum = cluster.bookkeeper
        for (index, host) in inventory.hosts(with: .bookie).enumerated() {
            let name = "bookie\(index + 1)"
            var service = pulsarService(name, component: .bookie)
            service.hostname = name
            service.environment = [
                "zkServers": zkConnect,
                "metadataServiceUri": "zk+hierarchical://\(zkNames.map { "\($0):2181" }.joined(separator: ";"))/ledgers",
                "advertisedAddress": name,
                "useHostNameAsBookieID": "false",
                "httpServerEnabled": "true",
                "httpServerPort": "8000",
                "journalDirectory": "/pulsar/data/bookkeeper/journal",
                "ledgerDirectories": "/pulsar/data/bookkeeper/ledgers",
            ]
            service.command = ["bash", "-c",
                               "bin/apply-config-from-env.py conf/bookkeeper.conf && "
                                   + "until bin/bookkeeper shell whatisinstanceid; do echo waiting for BookKeeper metadata; sleep 3; done && "
                                   + "exec bin/pulsar bookie"]
            service.volumes = [BindMount(source: "\(dataRoot)/bookkeeper", target: "/pulsar/data/bookkeeper")]
            service.healthcheck = Healthcheck(test: ["CMD", "curl", "-f", "http://localhost:8000/api/v1/bookie/is_ready"],
                                              startPeriodSeconds: 60)
            service.stopGracePeriodSeconds = 60
            draft.services.append(pinned(service, .bookie, to: host, label: Role.bookie.numberedLabel(index + 1)))
        }

        for (index, host) in inventory.hosts(with: .broker).enumerated() {
            let name = brokerNames[index]
            var service = pulsarService(name, component: .broker)
            service.hostname = name
            service.environment = [
                "clusterName": clusterName,
                "metadataStoreUrl": metadataStore,
                "configurationMetadataStoreUrl": metadataStore,
                "advertisedAddress": name,
                "managedLedgerDefaultEnsembleSize": String(quorum.ensemble),
                "managedLedgerDefaultWriteQuorum": String(quorum.writeQuorum),
                "managedLedgerDefaultAckQuorum": String(quorum.ackQuorum),
                "maxMessageSize": "104857600",
                "statusFilePath": "/pulsar/status",
            ]
            service.command = ["bash", "-c",
                               "bin/apply-config-from-env.py conf/broker.conf && touch /pulsar/status && \(waitForCluster) && exec bin/pulsar broker"]
            service.healthcheck = Healthcheck(test: ["CMD", "curl", "-f", "http://localhost:8080/status.html"], startPeriodSeconds: 60)
            service.stopGracePeriodSeconds = 60
            var planned = pinned(service, .broker, to: host, label: Role.broker.rawValue)
            planned.service.deploy.constraints.append(PlacementConstraint.pinned(to: host).description)
            planned.eligibleHosts = eligible(planned.service)
            draft.services.append(planned)
        }

        var proxy = pulsarService("pulsar-proxy", component: .pulsarProxy)
        proxy.environment = [
            "clusterName": clusterName,
            "brokerServiceURL": brokerService,
            "brokerWebServiceURL": brokerWeb,
            "statusFilePath": "/pulsar/status",
        ]
        proxy.command = ["bash", "-c", "bin/apply-config-from-env.py conf/proxy.conf && touch /pulsar/status && exec bin/pulsar proxy"]
        proxy.ports = [PublishedPort(target: 6650, published: 6650), PublishedPort(target: 8080, published: 8080)]
        proxy.healthcheck = Healthcheck(test: ["CMD", "curl", "-f", "http://localhost:8080/status.html"], startPeriodSeconds: 60)
        proxy.deploy.replicas = min(2, managerCount)
        proxy.deploy.maxReplicasPerNode = 1
        proxy.deploy.constraints = [PlacementConstraint.manager.description]
        draft.services.append(planned(proxy, .pulsarProxy, stage: .pulsar))
        return draft
    }

    private func pulsarService(_ name: String, component: Component) -> Service {
        var service = base(name, image: images[.pulsar], stage: .pulsar, component: component)
        // Host bind mounts belong to root; the image's default user cannot write them.
        service.user = "root"
        return service
    }

    // MARK: stage 3: Milvus

    mutating func milvusStage() -> StageDraft {
        var draft = StageDraft()
        let credentials = secret(.milvusMinioCredentials, key: "milvus_minio_credentials")
        draft.secrets = [credentials]
        config("milvus-yaml", file: "milvus.yaml",
               contents: ConfigFiles.milvus(etcdEndpoints: etcdNames.map { "\($0):2379" }, inventoryName: inventoryName),
               into: &draft)
        let coord = PlacementConstraint.label(Role.coord.rawValue, equals: "true")

        func milvus(_ name: String, role: String, component: Component) -> Service {
            var service = base(name, image: images[.milvus], stage: .milvus, component: component)
            service.command = ["milvus", "run", role]
            service.environment = [
                "ETCD_ENDPOINTS": etcdNames.map { "\($0):2379" }.joined(separator: ","),
                "MINIO_ADDRESS": "minio-lb:9000",
                "PULSAR_ADDRESS": "pulsar://pulsar-proxy:6650",
            ]
            service.configs = [ServiceFileReference(source: "milvus-yaml", target: "/milvus/configs/milvus.yaml")]
            service.secrets = [ServiceFileReference(source: credentials.key, target: "/milvus/configs/user.yaml")]
            service.volumes = [BindMount(source: "\(dataRoot)/milvus/system-logs/\(name)", target: "/var/lib/milvus/logs")]
            service.healthcheck = Healthcheck(test: ["CMD", "curl", "-f", "http://localhost:9091/healthz"],
                                              intervalSeconds: 15, timeoutSeconds: 10, retries: 3, startPeriodSeconds: 90)
            service.stopGracePeriodSeconds = 30
            return service
        }

        for (role, component) in [("rootcoord", Component.rootcoord), ("datacoord", .datacoord), ("querycoord", .querycoord)] {
            var service = milvus(role, role: role, component: component)
            service.deploy.constraints = [coord.description]
            draft.services.append(planned(service, component, stage: .milvus))
        }
        for (index, host) in inventory.hosts(with: .coord).enumerated() {
            var service = milvus("datanode\(index + 1)", role: "datanode", component: .datanode)
            service.deploy.constraints = [coord.description, PlacementConstraint.pinned(to: host).description]
            draft.services.append(planned(service, .datanode, stage: .milvus))
        }
        for (index, host) in inventory.hosts(with: .query).enumerated() {
            let service = milvus("querynode\(index + 1)", role: "querynode", component: .querynode)
            draft.services.append(pinned(service, .querynode, to: host, label: Role.query.numberedLabel(index + 1)))
        }
        for (index, host) in inventory.hosts(with: .index).enumerated() {
            let service = milvus("indexnode\(index + 1)", role: "indexnode", component: .indexnode)
            draft.services.append(pinned(service, .indexnode, to: host, label: Role.index.numberedLabel(index + 1)))
        }

        var proxy = milvus("proxy", role: "proxy", component: .proxy)
        proxy.deploy.replicas = managerCount
        proxy.deploy.maxReplicasPerNode = 1
        proxy.deploy.constraints = [PlacementConstraint.manager.description]
        proxy.deploy.updateConfig?.order = .startFirst
        proxy.deploy.rollbackConfig?.order = .startFirst
        draft.services.append(planned(proxy, .proxy, stage: .milvus))

        config("milvus-lb-nginx", file: "milvus-lb.nginx.conf", contents: ConfigFiles.milvusBalancer(inventoryName: inventoryName),
               into: &draft)
        var balancer = base("milvus-lb", image: images[.nginx], stage: .milvus, component: .milvusLB)
        balancer.configs = [ServiceFileReference(source: "milvus-lb-nginx", target: "/etc/nginx/nginx.conf")]
        // Host mode: an ingress-published port adds an interface Milvus 2.3 may register.
        balancer.ports = [PublishedPort(target: 19530, published: 19530)]
        balancer.healthcheck = Healthcheck(test: ["CMD", "curl", "-f", "http://localhost:9091/healthz"], startPeriodSeconds: 30)
        balancer.deploy.mode = .global
        balancer.deploy.replicas = nil
        balancer.deploy.constraints = [PlacementConstraint.manager.description]
        draft.services.append(planned(balancer, .milvusLB, stage: .milvus))
        allSecrets += draft.secrets
        return draft
    }

    // MARK: shared shapes

    /// Defaults every long-running service shares: restart whatever happens (no
    /// attempt limit, so a long outage does not leave it down), update one at a
    /// time and roll back on failure, DNS round-robin (no VIP).
    private func base(_ name: String, image: String, stage: Stage, component: Component) -> Service {
        var service = Service(name: name, image: image, deploy: Deploy(
            mode: .replicated, replicas: 1, endpointMode: .dnsrr,
            labels: [Builder.stageLabel: stage.rawValue, Builder.componentLabel: component.rawValue],
            restartPolicy: RestartPolicy(condition: .any, delaySeconds: 5),
            updateConfig: UpdateConfig(), rollbackConfig: UpdateConfig(failureAction: .pause)))
        service.networks = [Builder.networkKey]
        return service
    }

    private func pinned(_ service: Service, _ component: Component, to host: Host, label: String) -> PlannedService {
        var service = service
        service.deploy.constraints = [PlacementConstraint.label(label, equals: "true").description]
        return planned(service, component, stage: service.deploy.labels[Builder.stageLabel].flatMap(Stage.init) ?? .storage)
    }

    private func planned(_ service: Service, _ component: Component, stage: Stage) -> PlannedService {
        PlannedService(stage: stage, component: component, service: service, eligibleHosts: eligible(service))
    }

    /// Hosts whose nodes satisfy every constraint of `service`, in inventory order. The first
    /// equality constraint with an index narrows the search; every constraint then decides.
    func eligible(_ service: Service) -> [Host] {
        let constraints = service.deploy.constraints.compactMap(PlacementConstraint.init(parsing:))
        var candidates: [Int]?
        for constraint in constraints where constraint.equals && candidates == nil {
            let value = constraint.value.lowercased()
            switch constraint.field {
            case .label(let key): candidates = hostsByLabel["\(key)=\(value)"] ?? []
            case .role where value == NodeRole.manager.rawValue: candidates = managerHosts
            case .hostname: candidates = hostsByName[value].map { [$0] } ?? []
            case .nodeID: candidates = hostsByNodeID[value].map { [$0] } ?? []
            default: continue
            }
        }
        let pool = candidates.map { $0.map { inventory.hosts[$0] } } ?? inventory.hosts
        return pool.filter { host in PlacementConstraint.allSatisfied(constraints, by: host.nodeFacts) }
    }

    /// Memory settings that depend on the service's final limits.
    func applyMemorySettings(_ planned: inout PlannedService) {
        let limits = planned.service.deploy.limits
        switch planned.component {
        case .bookie, .broker:
            planned.service.environment["PULSAR_MEM"] = Sizing.jvmOptions(limits, heapFraction: 4, directFraction: 2)
        case .zookeeper, .pulsarProxy:
            planned.service.environment["PULSAR_MEM"] = Sizing.jvmOptions(limits, heapFraction: 2, directFraction: 4, heapCapMiB: 2048)
        case .pulsarInit:
            planned.service.environment["PULSAR_MEM"] = "-Xms256m -Xmx256m -XX:MaxDirectMemorySize=256m"
        default:
            break
        }
    }
}
