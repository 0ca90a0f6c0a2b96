import ArgumentParser
import Foundation
import Logging
import MotCuaHub
import MotCuaSecurity
import MotCuaStore
import MotCuaTopology
import UnixSignals

/// `motcua hub`: the national hub (replication receiver, national index and API) over mutual TLS.
struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hub", abstract: "Run the hub: receives every node's log over mutual TLS and serves the national API.")

    @Option(help: "Folder for the hub's SQLite index.") var dataDir: String = ".motcua/hub"
    @Option(help: "mTLS port for nodes (replication) and operators.") var federationPort: Int = 7443
    @Option(help: "Second mTLS port for the national API (operators); 0: none.") var nationalPort: Int = 7444
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Plain-HTTP port on 127.0.0.1 for probes without a client certificate (/healthz, /readyz); 0: none.") var healthPort: Int = 0
    @Option(help: "PKI folder (made by `motcua certs init`).") var pkiDir: String = ".motcua/pki"
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: Logger.Level = .info
    @Option(help: "A topology file: its nodes are admitted as members of the federation at start.") var topology: String?
    @Option(help: "Admit this node id as a member at start (repeatable); others are added with `motcua ctl national nodes add`.")
    var member: [String] = []

    func run() async throws {
        SQLiteProcessSettings.apply()
        var logger = Logger(label: "motcua.hub")
        logger.logLevel = logLevel
        let pki = PKIDirectory(path: pkiDir)
        guard pki.isInitialised else { throw ValidationError("no PKI in \(pkiDir): run `motcua certs init --dir \(pkiDir)` and `motcua certs issue --dir \(pkiDir) --role hub`") }
        var configuration = HubConfiguration(dataDirectory: dataDir, host: host, federationPort: federationPort, pki: pki)
        configuration.members = member
        if let topology { configuration.members += try Topology.load(path: topology).nodes.map(\.id) }
        let (host, databasePath) = (host, configuration.databasePath)
        let hub = try await buildHub(
            configuration: configuration, logger: logger, nationalPort: nationalPort > 0 ? nationalPort : nil, healthPort: healthPort > 0 ? healthPort : nil,
            gracefulShutdownSignals: [.sigterm, .sigint]
        ) { ports in
            let national = (ports.national.map { " and https://\(host):\($0)" } ?? "") + (ports.health.map { "; probes on http://127.0.0.1:\($0)" } ?? "")
            let banner = "MotCua hub listening on https://\(host):\(ports.federation) (mTLS, HTTP/2)\(national)\n  index  \(databasePath)\n"
            FileHandle.standardOutput.write(Data(banner.utf8))
        }
        try await hub.run()
    }
}
