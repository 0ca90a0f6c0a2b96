import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MotCuaHub
import MotCuaProtocol
import MotCuaSecurity
import MotCuaStore
import MotCuaTopology
import ServiceLifecycle
import UnixSignals

/// `motcua hub`: the national hub (replication receiver, national index and API) over mutual TLS.
struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hub", abstract: "Run the hub: receives every node's log over mutual TLS and serves the national API.")

    @Option(help: "Folder for the hub's SQLite index.") var dataDir: String = ".motcua/hub"
    @Option(help: "mTLS port for nodes (replication) and operators.") var federationPort: Int = 7443
    @Option(help: "Second mTLS port for the national API (operators); 0: none.") var nationalPort: Int = 7444
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "PKI folder (made by `motcua certs init`).") var pkiDir: String = ".motcua/pki"
    @Option(help: "Log level.") var logLevel: String = "info"
    @Option(help: "A topology file: its nodes are admitted as members of the federation at start.") var topology: String?
    @Option(help: "Admit this node id as a member at start (repeatable); others are added with `motcua ctl national nodes add`.")
    var member: [String] = []

    func run() async throws {
        SQLiteProcessSettings.apply()
        ServerMemory.startTrimming()
        var logger = Logger(label: "motcua.hub")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let pki = PKIDirectory(path: pkiDir)
        guard pki.isInitialised else { throw ValidationError("no PKI in \(pkiDir): run `motcua certs init --dir \(pkiDir)` and `motcua certs issue --dir \(pkiDir) --role hub`") }
        var configuration = HubConfiguration(dataDirectory: dataDir, host: host, federationPort: federationPort, pki: pki)
        configuration.members = member
        if let topology { configuration.members += try Topology.load(path: topology).nodes.map(\.id) }
        let service = try HubService(configuration: configuration, logger: logger)
        try await service.admitConfiguredMembers()
        let banner = "MotCua hub listening on https://\(host):\(federationPort) (mTLS, HTTP/2)\(nationalPort > 0 ? " and https://\(host):\(nationalPort)" : "")\n  index  \(service.configuration.databasePath)\n"
        let federation = try buildHubApplication(service: service, logger: logger) { _ in
            FileHandle.standardOutput.write(Data(banner.utf8))
        }
        var services: [any Service] = [federation]
        if nationalPort > 0 {
            services.append(try buildHubApplication(service: service, logger: logger, port: nationalPort))
        }
        // Last, so it is stopped first: the long polls end before the servers wait for their requests.
        services.append(service.mailboxCloser)
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        // Stopped cleanly: the index and the mailboxes are checkpointed into their files and closed.
        try service.index.close()
        try service.mailbox.close()
    }
}
