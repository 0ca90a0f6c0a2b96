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
import NIOHTTP2
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
    // The hub's certificate and key and the CA bundle, re-read when they change (from the next connection).
    let tls = try FileWatched(paths: [configuration.certificatePath, configuration.keyPath, configuration.caPath], logger: logger) {
        var tlsConfiguration = try FederationTLS.serverConfiguration(
            certificatePath: configuration.certificatePath, keyPath: configuration.keyPath, caPath: configuration.caPath)
        tlsConfiguration.applicationProtocols = NIOHTTP2SupportedALPNProtocols
        let authority = try Certificate(pemEncoded: String(contentsOfFile: configuration.caPath, encoding: .utf8))
        return FederationTLSState(context: try NIOSSLContext(configuration: tlsConfiguration), authority: authority)
    }
    let revocations = RevocationWatcher(path: configuration.revocationListPath)
    let router = Router(context: FederationRequestContext.self)
    router.middlewares.add(ProblemMiddleware<FederationRequestContext>(server: "hub") { _ in nil })
    router.middlewares.add(PeerIdentityMiddleware(revocations: revocations))
    router.middlewares.add(MembershipMiddleware(service: service))
    HubRoutes(service: service).register(on: router)

    let server = HTTPServerBuilder { responder in
        TLSServerChannel(
            tls: { tls.current.context },
            verify: { certificates, promise in
                let authority = tls.current.authority
                promise.completeWithTask {
                    await FederationTLS.verifyClient(certificates, authority: authority, revocations: revocations)
                }
            },
            http2Configuration: FederationServerChannel.http2Configuration, quiesceGrace: FederationServerChannel.quiesceGrace,
            responder: responder)
    }
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: port ?? configuration.federationPort), serverName: "motcua-hub"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
        logger: logger)
}


/// What the hub's connections are set up with, rebuilt together when its files change.
struct FederationTLSState: Sendable {
    let context: NIOSSLContext
    let authority: Certificate
}

/// The hub's HTTP/2 settings (its connections are `TLSServerChannel`s).
///
/// Hummingbird's HTTP/2 channel keeps HTTP/2's default flow-control windows of 64 KiB. A replication
/// batch is 0.5-1 MiB, so the node could send only 32-64 KiB before waiting for the hub's next window
/// update: about eighteen round trips per batch, each a wake-up, a TLS record and a write on both sides.
/// Here the hub grants each stream a window that holds a whole batch (`streamWindow`), and the connection
/// one that holds two. A node has one batch in flight on its connection, so what the window lets it send
/// is what the hub accepts anyway (`FederationRequestContext.maxUploadSize` bounds a request).
enum FederationServerChannel {
    /// The per-stream receive window the hub advertises: a batch at the sending limit (1 MiB of events)
    /// and its framing fit, so a batch crosses without waiting for a window update.
    static let streamWindow = 1 << 21
    /// The connection's receive window: two streams' worth.
    static let connectionWindow = 1 << 22
    /// How long a connection told to go away (the hub is stopping) may finish the requests it has.
    static let quiesceGrace = TimeAmount.seconds(10)

    /// The HTTP/2 settings and windows of every hub connection.
    static let http2Configuration: NIOHTTP2Handler.Configuration = {
        var configuration = NIOHTTP2Handler.Configuration()
        configuration.connection.initialSettings = nioDefaultSettings + [
            HTTP2Setting(parameter: .initialWindowSize, value: streamWindow)
        ]
        configuration.connection.targetWindowSize = connectionWindow
        configuration.stream.targetWindowSize = streamWindow
        return configuration
    }()
}
