import ArgumentParser
import AsyncHTTPClient
import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaLauncher

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
        let end = Date().addingTimeInterval(duration)
        await withTaskGroup(of: Void.self) { group in
            for node in nodes {
                guard let url = node.publicURL else { continue }
                group.addTask { await drive(url: url, node: node.id, until: end) }
            }
        }
    }

    func drive(url: String, node: String, until end: Date) async {
        let api = APIClient(baseURL: url)
        func login(_ user: String) async -> String? {
            try? await api.send(NodeAPI.login(username: user, password: password)).token
        }
        guard let receiver = await login("receiver"), let leader = await login("leader"), let specialist = await login("specialist"),
              let units = try? await api.send(NodeAPI.units()), let catalogue = try? await api.send(NodeAPI.procedures(.init(limit: 200))) else {
            print("\(node): cannot log in or read the catalogue; skipping")
            return
        }
        let levels = Dictionary(grouping: units.items, by: \.level).mapValues { $0.map(\.code) }
        // Single-level procedures here; interconnected ones travel in `journeys` below.
        let procedures = catalogue.items.filter { procedure in
            levels[procedure.level] != nil && Set(procedure.steps.map(\.stage)).count <= 1
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
            let unit = levels[procedure.level]!.randomElement()!
            let online = procedure.onlineMode != .none && Double.random(in: 0..<1) < 0.75
            let id = String(format: "0%02d%d%02d%06d", Int.random(in: 1...96), Int.random(in: 0...3), Int.random(in: 0...99), Int.random(in: 0...999_999))
            guard (try? PersonalIDNumber.parse(id)) != nil, id.count == 12 else { continue }
            let body = SubmissionBody(
                procedureCode: procedure.code, channel: online ? .online : .counter,
                applicant: Applicant(idNumber: id, fullName: "Công dân \(node)-\(counter)"),
                components: Journeys.uploads(procedure, text: "demo \(node) \(counter)"), unit: unit)
            if let filed = try? await api.authorized(online ? nil : receiver).send(NodeAPI.file(body)) {
                open.append((filed.code, id, online ? 0 : 1))
            }
            // Move some open dossiers one step; about one in six is left alone and will run late.
            for index in open.indices.shuffled().prefix(3) where Double.random(in: 0..<1) < 0.8 {
                let (code, id, step) = open[index]
                let token: String
                let action: DossierAction
                var payload = ActionBody()
                switch step {
                case 0: token = receiver; action = .receive
                case 1: token = leader; action = .assign; payload.assignee = "specialist"
                case 2 where Double.random(in: 0..<1) < 0.15:
                    token = specialist; action = .requestSupplement; payload.items = ["Bản sao giấy tờ"]
                case 2:
                    token = leader; action = .decide; payload.outcome = Double.random(in: 0..<1) < 0.9 ? "approved" : "rejected"
                    payload.reason = "không đủ điều kiện"
                case 3: token = receiver; action = .returnResult
                default: continue
                }
                let officer = api.authorized(token)
                if action == .requestSupplement {
                    _ = try? await officer.send(NodeAPI.act(code, action, payload))
                    _ = try? await api.send(NodeAPI.actAsApplicant(code, .supplement, ActionBody(note: "đã bổ sung", idNumber: id)))
                    continue
                }
                if (try? await officer.send(NodeAPI.act(code, action, payload))) != nil {
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
    let levels: [AdministrativeLevel: [String]]
    let catalogue: [ProcedureView]
    /// Dossiers filed here that travel, with what to do next: "forward" (times left) or "return".
    var mine: [(code: String, forwards: Int)] = []

    /// A small file for each mandatory component of the procedure.
    static func uploads(_ procedure: ProcedureView?, text: String) -> [UploadBody] {
        (procedure?.components ?? []).filter(\.mandatory).map { component in
            UploadBody(code: component.code, fileName: "\(component.code).pdf", bytes: Data(text.utf8))
        }
    }

    mutating func start(_ seed: Int) async {
        guard levels[.province] != nil else { return }
        let others = (try? await api.send(NodeAPI.federationUnits()))?.items ?? []
        var choices: [(procedure: String, unit: String?, counter: Bool, forwards: Int)] = []
        if let commune = levels[.commune]?.randomElement() { choices.append(("1.010801", commune, false, 2)) }
        if others.contains(where: { $0.code == "M-BCA.C01" }) { choices.append(("1.010802", nil, true, 1)) }
        let provinces = others.filter { $0.level == .province }.map(\.code)
        if let elsewhere = provinces.randomElement() { choices.append(("2.000488", elsewhere, true, 1)) }
        guard let choice = choices.randomElement() else { return }
        let id = String(format: "0%02d%d%02d%06d", Int.random(in: 1...96), Int.random(in: 0...3), Int.random(in: 0...99), Int.random(in: 0...999_999))
        let body = SubmissionBody(
            procedureCode: choice.procedure, channel: choice.counter ? .counter : .online,
            applicant: Applicant(idNumber: id, fullName: "Công dân liên thông \(node)-\(seed)"),
            components: Self.uploads(catalogue.first { $0.code == choice.procedure }, text: "demo \(node) \(seed)"), unit: choice.unit)
        guard let filed = try? await api.authorized(choice.counter ? receiver : nil).send(NodeAPI.file(body)) else { return }
        if !choice.counter { _ = try? await api.authorized(receiver).send(NodeAPI.act(filed.code, .receive)) }
        mine.append((filed.code, choice.forwards))
    }

    mutating func advance() async {
        let receiver = api.authorized(receiver), leader = api.authorized(leader)
        // Hand-overs of our own travelling dossiers, one stage at a time; then the decision or the return.
        for index in mine.indices.shuffled().prefix(2) {
            let (code, forwards) = mine[index]
            if forwards > 0 {
                if (try? await receiver.send(NodeAPI.act(code, .forward))) != nil {
                    mine[index].forwards -= 1
                }
                continue
            }
            guard let view = try? await leader.send(NodeAPI.dossier(code)) else { continue }
            switch view.dossier.state {
            case .forwarded, .received:
                _ = try? await leader.send(NodeAPI.act(code, .assign, ActionBody(assignee: "leader")))
            case .assigned:
                _ = try? await leader.send(NodeAPI.act(code, .decide, ActionBody(outcome: "approved")))
            case .decided:
                _ = try? await receiver.send(NodeAPI.act(code, .returnResult, ActionBody(satisfaction: 5)))
                mine[index].forwards = -1
            default:
                break
            }
        }
        mine.removeAll { $0.forwards < 0 }
        if mine.count > 200 { mine.removeFirst(mine.count - 200) }
        // What other nodes sent here: take it up and decide it (the result goes back by itself).
        guard let page = try? await leader.send(NodeAPI.queue(.init(status: 4, limit: 100))) else { return }
        for item in page.items where item.dossier.arrivedBy != nil && item.dossier.receivingNode != node {
            let code = item.code
            switch item.dossier.state {
            case .forwarded:
                _ = try? await leader.send(NodeAPI.act(code, .assign, ActionBody(assignee: "leader")))
            case .assigned where Double.random(in: 0..<1) < 0.5:
                let result = UploadBody(code: nil, fileName: "ket-qua.pdf", bytes: Data("kết quả \(code)".utf8))
                _ = try? await leader.send(NodeAPI.act(code, .decide, ActionBody(outcome: "approved", resultSummary: "Đã giải quyết", resultDocument: result)))
            default:
                break
            }
        }
    }
}
