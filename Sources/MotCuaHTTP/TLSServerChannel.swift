import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2
import NIOSSL
import NIOTLS
import Synchronization

/// TLS server connections, the hub's (mutual TLS) and a node's public API: TLS with the context the
/// `tls` source holds at the time the connection arrives (so re-issued files apply from the next
/// connection, without a restart), then HTTP/2 when the client offers "h2" in ALPN, HTTP/1.1 otherwise
/// (curl without `--http2`, scripts). Requests go to the same responder either way.
public struct TLSServerChannel: HTTPChannelHandler {
    public typealias Connection = NIOHTTP2Handler.AsyncStreamMultiplexer<HTTP1Channel.Value>
    /// Checks a client's certificate chain, as NIOSSL's custom verification callback.
    public typealias Verification = @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResult>) -> Void

    public struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<NIONegotiatedHTTPVersion<HTTP1Channel.Value, Connection>>
        public let channel: any Channel
    }

    private let tls: @Sendable () -> NIOSSLContext
    private let verify: Verification?
    private let http1: HTTP1Channel
    private let http1Handlers: @Sendable (any Channel) throws -> Void
    private let http2Configuration: NIOHTTP2Handler.Configuration
    private let quiesceGrace: TimeAmount
    private let handshakeTimeout: TimeAmount
    private let http2IdleTimeout: TimeAmount?
    public let responder: Responder

    /// - Parameters:
    ///   - tls: the server context for a new connection (its ALPN protocols must offer h2 and http/1.1).
    ///   - verify: checks a client's chain (mutual TLS); nil: no client certificate is asked for.
    ///   - http1Configuration: the HTTP/1.1 connections' idle time-out.
    ///   - http1Handlers: adds handlers in front of an HTTP/1.1 connection's parser (a header time-out).
    ///   - http2Configuration: settings and flow-control windows of HTTP/2 connections.
    ///   - quiesceGrace: how long a connection told to go away (the server is stopping) may finish its requests.
    ///   - handshakeTimeout: how long a client has to complete the TLS handshake (one that trickles it
    ///     cannot hold a connection).
    ///   - http2IdleTimeout: an HTTP/2 connection with no open stream and nothing read or written for this
    ///     long is closed (nil: kept, as the hub keeps its nodes' connections).
    public init(
        tls: @escaping @Sendable () -> NIOSSLContext, verify: Verification? = nil, http1Configuration: HTTP1Channel.Configuration = .init(),
        http1Handlers: @escaping @Sendable (any Channel) throws -> Void = { _ in },
        http2Configuration: NIOHTTP2Handler.Configuration = .init(), quiesceGrace: TimeAmount = .seconds(10),
        handshakeTimeout: TimeAmount = .seconds(10), http2IdleTimeout: TimeAmount? = nil, responder: @escaping Responder
    ) {
        self.handshakeTimeout = handshakeTimeout
        self.http2IdleTimeout = http2IdleTimeout
        self.tls = tls
        self.verify = verify
        self.http1Handlers = http1Handlers
        self.http2Configuration = http2Configuration
        self.quiesceGrace = quiesceGrace
        self.responder = responder
        http1 = HTTP1Channel(responder: responder, configuration: http1Configuration)
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let handler = verify.map { NIOSSLServerHandler(context: tls(), customVerificationCallback: $0, configuration: .init()) }
                ?? NIOSSLServerHandler(context: tls())
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.pipeline.syncOperations.addHandler(HandshakeTimeoutHandler(timeout: handshakeTimeout))
            let (grace, http2Configuration, http1, http1Handlers, idle) = (quiesceGrace, http2Configuration, http1, http1Handlers, http2IdleTimeout)
            let negotiation = NIOTypedApplicationProtocolNegotiationHandler<NIONegotiatedHTTPVersion<HTTP1Channel.Value, Connection>> {
                result, channel in
                switch result {
                case .negotiated("h2"):
                    return channel.eventLoop.makeCompletedFuture {
                        // NIOHTTP2's async multiplexer tells a stream delegate, not the pipeline, when
                        // streams open and close: the closer counts them through it.
                        let closer = HTTP2ConnectionCloser(grace: grace)
                        if let idle { try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idle)) }
                        let connection = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                            mode: .server, streamDelegate: closer.streamDelegate(on: channel.eventLoop), configuration: http2Configuration
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
                    do {
                        try http1Handlers(channel)
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
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
            logger.debug("TLS connection ended", metadata: ["error": "\(error)"])
        }
    }
}

/// Closes a connection whose TLS handshake has not completed within `timeout` of its start.
final class HandshakeTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            deadline?.cancel()
            deadline = nil
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// A value built from files (a certificate and its key, a CA bundle) and built again when they change: a
/// server asks for it per connection, and at most once a second the files' sizes and modification times
/// are compared with those it was built from. A change that does not build (a half-copied key, a
/// certificate that does not match it) keeps the value in force and is logged once.
public final class FileWatched<Value: Sendable>: Sendable {
    private struct State {
        var value: Value
        var stamps: [String]
        var checkedAt: ContinuousClock.Instant
        var failedStamps: [String]?
    }

    private let paths: [String]
    private let build: @Sendable () throws -> Value
    private let logger: Logger
    private let interval: Duration
    private let state: Mutex<State>

    /// Builds the value once; throws when the files do not build at start.
    public init(paths: [String], logger: Logger, interval: Duration = .seconds(1), build: @escaping @Sendable () throws -> Value) throws {
        self.paths = paths
        self.build = build
        self.logger = logger
        self.interval = interval
        let stamps = Self.stamps(paths)
        state = Mutex(State(value: try build(), stamps: stamps, checkedAt: .now, failedStamps: nil))
    }

    /// The value in force, rebuilt first when the files changed since it was built.
    public var current: Value {
        let now = ContinuousClock.now
        let (due, value, known) = state.withLock { state -> (Bool, Value, [String]) in
            guard now - state.checkedAt >= interval else { return (false, state.value, state.stamps) }
            state.checkedAt = now
            return (true, state.value, state.stamps)
        }
        guard due else { return value }
        let stamps = Self.stamps(paths)
        guard stamps != known else { return value }
        do {
            let rebuilt = try build()
            state.withLock { state in
                state.value = rebuilt
                state.stamps = stamps
                state.failedStamps = nil
            }
            logger.notice("files changed: reloaded", metadata: ["files": "\(paths.joined(separator: ", "))"])
            return rebuilt
        } catch {
            let first = state.withLock { state -> Bool in
                defer { state.failedStamps = stamps }
                return state.failedStamps != stamps
            }
            if first {
                logger.error("files changed but do not load; the previous ones stay in force", metadata: ["files": "\(paths.joined(separator: ", "))", "error": "\(error)"])
            }
            return value
        }
    }

    /// Size, modification time and inode per file ("-" for a missing one).
    static func stamps(_ paths: [String]) -> [String] {
        paths.map { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return "-" }
            return "\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec):\(info.st_ino)"
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
        case let idle as IdleStateHandler.IdleStateEvent where idle == .all && openStreams == 0:
            // Nothing open and nothing sent either way for the idle time-out.
            context.close(promise: nil)
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
