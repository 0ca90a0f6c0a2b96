import Hummingbird
import HummingbirdCore
import Logging
import MotCuaHTTP
import NIOCore
import NIOSSL

/// The node's HTTP/1.1 connections: Hummingbird's HTTP1 channel, with an idle time-out (a keep-alive
/// connection with no request open is closed) and a header time-out in front of it: a request's head must
/// arrive whole within `headerTimeout` of its first byte, so a client that trickles headers (or sends half
/// a head and waits) cannot hold a connection for long.
struct NodeHTTPChannel: HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    private let http1: HTTP1Channel
    private let headerTimeout: TimeAmount
    var responder: Responder { http1.responder }

    init(responder: @escaping Responder, headerTimeout: TimeAmount, idleTimeout: TimeAmount) {
        http1 = HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idleTimeout))
        self.headerTimeout = headerTimeout
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let added = channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(HeaderTimeoutHandler(timeout: headerTimeout))
        }
        return added.flatMap { http1.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }

    /// HTTPS: TLS with the certificate the files hold when a connection arrives, then HTTP/2 or HTTP/1.1
    /// (with the same header and idle time-outs).
    static func tlsServer(tls: FileWatched<NIOSSLContext>, headerTimeoutSeconds: Int64, idleTimeoutSeconds: Int64) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            TLSServerChannel(
                tls: { tls.current }, http1Configuration: .init(idleTimeout: .seconds(idleTimeoutSeconds)),
                http1Handlers: { channel in
                    try channel.pipeline.syncOperations.addHandler(HeaderTimeoutHandler(timeout: .seconds(headerTimeoutSeconds)))
                },
                http2IdleTimeout: .seconds(idleTimeoutSeconds),
                responder: responder)
        }
    }

    static func server(headerTimeoutSeconds: Int64, idleTimeoutSeconds: Int64) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            NodeHTTPChannel(responder: responder, headerTimeout: .seconds(headerTimeoutSeconds), idleTimeout: .seconds(idleTimeoutSeconds))
        }
    }
}

/// Watches the raw bytes in front of the HTTP parser: from the first byte of a request until the blank
/// line that ends its head, at most `timeout` may pass, else the connection is closed. Once the node starts
/// answering, the next bytes begin the next request.
final class HeaderTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var awaitingHead = true
    /// The last two bytes seen while awaiting a head: the empty line that ends it may straddle two reads.
    private var tail: [UInt8] = []
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if awaitingHead {
            let buffer = unwrapInboundIn(data)
            if deadline == nil, buffer.readableBytes > 0 {
                let channel = context.channel
                deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
            }
            if endsHead(buffer) {
                awaitingHead = false
                tail = []
                deadline?.cancel()
                deadline = nil
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // The answer has begun: whatever comes in next is a new request.
        if !awaitingHead {
            awaitingHead = true
            tail = []
        }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    /// Whether the bytes hold the empty line that ends a head: a line feed right after a line feed, or
    /// after a line feed and a carriage return ("\r\n\r\n", or "\n\n" from lenient clients). Jumps from
    /// line feed to line feed rather than looking at every byte.
    private func endsHead(_ buffer: ByteBuffer) -> Bool {
        let bytes = buffer.readableBytesView
        // The byte `back` places before `index`, reaching into the previous read's tail.
        func byte(before index: ByteBufferView.Index, _ back: Int) -> UInt8? {
            let offset = bytes.distance(from: bytes.startIndex, to: index) - back
            if offset >= 0 { return bytes[bytes.index(bytes.startIndex, offsetBy: offset)] }
            let fromTail = tail.count + offset
            return fromTail >= 0 ? tail[fromTail] : nil
        }
        var from = bytes.startIndex
        while let lineFeed = bytes[from...].firstIndex(of: 10) {
            let one = byte(before: lineFeed, 1)
            if one == 10 || (one == 13 && byte(before: lineFeed, 2) == 10) { return true }
            from = bytes.index(after: lineFeed)
        }
        tail = (tail + bytes.suffix(2)).suffix(2)
        return false
    }
}
