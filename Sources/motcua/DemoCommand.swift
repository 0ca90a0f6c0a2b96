import ArgumentParser
import AsyncHTTPClient
import Foundation
import MotCuaCore
import MotCuaLauncher
import NIOCore
import NIOHTTP1

/// `motcua demo`: realistic activity at every node of a local federation, so the national status moves:
/// online and counter filings, officers receiving, assigning, deciding and returning, supplements, and
/// some dossiers left to run late. Bounded in time and rate; stops by itself.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Drive demo traffic at the nodes of a local federation.")
    @Option(help: "State folder of the federation.") var stateDir: String = ".motcua"
    @Option(help: "Password of the demo officers.") var password: String = "motcua-demo"
    @Option(help: "New dossiers per second at each node.") var rate: Double = 1
    @Option(help: "Seconds to run.") var duration: Double = 3600

    func run() async throws {
        let state = try FederationState.load(stateDir: stateDir)
        let nodes = state.processes.filter { $0.role == "province" || $0.role == "ministry" }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let end = Date().addingTimeInterval(duration)
        await withTaskGroup(of: Void.self) { group in
            for node in nodes {
                guard let url = node.publicURL else { continue }
                group.addTask { await drive(url: url, node: node.id, client: client, until: end) }
            }
        }
        try await client.shutdown()
    }

    func drive(url: String, node: String, client: HTTPClient, until end: Date) async {
        let api = APIClient(baseURL: url)
        func login(_ user: String) async -> String? {
            try? await Connection.login(api, username: user, password: password)["token"]?.stringValue
        }
        guard let receiver = await login("receiver"), let leader = await login("leader"), let specialist = await login("specialist"),
              let units = try? await api.call(.GET, "/v1/units"), let catalogue = try? await api.call(.GET, "/v1/procedures?limit=200") else {
            print("\(node): cannot log in or read the catalogue; skipping")
            return
        }
        let levels = Dictionary(grouping: units.items.compactMap { unit -> (String, String)? in
            guard let level = unit["level"]?.stringValue, let code = unit["code"]?.stringValue else { return nil }
            return (level, code)
        }, by: \.0).mapValues { $0.map(\.1) }
        // Single-level procedures here; interconnected ones travel in `journeys` below.
        let procedures = catalogue.items.filter { procedure in
            guard levels[procedure.text("level")] != nil, case .array(let steps)? = procedure["steps"] else { return false }
            return Set(steps.map { $0.text("unit").isEmpty ? $0.text("level") : $0.text("unit") }).count <= 1
        }
        guard !procedures.isEmpty else { return }
        var open: [(code: String, id: String, step: Int)] = []
        var journeys = Journeys(api: api, node: node, receiver: receiver, leader: leader, levels: levels, catalogue: catalogue.items)
        var counter = 0
        while Date() < end {
            counter += 1
            // Now and then a dossier that crosses levels or nodes; and whatever other nodes sent here.
            if counter % 6 == 1 { await journeys.start(counter) }
            await journeys.advance()
            let procedure = procedures.randomElement()!
            let unit = levels[procedure.text("level")]!.randomElement()!
            let online = procedure.text("onlineMode") != "none" && Double.random(in: 0..<1) < 0.75
            let id = String(format: "0%02d%d%02d%06d", Int.random(in: 1...96), Int.random(in: 0...3), Int.random(in: 0...99), Int.random(in: 0...999_999))
            guard (try? PersonalIDNumber.parse(id)) != nil, id.count == 12 else { continue }
            var components: [JSONValue] = []
            if case .array(let list)? = procedure["components"] {
                for component in list where component["mandatory"] == .bool(true) {
                    components.append(.object([
                        "code": component["code"] ?? .null, "fileName": .string("\(component.text("code")).pdf"),
                        "contentBase64": .string(Data("demo \(node) \(counter)".utf8).base64EncodedString()),
                    ]))
                }
            }
            let body = JSONValue.object([
                "procedureCode": procedure["code"] ?? .null, "channel": .string(online ? "online" : "counter"), "unit": .string(unit),
                "applicant": .object(["idNumber": .string(id), "fullName": .string("Công dân \(node)-\(counter)")]),
                "components": .array(components),
            ])
            var filer = APIClient(baseURL: url)
            if !online { filer.token = receiver }
            if let filed = try? await filer.call(.POST, "/v1/dossiers", body: body), let code = filed["code"]?.stringValue {
                open.append((code, id, online ? 0 : 1))
            }
            // Move some open dossiers one step; about one in six is left alone and will run late.
            for index in open.indices.shuffled().prefix(3) where Double.random(in: 0..<1) < 0.8 {
                let (code, id, step) = open[index]
                var officer = APIClient(baseURL: url)
                var action = ""
                var payload: [String: JSONValue] = [:]
                switch step {
                case 0: officer.token = receiver; action = "receive"
                case 1: officer.token = leader; action = "assign"; payload["assignee"] = .string("specialist")
                case 2 where Double.random(in: 0..<1) < 0.15:
                    officer.token = specialist; action = "request-supplement"; payload["items"] = .array([.string("Bản sao giấy tờ")])
                case 2: officer.token = leader; action = "decide"; payload["outcome"] = .string(Double.random(in: 0..<1) < 0.9 ? "approved" : "rejected"); payload["reason"] = .string("không đủ điều kiện")
                case 3: officer.token = receiver; action = "return"
                default: continue
                }
                if action == "request-supplement" {
                    _ = try? await officer.call(.POST, "/v1/dossiers/\(code)/actions/\(action)", body: .object(payload))
                    let applicant = APIClient(baseURL: url)
                    _ = try? await applicant.call(.POST, "/v1/dossiers/\(code)/actions/supplement", body: .object(["note": .string("đã bổ sung"), "idNumber": .string(id)]))
                    continue
                }
                if (try? await officer.call(.POST, "/v1/dossiers/\(code)/actions/\(action)", body: .object(payload))) != nil {
                    open[index].step += 1
                }
            }
            open.removeAll { $0.step >= 4 }
            if open.count > 500 { open.removeFirst(open.count - 500) }
            try? await Task.sleep(for: .milliseconds(Int64(1000 / max(0.01, rate))))
        }
    }
}

/// The demo's dossiers that travel: commune → district → province inside a province (1.010801), a province →
/// ministry → province round trip (1.010802, when Bộ Công an is in the federation), and filing anywhere: a
/// judicial record (2.000488) filed here for another province. Dossiers other nodes send here are taken up
/// and decided; results that come back are returned to the applicant.
struct Journeys {
    let api: APIClient
    let node: String
    let receiver: String
    let leader: String
    let levels: [String: [String]]
    let catalogue: [JSONValue]
    /// Dossiers filed here that travel, with what to do next: "forward" (times left) or "return".
    var mine: [(code: String, forwards: Int)] = []

    func officer(_ token: String) -> APIClient {
        var client = api
        client.token = token
        return client
    }

    func components(_ code: String, seed: Int) -> [JSONValue] {
        guard let procedure = catalogue.first(where: { $0.text("code") == code }), case .array(let list)? = procedure["components"] else { return [] }
        return list.filter { $0["mandatory"] == .bool(true) }.map { component in
            .object([
                "code": component["code"] ?? .null, "fileName": .string("\(component.text("code")).pdf"),
                "contentBase64": .string(Data("demo \(node) \(seed)".utf8).base64EncodedString()),
            ])
        }
    }

    mutating func start(_ seed: Int) async {
        guard levels["province"] != nil else { return }
        let others = (try? await api.call(.GET, "/v1/federation/units"))?.items ?? []
        var choices: [(procedure: String, unit: String?, counter: Bool, forwards: Int)] = []
        if let commune = levels["commune"]?.randomElement() { choices.append(("1.010801", commune, false, 2)) }
        if others.contains(where: { $0.text("code") == "M-BCA.C01" }) { choices.append(("1.010802", nil, true, 1)) }
        let provinces = others.filter { $0.text("level") == "province" }.map { $0.text("code") }
        if let elsewhere = provinces.randomElement() { choices.append(("2.000488", elsewhere, true, 1)) }
        guard let choice = choices.randomElement() else { return }
        let id = String(format: "0%02d%d%02d%06d", Int.random(in: 1...96), Int.random(in: 0...3), Int.random(in: 0...99), Int.random(in: 0...999_999))
        var body: [String: JSONValue] = [
            "procedureCode": .string(choice.procedure), "channel": .string(choice.counter ? "counter" : "online"),
            "applicant": .object(["idNumber": .string(id), "fullName": .string("Công dân liên thông \(node)-\(seed)")]),
            "components": .array(components(choice.procedure, seed: seed)),
        ]
        if let unit = choice.unit { body["unit"] = .string(unit) }
        let filer = choice.counter ? officer(receiver) : api
        guard let filed = try? await filer.call(.POST, "/v1/dossiers", body: .object(body)), let code = filed["code"]?.stringValue else { return }
        if !choice.counter { _ = try? await officer(receiver).call(.POST, "/v1/dossiers/\(code)/actions/receive", body: .object([:])) }
        mine.append((code, choice.forwards))
    }

    mutating func advance() async {
        // Hand-overs of our own travelling dossiers, one stage at a time; then the decision or the return.
        for index in mine.indices.shuffled().prefix(2) {
            let (code, forwards) = mine[index]
            if forwards > 0 {
                if (try? await officer(receiver).call(.POST, "/v1/dossiers/\(code)/actions/forward", body: .object([:]))) != nil {
                    mine[index].forwards -= 1
                }
                continue
            }
            guard let dossier = try? await officer(leader).call(.GET, "/v1/dossiers/\(code)") else { continue }
            switch dossier.text("state") {
            case "forwarded", "received":
                _ = try? await officer(leader).call(.POST, "/v1/dossiers/\(code)/actions/assign", body: .object(["assignee": .string("leader")]))
            case "assigned":
                _ = try? await officer(leader).call(.POST, "/v1/dossiers/\(code)/actions/decide", body: .object(["outcome": .string("approved")]))
            case "decided":
                _ = try? await officer(receiver).call(.POST, "/v1/dossiers/\(code)/actions/return", body: .object(["satisfaction": .int(5)]))
                mine[index].forwards = -1
            default:
                break
            }
        }
        mine.removeAll { $0.forwards < 0 }
        if mine.count > 200 { mine.removeFirst(mine.count - 200) }
        // What other nodes sent here: take it up and decide it (the result goes back by itself).
        guard let page = try? await officer(leader).call(.GET, "/v1/dossiers?status=4&limit=100") else { return }
        for item in page.items where !item.text("arrivedBy").isEmpty && item.text("receivingNode") != node {
            let code = item.text("code")
            switch item.text("state") {
            case "forwarded":
                _ = try? await officer(leader).call(.POST, "/v1/dossiers/\(code)/actions/assign", body: .object(["assignee": .string("leader")]))
            case "assigned" where Double.random(in: 0..<1) < 0.5:
                let result = Data("kết quả \(code)".utf8).base64EncodedString()
                _ = try? await officer(leader).call(.POST, "/v1/dossiers/\(code)/actions/decide", body: .object([
                    "outcome": .string("approved"), "resultSummary": .string("Đã giải quyết"),
                    "resultDocument": .object(["fileName": .string("ket-qua.pdf"), "contentBase64": .string(result)]),
                ]))
            default:
                break
            }
        }
    }
}
