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
        commandName: "node", abstract: "Run a node: the one-stop shop and portal back end of a province or ministry.",
        discussion: """
            `motcua node check --data-dir DIR` checks a node's database instead of running it: SQLite's integrity, every stored digest and the hash chain; exit status 1 when something is wrong.             `motcua node backup --data-dir DIR --to FILE` writes a verified copy while the node serves;             `motcua node restore --data-dir DIR --from FILE [--accept-loss]` puts one back on a stopped node.
            """)

    @Argument(help: "check: check the database in --data-dir (SQLite's integrity, the stored digests, the hash chain) and exit; backup: a verified copy of it to --to, taken while the node serves; restore: put the backup --from in its place (the node stopped).")
    var action: String?
    @Option(help: "With backup: the file to write (must not exist).")
    var to: String?
    @Option(help: "With restore: the backup to restore.")
    var from: String?
    @Flag(help: "With restore: restore a backup older than what the node had written or the hub acknowledged (the later events are lost).")
    var acceptLoss = false
    @Flag(help: "With check: print JSON.")
    var json = false

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
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info
    @Option(help: "Address (or IPv4 block, e.g. 10.0.0.0/8) of a reverse proxy whose X-Forwarded-For / Forwarded header names the client (repeatable); from others these headers are ignored.")
    var trustedProxy: [String] = []
    @Option(help: "Seconds a client has to send a request's head once it has begun.")
    var headerTimeout: Int64 = 30
    @Option(help: "Seconds an idle keep-alive connection stays open.")
    var idleTimeout: Int64 = 75
    @Option(help: "PEM certificate chain of the public API (the province's own or a public CA's; not the federation CA's); re-read when it changes.")
    var tlsCertificate: String?
    @Option(help: "PEM private key for --tls-certificate; re-read when it changes.")
    var tlsKey: String?
    @Option(help: "A file holding the one-time token for the first admin of a node without officers (at least 32 characters); without it the node makes one and keeps it in <data-dir>/bootstrap-token.")
    var bootstrapTokenFile: String?
    @Flag(help: "Serve the public API over plain HTTP (a local federation on loopback, tests); without it the node serves HTTPS only.")
    var plainHttp = false

    func run() async throws {
        if let action {
            guard let dataDir else { throw ValidationError("\(action) needs --data-dir") }
            switch action {
            case "check": try await NodeCheck(dataDir: dataDir, json: json).run()
            case "backup":
                guard let to else { throw ValidationError("backup needs --to FILE") }
                try await NodeBackup(dataDir: dataDir, target: to).run()
            case "restore":
                guard let from else { throw ValidationError("restore needs --from FILE") }
                try await NodeRestore(dataDir: dataDir, backup: from, acceptLoss: acceptLoss).run()
            default: throw ValidationError("unknown action '\(action)': check, backup or restore")
            }
            return
        }
        SQLiteProcessSettings.apply()
        var logger = Logger(label: "motcua.node")
        logger.logLevel = logLevel
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
        // Held until the process ends: one node per folder, and no restore under a running node.
        guard let lock = try DataDirectoryLock.acquire(dataDirectory) else {
            throw ValidationError("another node is running on \(dataDirectory) (it holds node.lock)")
        }
        defer { close(lock.descriptor) }
        let pki = PKIDirectory(path: pkiDir ?? (stateDir as NSString).appendingPathComponent("pki"))
        var configuration = NodeConfiguration(
            dataDirectory: dataDirectory, host: host, publicPort: port, nodeID: nodeId, nodeName: "MotCua node \(nodeId)")
        for proxy in trustedProxy where !ClientAddress.isValidTrustedEntry(proxy) {
            throw ValidationError("--trusted-proxy \(proxy): an IP address or an IPv4 block such as 10.0.0.0/8")
        }
        guard headerTimeout >= 1, idleTimeout >= 1 else { throw ValidationError("time-outs are at least 1 second") }
        configuration.trustedProxies = trustedProxy
        configuration.headerTimeoutSeconds = headerTimeout
        configuration.idleTimeoutSeconds = idleTimeout
        switch (tlsCertificate, tlsKey, plainHttp) {
        case (let certificate?, let key?, false):
            let tls = PublicTLS(certificatePath: certificate, keyPath: key)
            do {
                _ = try tls.context()
            } catch {
                throw ValidationError("--tls-certificate \(certificate) / --tls-key \(key) do not load: \(error)")
            }
            configuration.publicTLS = tls
        case (nil, nil, true):
            if !Self.isLoopback(host) {
                logger.warning("the public API serves plain HTTP on \(host): personal data and tokens cross the network unencrypted; serve HTTPS (--tls-certificate, --tls-key) or put a TLS proxy in front")
            }
        case (_, _, true):
            throw ValidationError("--plain-http and --tls-certificate/--tls-key exclude each other")
        case (nil, nil, false):
            throw ValidationError("the public API serves HTTPS: give --tls-certificate and --tls-key (PEM files), or --plain-http for loopback and tests")
        default:
            throw ValidationError("give both --tls-certificate and --tls-key")
        }
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
        let url = "\(configuration.publicTLS == nil ? "http" : "https")://\(host):\(port)"
        let (demoPassword, databasePath) = (demoPassword, configuration.databasePath)
        let demo = seedDemo ? DemoSeed(units: units, password: demoPassword) : nil
        let server = try await buildNode(configuration: configuration, logger: logger, demo: demo, bootstrapTokenFile: bootstrapTokenFile) {
            [nodeId, hubUrl, bootstrapTokenFile] service, _ in
            var banner = """
                MotCua node \(nodeId) listening on \(url)
                  database    \(databasePath)
                  procedures  \(service.catalogueSize)   units \(service.allUnits().count)
                  hub         \(hubUrl ?? "none (standalone)")

                """
            if demo != nil {
                banner += """
                      log in      curl -s -X POST \(url)/v1/auth/token -H 'content-type: application/json' \\
                                    -d '{"username":"receiver","password":"\(demoPassword)"}'
                                  or: motcua ctl login --url \(url) --username receiver --password \(demoPassword)
                      officers    receiver, specialist, leader, admin (password \(demoPassword))

                    """
            }
            if service.awaitsFirstAdmin {
                // The token itself is never printed (logs and journals keep what is printed).
                let file = bootstrapTokenFile ?? (service.configuration.dataDirectory as NSString).appendingPathComponent("bootstrap-token")
                banner += """
                      first start  no officers yet: create the first admin with the one-time token in \(file)
                                   motcua ctl admin bootstrap --url \(url) --token-file \(file) --admin NAME --full-name "…"

                    """
            }
            // Printed once the port is bound; unbuffered, so a launcher reading a pipe sees it at once.
            FileHandle.standardOutput.write(Data(banner.utf8))
        }
        try await server.run()
    }
}

extension NodeCommand {
    /// Whether an address to listen on is the loopback (only this machine can connect).
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// `motcua node check`: the file's structure, every stored digest and the whole chain of a node's
/// database, with what to do when something is wrong. Run it on a stopped node; it checks a copy.
struct NodeCheck {
    var dataDir: String
    var json: Bool

    func run() async throws {
        let path = (dataDir as NSString).appendingPathComponent("node.sqlite")
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no node.sqlite in \(dataDir)") }
        // Checked on a copy: opening a database migrates and checkpoints it, and the file the operator keeps
        // as evidence stays as it was.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-check-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + "/node.sqlite" + suffix)
        }
        let database: NodeDatabase
        do {
            database = try NodeDatabase(path: copy + "/node.sqlite")
        } catch {
            print("\(path): cannot be opened as a node database: \(error)")
            print("The file is damaged beyond SQLite's own checks: restore it from the latest backup.")
            throw ExitCode(2)
        }
        defer { try? database.close() }
        let report = try await database.integrityReport()
        if json {
            print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
        } else {
            print(report.fileProblems.isEmpty ? "file structure   ok (PRAGMA quick_check)" : "file structure   DAMAGED:\n  " + report.fileProblems.joined(separator: "\n  "))
            print(report.rowProblems.isEmpty ? "stored digests   ok (every dossier document and file)" : "stored digests   FAILED:\n  " + report.rowProblems.joined(separator: "\n  "))
            if let chain = report.chain {
                print(chain.intact
                      ? "hash chain       ok: \(chain.eventsChecked) events, head \(chain.headSeq)"
                      : "hash chain       BROKEN at seq \(chain.firstBreakSeq ?? 0): \(chain.firstBreak ?? ""); intact up to seq \(chain.headSeq)")
            }
            if !report.sound {
                print("\nWhat to do: keep this file as evidence, restore node.sqlite from the latest backup, and start the node; it replicates from where the hub is. If no backup holds the lost part, see docs/ARCHITECTURE.md, 'When a node loses the end of its log'.")
            }
        }
        if !report.sound { throw ExitCode(1) }
    }
}
