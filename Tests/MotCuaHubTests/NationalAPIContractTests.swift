import AsyncHTTPClient
import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaProtocol
import MotCuaSecurity
import NIOCore
import NIOHTTP1
import Testing

/// Every route of `NationalAPI` through the shipped `APIClient`, over the hub's mutual TLS with an
/// operator's certificate: the client's paths and answer types are the hub's.
@Suite("National API contract", .timeLimit(.minutes(3)))
struct NationalAPIContractTests {
    @Test func everyRouteOfTheTypedClientIsServedAndDecodes() async throws {
        let hub = try await LiveHub()
        defer { hub.stop() }
        let code = "000.01.01.H01-260302-0001"
        #expect(try await hub.call(.node("p01"), .POST, "/v1/replication/batches", body: try JSONValue.from(batch(node: "p01", count: 3))).0 == 200)
        let http = try hub.client(.operator("alice"))
        defer { Task { try? await http.shutdown() } }
        let national = APIClient(baseURL: hub.url, http: http, timeout: .seconds(10))

        #expect(try await national.send(NationalAPI.health()).status == "ok")
        let ready = try await national.send(NationalAPI.ready())
        #expect(ready.isReady && ready.nodes >= 1 && ready.members == 2)
        let status = try await national.send(NationalAPI.status())
        let p01 = try #require(status.nodes.first { $0.id == "p01" })
        #expect(p01.appliedSeq == 3 && p01.dossiers == 1 && p01.member && p01.lastContactAt != nil)
        #expect(status.totals.dossiers == 1 && status.totals.byStatus["4"] == 1)

        let journey = try await national.send(NationalAPI.dossier(code))
        #expect(journey.dossier.code == code && journey.dossier.node == "p01" && journey.dossier.status == 4)
        #expect(journey.dossier.procedureCode == "1.004873" && journey.dossier.submittedAt != nil && journey.transfers.isEmpty)
        let page = try await national.send(NationalAPI.dossiers(.init(node: "p01", status: 4, limit: 10)))
        #expect(page.items.map(\.code) == [code] && page.nextCursor == nil)
        #expect(try await national.send(NationalAPI.dossiers(.init(crossNode: true))).items.isEmpty)
        let mailbox = try await national.send(NationalAPI.mailbox())
        #expect(mailbox.destinations.isEmpty && mailbox.items.isEmpty)

        let added = try await national.send(NationalAPI.admit("p09"))
        #expect(added.node == "p09" && added.member && added.added == true)
        #expect(try await national.send(NationalAPI.admit("p09")).added == false)
        #expect(try await national.send(NationalAPI.nodes()).items.contains { $0.id == "p09" && $0.member })
        let dismissed = try await national.send(NationalAPI.dismiss("p09"))
        #expect(dismissed.node == "p09" && !dismissed.member)
        do {
            _ = try await national.send(NationalAPI.release("p01"))
            Issue.record("releasing a node that is not quarantined succeeded")
        } catch let error as APIError {
            #expect(error.status == 404 && error.code == "node.not-quarantined", "\(error)")
        }
        // Not found is a problem with its code, for a dossier the index does not hold.
        do {
            _ = try await national.send(NationalAPI.dossier("000.01.01.H01-260302-9999"))
            Issue.record("an unknown dossier was found")
        } catch let error as APIError {
            #expect(error.code == "dossier.not-found", "\(error)")
        }
    }
}
