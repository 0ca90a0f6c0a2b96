import AsyncHTTPClient
import Foundation
import Logging
import MotCuaAPI
@testable import MotCuaHub
import MotCuaSecurity
import NIOCore
import NIOHTTP1
import Testing

@Suite("The hub's probes without a client certificate", .timeLimit(.minutes(3)))
struct HubProbeTests {
    @Test func theLoopbackListenerAnswersHealthAndReadinessOnly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-probe-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pki = PKIDirectory(path: directory + "/pki")
        try pki.initialise(now: Date())
        try pki.issue(.hub, now: Date())
        var logger = Logger(label: "hub-probe-test")
        logger.logLevel = .critical
        var configuration = HubConfiguration(dataDirectory: directory + "/hub", federationPort: 0, pki: pki)
        configuration.members = ["p01", "p02"]
        let bound = AsyncStream<HubPorts>.makeStream()
        let hub = try await buildHub(configuration: configuration, logger: logger, healthPort: 0) { bound.continuation.yield($0) }
        let task = Task { try await hub.run() }
        defer { task.cancel() }
        var ports = bound.stream.makeAsyncIterator()
        let health = try #require(await ports.next()?.health)

        let probes = APIClient(baseURL: "http://127.0.0.1:\(health)")
        #expect(try await probes.send(NationalAPI.health()).status == "ok")
        let ready = try await probes.send(NationalAPI.ready())
        #expect(ready.isReady && ready.members == 2 && ready.problem == nil)
        // Nothing else is served there: the national API needs the operator's certificate.
        #expect(try await probes.response(NationalAPI.status()).status == 404)
        #expect(try await probes.response(NationalAPI.nodes()).status == 404)
        await hub.shutDown()
        _ = try? await task.value
    }
}
