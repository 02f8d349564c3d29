import Compose
import Inventory
import SwarmModel

// Pulsar (TOPOLOGY.md, stage 2): the one-shot cluster metadata job, one service per broker
// host (each with its own advertisedAddress), and the proxy on the managers.
extension Builder {
    var metadataStore: String { "zk:\(zkConnect)" }
    var brokerWebURLs: String { brokerNames.map { "http://\($0):8080" }.joined(separator: ",") }
    var brokerServiceURLs: String { brokerNames.map { "pulsar://\($0):6650" }.joined(separator: ",") }

    /// One-shot: writes the cluster's metadata once; skipped when it exists.
    func pulsarMetadataJob(into draft: inout StageDraft) {
        let clusterName = cluster.pulsarCluster
        var initJob = pulsarService("pulsar-init", component: .pulsarInit)
        initJob.command = ["bash", "-c", [
            "until bin/pulsar zookeeper-shell -server \(zkConnect) ls / >/dev/null 2>&1; do echo waiting for ZooKeeper; sleep 3; done",
            "if bin/pulsar zookeeper-shell -server \(zkConnect) ls /admin/clusters 2>/dev/null | grep -qw \(clusterName); "
                + "then echo cluster metadata of \(clusterName) already present; exit 0; fi",
            "exec bin/pulsar initialize-cluster-metadata --cluster \(clusterName) --metadata-store \(metadataStore) "
                + "--configuration-metadata-store \(metadataStore) --web-service-url \(brokerWebURLs) --broker-service-url \(brokerServiceURLs)",
        ].joined(separator: "; ")]
        initJob.deploy.mode = .replicatedJob
        initJob.deploy.replicas = 1
        initJob.deploy.restartPolicy = RestartPolicy(condition: .onFailure, delaySeconds: 10, maxAttempts: 5)
        initJob.deploy.updateConfig = nil
        initJob.deploy.rollbackConfig = nil
        draft.services.append(place(initJob, .pulsarInit, stage: .pulsar, on: [.label(Role.zk.numberedLabel(1), equals: "true")]))
    }

    func brokers(into draft: inout StageDraft) {
        let clusterName = cluster.pulsarCluster
        let quorum = cluster.bookkeeper
        let waitForCluster = "until bin/pulsar zookeeper-shell -server \(zkConnect) ls /admin/clusters 2>/dev/null | grep -qw \(clusterName); "
            + "do echo waiting for the cluster metadata of \(clusterName); sleep 3; done"
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
            service.healthcheck = HealthCadence.check(["CMD", "curl", "-f", "http://localhost:8080/status.html"], startPeriodSeconds: 60)
            // Brokers share one label: each is pinned to its own host besides.
            draft.services.append(place(service, .broker, stage: .pulsar,
                                        on: [.label(Role.broker.rawValue, equals: "true"), .pinned(to: host)]))
        }
    }

    func pulsarProxy(into draft: inout StageDraft) {
        var proxy = pulsarService("pulsar-proxy", component: .pulsarProxy)
        proxy.environment = [
            "clusterName": cluster.pulsarCluster,
            "brokerServiceURL": brokerServiceURLs,
            "brokerWebServiceURL": brokerWebURLs,
            "statusFilePath": "/pulsar/status",
        ]
        proxy.command = ["bash", "-c", "bin/apply-config-from-env.py conf/proxy.conf && touch /pulsar/status && exec bin/pulsar proxy"]
        // Published only when the inventory's `expose:` asks: the admin API (8080) can delete the
        // topics Milvus's data flows through, and Milvus reaches the proxy over the overlay.
        proxy.ports = published([.pulsar, .pulsarAdmin])
        proxy.healthcheck = HealthCadence.check(["CMD", "curl", "-f", "http://localhost:8080/status.html"], startPeriodSeconds: 60)
        proxy.deploy.replicas = min(2, managerCount)
        proxy.deploy.maxReplicasPerNode = 1
        draft.services.append(place(proxy, .pulsarProxy, stage: .pulsar, on: [.manager]))
    }
}
