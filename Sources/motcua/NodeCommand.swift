import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MotCuaCore
import MotCuaNode
import MotCuaSecurity
import MotCuaStore
import MotCuaTopology

/// `motcua node`: one province's (or ministry's) node, standalone or in a federation.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run a node: the one-stop shop and portal back end of a province or ministry.")

    @Option(help: "Folder for the node's SQLite database (created if absent). With --topology: from the topology.")
    var dataDir: String?
    @Option(help: "Port of the public API. With --topology: from the topology.")
    var publicPort: Int?
    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"
    @Option(help: "This node's id in the federation.")
    var nodeId: String = "p01"
    @Flag(help: "Load the sample catalogue, the units (Hà Nội, or the topology's) and demo officers (receiver, specialist, leader, admin).")
    var seedDemo = false
    @Option(help: "Password of the demo officers.")
    var demoPassword: String = "motcua-demo"
    @Option(help: "A topology file: the node's port, data folder and units come from its entry for --node-id.")
    var topology: String?
    @Option(help: "State folder of a local federation (data folders, PKI).")
    var stateDir: String = ".motcua"
    @Option(help: "Hub URL to ship the event log to (mutual TLS), e.g. https://localhost:7443.")
    var hubUrl: String?
    @Option(help: "PKI folder with this node's certificate (default <state-dir>/pki).")
    var pkiDir: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        SQLiteProcessSettings.apply()
        ServerMemory.startTrimming()
        var logger = Logger(label: "motcua.node")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        logger[metadataKey: "node.id"] = "\(nodeId)"
        var units = SampleUnits.hanoi
        var dataDirectory = dataDir
        var port = publicPort ?? 8080
        if let topology {
            let loaded = try Topology.load(path: topology)
            guard let spec = loaded.node(id: nodeId) else {
                throw ValidationError("no node \(nodeId) in \(topology); known: \(loaded.nodes.map(\.id).joined(separator: ", "))")
            }
            units = loaded.units(for: spec)
            dataDirectory = dataDir ?? spec.dataDirectory(stateDir: stateDir)
            port = publicPort ?? spec.publicPort
        }
        guard let dataDirectory else { throw ValidationError("give --data-dir (or --topology)") }
        let pki = PKIDirectory(path: pkiDir ?? (stateDir as NSString).appendingPathComponent("pki"))
        var configuration = NodeConfiguration(
            dataDirectory: dataDirectory, host: host, publicPort: port, nodeID: nodeId, nodeName: "MotCua node \(nodeId)")
        if let hubUrl {
            guard FileManager.default.fileExists(atPath: pki.certificatePath(for: .node(nodeId))) else {
                throw ValidationError("no certificate for node \(nodeId) in \(pki.path): run `motcua certs issue --dir \(pki.path) --role node --id \(nodeId)`")
            }
            configuration.replication = ReplicationConfiguration(hubURL: hubUrl, nodeID: nodeId, pki: pki)
        }
        if let key = try? String(contentsOfFile: pki.pseudonymKeyPath, encoding: .utf8), let bytes = hexBytes(key.trimmingCharacters(in: .whitespacesAndNewlines)) {
            configuration.pseudonymKey = bytes
        } else if hubUrl != nil {
            throw ValidationError("no federation pseudonym key at \(pki.pseudonymKeyPath): a federated node needs it so the center counts one person once (`motcua up` makes it)")
        }
        let service = try await NodeService(configuration: configuration, logger: logger)
        if seedDemo {
            try await service.seedDemo(units: units, password: demoPassword)
        }
        let url = "http://\(host):\(port)"
        var banner = """
            MotCua node \(nodeId) listening on \(url)
              database    \(configuration.databasePath)
              procedures  \(service.catalogueSize)   units \(service.allUnits().count)
              hub         \(hubUrl ?? "none (standalone)")

            """
        if seedDemo {
            banner += """
                  log in      curl -s -X POST \(url)/v1/auth/token -H 'content-type: application/json' \\
                                -d '{"username":"receiver","password":"\(demoPassword)"}'
                              or: motcua ctl --url \(url) login --username receiver --password \(demoPassword)
                  officers    receiver, specialist, leader, admin (password \(demoPassword))

                """
        }
        let text = banner
        let app = buildNodeApplication(service: service, logger: logger) { _ in
            // Printed once the port is bound; unbuffered, so a launcher reading a pipe sees it at once.
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        try await app.runService()
        // Stopped cleanly (SIGTERM, SIGINT): everything committed goes into node.sqlite itself.
        try service.database.close()
    }
}
