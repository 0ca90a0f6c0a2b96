import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import MotCuaNode

/// How the replication agent tells a hub that is not running (refused connections: retry soon) from one
/// that is slow or failing (the normal back-off), on real sockets.
@Suite("Federation link failures", .timeLimit(.minutes(1)))
struct FederationLinkTests {
    /// A loopback port: `listening` keeps a server on it that accepts connections and never answers;
    /// otherwise the server is closed again at once, so that nothing listens there.
    static func loopbackPort(listening: Bool) async throws -> (port: Int, server: (any Channel)?) {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress!.port!
        if listening { return (port, server) }
        try await server.close()
        return (port, nil)
    }

    func failure(of url: String, timeout: TimeAmount = .seconds(5)) async throws -> any Error {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(2), read: timeout)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = client.shutdown() }
        do {
            _ = try await client.execute(HTTPClientRequest(url: url), timeout: timeout)
        } catch {
            return error
        }
        Issue.record("\(url) answered")
        return CancellationError()
    }

    @Test func aRefusedConnectionMeansNobodyIsListening() async throws {
        // Nothing listening: connections to it are refused, as when the hub process is down.
        let closed = try await Self.loopbackPort(listening: false)
        let byAddress = try await failure(of: "http://127.0.0.1:\(closed.port)/v1/replication/batches")
        #expect(FederationLink.nobodyListening(byAddress), "\(byAddress)")
        // By name: resolved and tried on every address (happy eyeballs), each refused.
        let byName = try await failure(of: "http://localhost:\(closed.port)/v1/replication/batches")
        #expect(FederationLink.nobodyListening(byName), "\(byName)")
    }

    @Test func aSilentHubIsNotTakenForAnAbsentOne() async throws {
        // Listening but never answering: the connection is made and the request times out. The hub is
        // there (overloaded, stuck): the normal back-off applies.
        let silent = try await Self.loopbackPort(listening: true)
        defer { silent.server?.close(promise: nil) }
        let error = try await failure(of: "http://127.0.0.1:\(silent.port)/v1/replication/batches", timeout: .milliseconds(300))
        #expect(!FederationLink.nobodyListening(error), "\(error)")
        #expect(!FederationLink.nobodyListening(CancellationError()))
    }
}
