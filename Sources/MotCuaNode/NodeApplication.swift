import Foundation
import Hummingbird
import Logging

/// Builds the node's HTTP application: what `motcua node` runs and what tests drive in-process.
public func buildNodeApplication(service: NodeService, logger: Logger) -> some ApplicationProtocol {
    let router = Router()
    router.middlewares.add(ProblemMiddleware())
    NodeRoutes(service: service).register(on: router)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(service.configuration.host, port: service.configuration.publicPort),
            serverName: "motcua-node/\(service.configuration.nodeID)"),
        logger: logger)
}
