import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MotCuaAPI
import MotCuaCore
import MotCuaStore
import NIOCore
import NIOHTTP1
import Testing

@testable import MotCuaNode

extension RouterClient {
    /// Sends a request of the shipped client's `NodeAPI` through the in-process router and reads the answer
    /// as `APIClient` does: the same path, query, body and headers, the same decoder.
    func send<Answer>(_ request: APIRequest<Answer>, token: String? = nil) async throws -> Answer {
        var headers: HTTPFields = [.accept: "application/json"]
        if let contentType = request.contentType { headers[.contentType] = contentType }
        if let token { headers[.authorization] = "Bearer \(token)" }
        if request.idempotent { headers[HTTPField.Name("Idempotency-Key")!] = UUID().uuidString.lowercased() }
        let method = HTTPRequest.Method(rawValue: request.method.rawValue)!
        let (status, body) = try await client.execute(
            uri: request.target, method: method, headers: headers, body: request.body.map { ByteBuffer(bytes: $0) }
        ) { response in (response.status.code, Data(response.body.readableBytesView)) }
        guard (200..<300).contains(status) else {
            throw APIError.problem(status: status, code: "", detail: String(decoding: body, as: UTF8.self), body: nil)
        }
        return try APIJSON.decoder.decode(Answer.self, from: body)
    }
}

/// Every route of `NodeAPI` against the node's real routes: the client's paths, bodies and answer types are
/// the server's (a member renamed on one side, a path mistyped, a time written differently fails here).
@Suite("Node API contract", .timeLimit(.minutes(3)))
struct NodeAPIContractTests {
    @Test func everyRouteOfTheTypedClientIsServedAndDecodes() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            #expect(try await api.send(NodeAPI.health()).status == "ok")
            let ready = try await api.send(NodeAPI.ready())
            #expect(ready.isReady && ready.procedures > 0 && ready.units > 0)

            let page = try await api.send(NodeAPI.procedures(.init(level: .commune, limit: 5)))
            #expect(page.items.count == 5 && page.items.allSatisfy { $0.level == .commune } && page.nextCursor != nil)
            let next = try await api.send(NodeAPI.procedures(.init(level: .commune, cursor: page.nextCursor, limit: 5)))
            #expect(Set(next.items.map(\.code)).isDisjoint(with: page.items.map(\.code)))
            let procedure = try await api.send(NodeAPI.procedure("1.004873"))
            #expect(procedure.code == "1.004873" && procedure.components.contains { $0.mandatory })
            let units = try await api.send(NodeAPI.units()).items
            #expect(units.contains { $0.code == "P01.D01.C01" && $0.level == .commune })
            #expect(try await api.send(NodeAPI.federationUnits()).items.isEmpty)

            // Filed online: the answer carries the receipt's lookup secret only when the receipt is issued.
            let applicant = Applicant(idNumber: idNumber, fullName: "Nguyễn Văn An", birthDate: LocalDate(iso: "1995-04-12"))
            let files = ["TP1", "TP2"].map { (code: String) in UploadBody(code: code, fileName: "\(code).pdf", bytes: Data("tệp \(code)".utf8)) }
            let filed = try await api.send(NodeAPI.file(SubmissionBody(procedureCode: "1.004873", applicant: applicant, components: files, unit: "P01.D01.C01")))
            #expect(filed.status == 1 && filed.dossier.applicant.birthDate == LocalDate(iso: "1995-04-12"))
            #expect(filed.allowedActions.contains("receive") && filed.receivingUnitName != nil)
            let code = filed.code

            let receiver = try await api.send(NodeAPI.login(username: "receiver", password: "motcua-demo"))
            #expect(receiver.username == "receiver" && receiver.roles.contains(.receiver) && receiver.expiresAt > node.clock.now)
            let received = try await api.send(NodeAPI.act(code, .receive), token: receiver.token)
            guard case .receipt(let receipt)? = received.form else { Issue.record("no receipt: \(String(describing: received.form))"); return }
            #expect(receipt.dossierCode == code && received.dossier.state == .received)
            let secret = try #require(received.lookupSecret)
            #expect(received.dossier.dueAt != nil && receipt.appointmentAt == received.dossier.dueAt)

            // The public lookup by the receipt's secret and by the ID number: the same dossier, its timeline.
            let bySecret = try await api.send(NodeAPI.lookup(code, LookupBody(lookupSecret: secret)))
            let byID = try await api.send(NodeAPI.lookup(code, LookupBody(idNumber: idNumber)))
            #expect(bySecret.code == code && byID.code == code && bySecret.status == 2)
            #expect(bySecret.timeline.map(\.event) == ["dossier.submitted", "dossier.received"] && bySecret.journeySource == "local")
            #expect(bySecret.holderUnit.code == "P01.D01.C01" && bySecret.journey.last?.current == true)

            let leader = try await api.send(NodeAPI.login(username: "leader", password: "motcua-demo")).token
            let specialist = try await api.send(NodeAPI.login(username: "specialist", password: "motcua-demo")).token
            _ = try await api.send(NodeAPI.act(code, .assign, ActionBody(assignee: "specialist")), token: leader)
            let asked = try await api.send(NodeAPI.act(code, .requestSupplement, ActionBody(items: ["Bản sao sổ hộ khẩu"])), token: specialist)
            guard case .supplementRequest(let request)? = asked.form else { Issue.record("no supplement request"); return }
            #expect(request.items == ["Bản sao sổ hộ khẩu"])
            // The applicant supplements without a session, the ID number in the body.
            let supplemented = try await api.send(NodeAPI.actAsApplicant(
                code, .supplement, ActionBody(note: "đã bổ sung", components: [UploadBody(code: "TP3", fileName: "so.pdf", bytes: Data("sổ".utf8))], idNumber: idNumber)))
            #expect(supplemented.statusName == DossierState.supplemented.statusName)

            let officerView = try await api.send(NodeAPI.dossier(code), token: leader)
            #expect(officerView.dossier.state == .supplemented && officerView.dossier.assignee == "specialist")
            let queue = try await api.send(NodeAPI.queue(.init(unit: "P01.D01.C01", status: 4, limit: 10)), token: leader)
            #expect(queue.items.map(\.code) == [code])
            #expect(try await api.send(NodeAPI.queue(.init(overdue: true)), token: leader).items.isEmpty)
            let events = try await api.send(NodeAPI.events(code), token: leader).items
            #expect(events.count == 5 && events.allSatisfy { $0.dossierCode == code })
            let components = try await api.send(NodeAPI.components(code, includeContent: true), token: leader).items
            #expect(Set(components.map(\.code)) == ["TP1", "TP2", "TP3"])
            #expect(components.first { $0.code == "TP3" }?.contentBase64 == Data("sổ".utf8).base64EncodedString())
            #expect(try await api.send(NodeAPI.components(code), token: leader).items.allSatisfy { $0.contentBase64 == nil })
            let sheet = try await api.send(NodeAPI.controlSheet(code), token: leader)
            #expect(sheet.form == "06" && sheet.dossierCode == code && sheet.currentUnit == "P01.D01.C01")
            #expect(try await api.send(NodeAPI.transfers(limit: 10), token: leader).items.isEmpty)

            let admin = try await api.send(NodeAPI.login(username: "admin", password: "motcua-demo")).token
            let chain = try await api.send(NodeAPI.verifyLog(), token: admin)
            #expect(chain.intact && chain.headSeq >= 5)
            let saved = try await api.send(
                NodeAPI.saveOfficer(OfficerBody(username: "desk2", fullName: "Lê Thị Hoa", password: "một mật khẩu dài", roles: [.receiver], units: ["P01.D01.C01"])),
                token: admin)
            #expect(saved.username == "desk2")
            #expect(try await api.send(NodeAPI.officers(), token: admin).items.contains { $0.username == "desk2" && $0.active })
            let rule = CalendarRule(
                id: "contract-day-off", kind: .dayOff, date: LocalDate(iso: "2026-03-20")!, name: "Nghỉ theo quyết định",
                effectiveFrom: VietnamTime.parseISO8601("2026-03-02T08:00:00+07:00"))
            #expect(try await api.send(NodeAPI.saveCalendarRule(rule), token: admin).effectiveFrom == rule.effectiveFrom)
            #expect(try await api.send(NodeAPI.calendarRules()).items.contains { $0.id == rule.id })
            #expect(try await api.send(NodeAPI.holidays(year: 2026)).items.contains { $0.date == LocalDate(iso: "2026-03-20") })

            let patched = try await api.send(NodeAPI.updateOfficer("desk2", OfficerPatchBody(fullName: "Lê Thị Hoà", active: false)), token: admin)
            #expect(patched.fullName == "Lê Thị Hoà" && !patched.active)
            // Two admins deactivating each other at once: one wins, the node keeps an active admin.
            _ = try await api.send(NodeAPI.saveOfficer(OfficerBody(username: "admin2", fullName: "Phó quản trị", password: "mật khẩu thứ hai", roles: [.admin], units: [])), token: admin)
            let results = await withTaskGroup(of: Bool.self) { group in
                for name in ["admin", "admin2"] {
                    group.addTask { (try? await api.send(NodeAPI.updateOfficer(name, OfficerPatchBody(active: false)), token: admin)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count <= 1)
            let stillAdmin = try await node.service.database.officers().filter { $0.active && $0.roles.contains(.admin) }
            #expect(stillAdmin.count == 1, "\(stillAdmin.map(\.username))")
            // Whichever lost its account lost its sessions too: go on as the one left.
            let survivor = try #require(stillAdmin.first?.username)
            let left = try await api.send(NodeAPI.login(username: survivor, password: survivor == "admin" ? "motcua-demo" : "mật khẩu thứ hai")).token

            let imported = try await api.send(NodeAPI.importUnits([SampleUnits.hanoi[0]]), token: left)
            #expect(imported.imported == 1 && imported.units == units.count)

            // A route the client names whose answer is a problem here (nothing to accept): the node's
            // problem, not an unknown route.
            do {
                _ = try await api.send(NodeAPI.acceptLogLoss(reason: "nothing was lost"), token: left)
                Issue.record("accepting a loss that did not happen succeeded")
            } catch APIError.problem(let status, _, let detail, _) {
                #expect(status != 404 && !detail.contains("route.not-found"), "\(status) \(detail)")
            }
        }
    }

    @Test func theFirstAdminOfANodeWithoutOfficers() async throws {
        let node = try await NodeHarness(seed: false)
        defer { node.remove() }
        let token = try #require(try await node.service.prepareBootstrap())
        try await node.run { api in
            let admin = try await api.send(NodeAPI.bootstrap(BootstrapBody(token: token, username: "root", fullName: "Quản trị", password: "một mật khẩu dài")))
            #expect(admin.username == "root" && admin.roles == [.admin] && admin.units.isEmpty)
            let session = try await api.send(NodeAPI.login(username: "root", password: "một mật khẩu dài"))
            #expect(try await api.send(NodeAPI.officers(), token: session.token).items.map(\.username) == ["root"])
        }
        #expect(try await node.service.prepareBootstrap() == nil)
    }
}
