import Foundation
import Hummingbird
import Logging
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

/// Builds the node's HTTP application: what `motcua node` runs and what tests drive in-process.
/// `onServerRunning` is called once the port is bound (the command line prints its banner then).
public func buildNodeApplication(
    service: NodeService, logger: Logger, onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router(context: NodeRequestContext.self)
    router.middlewares.add(ProblemMiddleware())
    NodeRoutes(service: service).register(on: router)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(service.configuration.host, port: service.configuration.publicPort),
            serverName: "motcua-node/\(service.configuration.nodeID)"),
        services: (service.replication.map { [$0 as any Service] } ?? []) + (service.transferAgent().map { [$0 as any Service] } ?? []),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
        logger: logger)
}
