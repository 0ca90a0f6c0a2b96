import Foundation
import Hummingbird
import Logging
import MotCuaCore
import MotCuaHTTP
import MotCuaStore
import ServiceLifecycle

/// The demo data a node can be started with: the sample catalogue, these units and the demo officers.
public struct DemoSeed: Sendable {
    public var units: [AdministrativeUnit]
    public var password: String

    public init(units: [AdministrativeUnit], password: String) {
        self.units = units
        self.password = password
    }
}

/// The node as `motcua node` runs it, assembled in one place: the `NodeService` on its database, the
/// public API with the replication and transfer agents and the maintenance task
/// (`buildNodeApplication`, which the API tests drive in-process), and memory trimming. `run()` serves
/// until SIGTERM or SIGINT, then checkpoints the database into `node.sqlite` and closes it.
public final class NodeServer: Sendable {
    public let service: NodeService
    private let serve: @Sendable () async throws -> Void

    fileprivate init(service: NodeService, serve: @escaping @Sendable () async throws -> Void) {
        self.service = service
        self.serve = serve
    }

    public func run() async throws {
        try await serve()
        // Stopped cleanly (SIGTERM, SIGINT): everything committed goes into node.sqlite itself.
        try service.database.close()
    }
}

/// Builds the whole node; with `demo`, seeds it first. `onReady` is called with the service and the
/// bound port once the public port listens (the command line prints its banner then).
///
/// A node without officers (not seeded) waits for its first admin: the one-time token comes from
/// `bootstrapTokenFile`, or is kept in `<data-dir>/bootstrap-token` (`NodeService.bootstrapToken`).
public func buildNode(
    configuration: NodeConfiguration, logger: Logger, demo: DemoSeed? = nil, bootstrapTokenFile: String? = nil,
    onReady: @escaping @Sendable (NodeService, Int?) -> Void = { _, _ in }
) async throws -> NodeServer {
    let service = try await NodeService(configuration: configuration, logger: logger)
    if let demo {
        try await service.seedDemo(units: demo.units, password: demo.password)
    }
    _ = try await service.prepareBootstrap(tokenFile: bootstrapTokenFile)
    let application = try buildNodeApplication(service: service, logger: logger, services: [MemoryTrimmer()]) { port in
        onReady(service, port)
    }
    return NodeServer(service: service) { try await application.runService() }
}
