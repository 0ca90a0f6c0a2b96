import Foundation
import MotCuaCore
import NIOHTTP1
import MotCuaTestSupport
import Testing

extension JSONValue {
    /// The `items` of a page, empty when absent.
    var items: [JSONValue] {
        if case .array(let list)? = self["items"] { return list }
        return []
    }
}

/// Officers and citizens of the harness's nodes, through their public APIs.
struct Desk {
    let federation: LocalFederationHarness

    func token(_ node: String, _ username: String) async throws -> String {
        let login = try await HTTP.call(.POST, federation.nodeURL(node) + "/v1/auth/token", json: .object([
            "username": .string(username), "password": .string("motcua-demo"),
        ]))
        return try #require(login.json["token"]?.stringValue, "\(node) \(username): \(login.json)")
    }

    /// Files a dossier with every mandatory component of the procedure; online, or at a counter with a token.
    func file(_ node: String, procedure: String, unit: String?, idNumber: String, name: String, token: String? = nil) async throws -> String {
        let described = try await HTTP.call(.GET, federation.nodeURL(node) + "/v1/procedures/\(procedure)")
        var components: [JSONValue] = []
        if case .array(let list)? = described.json["components"] {
            for component in list where component["mandatory"] == .bool(true) {
                let code = component["code"]!.stringValue!
                components.append(.object([
                    "code": .string(code), "fileName": .string("\(code).pdf"),
                    "contentBase64": .string(Data("\(procedure) \(code) của \(name)".utf8).base64EncodedString()),
                ]))
            }
        }
        var body: [String: JSONValue] = [
            "procedureCode": .string(procedure), "channel": .string(token == nil ? "online" : "counter"), "components": .array(components),
            "applicant": .object(["idNumber": .string(idNumber), "fullName": .string(name)]),
        ]
        if let unit { body["unit"] = .string(unit) }
        let filed = try await HTTP.call(.POST, federation.nodeURL(node) + "/v1/dossiers", json: .object(body), token: token)
        #expect(filed.status == 201, "\(node): \(filed.json)")
        return try #require(filed.json["code"]?.stringValue)
    }

    @discardableResult
    func act(_ node: String, _ code: String, _ action: String, token: String, _ body: [String: JSONValue] = [:], expect status: Int = 200) async throws -> JSONValue {
        let answer = try await HTTP.call(.POST, federation.nodeURL(node) + "/v1/dossiers/\(code)/actions/\(action)", json: .object(body), token: token)
        #expect(answer.status == status, "\(node) \(action) \(code): \(answer.json)")
        return answer.json
    }

    func dossier(_ node: String, _ code: String, token: String) async throws -> JSONValue? {
        let answer = try await HTTP.call(.GET, federation.nodeURL(node) + "/v1/dossiers/\(code)", token: token)
        return answer.status == 200 ? answer.json : nil
    }

    /// Waits until the node holds the dossier in `state`.
    func waitUntil(_ node: String, _ code: String, state: String, token: String, timeout: TimeInterval = 15) async throws {
        try await waitFor(seconds: timeout) { try await dossier(node, code, token: token)?["state"] == .string(state) }
    }

    /// Waits until the node knows a unit of another node (from the hub's directory).
    func waitForDirectory(_ node: String, unit: String) async throws {
        try await waitFor(seconds: 20) {
            try await HTTP.call(.GET, federation.nodeURL(node) + "/v1/federation/units").json.items.contains { $0["code"] == .string(unit) }
        }
    }

    /// The national journey: (node, unit) per stay.
    func journey(_ code: String) async throws -> [(node: String, unit: String)] {
        guard case .array(let path)? = try await federation.national("/v1/national/dossiers/\(code)")["path"] else { return [] }
        return path.map { ($0["node"]?.stringValue ?? "?", $0["unit"]?.stringValue ?? "?") }
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
                try await desk.act("p01", code, "receive", token: receiver)
                // No unit named: each forward follows the procedure's next stage.
                #expect(try await desk.act("p01", code, "forward", token: receiver)["holderUnit"] == .string("P01.D01"))
                #expect(try await desk.act("p01", code, "forward", token: receiver)["holderUnit"] == .string("P01"))
                try await desk.act("p01", code, "assign", token: leader, ["assignee": .string("leader")])
                // The decision goes back to the commune desk where the applicant filed.
                #expect(try await desk.act("p01", code, "decide", token: leader, ["outcome": .string("approved")])["holderUnit"] == .string("P01.D01.C01"))
                try await desk.act("p01", code, "return", token: receiver)

                let sheet = try await HTTP.call(.GET, federation.nodeURL("p01") + "/v1/dossiers/\(code)/control-sheet", token: receiver).json
                #expect(sheet["form"] == .string("06"))
                guard case .array(let rows)? = sheet["rows"] else { Issue.record("no rows: \(sheet)"); return }
                #expect(rows.map { $0["toUnit"]?.stringValue } == ["P01.D01", "P01", "P01.D01.C01"])
                #expect(rows.allSatisfy { $0["handedOverBy"]?.stringValue?.hasPrefix("officer:") == true })

                try await waitFor(seconds: 5) { try await federation.national("/v1/national/dossiers/\(code)")["status"] == .int(10) }
                let national = try await federation.national("/v1/national/dossiers/\(code)")
                guard case .array(let path)? = national["path"] else { Issue.record("no path"); return }
                #expect(path.map { $0["level"]?.stringValue } == ["commune", "district", "province", "commune"])
                #expect(path.allSatisfy { $0["leftAt"] != .null }, "a returned dossier's journey is closed: \(path)")
                #expect(national["crossNode"] == .bool(false))
            }
        }

        @Test func provinceToMinistryAndBackWithTheResultDocument() async throws {
            try await withFederation { federation in
                let desk = Desk(federation: federation)
                let receiver = try await desk.token("p79", "receiver")
                let ministry = try await desk.token("m-bca", "leader")
                let code = try await desk.file("p79", procedure: "1.010802", unit: nil, idNumber: "079301000123", name: "John Smith", token: receiver)
                let forwarded = try await desk.act("p79", code, "forward", token: receiver)
                #expect(forwarded["state"] == .string("transferred") && forwarded["holderUnit"] == .string("M-BCA.C01"))
                // Taken in at the ministry, with the components (checked by SHA-256 on the way).
                try await desk.waitUntil("m-bca", code, state: "forwarded", token: ministry)
                let there = try #require(try await desk.dossier("m-bca", code, token: ministry))
                #expect(there["receivingNode"] == .string("p79") && there["holderNode"] == .string("m-bca"))
                let files = try await HTTP.call(.GET, federation.nodeURL("m-bca") + "/v1/dossiers/\(code)/components", token: ministry).json
                #expect(files.items.count == 4, "\(files)")
                // The ministry cannot hand the result to the citizen: that happens where they filed.
                try await desk.act("m-bca", code, "assign", token: ministry, ["assignee": .string("leader")])
                let card = Data("thẻ thường trú".utf8)
                try await desk.act("m-bca", code, "decide", token: ministry, [
                    "outcome": .string("approved"), "resultSummary": .string("Cấp thẻ thường trú"),
                    "resultDocument": .object(["fileName": .string("the-thuong-tru.pdf"), "contentBase64": .string(card.base64EncodedString())]),
                ])
                try await desk.waitUntil("p79", code, state: "decided", token: receiver)
                let back = try await HTTP.call(.GET, federation.nodeURL("p79") + "/v1/dossiers/\(code)/components?include=content", token: receiver).json
                #expect(back.items.contains { $0["fileName"] == .string("the-thuong-tru.pdf") }, "the result document came back: \(back)")
                try await desk.act("p79", code, "return", token: receiver, ["satisfaction": .int(5)])

                try await waitFor(seconds: 5) { try await federation.national("/v1/national/dossiers/\(code)")["status"] == .int(10) }
                let national = try await federation.national("/v1/national/dossiers/\(code)")
                #expect(national["receivingNode"] == .string("p79") && national["competentNode"] == .string("m-bca"))
                #expect(national["holderNode"] == .string("p79") && national["crossNode"] == .bool(true))
                #expect(national["finishedAt"] != .null)
                #expect(try await desk.journey(code).map(\.node) == ["p79", "m-bca", "p79"])
                guard case .array(let transfers)? = national["transfers"] else { Issue.record("no transfers"); return }
                #expect(transfers.count == 2 && transfers.allSatisfy { $0["state"] == .string("acknowledged") })
                // The citizen's lookup at the filing node shows the whole journey.
                let lookup = try await HTTP.call(.GET, federation.nodeURL("p79") + "/v1/dossiers/\(code)?idNumber=079301000123").json
                #expect(lookup["journeySource"] == .string("hub"))
                guard case .array(let stops)? = lookup["journey"] else { Issue.record("no journey"); return }
                #expect(stops.map { $0["node"]?.stringValue } == ["p79", "m-bca", "p79"])
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
                #expect(filed["receivingUnit"] == .string("P01") && filed["competentUnit"] == .string("P79") && filed["competentNode"] == .string("p79"))
                try await desk.act("p01", code, "forward", token: receiver)
                try await desk.waitUntil("p79", code, state: "forwarded", token: leader79)
                try await desk.act("p79", code, "assign", token: leader79, ["assignee": .string("leader")])
                try await desk.act("p79", code, "decide", token: leader79, ["outcome": .string("approved")])
                try await desk.waitUntil("p01", code, state: "decided", token: receiver)
                try await desk.act("p01", code, "return", token: receiver)

                // A second one is sent back by Hồ Chí Minh with a reason, and lands at Hà Nội's desk again.
                let other = try await desk.file("p01", procedure: "2.000488", unit: "P79", idNumber: "079095054321", name: "Võ Văn Dũng", token: receiver)
                try await desk.act("p01", other, "forward", token: receiver)
                try await desk.waitUntil("p79", other, state: "forwarded", token: leader79)
                try await desk.act("p79", other, "send-back", token: leader79, ["reason": .string("Người nộp không cư trú tại thành phố")])
                try await desk.waitUntil("p01", other, state: "forwarded", token: receiver)
                let returned = try #require(try await desk.dossier("p01", other, token: receiver))
                #expect(returned["lastSendBackReason"]?.stringValue?.contains("không cư trú") == true)
                #expect(returned["holderUnit"] == .string("P01"))

                try await waitFor(seconds: 5) {
                    let first = try await federation.national("/v1/national/dossiers/\(code)")
                    let second = try await federation.national("/v1/national/dossiers/\(other)")
                    return first["status"] == .int(10) && second["holderNode"] == .string("p01")
                }
                let cross = try await federation.national("/v1/national/dossiers?crossNode=true&receivingNode=p01")
                #expect(Set(cross.items.compactMap { $0["code"]?.stringValue }) == [code, other])
                let held = try await federation.national("/v1/national/dossiers?holderNode=p01&crossNode=true&status=10")
                #expect(held.items.compactMap { $0["code"]?.stringValue } == [code])
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
                try await desk.act("p79", first, "forward", token: receiver)
                try await waitFor(seconds: 10) {
                    guard case .array(let items)? = try await federation.national("/v1/national/mailbox")["items"] else { return false }
                    return items.contains { $0["dossier"] == .string(first) && $0["destination"] == .string("m-bca") }
                }
                // Then the hub is killed during routing: the source keeps the next transfer pending and retries.
                kill(try federation.pid("hub"), SIGKILL)
                let second = try await desk.file("p79", procedure: "1.010802", unit: nil, idNumber: "079301000125", name: "Boris Lind", token: receiver)
                try await desk.act("p79", second, "forward", token: receiver)
                try await waitFor(seconds: 10) {
                    let outbox = try await HTTP.call(.GET, federation.nodeURL("p79") + "/v1/transfers", token: receiver).json
                    return outbox.items.contains { item in
                        let pending = item["state"] == JSONValue.string("pending")
                        return item["dossier"] == JSONValue.string(second) && pending && item["lastError"] != JSONValue.null
                    }
                }
                try await federation.restartHub()
                try await federation.restartNode("m-bca")
                let ministry = try await desk.token("m-bca", "leader")
                try await desk.waitUntil("m-bca", first, state: "forwarded", token: ministry, timeout: 60)
                try await desk.waitUntil("m-bca", second, state: "forwarded", token: ministry, timeout: 60)
                // Exactly one holder each, once, with a complete journey.
                for code in [first, second] {
                    try await waitFor(seconds: 10) { try await federation.national("/v1/national/dossiers/\(code)")["holderNode"] == .string("m-bca") }
                    #expect(try await desk.journey(code).map(\.node) == ["p79", "m-bca"])
                    let events = try await HTTP.call(.GET, federation.nodeURL("m-bca") + "/v1/dossiers/\(code)/events", token: ministry).json
                    let received = events.items.filter { $0["kind"] == JSONValue.string("dossier.transfer-received") }
                    #expect(received.count == 1, "\(events)")
                    #expect(try await desk.dossier("p79", code, token: receiver)?["state"] == .string("transferred"))
                }
                #expect(try await federation.nodeCodes("m-bca").isSuperset(of: [first, second]))

                // Killed while a delivery may be under way: after its restart the dossier is there once.
                let third = try await desk.file("p79", procedure: "1.010802", unit: nil, idNumber: "079301000127", name: "Dora Falk", token: receiver)
                try await desk.act("p79", third, "forward", token: receiver)
                try await Task.sleep(for: .milliseconds(30))
                kill(try federation.pid("m-bca"), SIGKILL)
                try await federation.restartNode("m-bca")
                let again = try await desk.token("m-bca", "leader")
                try await desk.waitUntil("m-bca", third, state: "forwarded", token: again, timeout: 60)
                let events = try await HTTP.call(.GET, federation.nodeURL("m-bca") + "/v1/dossiers/\(third)/events", token: again).json
                #expect(events.items.filter { $0["kind"] == JSONValue.string("dossier.transfer-received") }.count == 1)
                try await waitFor(seconds: 10) { try await federation.national("/v1/national/dossiers/\(third)")["holderNode"] == .string("m-bca") }
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
                try await desk.act("p79", code, "forward", token: receiver)
                // For 20 s the ministry cannot reach the hub: the dossier waits in its mailbox.
                let cutAt = Date()
                while Date().timeIntervalSince(cutAt) < 20 {
                    #expect(try await desk.dossier("m-bca", code, token: ministry) == nil)
                    try await Task.sleep(for: .seconds(2))
                }
                guard case .array(let waiting)? = try await federation.national("/v1/national/mailbox")["items"] else { Issue.record("no mailbox"); return }
                #expect(waiting.contains { $0["dossier"] == .string(code) })
                proxy.heal()
                try await desk.waitUntil("m-bca", code, state: "forwarded", token: ministry, timeout: 30)
                try await waitFor(seconds: 10) { try await federation.national("/v1/national/dossiers/\(code)")["holderNode"] == .string("m-bca") }
                #expect(try await desk.journey(code).map(\.node) == ["p79", "m-bca"])
            }
        }
    }
}
