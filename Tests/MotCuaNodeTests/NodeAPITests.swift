import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MotCuaCore
import NIOCore
import Synchronization
import Testing

@testable import MotCuaNode

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// One node on a temporary folder, seeded with the demo data, and helpers to speak its API.
struct NodeHarness {
    let service: NodeService
    let directory: URL
    let clock: TestClock

    init(
        bodyLimitBytes: Int = 1 << 20, directory: URL? = nil, seed: Bool = true, shellClock: any Clock<Duration> = ContinuousClock(),
        configure: (inout NodeConfiguration) -> Void = { _ in }
    ) async throws {
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("motcua-node-\(UUID().uuidString)")
        let clock = TestClock(VietnamTime.parseISO8601("2026-03-02T09:00:00+07:00")!)
        self.clock = clock
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var configuration = NodeConfiguration(dataDirectory: self.directory.path, publicPort: 0, bodyLimitBytes: bodyLimitBytes, passwordCost: 4)
        configure(&configuration)
        service = try await NodeService(configuration: configuration, logger: logger, now: { clock.now }, clock: shellClock)
        if seed { try await service.seedDemo(units: SampleUnits.hanoi, password: "motcua-demo") }
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func run(_ framework: TestingSetup = .router, _ test: @Sendable @escaping (RouterClient) async throws -> Void) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = try buildNodeApplication(service: service, logger: logger)
        try await app.test(framework) { client in try await test(RouterClient(client: client)) }
    }
}

struct Answer {
    var status: HTTPResponse.Status
    var json: JSONValue
    var contentType: String?
    var headers: HTTPFields = [:]
    var bytes: Int = 0

    /// The `items` of a list answer.
    var items: [JSONValue] {
        if case .array(let list)? = json["items"] { return list }
        return []
    }
}

struct RouterClient: Sendable {
    let client: any TestClientProtocol

    func call(
        _ method: HTTPRequest.Method, _ uri: String, json: JSONValue? = nil, raw: String? = nil, token: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        for field in extra { headers[field.name] = field.value }
        let body = raw ?? json?.canonicalText
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let data = Data(response.body.readableBytesView)
            return Answer(
                status: response.status, json: (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .null,
                contentType: response.headers[.contentType], headers: response.headers, bytes: data.count)
        }
    }

    func login(_ username: String, password: String = "motcua-demo", headers: HTTPFields = [:]) async throws -> String {
        let answer = try await call(.post, "/v1/auth/token", json: ["username": .string(username), "password": .string(password)], headers: headers)
        #expect(answer.status == .ok)
        return try #require(answer.json["token"]?.stringValue)
    }

    func act(_ code: String, _ action: String, _ body: JSONValue = [:], token: String? = nil, idNumber: String? = nil) async throws -> Answer {
        try await call(.post, "/v1/dossiers/\(code)/actions/\(action)" + (idNumber.map { "?idNumber=\($0)" } ?? ""), json: body, token: token)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

let idNumber = "001095012345"

func submission(procedure: String = "1.004873", idNumber: String = idNumber, unit: String? = "P01.D01.C01", channel: String = "online") -> JSONValue {
    var body: [String: JSONValue] = [
        "procedureCode": .string(procedure), "channel": .string(channel),
        "applicant": ["idNumber": .string(idNumber), "fullName": "Nguyễn Văn An", "birthDate": "1995-04-12", "phone": "0912345678"],
        "components": .array([
            ["code": "TP1", "fileName": "to-khai.pdf", "contentBase64": .string(Data("tờ khai".utf8).base64EncodedString())],
            ["code": "TP2", "fileName": "cccd.pdf", "contentBase64": .string(Data("căn cước".utf8).base64EncodedString())],
        ]),
    ]
    if let unit { body["unit"] = .string(unit) }
    return .object(body)
}

@Suite("Node public API", .timeLimit(.minutes(3)))
struct NodeAPITests {
    @Test func aDossiersWholeLifeOverHTTP() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            let submitted = try await api.call(.post, "/v1/dossiers", json: submission())
            #expect(submitted.status == .created)
            #expect(submitted.json["status"] == .int(1))
            let code = try #require(submitted.json["code"]?.stringValue)
            #expect(code.hasPrefix("000.01.01.H01-260302-"))

            let receiver = try await api.login("receiver")
            let leader = try await api.login("leader")
            let specialist = try await api.login("specialist")

            let received = try await api.act(code, "receive", token: receiver)
            #expect(received.status == .ok)
            #expect(received.json["status"] == .int(2))
            #expect(received.json["form"]?["form"] == "01")
            #expect(received.json["form"]?["appointmentAt"] == received.json["dueAt"])

            #expect(try await api.act(code, "assign", ["assignee": "specialist"], token: leader).json["status"] == .int(4))
            let supplement = try await api.act(code, "request-supplement", ["items": .array(["Bản sao sổ hộ khẩu"])], token: specialist)
            #expect(supplement.json["status"] == .int(5))
            #expect(supplement.json["form"]?["form"] == "02")

            // The applicant supplements with the code and their ID number, no account.
            let supplemented = try await api.act(
                code, "supplement",
                ["components": .array([["code": "TP1", "fileName": "to-khai-2.pdf", "contentBase64": .string(Data("mới".utf8).base64EncodedString())]])],
                idNumber: idNumber)
            #expect(supplemented.status == .ok)
            #expect(supplemented.json["status"] == .int(4))

            let decided = try await api.act(code, "decide", ["outcome": "approved", "resultSummary": "Cấp giấy xác nhận"], token: leader)
            #expect(decided.json["status"] == .int(9))
            let returned = try await api.act(code, "return", ["satisfaction": .int(5)], token: receiver)
            #expect(returned.json["status"] == .int(10))
            #expect(returned.json["allowedActions"] == .array([]))

            let lookup = try await api.call(.get, "/v1/dossiers/\(code)?idNumber=\(idNumber)")
            #expect(lookup.status == .ok)
            #expect(lookup.json["statusName"] == "Đã trả kết quả")
            #expect(lookup.json["applicant"] == nil, "the public view carries no personal data beyond what was asked")
            guard case .array(let timeline)? = lookup.json["timeline"] else { Issue.record("no timeline"); return }
            #expect(timeline.map { $0["event"]?.stringValue ?? "" } == [
                "dossier.submitted", "dossier.received", "dossier.assigned", "dossier.supplement-requested",
                "dossier.supplemented", "dossier.decided", "dossier.returned",
            ])

            let events = try await api.call(.get, "/v1/dossiers/\(code)/events", token: leader)
            #expect(events.items.count == 7)
            let admin = try await api.login("admin")
            let verify = try await api.call(.get, "/v1/log/verify", token: admin)
            #expect(verify.json["intact"] == .bool(true))
            #expect(verify.json["eventsChecked"] == .int(Int64(7 + CalendarRule.knownAnnouncements.count)), "the dossier's 7 and the calendar rules a new node starts with")
        }
    }

    @Test func counterFilingIssuesTheReceipt() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            let noToken = try await api.call(.post, "/v1/dossiers", json: submission(channel: "counter"))
            #expect(noToken.status == .unauthorized)
            let receiver = try await api.login("receiver")
            let filed = try await api.call(.post, "/v1/dossiers", json: submission(channel: "counter"), token: receiver)
            #expect(filed.status == .created)
            #expect(filed.json["status"] == .int(2))
            let form = try #require(filed.json["form"])
            #expect(form["form"] == "01")
            #expect(form["applicantIdNumber"] == .string(idNumber))
            if case .array(let received)? = form["componentsReceived"] { #expect(received.count == 2) } else { Issue.record("no components in the receipt") }
            // Filed at the province centre's desk (the receiver's unit), decided by the commune.
            #expect(filed.json["receivingUnit"] == "P01")
            #expect(filed.json["competentUnit"] == "P01.D01.C01")
            // 09:00 Monday + 3 working days.
            #expect(filed.json["dueAt"] == "2026-03-05T17:00:00+07:00")
        }
    }

    @Test func rolesAreEnforced() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            let code = try #require(try await api.call(.post, "/v1/dossiers", json: submission()).json["code"]?.stringValue)
            let specialist = try await api.login("specialist")
            let refused = try await api.act(code, "receive", token: specialist)
            #expect(refused.status == .forbidden)
            #expect(refused.json["type"] == "urn:motcua:problem:dossier.role-not-permitted")
            #expect(refused.contentType == "application/problem+json")
            // Another district's leader cannot even see it: answered as unknown, so nothing leaks.
            let receiver = try await api.login("receiver")
            _ = try await api.act(code, "receive", token: receiver)
            let otherLeader = try await api.login("leader.d02")
            let hidden = try await api.act(code, "assign", ["assignee": "specialist"], token: otherLeader)
            #expect(hidden.status == .notFound)
            #expect(hidden.json["type"] == "urn:motcua:problem:dossier.not-found")
            #expect(try await api.call(.get, "/v1/dossiers/\(code)", token: otherLeader).status == .notFound)
            // The commune desk that received it sees it, but once the district holds it, assigning is not its job.
            let province = try await api.login("leader")
            _ = try await api.act(code, "forward", ["toUnit": "P01.D01"], token: province)
            let communeDesk = try await api.login("receiver.c0101")
            #expect(try await api.call(.get, "/v1/dossiers/\(code)", token: communeDesk).status == .ok)
            let outOfScope = try await api.act(code, "assign", ["assignee": "specialist"], token: communeDesk)
            #expect(outOfScope.status == .forbidden)
            #expect(outOfScope.json["type"] == "urn:motcua:problem:dossier.out-of-scope")
            // Illegal in this state: 409 with what is possible.
            let leader = try await api.login("leader")
            let early = try await api.act(code, "return", token: receiver)
            #expect(early.status == .conflict)
            #expect(early.json["detail"]?.stringValue?.contains("possible now") == true)
            // The applicant cannot assign, and an unknown token is a 401.
            #expect(try await api.act(code, "assign", ["assignee": "specialist"], idNumber: idNumber).status == .forbidden)
            #expect(try await api.act(code, "assign", ["assignee": "specialist"], token: "forged").status == .unauthorized)
            #expect(try await api.act(code, "assign", ["assignee": "admin"], token: leader).status == .unprocessableContent)
            #expect(try await api.call(.get, "/v1/log/verify", token: receiver).status == .forbidden)
            #expect(try await api.call(.get, "/v1/dossiers").status == .unauthorized)
        }
    }

    @Test func lookupWithAWrongIDNumberRevealsNothing() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            let code = try #require(try await api.call(.post, "/v1/dossiers", json: submission()).json["code"]?.stringValue)
            let wrong = try await api.call(.get, "/v1/dossiers/\(code)?idNumber=001095012346")
            let unknown = try await api.call(.get, "/v1/dossiers/000.01.01.H01-260302-9999?idNumber=001095012346")
            #expect(wrong.status == .notFound)
            #expect(wrong.json["type"] == unknown.json["type"])
            #expect(wrong.json["detail"]?.stringValue?.contains(code) == true, "it only repeats what was asked")
            #expect(wrong.json["status"] == .int(404))
            #expect(try await api.act(code, "request-withdrawal", idNumber: "001095012346").status == .notFound)
            #expect(try await api.call(.get, "/v1/dossiers/\(code)").status == .badRequest)
        }
    }

    @Test func badInputGetsAClearFourHundred() async throws {
        let node = try await NodeHarness(bodyLimitBytes: 4096)
        defer { node.remove() }
        try await node.run { api in
            let malformed = try await api.call(.post, "/v1/dossiers", raw: "{\"procedureCode\": ")
            #expect(malformed.status == .badRequest)
            #expect(malformed.json["type"] == "urn:motcua:problem:request.malformed-json")
            let missing = try await api.call(.post, "/v1/dossiers", raw: "{\"procedureCode\": \"1.004873\"}")
            #expect(missing.status == .badRequest)
            #expect(missing.json["detail"]?.stringValue?.contains("applicant") == true)

            let big = String(repeating: "A", count: 8192)
            let oversized = try await api.call(.post, "/v1/dossiers", raw: "{\"procedureCode\": \"\(big)\"}")
            #expect(oversized.status == .contentTooLarge)
            #expect(oversized.json["type"] == "urn:motcua:problem:request.too-large")

            let unknown = try await api.call(.post, "/v1/dossiers", json: submission(procedure: "9.999999"))
            #expect(unknown.status == .notFound)
            #expect(unknown.json["type"] == "urn:motcua:problem:procedure.unknown")

            let badID = try await api.call(.post, "/v1/dossiers", json: submission(idNumber: "003095012345"))
            #expect(badID.status == .unprocessableContent)
            #expect(badID.json["detail"]?.stringValue?.contains("applicant.idNumber") == true)

            let badBase64 = try await api.call(.post, "/v1/dossiers", raw: """
                {"procedureCode":"1.004873","unit":"P01.D01.C01","applicant":{"idNumber":"\(idNumber)","fullName":"A"},
                 "components":[{"code":"TP1","fileName":"a.pdf","contentBase64":"!!!"}]}
                """)
            #expect(badBase64.status == .unprocessableContent)

            let badDate = try await api.call(.post, "/v1/dossiers", raw: """
                {"procedureCode":"1.004873","applicant":{"idNumber":"\(idNumber)","fullName":"A","birthDate":"1995-02-30"}}
                """)
            #expect(badDate.status == .badRequest)

            #expect(try await api.call(.get, "/v1/nowhere").status == .notFound)
            #expect(try await api.call(.get, "/v1/nowhere").contentType == "application/problem+json")
            #expect(try await api.call(.post, "/v1/dossiers/X/actions/fly").status == .notFound)
            #expect(try await api.call(.get, "/v1/procedures?level=galaxy").status == .badRequest)
            #expect(try await api.call(.get, "/v1/procedures?limit=0").status == .badRequest)
            let login = try await api.call(.post, "/v1/auth/token", json: ["username": "receiver", "password": "wrong"])
            #expect(login.status == .unauthorized)
        }
    }

    @Test func aDataFolderBelongsToOneNode() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let other = NodeConfiguration(dataDirectory: node.directory.path, nodeID: "p02", passwordCost: 4)
        await #expect(throws: NodeError.self) { _ = try await NodeService(configuration: other, logger: logger) }
        let same = NodeConfiguration(dataDirectory: node.directory.path, nodeID: "local", passwordCost: 4)
        #expect(try await NodeService(configuration: same, logger: logger).catalogueSize == SampleCatalogue.procedures.count)
    }

    @Test func tokensExpire() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            let token = try await api.login("receiver")
            #expect(try await api.call(.get, "/v1/dossiers", token: token).status == .ok)
            node.clock.advance(8 * 3600 + 1)
            let expired = try await api.call(.get, "/v1/dossiers", token: token)
            #expect(expired.status == .unauthorized)
            #expect(expired.json["type"] == "urn:motcua:problem:auth.invalid-token")
        }
    }

    @Test func catalogueFiltersAndPages() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            let communes = try await api.call(.get, "/v1/procedures?level=commune")
            guard case .array(let items)? = communes.json["items"] else { Issue.record("no items"); return }
            #expect(items.count >= 5)
            #expect(items.allSatisfy { $0["level"] == "commune" })
            let birth = try await api.call(.get, "/v1/procedures/1.001193")
            #expect(birth.json["name"]?.stringValue?.contains("khai sinh") == true)
            #expect(birth.json["leadTime"] == "0d")
            var codes: [String] = []
            var cursor: String?
            repeat {
                let page = try await api.call(.get, "/v1/procedures?limit=7" + (cursor.map { "&cursor=\($0)" } ?? ""))
                if case .array(let list)? = page.json["items"] { codes += list.compactMap { $0["code"]?.stringValue } }
                cursor = page.json["nextCursor"]?.stringValue
            } while cursor != nil
            #expect(codes.count == SampleCatalogue.procedures.count)
            #expect(codes == codes.sorted())
            #expect(try await api.call(.get, "/v1/procedures/1.000000").status == .notFound)
            #expect(try await api.call(.get, "/healthz").status == .ok)
            #expect(try await api.call(.get, "/readyz").json["status"] == "ready")
            // A new node starts with the 2026 swap announced for the National Day holiday.
            let holidays = try await api.call(.get, "/v1/calendar/holidays/2026")
            #expect(holidays.items.contains { $0["date"] == "2026-08-31" && $0["kind"] == "announced" })
            #expect(try await api.call(.get, "/v1/calendar/rules").items.count == CalendarRule.knownAnnouncements.count)
        }
    }

    @Test func queueForOfficersWithFilters() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            let receiver = try await api.login("receiver")
            var codes: [String] = []
            for unit in ["P01.D01.C01", "P01.D01.C02", "P01.D02.C01"] {
                codes.append(try #require(try await api.call(.post, "/v1/dossiers", json: submission(unit: unit)).json["code"]?.stringValue))
            }
            _ = try await api.act(codes[0], "receive", token: receiver)
            let all = try await api.call(.get, "/v1/dossiers", token: receiver)
            #expect(all.items.count == 3)
            let district = try await api.login("receiver.d01")
            let mine = try await api.call(.get, "/v1/dossiers", token: district)
            #expect(mine.items.count == 2)
            #expect(try await api.call(.get, "/v1/dossiers?unit=P01.D02", token: district).status == .forbidden)
            let status2 = try await api.call(.get, "/v1/dossiers?status=2", token: receiver)
            #expect(status2.items.map { $0["code"] } == [.string(codes[0])])
            node.clock.advance(30 * 86_400)
            let fresh = try await api.login("receiver")  // the morning's token has expired
            let overdue = try await api.call(.get, "/v1/dossiers?overdue=true", token: fresh)
            #expect(overdue.items.count == 1)
            #expect(try await api.call(.get, "/v1/dossiers?status=11", token: fresh).status == .badRequest)
        }
    }
}

@Suite("Node API robustness", .timeLimit(.minutes(3)))
struct NodeRobustnessTests {
    /// Garbage into every endpoint that takes a body or a parameter: always a 4xx, never a 5xx.
    @Test func malformedInputNeverGivesAServerError() async throws {
        let node = try await NodeHarness(bodyLimitBytes: 64 * 1024)
        defer { node.remove() }
        try await node.run { api in
            let token = try await api.login("leader")
            let code = try #require(try await api.call(.post, "/v1/dossiers", json: submission()).json["code"]?.stringValue)
            let bodies = [
                "", "null", "[]", "42", "\"x\"", "{", "{}", "{\"procedureCode\":null}", "{\"procedureCode\":1}",
                String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
                "{\"applicant\":{\"idNumber\":12,\"fullName\":[]}}", "{\"amountVND\":1e400}", "{\"amountVND\":99999999999999999999}",
                "{\"outcome\":\"maybe\"}", "{\"satisfaction\":-1}", "{\"workingDays\":100000}", "{\"newDueAt\":\"yesterday\"}",
                "{\"components\":[{\"fileName\":\"a\",\"contentBase64\":\"\"}]}", "\u{0}\u{1}\u{2}", "{\"toUnit\":\"\"}",
                "{\"items\":[\"\"]}", "{\"reasons\":[]}", "{\"assignee\":\"nobody\"}",
            ]
            var paths = ["/v1/dossiers", "/v1/auth/token", "/v1/calendar/rules"]
            paths += DossierAction.allCases.map { "/v1/dossiers/\(code)/actions/\($0.rawValue)" }
            for path in paths {
                for body in bodies {
                    for bearer in [nil, token] {
                        let answer = try await api.call(.post, path, raw: body, token: bearer)
                        #expect(answer.status.code < 500, "\(path) with \(body.prefix(40)) gave \(answer.status.code): \(answer.json)")
                    }
                }
            }
            let invalid = [
                "/v1/procedures?limit=-1", "/v1/procedures?limit=99999999999999999999",
                "/v1/dossiers?cursor=abc", "/v1/dossiers?dueBefore=never", "/v1/dossiers?overdue=maybe", "/v1/dossiers?unit=%FF",
                "/v1/dossiers/%2E%2E?idNumber=1", "/v1/calendar/holidays/99999", "/v1/procedures/%FF%FE",
            ]
            for query in invalid {
                let answer = try await api.call(.get, query, token: token)
                #expect(answer.status.code >= 400 && answer.status.code < 500, "\(query) gave \(answer.status.code)")
            }
            // Odd but harmless: an unknown cursor is an empty page; the public lookup without a number is a 400.
            #expect(try await api.call(.get, "/v1/procedures?cursor=%00").status == .ok)
            #expect(try await api.call(.get, "/v1/dossiers/\(code)?idNumber=").status == .badRequest)
        }
    }
}
