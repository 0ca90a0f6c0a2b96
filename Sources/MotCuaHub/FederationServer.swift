import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import MotCuaCore
import MotCuaHTTP
import MotCuaProtocol
import MotCuaSecurity
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// The request context of federation links: the channel, so the peer's verified certificate can be read.
public struct FederationRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    /// Set by `PeerIdentityMiddleware` from the verified client certificate.
    public var peer: FederationIdentity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// A replication batch of 2,000 events with payloads fits well within this.
    public var maxUploadSize: Int { 8 << 20 }
}

/// Reads the peer identity from the TLS layer (never from a header or a body; once per connection, kept
/// while it stays open), and on every request re-checks revocation and expiry, so a long-lived HTTP/2
/// connection loses its rights as soon as its certificate is revoked or expires; the connection is then
/// closed.
struct PeerIdentityMiddleware: RouterMiddleware {
    let revocations: RevocationWatcher
    let peers = PeerCertificateCache()

    func handle(
        _ request: Request, context: FederationRequestContext,
        next: (Request, FederationRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        guard let peer = try? await peers.peer(of: context.channel), let identity = peer.identity else {
            throw HTTPError(.unauthorized, message: "no verified MotCua client certificate on this connection")
        }
        if revocations.isRevoked(serialHex: peer.serialHex) || peer.certificate.notValidAfter < Date() {
            FederationTLS.connection(of: context.channel).close(promise: nil)
            throw HTTPError(.unauthorized, message: "the client certificate has been revoked or has expired")
        }
        context.peer = identity
        return try await next(request, context)
    }
}

/// A node certificate is honoured only for a member of the federation: any certificate the federation CA
/// issued could otherwise create a node at the hub by shipping a batch. Operators are not nodes.
struct MembershipMiddleware: RouterMiddleware {
    let service: HubService

    func handle(
        _ request: Request, context: FederationRequestContext,
        next: (Request, FederationRequestContext) async throws -> Response
    ) async throws -> Response {
        if case .node(let nodeID)? = context.peer, !service.isMember(nodeID) {
            throw Problem(
                .forbidden, "node.unknown",
                "node \(nodeID.prefix(64)) is not a member of this federation; an operator admits it with `motcua ctl national nodes add \(nodeID.prefix(64))` (or it is named in the hub's topology)")
        }
        return try await next(request, context)
    }
}

/// Builds the hub's mutual-TLS HTTP/2 application (HTTP/1.1 is also spoken over the same TLS for
/// clients that do not negotiate h2; plain HTTP is never accepted).
public func buildHubApplication(
    service: HubService, logger: Logger, port: Int? = nil, onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let configuration = service.configuration
    let authority = try Certificate(pemEncoded: String(contentsOfFile: configuration.caPath, encoding: .utf8))
    let revocations = RevocationWatcher(path: configuration.revocationListPath)
    let router = Router(context: FederationRequestContext.self)
    router.middlewares.add(ProblemMiddleware<FederationRequestContext>(server: "hub") { _ in nil })
    router.middlewares.add(PeerIdentityMiddleware(revocations: revocations))
    router.middlewares.add(MembershipMiddleware(service: service))
    HubRoutes(service: service).register(on: router)

    let tlsConfiguration = try FederationTLS.serverConfiguration(
        certificatePath: configuration.certificatePath, keyPath: configuration.keyPath, caPath: configuration.caPath)
    let server = HTTPServerBuilder { responder in
        try FederationServerChannel(
            tlsConfiguration: tlsConfiguration,
            verify: { certificates, promise in
                promise.completeWithTask {
                    await FederationTLS.verifyClient(certificates, authority: authority, revocations: revocations)
                }
            },
            responder: responder)
    }
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: port ?? configuration.federationPort), serverName: "motcua-hub"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
        logger: logger)
}

