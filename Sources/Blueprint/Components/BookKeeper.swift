import Compose
import Inventory
import SwarmModel

// BookKeeper bookies (TOPOLOGY.md, stage 2): one per `bookieN` host with a stable identity
// (advertisedAddress), started once the BookKeeper metadata exists.
extension Builder {
    func bookies(into draft: inout StageDraft) {
        for index in inventory.hosts(with: .bookie).indices {
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
            service.healthcheck = HealthCadence.check(["CMD", "curl", "-f", "http://localhost:8000/api/v1/bookie/is_ready"],
                                              startPeriodSeconds: 60)
            draft.services.append(member(service, .bookie, stage: .pulsar, label: Role.bookie.numberedLabel(index + 1)))
        }
    }
}
