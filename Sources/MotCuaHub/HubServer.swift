import Foundation
import Hummingbird
import Logging
import MotCuaAPI
import MotCuaHTTP
import MotCuaProtocol
import MotCuaStore
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The hub as `motcua hub` runs it, assembled in one place so that the tests run the same composition:
/// the `HubService` on its index and mailboxes, the federation port, the national port when there is one,
/// the closer that ends the mailboxes' long polls, and memory trimming. `run()` serves until a graceful
/// shutdown (a signal, or `shutDown()`), then checkpoints the index and the mailboxes into their files
/// and closes them.
public final class HubServer: Sendable {
    public let service: HubService
    private let group: ServiceGroup

    fileprivate init(service: HubService, group: ServiceGroup) {
        self.service = service
        self.group = group
    }

    public func run() async throws {
        try await group.run()
        // Stopped cleanly: the index and the mailboxes are checkpointed into their files and closed.
        try service.index.close()
        try service.mailbox.close()
    }

    /// Stops the hub as SIGTERM does: the servers finish the requests in hand, then `run()` returns.
    public func shutDown() async {
        await group.triggerGracefulShutdown()
    }
}

/// Where a started hub listens.
public struct HubPorts: Sendable {
    /// The federation port (nodes and operators).
    public var federation: Int
    /// The second port for the national API, when one was asked for.
    public var national: Int?
    /// The plain loopback port of the probes, when one was asked for.
    public var health: Int?
}

/// Builds the whole hub. Members named in the configuration are admitted before anything listens.
/// `nationalPort`: a second mutual-TLS port for the national API (nil: none; 0: any free port).
/// `onReady` is called once every port is bound (the command line prints its banner then).
/// `healthPort`: a plain-HTTP listener on loopback with only `/healthz` and `/readyz`, for probes that hold
/// no client certificate (nil: none; 0: any free port).
public func buildHub(
    configuration: HubConfiguration, logger: Logger, nationalPort: Int? = nil, healthPort: Int? = nil,
    gracefulShutdownSignals: [UnixSignal] = [], onReady: @escaping @Sendable (HubPorts) -> Void = { _ in }
) async throws -> HubServer {
    let service = try HubService(configuration: configuration, logger: logger)
    try await service.admitConfiguredMembers()
    let ready = ReadyPorts(expecting: 1 + (nationalPort == nil ? 0 : 1) + (healthPort == nil ? 0 : 1), onReady: onReady)
    var services: [any Service] = [
        try buildHubApplication(service: service, logger: logger) { port in ready.bound(federation: port ?? 0) },
    ]
    if let nationalPort {
        services.append(try buildHubApplication(service: service, logger: logger, port: nationalPort) { port in ready.bound(national: port ?? 0) })
    }
    if let healthPort {
        services.append(buildHubHealthApplication(service: service, logger: logger, port: healthPort) { port in ready.bound(health: port ?? 0) })
    }
    services.append(MemoryTrimmer())
    // Last, so it is stopped first: the long polls end before the servers wait for their requests.
    services.append(service.mailboxCloser)
    let group = ServiceGroup(
        configuration: .init(services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
    return HubServer(service: service, group: group)
}

/// The hub's probes without a client certificate: plain HTTP, on loopback only, `/healthz` and `/readyz`.
func buildHubHealthApplication(
    service: HubService, logger: Logger, port: Int, onServerRunning: @escaping @Sendable (Int?) async -> Void
) -> some Service {
    let router = Router()
    router.get("/healthz") { _, _ in try HubRoutes.health() }
    router.get("/readyz") { _, _ in try await HubRoutes.ready(service) }
    return Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "motcua-hub-health"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) }, logger: logger)
}

/// Calls `onReady` once, when every port expected has been bound.
private final class ReadyPorts: Sendable {
    private struct State {
        var federation: Int?
        var national: Int?
        var health: Int?
        var reported = false
    }

    private let expecting: Int
    private let onReady: @Sendable (HubPorts) -> Void
    private let state = Mutex(State())

    init(expecting: Int, onReady: @escaping @Sendable (HubPorts) -> Void) {
        self.expecting = expecting
        self.onReady = onReady
    }

    func bound(federation: Int? = nil, national: Int? = nil, health: Int? = nil) {
        let ports: HubPorts? = state.withLock { state in
            if let federation { state.federation = federation }
            if let national { state.national = national }
            if let health { state.health = health }
            let count = [state.federation, state.national, state.health].compactMap { $0 }.count
            guard !state.reported, count == expecting, let federation = state.federation else { return nil }
            state.reported = true
            return HubPorts(federation: federation, national: state.national, health: state.health)
        }
        if let ports { onReady(ports) }
    }
}
