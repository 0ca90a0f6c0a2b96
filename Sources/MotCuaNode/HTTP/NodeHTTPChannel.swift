import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

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
    /// The last bytes seen of the head so far (a "\r\n\r\n" may straddle two reads).
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

    private func endsHead(_ buffer: ByteBuffer) -> Bool {
        let marker: [UInt8] = [13, 10, 13, 10]
        var window = tail
        for byte in buffer.readableBytesView {
            window.append(byte)
            if window.count > 4 { window.removeFirst(window.count - 4) }
            if window == marker { return true }
        }
        tail = window
        return false
    }
}
