import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy the test controls, to cut a node off from the hub: `cut()` closes every connection and
/// refuses new ones; `heal()` lets them through again. Bytes pass untouched (TLS is end to end).
final class TCPProxy: Sendable {
    private let state = NIOLockedValueBox<(open: Bool, connections: [any Channel])>((true, []))
    private let server = NIOLockedValueBox<(any Channel)?>(nil)
    let targetPort: Int

    init(targetPort: Int) async throws {
        self.targetPort = targetPort
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] inbound in
                guard state.withLockedValue({ $0.open }) else { return inbound.close() }
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMap { outbound in
                        self.state.withLockedValue { $0.connections += [inbound, outbound] }
                        return outbound.pipeline.addHandler(Glue(partner: inbound)).flatMap {
                            inbound.pipeline.addHandler(Glue(partner: outbound))
                        }
                    }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        server.withLockedValue { $0 = channel }
    }

    var port: Int { server.withLockedValue { $0?.localAddress?.port ?? 0 } }

    /// The partition: every connection dropped, new ones closed at once.
    func cut() {
        let connections = state.withLockedValue { current in
            current.open = false
            defer { current.connections = [] }
            return current.connections
        }
        for connection in connections { connection.close(promise: nil) }
    }

    func heal() { state.withLockedValue { $0.open = true } }

    func stop() async {
        cut()
        try? await server.withLockedValue({ $0 })?.close()
    }
}

/// Copies what one side reads to the other, and closes the other when one side goes away.
private final class Glue: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let partner: any Channel

    init(partner: any Channel) { self.partner = partner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
