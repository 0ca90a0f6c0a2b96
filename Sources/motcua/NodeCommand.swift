import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MotCuaCore
import MotCuaNode

/// `motcua node`: one province's (or ministry's) node, standalone.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run a node: the one-stop shop and portal back end of a province or ministry.")

    @Option(help: "Folder for the node's SQLite database (created if absent).")
    var dataDir: String
    @Option(help: "Port of the public API.")
    var publicPort: Int = 8080
    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"
    @Option(help: "This node's id in the federation.")
    var nodeId: String = "p01"
    @Flag(help: "Load the sample catalogue, Hà Nội's units and demo officers (receiver, specialist, leader, admin).")
    var seedDemo = false
    @Option(help: "Password of the demo officers.")
    var demoPassword: String = "motcua-demo"
    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        var logger = Logger(label: "motcua.node")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        logger[metadataKey: "node.id"] = "\(nodeId)"
        let configuration = NodeConfiguration(
            dataDirectory: dataDir, host: host, publicPort: publicPort, nodeID: nodeId, nodeName: "MotCua node \(nodeId)")
        let service = try await NodeService(configuration: configuration, logger: logger)
        if seedDemo {
            try await service.seedDemo(units: SampleUnits.hanoi, password: demoPassword)
        }
        let url = "http://\(host):\(publicPort)"
        var banner = """
            MotCua node \(nodeId) listening on \(url)
              database    \(configuration.databasePath)
              procedures  \(service.catalogueSize)   units \(service.allUnits().count)

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
    }
}
