import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2
import NIOSSL
import NIOTLS

/// The hub's server connections: mutual TLS, then HTTP/2 when the client offers "h2" in ALPN, HTTP/1.1
/// otherwise (curl without `--http2`, scripts). Requests go to the same responder either way.
///
/// Hummingbird's HTTP/2 channel keeps HTTP/2's default flow-control windows of 64 KiB. A replication
/// batch is 0.5-1 MiB, so the node could send only 32-64 KiB before waiting for the hub's next window
/// update: about eighteen round trips per batch, each a wake-up, a TLS record and a write on both sides.
/// Here the hub grants each stream a window that holds a whole batch (`streamWindow`), and the connection
/// one that holds two. A node has one batch in flight on its connection, so what the window lets it send
/// is what the hub accepts anyway (`FederationRequestContext.maxUploadSize` bounds a request).
public struct FederationServerChannel: HTTPChannelHandler {
    public typealias Connection = NIOHTTP2Handler.AsyncStreamMultiplexer<HTTP1Channel.Value>
    /// Checks a client's certificate chain, as NIOSSL's custom verification callback.
    public typealias Verification = @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResult>) -> Void

    public struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<NIONegotiatedHTTPVersion<HTTP1Channel.Value, Connection>>
        public let channel: any Channel
    }

    /// The per-stream receive window the hub advertises: a batch at the sending limit (1 MiB of events)
    /// and its framing fit, so a batch crosses without waiting for a window update.
    public static let streamWindow = 1 << 21
    /// The connection's receive window: two streams' worth.
    public static let connectionWindow = 1 << 22
    /// How long a connection told to go away (the hub is stopping) may finish the requests it has.
    static let quiesceGrace = TimeAmount.seconds(10)

    private let sslContext: NIOSSLContext
    private let verify: Verification
    private let http1: HTTP1Channel
    public let responder: Responder

    /// - Parameters:
    ///   - tlsConfiguration: the hub's server configuration (client certificates required); its ALPN
    ///     protocols are set here.
    ///   - verify: checks the client's chain (the federation CA, revocation, expiry).
    public init(
        tlsConfiguration: TLSConfiguration, verify: @escaping Verification, responder: @escaping Responder
    ) throws {
        var tlsConfiguration = tlsConfiguration
        tlsConfiguration.applicationProtocols = NIOHTTP2SupportedALPNProtocols
        sslContext = try NIOSSLContext(configuration: tlsConfiguration)
        self.verify = verify
        self.responder = responder
        http1 = HTTP1Channel(responder: responder)
    }

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

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                NIOSSLServerHandler(context: sslContext, customVerificationCallback: verify, configuration: .init()))
            let negotiation = NIOTypedApplicationProtocolNegotiationHandler<NIONegotiatedHTTPVersion<HTTP1Channel.Value, Connection>> {
                result, channel in
                switch result {
                case .negotiated("h2"):
                    return channel.eventLoop.makeCompletedFuture {
                        // NIOHTTP2's async multiplexer tells a stream delegate, not the pipeline, when
                        // streams open and close: the closer counts them through it.
                        let closer = HTTP2ConnectionCloser(grace: Self.quiesceGrace)
                        let connection = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                            mode: .server, streamDelegate: closer.streamDelegate(on: channel.eventLoop), configuration: Self.http2Configuration
                        ) { stream in
                            stream.eventLoop.makeCompletedFuture {
                                try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTPServerCodec())
                                return try HTTP1Channel.Value(wrappingChannelSynchronously: stream)
                            }
                        }
                        try channel.pipeline.syncOperations.addHandler(closer)
                        return .http2(connection)
                    }
                case .negotiated("http/1.1"), .fallback:
                    return http1.setup(channel: channel, logger: logger).map { .http1_1($0) }
                case .negotiated(let other):
                    logger.debug("closing a connection that negotiated \(other)")
                    return channel.close().flatMapThrowing { throw NIOHTTP2Errors.invalidALPNToken() }
                }
            }
            try channel.pipeline.syncOperations.addHandler(negotiation)
            return Value(negotiated: negotiation.protocolNegotiationResult, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1_1(let connection):
                await http1.handle(value: connection, logger: logger)
            case .http2(let connection):
                // Each stream is one request: `handleHTTP` answers it and ends when the stream does.
                try await withThrowingDiscardingTaskGroup { group in
                    for try await stream in connection.inbound {
                        group.addTask { await handleHTTP(asyncChannel: stream, logger: logger) }
                    }
                }
            }
        } catch {
            // A refused handshake (no certificate, another CA, revoked) ends here: nothing was served.
            logger.debug("federation connection ended", metadata: ["error": "\(error)"])
        }
    }
}

/// Closes an HTTP/2 connection when it should:
/// - when the client has closed its side (Hummingbird's server allows half-closed connections, so the
///   end of input is an event, not a close): once the open streams are answered, or after `grace`. Left
///   open, each connection a node let go when idle stayed in CLOSE_WAIT with its TLS buffers; and a
///   stream whose request body was cut off by the close would never be answered, so without the grace
///   the connection would stay so for good;
/// - when the server stops (Hummingbird sends `ChannelShouldQuiesceEvent`): a GOAWAY naming the last
///   stream taken, then the close once those streams are answered, or after `grace`. A stopping hub thus
///   finishes the batch a node has in flight and the node learns at once to reconnect later, instead of
///   the shutdown waiting for idle clients;
/// - on an error.
final class HTTP2ConnectionCloser: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let grace: TimeAmount
    private var context: ChannelHandlerContext?
    private var openStreams = 0
    private var lastStreamID = HTTP2StreamID.rootStream
    private var goingAway = false

    init(grace: TimeAmount) {
        self.grace = grace
    }

    /// Reports the connection's streams opening and closing to this closer (on the connection's loop).
    func streamDelegate(on eventLoop: any EventLoop) -> some NIOHTTP2StreamDelegate {
        StreamCounter(closer: NIOLoopBound(self, eventLoop: eventLoop))
    }

    private struct StreamCounter: NIOHTTP2StreamDelegate {
        let closer: NIOLoopBound<HTTP2ConnectionCloser>
        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) { closer.value.streamOpened(id) }
        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) { closer.value.streamClosed() }
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    private func streamOpened(_ id: HTTP2StreamID) {
        openStreams += 1
        lastStreamID = max(lastStreamID, id)
    }

    private func streamClosed() {
        openStreams = max(0, openStreams - 1)
        guard goingAway, openStreams == 0, let context else { return }
        // Reported as the last frame of the answer is written, before it is flushed: the close waits for
        // the flush that follows in the same turn of the loop, or it would drop the answer.
        context.eventLoop.assumeIsolated().execute {
            context.flush()
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let channelEvent as ChannelEvent where channelEvent == .inputClosed:
            closeOnceAnswered(context: context)
        case is ChannelShouldQuiesceEvent where !goingAway:
            let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil))
            context.writeAndFlush(wrapOutboundOut(goAway), promise: nil)
            closeOnceAnswered(context: context)
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Closes now if no stream is open; otherwise when the last one closes, and at the latest after `grace`.
    private func closeOnceAnswered(context: ChannelHandlerContext) {
        let first = !goingAway
        goingAway = true
        if openStreams == 0 {
            context.close(promise: nil)
        } else if first {
            let channel = context.channel
            context.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
        }
    }
}
