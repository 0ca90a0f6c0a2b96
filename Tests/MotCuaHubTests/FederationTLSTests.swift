import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import MotCuaCore
@testable import MotCuaHub
import MotCuaProtocol
import MotCuaSecurity
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization
import MotCuaTestSupport
import Testing
import X509

/// A PKI in a temporary folder with the identities the tests need, and a running hub.
final class LiveHub: Sendable {
    let directory: String
    let pki: PKIDirectory
    let port: Int
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)
    private let hub: HubServer

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-hub-\(UUID().uuidString)").path
        pki = PKIDirectory(path: directory + "/pki")
        try pki.initialise(now: Date())
        try pki.issue(.hub, now: Date())
        try pki.issue(.node("p01"), now: Date())
        try pki.issue(.node("p02"), now: Date())
        try pki.issue(.operator("alice"), now: Date())
        var logger = Logger(label: "hub-test")
        logger.logLevel = .critical
        var configuration = HubConfiguration(dataDirectory: directory + "/hub", federationPort: 0, pki: pki)
        configuration.members = ["p01", "p02"]
        // The composition `motcua hub` runs (without its second port).
        let bound = AsyncStream<Int>.makeStream()
        let hub = try await buildHub(configuration: configuration, logger: logger) { ports in
            bound.continuation.yield(ports.federation)
        }
        self.hub = hub
        task.withLock { $0 = Task { try await hub.run() } }
        var iterator = bound.stream.makeAsyncIterator()
        port = await iterator.next() ?? 0
    }

    func stop() {
        task.withLock { $0?.cancel() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops the server as SIGTERM does in `motcua hub` (a graceful shutdown) and returns once it has.
    func shutDown() async {
        await hub.shutDown()
        _ = try? await task.withLock { $0 }?.value
    }

    var url: String { "https://localhost:\(port)" }

    /// A client presenting `identity`'s certificate (or none), trusting the federation CA.
    func client(_ identity: FederationIdentity?, caPath: String? = nil) throws -> HTTPClient {
        var tls: TLSConfiguration
        if let identity {
            tls = try FederationTLS.clientConfiguration(
                certificatePath: pki.certificatePath(for: identity), keyPath: pki.keyPath(for: identity), caPath: caPath ?? pki.caCertificatePath)
        } else {
            tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(pki.caCertificatePath)
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Status and body of one request on a fresh client; throws when the connection is refused.
    func call(_ identity: FederationIdentity?, _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, caPath: String? = nil) async throws -> (Int, JSONValue) {
        let client = try client(identity, caPath: caPath)
        do {
            var request = HTTPClientRequest(url: url + path)
            request.method = method
            if let body {
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body.canonicalText))
            }
            let response = try await client.execute(request, timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return (Int(response.status.code), (try? JSONDecoder().decode(JSONValue.self, from: Data(bytes.readableBytesView))) ?? .null)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// A batch of `count` sealed events continuing after `after` (seq, hash).
func batch(node: String, count: Int, after: (Int64, String) = (0, EventChain.genesisHash), dossier: String = "000.01.01.H01-260302-0001") -> ReplicationBatch {
    var events: [Event] = []
    var prev = after.1
    var hlc: Int64 = 0
    for offset in 1...count {
        let seq = after.0 + Int64(offset)
        let kind: EventKind = seq == 1 ? .submitted : .assigned
        let draft = EventDraft(
            dossierCode: dossier, kind: kind, actor: "applicant", at: Date(timeIntervalSince1970: 1_772_420_000 + Double(seq)),
            payload: .object([
                "status": .int(seq == 1 ? 1 : 4), "procedureCode": .string("1.004873"), "receivingUnit": .string("P01.D01.C01"),
                "competentUnit": .string("P01.D01.C01"), "channel": .string("online"),
            ]))
        let event = EventChain.seal(draft, seq: seq, prevHash: prev, lastHLC: hlc)
        events.append(event)
        prev = event.hash
        hlc = event.hlc
    }
    return ReplicationBatch(nodeID: node, firstSeq: after.0 + 1, prevHash: after.1, events: events)
}

/// The `items` of a list answer.
private func listed(_ answer: JSONValue) -> [JSONValue] {
    if case .array(let items)? = answer["items"] { return items }
    return []
}

@Suite("Federation links over mutual TLS", .timeLimit(.minutes(3)))
struct FederationTLSTests {
    @Test func certifiedPartiesAreServedAndAuthorisedPerEndpoint() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        let (whoStatus, who) = try await hub.call(.node("p01"), .GET, "/v1/whoami")
        #expect(whoStatus == 200)
        #expect(who["identity"] == .string("urn:motcua:node:p01"))

        let shipped = batch(node: "p01", count: 3)
        let (status, reply) = try await hub.call(.node("p01"), .POST, "/v1/replication/batches", body: try JSONValue.from(shipped))
        #expect(status == 200)
        #expect(reply["result"] == .string("applied"))
        #expect(reply["appliedSeq"] == .int(3))

        // Resending is harmless; a gap names the expected seq.
        let (_, duplicate) = try await hub.call(.node("p01"), .POST, "/v1/replication/batches", body: try JSONValue.from(shipped))
        #expect(duplicate["result"] == .string("duplicate"))
        let ahead = batch(node: "p01", count: 2, after: (10, String(repeating: "a", count: 64)))
        let (_, gap) = try await hub.call(.node("p01"), .POST, "/v1/replication/batches", body: try JSONValue.from(ahead))
        #expect(gap["result"] == .string("gap"))
        #expect(gap["expectedSeq"] == .int(4))

        // A node writing another node's log, a node reading the national API, an operator shipping a log.
        let (forged, _) = try await hub.call(.node("p02"), .POST, "/v1/replication/batches", body: try JSONValue.from(batch(node: "p01", count: 1)))
        #expect(forged == 403)
        #expect(try await hub.call(.node("p01"), .GET, "/v1/national/status").0 == 403)
        #expect(try await hub.call(.operator("alice"), .POST, "/v1/replication/batches", body: try JSONValue.from(shipped)).0 == 403)

        let (nationalStatus, national) = try await hub.call(.operator("alice"), .GET, "/v1/national/status")
        #expect(nationalStatus == 200)
        guard case .array(let nodes)? = national["nodes"] else { Issue.record("no nodes"); return }
        let p01 = nodes.first { $0["id"] == .string("p01") }
        #expect(p01?["appliedSeq"] == .int(3))
        #expect(p01?["dossiers"] == .int(1))
        // Another node's log cannot rewrite p01's dossier in the national index.
        let (_, other) = try await hub.call(.node("p02"), .POST, "/v1/replication/batches", body: try JSONValue.from(batch(node: "p02", count: 2)))
        #expect(other["result"] == .string("applied"))
        let (_, dossier) = try await hub.call(.operator("alice"), .GET, "/v1/national/dossiers/000.01.01.H01-260302-0001")
        #expect(dossier["node"] == .string("p01"))
        #expect(dossier["status"] == .int(4))
        #expect(dossier["procedureCode"] == .string("1.004873"))
    }

    @Test func aBrokenChainQuarantinesTheNodeUntilReleased() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        var tampered = batch(node: "p01", count: 3)
        tampered.events[1].payload = tampered.events[1].payload.replacingOccurrences(of: "4", with: "5")
        let (_, reply) = try await hub.call(.node("p01"), .POST, "/v1/replication/batches", body: try JSONValue.from(tampered))
        #expect(reply["result"] == .string("chain-broken"))
        let (_, again) = try await hub.call(.node("p01"), .POST, "/v1/replication/batches", body: try JSONValue.from(batch(node: "p01", count: 3)))
        #expect(again["result"] == .string("quarantined"))
        let (_, nodes) = try await hub.call(.operator("alice"), .GET, "/v1/national/nodes")
        if case .array(let list)? = nodes["items"] { #expect(list.first?["quarantined"] != .null) }
        #expect(try await hub.call(.operator("alice"), .POST, "/v1/national/nodes/p01/release").0 == 200)
        let (_, after) = try await hub.call(.node("p01"), .POST, "/v1/replication/batches", body: try JSONValue.from(batch(node: "p01", count: 3)))
        #expect(after["result"] == .string("applied"))
    }

    @Test func onlyMembersMayShipALogOrUseTheRouter() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        // A certificate from the federation CA for a node the hub was never told about.
        try hub.pki.issue(.node("p03"), now: Date())
        let (refused, problem) = try await hub.call(.node("p03"), .POST, "/v1/replication/batches", body: try JSONValue.from(batch(node: "p03", count: 1)))
        #expect(refused == 403)
        #expect(problem["type"] == .string("urn:motcua:problem:node.unknown"))
        let units = JSONValue.object(["units": .array([.object(["code": .string("P03"), "name": .string("P03"), "level": .string("province")])])])
        #expect(try await hub.call(.node("p03"), .PUT, "/v1/federation/units", body: units).0 == 403)
        #expect(try await hub.call(.node("p03"), .GET, "/v1/federation/mailbox?wait=0").0 == 403)
        let (_, before) = try await hub.call(.operator("alice"), .GET, "/v1/national/nodes")
        #expect(listed(before).allSatisfy { $0["id"] != .string("p03") }, "a refused node leaves no trace in the index")

        // Nodes cannot admit themselves; an operator can.
        #expect(try await hub.call(.node("p01"), .POST, "/v1/national/nodes", body: .object(["id": .string("p03")])).0 == 403)
        #expect(try await hub.call(.operator("alice"), .POST, "/v1/national/nodes", body: .object(["id": .string("P 03")])).0 == 422)
        #expect(try await hub.call(.operator("alice"), .POST, "/v1/national/nodes", body: .object(["id": .string("p03")])).0 == 201)
        #expect(try await hub.call(.operator("alice"), .POST, "/v1/national/nodes", body: .object(["id": .string("p03")])).0 == 200)
        let (accepted, reply) = try await hub.call(.node("p03"), .POST, "/v1/replication/batches", body: try JSONValue.from(batch(node: "p03", count: 1, dossier: "000.03.01.H03-260302-0001")))
        #expect(accepted == 200)
        #expect(reply["result"] == .string("applied"))

        // Removed: refused again at once, its cursor kept.
        #expect(try await hub.call(.operator("alice"), .DELETE, "/v1/national/nodes/p03").0 == 200)
        #expect(try await hub.call(.operator("alice"), .DELETE, "/v1/national/nodes/p03").0 == 404)
        #expect(try await hub.call(.node("p03"), .POST, "/v1/replication/batches", body: try JSONValue.from(batch(node: "p03", count: 1))).0 == 403)
        let (_, after) = try await hub.call(.operator("alice"), .GET, "/v1/national/nodes")
        let p03 = listed(after).first { $0["id"] == .string("p03") }
        #expect(p03?["member"] == .bool(false))
        #expect(p03?["appliedSeq"] == .int(1))
    }

    @Test func madeUpEventsBehindAnAlteredPrefixNeverReachTheIndex() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        let applied = batch(node: "p01", count: 4)
        #expect(try await hub.call(.node("p01"), .POST, "/v1/replication/batches", body: try JSONValue.from(applied)).1["result"] == .string("applied"))
        // Re-send 3-4 with event 3 altered (hash kept), then two events of a new dossier with made-up links.
        let fresh = batch(node: "p01", count: 2, after: (4, applied.events[3].hash), dossier: "000.01.01.H01-260302-0099")
        var forged = ReplicationBatch(nodeID: "p01", firstSeq: 3, prevHash: applied.events[1].hash, events: Array(applied.events[2...3]) + fresh.events)
        forged.events[0].payload = forged.events[0].payload.replacingOccurrences(of: "4", with: "9")
        forged.events[2].prevHash = String(repeating: "a", count: 64)
        forged.events[2].hash = String(repeating: "b", count: 64)
        forged.events[3].prevHash = String(repeating: "b", count: 64)
        forged.events[3].hash = String(repeating: "c", count: 64)
        let (_, reply) = try await hub.call(.node("p01"), .POST, "/v1/replication/batches", body: try JSONValue.from(forged))
        #expect(reply["result"] == .string("chain-broken"))
        #expect(try await hub.call(.operator("alice"), .GET, "/v1/national/dossiers/000.01.01.H01-260302-0099").0 == 404)
        let (_, nodes) = try await hub.call(.operator("alice"), .GET, "/v1/national/nodes")
        let p01 = listed(nodes).first { $0["id"] == .string("p01") }
        #expect(p01?["appliedSeq"] == .int(4))
        #expect(p01?["quarantined"] != .null)
    }

    @Test func uncertifiedConnectionsAreRefused() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        // No client certificate.
        await #expect(throws: (any Error).self) { _ = try await hub.call(nil, .GET, "/v1/whoami") }
        // A certificate from another CA (the client trusts the hub, the hub does not trust the client).
        let otherPKI = PKIDirectory(path: hub.directory + "/other")
        try otherPKI.initialise(now: Date())
        try otherPKI.issue(.operator("mallory"), now: Date())
        let foreign = try FederationTLS.clientConfiguration(
            certificatePath: otherPKI.certificatePath(for: .operator("mallory")), keyPath: otherPKI.keyPath(for: .operator("mallory")),
            caPath: hub.pki.caCertificatePath)
        let foreignClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: foreign))
        await #expect(throws: (any Error).self) {
            _ = try await foreignClient.execute(HTTPClientRequest(url: hub.url + "/v1/whoami"), timeout: .seconds(5))
        }
        try await foreignClient.shutdown()
        // An expired certificate from the right CA.
        try hub.pki.issue(.operator("expired"), now: Date().addingTimeInterval(-3 * 86_400), validityDays: 1)
        await #expect(throws: (any Error).self) { _ = try await hub.call(.operator("expired"), .GET, "/v1/whoami") }
        // Plain HTTP on the TLS port.
        let plain = HTTPClient(eventLoopGroupProvider: .singleton)
        await #expect(throws: (any Error).self) {
            _ = try await plain.execute(HTTPClientRequest(url: "http://localhost:\(hub.port)/healthz"), timeout: .seconds(5))
        }
        try await plain.shutdown()
    }

    @Test func revocationTakesEffectWithoutARestart() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        #expect(try await hub.call(.node("p02"), .GET, "/v1/whoami").0 == 200)
        _ = try hub.pki.revoke(identity: .node("p02"), reason: "key compromised", now: Date())
        try await Task.sleep(for: .milliseconds(1_200))  // the server re-reads the list at most once a second
        await #expect(throws: (any Error).self) { _ = try await hub.call(.node("p02"), .GET, "/v1/whoami") }
        // A new certificate from the same CA for the same node works at once (rotation without downtime).
        try hub.pki.issue(.node("p02"), now: Date())
        #expect(try await hub.call(.node("p02"), .GET, "/v1/whoami").0 == 200)
    }

    /// A stopping hub tells HTTP/2 clients to go away and closes their idle connections, rather than
    /// waiting for the clients to close them (AsyncHTTPClient keeps an idle connection for a minute).
    @Test func stoppingTheHubEndsIdleHTTP2ConnectionsAtOnce() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        let client = try hub.client(.node("p01"))
        let response = try await client.execute(HTTPClientRequest(url: hub.url + "/v1/whoami"), timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        #expect(response.version == .http2)
        // Stopped as SIGTERM stops `motcua hub`; a hub that waited for the client would never get here.
        let stopped = Flag()
        Task {
            await hub.shutDown()
            stopped.set()
        }
        try? await waitFor(seconds: 5, "the hub's stop") { stopped.isSet }
        #expect(stopped.isSet, "the hub did not stop within 5 s while a client held an idle HTTP/2 connection")
        // The port is closed: the pooled connection is gone and a new one is refused (the client retries
        // refused connections until the request's deadline).
        await #expect(throws: (any Error).self) {
            _ = try await client.execute(HTTPClientRequest(url: hub.url + "/v1/whoami"), timeout: .seconds(1))
        }
        try await client.shutdown()
    }

    /// A connection the client closes is closed at the hub too (not left half-closed, holding its buffers).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/net/tcp")))
    func connectionsClientsCloseAreClosedAtTheHub() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        for version in [HTTPClient.Configuration.HTTPVersion.automatic, .http1Only] {
            var tls = try FederationTLS.clientConfiguration(
                certificatePath: hub.pki.certificatePath(for: .node("p01")), keyPath: hub.pki.keyPath(for: .node("p01")),
                caPath: hub.pki.caCertificatePath)
            tls.applicationProtocols = version == .http1Only ? ["http/1.1"] : ["h2", "http/1.1"]
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.httpVersion = version
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let response = try await client.execute(HTTPClientRequest(url: hub.url + "/v1/whoami"), timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 16)
            #expect(response.version == (version == .http1Only ? .http1_1 : .http2))
            try await client.shutdown()
            // The client closes its side once the TLS session has ended (NIOSSL waits up to 5 s for the
            // hub's close_notify); then the hub's side must close too, not stay in CLOSE_WAIT.
            try? await waitFor(seconds: 10, "the client's close") { !sockets(port: hub.port).contains(.clientEstablished) }
            try? await waitFor(seconds: 3, "the hub's close") { !sockets(port: hub.port).contains(.hubHalfClosed) }
            let left = sockets(port: hub.port)
            #expect(!left.contains(.clientEstablished) && !left.contains(.hubHalfClosed), "\(response.version): \(left)")
        }
    }

    /// A node that goes away halfway through sending a batch (its side closed, the body never complete)
    /// does not leave the hub holding the connection for good. The hub keeps it while the stream is open
    /// (a request in flight may still be answered), and closes it after its grace, since this one can
    /// never be.
    @Test func aConnectionLeftWithAnUnfinishedRequestIsClosedAfterTheGrace() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        let node = try await RawHTTP2Connection(to: hub, as: .node("p01"))
        try await node.startBatch()
        // The node's side closes (TLS close_notify, then the socket's output); it goes on reading.
        try await node.channel.close(mode: .output)
        let grace = Double(FederationServerChannel.quiesceGrace.nanoseconds) / 1e9
        // Not at once: the stream is open.
        try await Task.sleep(for: .seconds(grace / 2))
        #expect(!node.closed.isSet, "the hub closed a connection with a request in flight at once")
        // At the latest after the grace.
        try? await waitFor(seconds: grace, "the hub's close") { node.closed.isSet }
        #expect(node.closed.isSet, "the hub still holds a connection whose request can never be finished")
        if !node.closed.isSet { try? await node.channel.close() }
    }

    /// A hub told to stop (SIGTERM) sends a GOAWAY and answers the request a node has in flight before it
    /// closes the connection: the node learns the batch's fate instead of a cut connection.
    @Test func aStoppingHubAnswersTheBatchInFlightThenCloses() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        let node = try await RawHTTP2Connection(to: hub, as: .node("p01"))
        try await node.startBatch()
        let stopped = Flag()
        Task {
            await hub.shutDown()
            stopped.set()
        }
        try await waitFor(seconds: 10, "the hub's GOAWAY") { node.frames.contains { $0.type == 0x07 } }
        #expect(!node.closed.isSet, "the hub closed the connection with a batch in flight")
        // The rest of the batch: one byte that is not a batch, which the hub refuses with a 400.
        try await node.channel.writeAndFlush(ByteBuffer(bytes: [0, 0, 1, 0x00, 0x01, 0, 0, 0, 1, UInt8(ascii: "x")]))
        try await waitFor(seconds: 10, "the answer on stream 1") { node.frames.contains { $0.type == 0x01 && $0.stream == 1 } }
        try await waitFor(seconds: 10, "the hub's close once it answered") { node.closed.isSet }
        try await waitFor(seconds: 10, "the hub's stop") { stopped.isSet }
    }

    /// Independent clients from Debian's packages: nghttp speaks HTTP/2 with a client certificate, and
    /// openssl s_client shows TLS 1.3 and is refused without one.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/nghttp") && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func independentClients() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        let alice = FederationIdentity.operator("alice")
        let nghttp = try await run("/usr/bin/nghttp", [
            "-v", "--cert", hub.pki.certificatePath(for: alice), "--key", hub.pki.keyPath(for: alice),
            "https://localhost:\(hub.port)/v1/whoami",
        ])
        #expect(nghttp.output.contains("urn:motcua:operator:alice"))
        #expect(nghttp.output.contains("h2"))
        // Streams get a window that holds a whole replication batch (HTTP/2's default is 64 KiB).
        #expect(nghttp.output.contains("SETTINGS_INITIAL_WINDOW_SIZE(0x04):\(FederationServerChannel.streamWindow)"), "\(nghttp.output)")
        let withCert = try await run("/usr/bin/openssl", [
            "s_client", "-connect", "localhost:\(hub.port)", "-CAfile", hub.pki.caCertificatePath,
            "-cert", hub.pki.certificatePath(for: alice), "-key", hub.pki.keyPath(for: alice), "-brief",
        ], input: "")
        #expect(withCert.output.contains("TLSv1.3"))
        // HTTP/1.1 over the same TLS: each connection is served as its own certificate's holder (the
        // identity is kept per connection, and an HTTP/1.1 connection is not an HTTP/2 stream).
        for identity in [alice, FederationIdentity.node("p01"), alice] {
            let http1 = try await run("/usr/bin/openssl", [
                "s_client", "-connect", "localhost:\(hub.port)", "-CAfile", hub.pki.caCertificatePath, "-alpn", "http/1.1",
                "-cert", hub.pki.certificatePath(for: identity), "-key", hub.pki.keyPath(for: identity), "-quiet", "-ign_eof",
            ], input: "GET /v1/whoami HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(http1.output.contains("HTTP/1.1 200"), "\(http1.output)")
            #expect(http1.output.contains("\"identity\":\"\(identity.uri)\""), "\(http1.output)")
        }
        let withoutCert = try await run("/usr/bin/openssl", [
            "s_client", "-connect", "localhost:\(hub.port)", "-CAfile", hub.pki.caCertificatePath, "-brief",
        ], input: "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        // TLS 1.3 finishes the client's side of the handshake before the server has checked the client, so
        // the refusal shows as the server's alert or a closed connection, and never as an answer.
        #expect(!withoutCert.output.contains("\"status\":\"ok\""), "the hub answered without a client certificate")
        #expect(!withoutCert.output.contains("HTTP/1.1 200"), "the hub answered without a client certificate")
    }
}

/// What a connection to a local server's `port` looks like in /proc/net/tcp and tcp6.
enum SocketSide: Hashable {
    /// The client's end, still established.
    case clientEstablished
    /// The server's end in CLOSE_WAIT: the client has closed, the server has not.
    case hubHalfClosed
    case other
}

func sockets(port: Int) -> [SocketSide] {
    let suffix = String(format: ":%04X", port)
    return ["/proc/net/tcp", "/proc/net/tcp6"].flatMap { path -> [SocketSide] in
        guard let table = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return table.split(separator: "\n").dropFirst().compactMap { line -> SocketSide? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3 else { return nil }
            if fields[2].hasSuffix(suffix), fields[3] == "01" { return .clientEstablished }
            if fields[1].hasSuffix(suffix), fields[3] == "08" { return .hubHalfClosed }
            return fields[1].hasSuffix(suffix) || fields[2].hasSuffix(suffix) ? .other : nil
        }
    }
}

/// A flag set once, read from anywhere.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// Runs a command with a 20 s limit, returning its exit status and combined output.
func run(_ path: String, _ arguments: [String], input: String? = nil) async throws -> ProcessOutput {
    try await runProgram(path, arguments, input: input, limit: 20)
}

/// HTTP/2 spoken by hand over mutual TLS, for what a client library would not do: leave a request's body
/// unfinished, close its side mid-request. Records the frames the hub sends (type and stream).
final class RawHTTP2Connection: Sendable {
    struct Frame: Sendable {
        var type: UInt8
        var stream: UInt32
    }

    let channel: any Channel
    let closed = Flag()
    private let reader: FrameReader
    var frames: [Frame] { reader.frames }

    init(to hub: LiveHub, as identity: FederationIdentity) async throws {
        var tls = try FederationTLS.clientConfiguration(
            certificatePath: hub.pki.certificatePath(for: identity), keyPath: hub.pki.keyPath(for: identity),
            caPath: hub.pki.caCertificatePath)
        tls.applicationProtocols = ["h2"]
        let context = try NIOSSLContext(configuration: tls)
        let reader = FrameReader()
        self.reader = reader
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(reader)
                }
            }
            .connect(host: "127.0.0.1", port: hub.port).get()
        let closed = self.closed
        channel.closeFuture.whenComplete { _ in closed.set() }
    }

    /// The preface, empty SETTINGS, and the HEADERS (stream 1) of a POST of a replication batch whose body
    /// does not follow yet (no END_STREAM flag); returns once the hub's SETTINGS came back. Header block:
    /// :method POST and :scheme https from HPACK's static table, :path and :authority as literals with
    /// static names.
    func startBatch() async throws {
        func literal(_ index: UInt8, _ value: String) -> [UInt8] { [0x40 | index, UInt8(value.utf8.count)] + Array(value.utf8) }
        let block: [UInt8] = [0x83, 0x87] + literal(4, "/v1/replication/batches") + literal(1, "localhost")
        var bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 0x04, 0, 0, 0, 0, 0]
        bytes += [0, 0, UInt8(block.count), 0x01, 0x04, 0, 0, 0, 1] + block
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        try await waitFor(seconds: 10, "the hub's SETTINGS") { frames.contains { $0.type == 0x04 } }
    }

    /// Splits what arrives into HTTP/2 frames (9-byte header: length, type, flags, stream).
    private final class FrameReader: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let state = Mutex((pending: [UInt8](), frames: [Frame]()))
        var frames: [Frame] { state.withLock { $0.frames } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            state.withLock { state in
                state.pending += bytes
                while state.pending.count >= 9 {
                    let length = Int(state.pending[0]) << 16 | Int(state.pending[1]) << 8 | Int(state.pending[2])
                    guard state.pending.count >= 9 + length else { break }
                    let stream = state.pending[5..<9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7fff_ffff
                    state.frames.append(Frame(type: state.pending[3], stream: stream))
                    state.pending.removeFirst(9 + length)
                }
            }
        }
    }
}
