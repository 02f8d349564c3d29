import Compose
import Inventory
import SwarmModel

// ZooKeeper for Pulsar (TOPOLOGY.md, stage 2): one member per `zkN` host, a static ensemble
// from one shared zookeeper.conf, `myid` written from the member's number.
extension Builder {
    func zookeeperMembers(into draft: inout StageDraft) {
        config("zookeeper-conf", file: "zookeeper.conf",
               contents: ConfigFiles.zookeeper(zkHosts: zkNames), into: &draft)
        for (index, name) in zkNames.enumerated() {
            var service = pulsarService(name, component: .zookeeper)
            service.hostname = name
            service.command = ["bash", "-c",
                               "mkdir -p /pulsar/data/zookeeper && echo \(index + 1) > /pulsar/data/zookeeper/myid && exec bin/pulsar zookeeper"]
            service.configs = [ServiceFileReference(source: "zookeeper-conf", target: "/pulsar/conf/zookeeper.conf")]
            service.volumes = [BindMount(source: "\(dataRoot)/zookeeper", target: "/pulsar/data/zookeeper")]
            service.healthcheck = HealthCadence.check(["CMD", "bin/pulsar-zookeeper-ruok.sh"], startPeriodSeconds: 30)
            draft.services.append(member(service, .zookeeper, stage: .pulsar, label: Role.zk.numberedLabel(index + 1)))
        }
    }

    /// Every Pulsar image service: root, because host bind mounts belong to root and the
    /// image's default user cannot write them.
    func pulsarService(_ name: String, component: Component) -> Service {
        var service = base(name, image: images[.pulsar], stage: .pulsar, component: component)
        service.user = "root"
        return service
    }
}
