import AsyncHTTPClient
import Foundation
import MotCuaSecurity
import NIOCore
import NIOHTTP1
import MotCuaTestSupport
import Testing

@Suite("The hub's own certificate re-read without a restart", .timeLimit(.minutes(3)))
struct HubCertificateReloadTests {
    /// Status of GET /healthz on a fresh connection as the operator; nil when the handshake fails.
    static func health(_ hub: LiveHub) async -> Int? {
        guard let client = try? hub.client(.operator("alice")) else { return nil }
        defer { Task { try? await client.shutdown() } }
        return (try? await client.execute(HTTPClientRequest(url: hub.url + "/healthz"), timeout: .seconds(5))).map { Int($0.status.code) }
    }

    @Test func aReissuedHubCertificateIsServedFromTheNextConnection() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        #expect(await Self.health(hub) == 200)
        // Re-issued for the host the hub moves to: a client that reaches it as localhost now refuses it.
        var names = HostNames()
        try names.add(dns: "hub.motcua.example.vn")
        try hub.pki.issue(.hub, now: Date(), hostNames: names)
        try await waitFor(seconds: 10, "the hub to serve its new certificate") { await Self.health(hub) == nil }
        // And back: localhost is named again and the same client is served.
        try hub.pki.issue(.hub, now: Date())
        try await waitFor(seconds: 10, "the hub to serve the certificate naming localhost") { await Self.health(hub) == 200 }
    }
}
