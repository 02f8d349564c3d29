import Compose
import Inventory
import SwarmModel

// etcd (TOPOLOGY.md, stage 1): one service per member, pinned by `etcdN==true`, with a
// one-shot job that proves the quorum.
extension Builder {
    func etcdMembers(into draft: inout StageDraft) {
        let initialCluster = etcdNames.map { "\($0)=http://\($0):2380" }.joined(separator: ",")
        for (index, name) in etcdNames.enumerated() {
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
            // job proves the cluster healthy instead.
            service.healthcheck = .disabled
            draft.services.append(member(service, .etcd, stage: .storage, label: Role.etcd.numberedLabel(index + 1)))
        }
    }

    /// One-shot: succeeds once every member answers `endpoint health` (a leader, a quorum).
    func etcdQuorumJob(into draft: inout StageDraft) {
        var quorum = base("etcd-quorum", image: images[.etcd], stage: .storage, component: .etcdQuorum)
        quorum.command = ["etcdctl", "--endpoints=\(etcdNames.map { "http://\($0):2379" }.joined(separator: ","))",
                          "--dial-timeout=3s", "--command-timeout=5s", "endpoint", "health"]
        quorum.deploy.mode = .replicatedJob
        quorum.deploy.replicas = 1
        quorum.deploy.restartPolicy = RestartPolicy(condition: .onFailure, delaySeconds: 5, maxAttempts: 60)
        quorum.deploy.updateConfig = nil
        quorum.deploy.rollbackConfig = nil
        quorum.deploy.maxReplicasPerNode = 1
        draft.services.append(place(quorum, .etcdQuorum, stage: .storage, on: [.manager]))
    }
}
