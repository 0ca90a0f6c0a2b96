import AsyncHTTPClient
import Foundation
import Logging
import MotCuaSecurity
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The node's mutual-TLS link to the hub: one HTTP client with the node's certificate, replaced when the
/// certificate file changes (rotation, re-issue after a revocation) so no restart is needed.
final class FederationLink: Sendable {
    let configuration: ReplicationConfiguration
    let logger: Logger
    private let state: Mutex<(client: HTTPClient, stamp: Date?)>
    /// When the certificate file was last looked at: at most once a second, not after every batch (the
    /// look-up was a fortieth of a node's replication CPU during a drain).
    private let lookedAt = Mutex(Duration.zero)
    /// Time since the link was made, on the injected clock.
    private let elapsed: @Sendable () -> Duration
    static let rotationCheckInterval = Duration.seconds(1)

    init(configuration: ReplicationConfiguration, logger: Logger, clock: any Clock<Duration> = ContinuousClock()) throws {
        self.configuration = configuration
        self.logger = logger
        elapsed = Self.stopwatch(clock)
        state = Mutex((try Self.makeClient(configuration), Self.certificateModified(configuration)))
    }

    var client: HTTPClient { state.withLock { $0.client } }

    static func certificateModified(_ configuration: ReplicationConfiguration) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: configuration.certificatePath))?[.modificationDate] as? Date
    }

    static func makeClient(_ configuration: ReplicationConfiguration) throws -> HTTPClient {
        let tls = try FederationTLS.clientConfiguration(
            certificatePath: configuration.certificatePath, keyPath: configuration.keyPath, caPath: configuration.caPath)
        var clientConfiguration = HTTPClient.Configuration(tlsConfiguration: tls)
        clientConfiguration.httpVersion = .automatic
        clientConfiguration.timeout = .init(connect: .seconds(5), read: .seconds(configuration.requestTimeoutSeconds))
        // The agents own the retrying (the replication sender's jittered back-off, the outbox policy). With the
        // client's own connection retries on top, a request waited out the client's growing back-off after
        // the hub came back: the 34-node drain stalled for seconds with the hub idle.
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
    }

    /// Switches to a new client when the certificate file has changed (looked at once a second at most);
    /// the next connection presents it.
    func refreshIfRotated() {
        let now = elapsed()
        let due = lookedAt.withLock { last in
            guard now - last >= Self.rotationCheckInterval else { return false }
            last = now
            return true
        }
        guard due else { return }
        let stamp = Self.certificateModified(configuration)
        guard stamp != state.withLock({ $0.stamp }), let fresh = try? Self.makeClient(configuration) else { return }
        let old = state.withLock { current in
            let old = current.client
            current = (fresh, stamp)
            return old
        }
        Task { try? await old.shutdown() }
        logger.notice("federation certificate reloaded", metadata: ["path": "\(configuration.certificatePath)"])
    }

    private static func stopwatch<C: Clock<Duration>>(_ clock: C) -> @Sendable () -> Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }

    func shutdown() async { try? await client.shutdown() }

    /// Whether a failed call found nobody listening at the hub's address (the connection was refused on
    /// every address tried): the hub process is down or restarting, not slow or refusing us.
    static func nobodyListening(_ error: any Error) -> Bool {
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        if let error = error as? NIOConnectionError {
            // A name that resolves to several addresses is tried on each: refused only if all refused.
            return error.dnsAError == nil && error.dnsAAAAError == nil && !error.connectionErrors.isEmpty
                && error.connectionErrors.allSatisfy { nobodyListening($0.error) }
        }
        return false
    }

    /// One request to the hub; the answer's status and body (up to `limit` bytes).
    func call(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String = "application/json", timeout: Int64? = nil,
        limit: Int = 1 << 20
    ) async throws -> (status: Int, body: Data) {
        try await call(method, path, buffer: body.map { ByteBuffer(bytes: $0) }, contentType: contentType, timeout: timeout, limit: limit)
    }

    /// The same with the body already in a buffer (a replication batch is written straight into one).
    func call(
        _ method: HTTPMethod, _ path: String, buffer body: ByteBuffer?, contentType: String = "application/json", timeout: Int64? = nil,
        limit: Int = 1 << 20
    ) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: configuration.hubURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "content-type", value: contentType)
            request.body = .bytes(body)
        }
        let response = try await client.execute(request, timeout: .seconds(timeout ?? configuration.requestTimeoutSeconds))
        let collected = try await response.body.collect(upTo: limit)
        return (Int(response.status.code), Data(collected.readableBytesView))
    }
}
