import ArgumentParser
import AsyncHTTPClient
import Foundation
import MotCuaCore
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
        let procedures = catalogue.items.filter { levels[$0.text("level")] != nil }
        guard !procedures.isEmpty else { return }
        var open: [(code: String, id: String, step: Int)] = []
        var counter = 0
        while Date() < end {
            counter += 1
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
                    _ = try? await applicant.call(.POST, "/v1/dossiers/\(code)/actions/supplement?idNumber=\(id)", body: .object(["note": .string("đã bổ sung")]))
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
