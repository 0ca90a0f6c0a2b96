import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import MotCuaHTTP
import MotCuaStore
import NIOCore
import ServiceLifecycle

/// The request context of the node's API: Hummingbird's core context plus the client's address, which
/// the lookup throttle counts wrong guesses against.
public struct NodeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, when the connection has one.
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// Builds the node's HTTP application with its agents and maintenance: what `motcua node` runs (through
/// `buildNode`) and what tests drive in-process. `services` run beside them (memory trimming, in a
/// server). `onServerRunning` is called once the port is bound.
public func buildNodeApplication(
    service: NodeService, logger: Logger, services extra: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = Router(context: NodeRequestContext.self)
    router.middlewares.add(ProblemMiddleware<NodeRequestContext>(server: "node", map: Problem.from))
    router.middlewares.add(StorageHealthMiddleware(health: service.health))
    NodeRoutes(service: service).register(on: router)
    let configuration = service.configuration
    let server: HTTPServerBuilder
    if let publicTLS = configuration.publicTLS {
        // Checked at start by `buildNode`; a file that stops loading later keeps the last good one.
        let tls = try FileWatched(paths: [publicTLS.certificatePath, publicTLS.keyPath], logger: logger) { try publicTLS.context() }
        server = NodeHTTPChannel.tlsServer(tls: tls, headerTimeoutSeconds: configuration.headerTimeoutSeconds, idleTimeoutSeconds: configuration.idleTimeoutSeconds)
    } else {
        server = NodeHTTPChannel.server(headerTimeoutSeconds: configuration.headerTimeoutSeconds, idleTimeoutSeconds: configuration.idleTimeoutSeconds)
    }
    return Application(
        router: router,
        server: server,
        configuration: .init(
            address: .hostname(service.configuration.host, port: service.configuration.publicPort),
            serverName: "motcua-node/\(service.configuration.nodeID)"),
        services: (service.replication.map { [$0 as any Service] } ?? []) + (service.transferAgent().map { [$0 as any Service] } ?? [])
            + [NodeMaintenance(service: service)] + extra,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
        logger: logger)
}

/// Notices the store's failures on their way out: a full disk is answered 507 `storage.full` (and the node
/// is not ready until a write succeeds again); damaged data stops writes (fail-stop). A write that
/// succeeds clears the full-disk state.
struct StorageHealthMiddleware<Context: RequestContext>: RouterMiddleware {
    let health: NodeHealth

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            if request.method != .get, request.method != .head, (200..<300).contains(response.status.code), !request.uri.path.hasSuffix("/lookup") {
                health.noteWriteSucceeded()
            }
            return response
        } catch {
            if StorageFailure.isFull(error) {
                health.noteStorageFull("\(error)")
                throw Problem(
                    .init(code: 507, reasonPhrase: "Insufficient Storage"), "storage.full",
                    "the node's disk is full, so nothing could be saved and nothing was changed; try again once an operator has freed space")
            }
            if StorageFailure.isCorrupt(error) {
                health.hold(.integrityFailure, "SQLite reports the database damaged: \(error)")
                throw Problem(.internalServerError, "storage.corrupt", "the node's database is damaged; it stops accepting changes until it is repaired")
            }
            if let error = error as? StoreError, case .corrupt = error {
                health.hold(.integrityFailure, error.description)
            }
            throw error
        }
    }
}
