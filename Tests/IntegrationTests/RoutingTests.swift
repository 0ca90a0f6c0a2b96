import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaTestSupport
import Testing

/// Officers and citizens of the harness's nodes, through their public APIs.
struct Desk {
    let federation: LocalFederationHarness

    func api(_ node: String, token: String? = nil) -> APIClient { nodeAPI(federation.nodeURL(node)).authorized(token) }

    func token(_ node: String, _ username: String) async throws -> String {
        try await api(node).send(NodeAPI.login(username: username, password: "motcua-demo")).token
    }

    /// Files a dossier with every mandatory component of the procedure; online, or at a counter with a token.
    func file(_ node: String, procedure: String, unit: String?, idNumber: String, name: String, token: String? = nil) async throws -> String {
        let described = try await api(node).send(NodeAPI.procedure(procedure))
        let components = described.components.filter(\.mandatory).map { component in
            UploadBody(code: component.code, fileName: "\(component.code).pdf", bytes: Data("\(procedure) \(component.code) của \(name)".utf8))
        }
        let body = SubmissionBody(
            procedureCode: procedure, channel: token == nil ? .online : .counter, applicant: Applicant(idNumber: idNumber, fullName: name),
            components: components, unit: unit)
        let filed = try await api(node, token: token).response(NodeAPI.file(body))
        #expect(filed.status == 201, "\(node): \(String(decoding: filed.body, as: UTF8.self))")
        return try filed.decoded(DossierView.self).code
    }

    @discardableResult
    func act(_ node: String, _ code: String, _ action: DossierAction, token: String, _ body: ActionBody = .init()) async throws -> DossierView {
        let answer = try await api(node, token: token).response(NodeAPI.act(code, action, body))
        #expect(answer.status == 200, "\(node) \(action.rawValue) \(code): \(String(decoding: answer.body, as: UTF8.self))")
        return try answer.decoded(DossierView.self)
    }

    /// The dossier as the officer sees it; nil while the node does not hold it.
    func dossier(_ node: String, _ code: String, token: String) async throws -> Dossier? {
        let answer = try await api(node, token: token).response(NodeAPI.dossier(code))
        return answer.status == 200 ? try answer.decoded(DossierView.self).dossier : nil
    }

    /// Waits until the node holds the dossier in `state`.
    func waitUntil(_ node: String, _ code: String, state: DossierState, token: String, timeout: TimeInterval = 15) async throws {
        try await waitFor(seconds: timeout) { try await dossier(node, code, token: token)?.state == state }
    }

    /// Waits until the node knows a unit of another node (from the hub's directory).
    func waitForDirectory(_ node: String, unit: String) async throws {
        try await waitFor(seconds: 20) { try await api(node).send(NodeAPI.federationUnits()).items.contains { $0.code == unit } }
    }

    /// The dossier in the national index, nil while it is not there yet.
    func national(_ code: String) async -> JourneyAnswer? {
        try? await federation.national.send(NationalAPI.dossier(code))
    }

    /// The national journey: (node, unit) per stay.
    func journey(_ code: String) async throws -> [(node: String, unit: String)] {
        (await national(code)?.path ?? []).map { ($0.node ?? "?", $0.unit) }
    }
}

/// Runs a test against a fresh local federation and always stops it, whether the test passes or throws.
func withFederation(_ body: (LocalFederationHarness) async throws -> Void) async throws {
    let federation = try await LocalFederationHarness()
    do {
        try await body(federation)
    } catch {
        await federation.shutdown()
        throw error
    }
    await federation.shutdown()
}

extension FederationTests {
    /// Liên thông: dossiers that cross levels inside a node and cross nodes through the hub's router.
    @Suite("Routing between levels and nodes (real processes)", .timeLimit(.minutes(3)))
    struct Routing {
        @Test func communeToDistrictToProvinceInsideOneNode() async throws {
            try await withFederation { federation in
                let desk = Desk(federation: federation)
                let receiver = try await desk.token("p01", "receiver")
                let leader = try await desk.token("p01", "leader")
                let code = try await desk.file("p01", procedure: "1.010801", unit: "P01.D01.C01", idNumber: "001195012345", name: "Trần Văn Bình")
                try await desk.act("p01", code, .receive, token: receiver)
                // No unit named: each forward follows the procedure's next stage.
                #expect(try await desk.act("p01", code, .forward, token: receiver).dossier.holderUnit == "P01.D01")
                #expect(try await desk.act("p01", code, .forward, token: receiver).dossier.holderUnit == "P01")
                try await desk.act("p01", code, .assign, token: leader, ActionBody(assignee: "leader"))
                // The decision goes back to the commune desk where the applicant filed.
                #expect(try await desk.act("p01", code, .decide, token: leader, ActionBody(outcome: "approved")).dossier.holderUnit == "P01.D01.C01")
                try await desk.act("p01", code, .returnResult, token: receiver)

                let sheet = try await desk.api("p01", token: receiver).send(NodeAPI.controlSheet(code))
                #expect(sheet.form == "06")
                #expect(sheet.rows.map(\.toUnit) == ["P01.D01", "P01", "P01.D01.C01"])
                #expect(sheet.rows.allSatisfy { $0.handedOverBy?.hasPrefix("officer:") == true })

                try await waitFor(seconds: 5) { await desk.national(code)?.dossier.status == 10 }
                let national = try #require(await desk.national(code))
                #expect(national.path.map(\.level) == ["commune", "district", "province", "commune"])
                #expect(national.path.allSatisfy { $0.leftAt != nil }, "a returned dossier's journey is closed: \(national.path)")
                #expect(national.dossier.crossNode == false)
            }
        }

        @Test func provinceToMinistryAndBackWithTheResultDocument() async throws {
            try await withFederation { federation in
                let desk = Desk(federation: federation)
                let receiver = try await desk.token("p79", "receiver")
                let ministry = try await desk.token("m-bca", "leader")
                let code = try await desk.file("p79", procedure: "1.010802", unit: nil, idNumber: "079301000123", name: "John Smith", token: receiver)
                let forwarded = try await desk.act("p79", code, .forward, token: receiver).dossier
                #expect(forwarded.state == .transferred && forwarded.holderUnit == "M-BCA.C01")
                // Taken in at the ministry, with the components (checked by SHA-256 on the way).
                try await desk.waitUntil("m-bca", code, state: .forwarded, token: ministry)
                let there = try #require(try await desk.dossier("m-bca", code, token: ministry))
                #expect(there.receivingNode == "p79" && there.holderNode == "m-bca")
                let files = try await desk.api("m-bca", token: ministry).send(NodeAPI.components(code))
                #expect(files.items.count == 4, "\(files.items.map(\.fileName))")
                // The ministry cannot hand the result to the citizen: that happens where they filed.
                try await desk.act("m-bca", code, .assign, token: ministry, ActionBody(assignee: "leader"))
                let card = UploadBody(code: nil, fileName: "the-thuong-tru.pdf", bytes: Data("thẻ thường trú".utf8))
                try await desk.act("m-bca", code, .decide, token: ministry, ActionBody(outcome: "approved", resultSummary: "Cấp thẻ thường trú", resultDocument: card))
                try await desk.waitUntil("p79", code, state: .decided, token: receiver)
                let back = try await desk.api("p79", token: receiver).send(NodeAPI.components(code, includeContent: true))
                #expect(back.items.contains { $0.fileName == "the-thuong-tru.pdf" && $0.contentBase64 == card.contentBase64 },
                        "the result document came back: \(back.items.map(\.fileName))")
                try await desk.act("p79", code, .returnResult, token: receiver, ActionBody(satisfaction: 5))

                try await waitFor(seconds: 5) { await desk.national(code)?.dossier.status == 10 }
                let national = try #require(await desk.national(code))
                #expect(national.dossier.receivingNode == "p79" && national.dossier.competentNode == "m-bca")
                #expect(national.dossier.holderNode == "p79" && national.dossier.crossNode)
                #expect(national.dossier.finishedAt != nil)
                #expect(try await desk.journey(code).map(\.node) == ["p79", "m-bca", "p79"])
                #expect(national.transfers.count == 2 && national.transfers.allSatisfy { $0.state == "acknowledged" })
                // The citizen's lookup at the filing node shows the whole journey.
                let lookup = try await desk.api("p79").send(NodeAPI.lookup(code, LookupBody(idNumber: "079301000123")))
                #expect(lookup.journeySource == "hub")
                #expect(lookup.journey.map(\.node) == ["p79", "m-bca", "p79"])
                // Nothing of the dossier stays at the hub once delivered: no envelope left in the mailbox file.
                let mailbox = try Data(contentsOf: URL(fileURLWithPath: federation.stateDir + "/hub/mailbox.sqlite"))
                let wal = (try? Data(contentsOf: URL(fileURLWithPath: federation.stateDir + "/hub/mailbox.sqlite-wal"))) ?? Data()
                #expect(mailbox.range(of: Data("John Smith".utf8)) == nil && wal.range(of: Data("John Smith".utf8)) == nil)
            }
        }

        @Test func filingAnywhereBetweenTwoProvincesAndSendBack() async throws {
            try await withFederation { federation in
                let desk = Desk(federation: federation)
                try await desk.waitForDirectory("p01", unit: "P79")
                let receiver = try await desk.token("p01", "receiver")
                let leader79 = try await desk.token("p79", "leader")
                // A Hồ Chí Minh resident files at Hà Nội's centre; Hồ Chí Minh decides.
                let code = try await desk.file("p01", procedure: "2.000488", unit: "P79", idNumber: "079095012345", name: "Lê Thị Cúc", token: receiver)
                let filed = try #require(try await desk.dossier("p01", code, token: receiver))
                #expect(filed.receivingUnit == "P01" && filed.competentUnit == "P79" && filed.competentNode == "p79")
                try await desk.act("p01", code, .forward, token: receiver)
                try await desk.waitUntil("p79", code, state: .forwarded, token: leader79)
                try await desk.act("p79", code, .assign, token: leader79, ActionBody(assignee: "leader"))
                try await desk.act("p79", code, .decide, token: leader79, ActionBody(outcome: "approved"))
                try await desk.waitUntil("p01", code, state: .decided, token: receiver)
                try await desk.act("p01", code, .returnResult, token: receiver)

                // A second one is sent back by Hồ Chí Minh with a reason, and lands at Hà Nội's desk again.
                let other = try await desk.file("p01", procedure: "2.000488", unit: "P79", idNumber: "079095054321", name: "Võ Văn Dũng", token: receiver)
                try await desk.act("p01", other, .forward, token: receiver)
                try await desk.waitUntil("p79", other, state: .forwarded, token: leader79)
                try await desk.act("p79", other, .sendBack, token: leader79, ActionBody(reason: "Người nộp không cư trú tại thành phố"))
                try await desk.waitUntil("p01", other, state: .forwarded, token: receiver)
                let returned = try #require(try await desk.dossier("p01", other, token: receiver))
                #expect(returned.lastSendBackReason?.contains("không cư trú") == true)
                #expect(returned.holderUnit == "P01")

                try await waitFor(seconds: 5) {
                    let first = await desk.national(code), second = await desk.national(other)
                    return first?.dossier.status == 10 && second?.dossier.holderNode == "p01"
                }
                let cross = try await federation.national.send(NationalAPI.dossiers(.init(receivingNode: "p01", crossNode: true)))
                #expect(Set(cross.items.map(\.code)) == [code, other])
                let held = try await federation.national.send(NationalAPI.dossiers(.init(status: 10, holderNode: "p01", crossNode: true)))
                #expect(held.items.map(\.code) == [code])
                #expect(try await desk.journey(other).map(\.node) == ["p01", "p79", "p01"])
            }
        }

        @Test func destinationDownThenHubDownThenDeliveredOnce() async throws {
            try await withFederation { federation in
                let desk = Desk(federation: federation)
                let receiver = try await desk.token("p79", "receiver")
                // The destination is killed: the transfer waits in its mailbox, visible to operators with its age.
                kill(try federation.pid("m-bca"), SIGKILL)
                let first = try await desk.file("p79", procedure: "1.010802", unit: nil, idNumber: "079301000124", name: "Anna Berg", token: receiver)
                try await desk.act("p79", first, .forward, token: receiver)
                try await waitFor(seconds: 10) {
                    try await federation.national.send(NationalAPI.mailbox()).items.contains { $0.dossier == first && $0.destination == "m-bca" }
                }
                // Then the hub is killed during routing: the source keeps the next transfer pending and retries.
                kill(try federation.pid("hub"), SIGKILL)
                let second = try await desk.file("p79", procedure: "1.010802", unit: nil, idNumber: "079301000125", name: "Boris Lind", token: receiver)
                try await desk.act("p79", second, .forward, token: receiver)
                try await waitFor(seconds: 10) {
                    try await desk.api("p79", token: receiver).send(NodeAPI.transfers()).items.contains { item in
                        item.dossier == second && item.state == "pending" && item.lastError != nil
                    }
                }
                try await federation.restartHub()
                try await federation.restartNode("m-bca")
                let ministry = try await desk.token("m-bca", "leader")
                try await desk.waitUntil("m-bca", first, state: .forwarded, token: ministry, timeout: 60)
                try await desk.waitUntil("m-bca", second, state: .forwarded, token: ministry, timeout: 60)
                // Exactly one holder each, once, with a complete journey.
                for code in [first, second] {
                    try await waitFor(seconds: 10) { await desk.national(code)?.dossier.holderNode == "m-bca" }
                    #expect(try await desk.journey(code).map(\.node) == ["p79", "m-bca"])
                    let events = try await desk.api("m-bca", token: ministry).send(NodeAPI.events(code)).items
                    #expect(events.filter { $0.kind == "dossier.transfer-received" }.count == 1, "\(events.map(\.kind))")
                    #expect(try await desk.dossier("p79", code, token: receiver)?.state == .transferred)
                }
                #expect(try await federation.nodeCodes("m-bca").isSuperset(of: [first, second]))

                // Killed while a delivery may be under way: after its restart the dossier is there once.
                let third = try await desk.file("p79", procedure: "1.010802", unit: nil, idNumber: "079301000127", name: "Dora Falk", token: receiver)
                try await desk.act("p79", third, .forward, token: receiver)
                try await Task.sleep(for: .milliseconds(30))
                kill(try federation.pid("m-bca"), SIGKILL)
                try await federation.restartNode("m-bca")
                let again = try await desk.token("m-bca", "leader")
                try await desk.waitUntil("m-bca", third, state: .forwarded, token: again, timeout: 60)
                let events = try await desk.api("m-bca", token: again).send(NodeAPI.events(third)).items
                #expect(events.filter { $0.kind == "dossier.transfer-received" }.count == 1)
                try await waitFor(seconds: 10) { await desk.national(third)?.dossier.holderNode == "m-bca" }
                #expect(try await desk.journey(third).map(\.node) == ["p79", "m-bca"])
            }
        }

        @Test func partitionedDestinationGetsTheTransferAfterTheLinkHeals() async throws {
            try await withFederation { federation in
                let desk = Desk(federation: federation)
                // m-bca reaches the hub through a proxy the test controls.
                let proxy = try await TCPProxy(targetPort: federation.hubFederationPort)
                defer { Task { await proxy.stop() } }
                let old = try federation.pid("m-bca")
                kill(old, SIGTERM)
                // Gone for good (port and database free) before it starts again behind the proxy.
                try await waitFor(seconds: 20) { kill(old, 0) != 0 }
                try await federation.restartNode("m-bca", hubURL: "https://localhost:\(proxy.port)")
                let receiver = try await desk.token("p79", "receiver")
                let ministry = try await desk.token("m-bca", "leader")

                proxy.cut()
                let code = try await desk.file("p79", procedure: "1.010802", unit: nil, idNumber: "079301000126", name: "Carl Holm", token: receiver)
                try await desk.act("p79", code, .forward, token: receiver)
                // For 20 s the ministry cannot reach the hub: the dossier waits in its mailbox.
                let cutAt = Date()
                while Date().timeIntervalSince(cutAt) < 20 {
                    #expect(try await desk.dossier("m-bca", code, token: ministry) == nil)
                    try await Task.sleep(for: .seconds(2))
                }
                let waiting = try await federation.national.send(NationalAPI.mailbox()).items
                #expect(waiting.contains { $0.dossier == code })
                proxy.heal()
                try await desk.waitUntil("m-bca", code, state: .forwarded, token: ministry, timeout: 30)
                try await waitFor(seconds: 10) { await desk.national(code)?.dossier.holderNode == "m-bca" }
                #expect(try await desk.journey(code).map(\.node) == ["p79", "m-bca"])
            }
        }
    }
}
