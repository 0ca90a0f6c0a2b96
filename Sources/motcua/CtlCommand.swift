import ArgumentParser
import Foundation
import MotCuaCore
import NIOHTTP1

/// `motcua ctl`: what an officer (or a script) uses to file dossiers, act on them and read queues.
struct CtlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl", abstract: "Client of a node's API: log in, submit, act, list, verify.",
        subcommands: [
            Login.self, Procedures.self, Submit.self, Act.self, Show.self, Queue.self, Events.self, Verify.self, Admin.self, NationalCommand.self,
        ])

    struct Admin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A node's administration (admin officers).", subcommands: [AcceptLogLoss.self])

        struct AcceptLogLoss: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "accept-log-loss",
                abstract: "Accept that this node lost the end of its log (events the hub holds) and resume writes after the hub's position.")
            @OptionGroup var connection: Connection
            @Option(help: "What was lost and why, for the record (an event in the log keeps it).") var reason: String

            func run() async throws {
                let client = try await connection.client()
                let answer = try await client.call(.POST, "/v1/admin/log/accept-loss", body: .object(["reason": .string(reason)]))
                connection.emit(answer) { answer in
                    "loss accepted: seqs \(answer.text("lostFromSeq"))-\(answer.text("lostToSeq")) are gone from this node's log; it goes on at seq \(answer.text("seq"))"
                }
            }
        }
    }
}

/// Where the node is and who is asking; shared by every `ctl` subcommand.
struct Connection: ParsableArguments {
    @Option(help: "Base URL of the node (or MOTCUA_URL).")
    var url: String = ProcessInfo.processInfo.environment["MOTCUA_URL"] ?? "http://127.0.0.1:8080"
    @Option(help: "Folder where `ctl login` keeps its session.")
    var stateDir: String = ".motcua"
    @Option(help: "Log in with this user for this call only (with --password).")
    var username: String?
    @Option(help: "Password for --username.")
    var password: String?
    @Flag(help: "Print JSON for scripts.")
    var json = false

    var sessionFile: String { (stateDir as NSString).appendingPathComponent("ctl-session.json") }

    /// The base URL without a trailing slash: the key of the saved session.
    var baseURL: String { url.hasSuffix("/") ? String(url.dropLast()) : url }

    /// A client with a token: from --username/--password, MOTCUA_TOKEN, or the saved session.
    func client(requireLogin: Bool = true) async throws -> APIClient {
        var client = APIClient(baseURL: baseURL)
        if let username, let password {
            client.token = try await Self.login(client, username: username, password: password)["token"]?.stringValue
        } else if let token = ProcessInfo.processInfo.environment["MOTCUA_TOKEN"] {
            client.token = token
        } else if let data = FileManager.default.contents(atPath: sessionFile),
                  let sessions = try? JSONDecoder().decode([String: String].self, from: data) {
            client.token = sessions[client.baseURL]
        }
        if requireLogin && client.token == nil {
            throw CommandFailure("not logged in: run `motcua ctl login --username receiver --password ...` or pass --username/--password")
        }
        return client
    }

    static func login(_ client: APIClient, username: String, password: String) async throws -> JSONValue {
        try await client.call(.POST, "/v1/auth/token", body: .object(["username": .string(username), "password": .string(password)]))
    }

    func emit(_ value: JSONValue, human: (JSONValue) -> String) {
        print(json ? value.canonicalText : human(value))
    }
}

extension JSONValue {
    /// A field as display text ("" when absent).
    func text(_ key: String) -> String {
        switch self[key] {
        case .string(let text)?: text
        case .int(let number)?: String(number)
        case .bool(let flag)?: flag ? "yes" : "no"
        case nil, .null?: ""
        case .array(let list)?: list.map { $0.stringValue ?? $0.canonicalText }.joined(separator: ", ")
        case let other?: other.canonicalText
        }
    }

    var items: [JSONValue] {
        if case .array(let list)? = self["items"] { return list }
        return []
    }
}

/// Renders a dossier answer for a person.
func describeDossier(_ dossier: JSONValue) -> String {
    var lines = [
        "dossier     \(dossier.text("code"))",
        "status      \(dossier.text("status")) \(dossier.text("statusName"))\(dossier.text("state").isEmpty ? "" : " (\(dossier.text("state")))")",
        "procedure   \(dossier.text("procedureCode")) \(dossier.text("procedureName"))",
    ]
    if case .object = dossier["applicant"] {
        lines.append("applicant   \(dossier["applicant"]!.text("fullName")) (\(dossier["applicant"]!.text("idNumber")))")
    }
    for (label, key) in [("received", "receivedAt"), ("due", "dueAt"), ("finished", "finishedAt"), ("returned", "returnedAt")] {
        if !dossier.text(key).isEmpty { lines.append("\(label.padding(toLength: 12, withPad: " ", startingAt: 0))\(dossier.text(key))") }
    }
    let holder = dossier["holderUnit"]
    if case .object? = holder {
        lines.append("at          \(holder!.text("name")) (\(holder!.text("code")))")
    } else if !dossier.text("holderUnit").isEmpty {
        lines.append("at          \(dossier.text("holderUnitName")) (\(dossier.text("holderUnit")))")
    }
    if dossier.text("overdue") == "yes" { lines.append("overdue     yes") }
    if case .array(let actions)? = dossier["allowedActions"], !actions.isEmpty {
        lines.append("next        \(actions.compactMap(\.stringValue).joined(separator: ", "))")
    }
    if case .object? = dossier["form"], let form = dossier["form"] {
        lines.append("form \(form.text("form"))     \(form.text("title"))")
        if !form.text("appointmentAt").isEmpty { lines.append("  appointment \(form.text("appointmentAt")), collect at \(form.text("collectAt"))") }
        if !form.text("newAppointmentAt").isEmpty { lines.append("  new appointment \(form.text("newAppointmentAt")): \(form.text("reason"))") }
    }
    if case .array(let timeline)? = dossier["timeline"] {
        var table = TextTable(headers: ["at", "event", "status", "unit"])
        for entry in timeline {
            table.add([entry.text("at"), entry.text("event"), entry.text("statusName"), entry["unit"]?.text("name") ?? ""])
        }
        lines.append("")
        lines.append(table.render())
    }
    return lines.joined(separator: "\n")
}

extension CtlCommand {
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Log in and keep the token for later calls.")
        @OptionGroup var connection: Connection

        func run() async throws {
            guard let username = connection.username, let password = connection.password else {
                throw ValidationError("give --username and --password")
            }
            let client = APIClient(baseURL: connection.baseURL)
            let answer = try await Connection.login(client, username: username, password: password)
            try FileManager.default.createDirectory(atPath: connection.stateDir, withIntermediateDirectories: true)
            var sessions = (FileManager.default.contents(atPath: connection.sessionFile))
                .flatMap { try? JSONDecoder().decode([String: String].self, from: $0) } ?? [:]
            sessions[client.baseURL] = answer["token"]?.stringValue
            try JSONEncoder().encode(sessions).write(to: URL(fileURLWithPath: connection.sessionFile), options: .atomic)
            _ = chmod(connection.sessionFile, 0o600)
            connection.emit(answer) { answer in
                "logged in as \(answer.text("username")) (\(answer.text("roles"))) until \(answer.text("expiresAt"))"
            }
        }
    }

    struct Procedures: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the procedure catalogue.")
        @OptionGroup var connection: Connection
        @Option(help: "ministry, province, district or commune.") var level: String?
        @Option(help: "none, partial or full-process.") var onlineMode: String?
        @Option(help: "Text to search in names and codes.") var query: String?

        func run() async throws {
            let client = try await connection.client(requireLogin: false)
            var parameters = ["limit=200"]
            if let level { parameters.append("level=\(queryEscape(level))") }
            if let onlineMode { parameters.append("onlineMode=\(queryEscape(onlineMode))") }
            if let query { parameters.append("q=\(queryEscape(query))") }
            let answer = try await client.call(.GET, "/v1/procedures?" + parameters.joined(separator: "&"))
            connection.emit(answer) { answer in
                var table = TextTable(headers: ["code", "level", "lead", "online", "fee", "name"])
                for item in answer.items {
                    table.add([item.text("code"), item.text("level"), item.text("leadTime"), item.text("onlineMode"), item.text("fee"), item.text("name")])
                }
                return table.render()
            }
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "File a dossier: online (as the applicant) or at the counter (as a receiver, with --channel counter).")
        @OptionGroup var connection: Connection
        @Option(help: "Procedure code, e.g. 1.001193.") var procedure: String
        @Option(help: "online, counter or post.") var channel: String = "online"
        @Option(help: "Applicant's 12-digit personal ID number.") var idNumber: String
        @Option(help: "Applicant's full name.") var name: String
        @Option(help: "Birth date YYYY-MM-DD.") var birthDate: String?
        @Option(help: "Phone number.") var phone: String?
        @Option(help: "E-mail address.") var email: String?
        @Option(help: "Tax code (10 or 13 digits).") var taxCode: String?
        @Option(help: "Competent unit code when several fit (see GET /v1/units).") var unit: String?
        @Option(name: .customLong("file"), help: "A component as CODE=PATH (repeat).") var files: [String] = []

        func run() async throws {
            let client = try await connection.client(requireLogin: channel != "online")
            var applicant: [String: JSONValue] = ["idNumber": .string(idNumber), "fullName": .string(name)]
            for (key, value) in [("birthDate", birthDate), ("phone", phone), ("email", email), ("taxCode", taxCode)] {
                if let value { applicant[key] = .string(value) }
            }
            var body: [String: JSONValue] = [
                "procedureCode": .string(procedure), "channel": .string(channel), "applicant": .object(applicant),
                "components": .array(try files.map(componentJSON)),
            ]
            if let unit { body["unit"] = .string(unit) }
            let answer = try await client.callIdempotent(.POST, "/v1/dossiers", body: .object(body))
            connection.emit(answer, human: describeDossier)
        }
    }

    struct Act: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Perform an action on a dossier.",
            discussion: "Actions: \(DossierAction.allCases.map(\.rawValue).joined(separator: ", ")). Applicants (supplement, request-withdrawal) pass --id-number instead of logging in.")
        @OptionGroup var connection: Connection
        @Argument(help: "Dossier code.") var code: String
        @Argument(help: "The action.") var action: String
        @Option(help: "Note.") var note: String?
        @Option(help: "Reason (refuse, extend, decide rejected, stop, request-withdrawal).") var reason: String?
        @Option(help: "Officer to assign.") var assignee: String?
        @Option(name: .customLong("item"), help: "What is missing (request-supplement; repeat).") var items: [String] = []
        @Option(help: "approved or rejected (decide).") var outcome: String?
        @Option(help: "Amount in VND (request-payment, record-payment).") var amount: Int?
        @Option(help: "national-portal, local-gateway, cash or bank-transfer (record-payment).") var method: String?
        @Option(help: "Destination unit (forward).") var toUnit: String?
        @Option(help: "Extension in working days (extend).") var workingDays: Int?
        @Option(help: "New appointment, ISO 8601 (extend).") var newDueAt: String?
        @Option(name: .customLong("file"), help: "A component as CODE=PATH (supplement; decide: the result document).") var files: [String] = []
        @Option(help: "Applicant's ID number, when acting as the applicant.") var idNumber: String?
        @Option(help: "Raw JSON body (overrides the options above).") var body: String?

        func run() async throws {
            var client = try await connection.client(requireLogin: idNumber == nil)
            if idNumber != nil && connection.username == nil { client.token = nil }  // acting as the applicant
            var payload: [String: JSONValue] = [:]
            if let body {
                guard let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) else {
                    throw ValidationError("--body is not valid JSON")
                }
                if case .object(let fields) = parsed { payload = fields }
            } else {
                let texts: [(String, String?)] = [
                    ("note", note), ("reason", reason), ("assignee", assignee), ("outcome", outcome), ("method", method),
                    ("toUnit", toUnit), ("newDueAt", newDueAt),
                ]
                for (key, value) in texts { if let value { payload[key] = .string(value) } }
                if !items.isEmpty { payload["items"] = .array(items.map(JSONValue.string)) }
                if let amount { payload["amountVND"] = .int(Int64(amount)) }
                if let workingDays { payload["workingDays"] = .int(Int64(workingDays)) }
                if action == "refuse", let reason { payload["reasons"] = .array([.string(reason)]) }
                let components = try files.map(componentJSON)
                if action == "decide", let first = components.first {
                    payload["resultDocument"] = first
                } else if !components.isEmpty {
                    payload["components"] = .array(components)
                }
            }
            let path = "/v1/dossiers/\(queryEscape(code))/actions/\(queryEscape(action))"
            // The applicant's ID number travels in the body, never in the URL.
            if let idNumber { payload["idNumber"] = .string(idNumber) }
            let answer = try await client.callIdempotent(.POST, path, body: .object(payload))
            connection.emit(answer, human: describeDossier)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a dossier (officers), or look it up as the public with --id-number.")
        @OptionGroup var connection: Connection
        @Argument(help: "Dossier code.") var code: String
        @Option(help: "Applicant's ID number (public lookup).") var idNumber: String?
        @Option(help: "The lookup secret printed on the receipt (public lookup).") var lookupSecret: String?

        func run() async throws {
            let anonymousLookup = idNumber != nil || lookupSecret != nil
            let client = try await connection.client(requireLogin: !anonymousLookup)
            let path = "/v1/dossiers/\(queryEscape(code))"
            if anonymousLookup {
                // In the body, so neither lands in an access log.
                var anonymous = client
                anonymous.token = nil
                let credential: JSONValue = lookupSecret.map { .object(["lookupSecret": .string($0)]) } ?? .object(["idNumber": .string(idNumber ?? "")])
                connection.emit(try await anonymous.call(.POST, path + "/lookup", body: credential), human: describeDossier)
                return
            }
            connection.emit(try await client.call(.GET, path), human: describeDossier)
        }
    }

    struct Queue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dossiers in your units' queue.")
        @OptionGroup var connection: Connection
        @Option(help: "Unit code (default: all of yours).") var unit: String?
        @Option(help: "National status 1-10.") var status: Int?
        @Option(help: "Procedure code.") var procedure: String?
        @Flag(help: "Only overdue dossiers.") var overdue = false
        @Option(help: "Due before this date or time (ISO 8601).") var dueBefore: String?
        @Option(help: "Page size.") var limit: Int = 50
        @Option(help: "Cursor from the previous page.") var cursor: String?

        func run() async throws {
            let client = try await connection.client()
            var parameters = ["limit=\(limit)"]
            if let unit { parameters.append("unit=\(queryEscape(unit))") }
            if let status { parameters.append("status=\(status)") }
            if let procedure { parameters.append("procedure=\(queryEscape(procedure))") }
            if overdue { parameters.append("overdue=true") }
            if let dueBefore { parameters.append("dueBefore=\(queryEscape(dueBefore))") }
            if let cursor { parameters.append("cursor=\(queryEscape(cursor))") }
            let answer = try await client.call(.GET, "/v1/dossiers?" + parameters.joined(separator: "&"))
            connection.emit(answer) { answer in
                var table = TextTable(headers: ["code", "status", "procedure", "applicant", "due", "at", "overdue"])
                for item in answer.items {
                    table.add([
                        item.text("code"), "\(item.text("status")) \(item.text("statusName"))", item.text("procedureCode"),
                        item["applicant"]?.text("fullName") ?? "", item.text("dueAt"), item.text("holderUnit"),
                        item.text("overdue") == "yes" ? "OVERDUE" : "",
                    ])
                }
                let next = answer.text("nextCursor")
                return table.render() + "\n\(answer.items.count) dossier(s)" + (next.isEmpty ? "" : "; next page: --cursor \(next)")
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a dossier's events from the log.")
        @OptionGroup var connection: Connection
        @Argument(help: "Dossier code.") var code: String

        func run() async throws {
            let client = try await connection.client()
            let answer = try await client.call(.GET, "/v1/dossiers/\(queryEscape(code))/events")
            connection.emit(answer) { answer in
                var table = TextTable(headers: ["seq", "time (ms)", "kind", "actor", "hash"])
                for item in answer.items {
                    table.add([item.text("seq"), item.text("timeMs"), item.text("kind"), item.text("actor"), String(item.text("hash").prefix(16)) + "…"])
                }
                return table.render()
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-walk the node's event log and check every hash (admin or leader).")
        @OptionGroup var connection: Connection

        func run() async throws {
            let client = try await connection.client()
            let answer = try await client.call(.GET, "/v1/log/verify")
            connection.emit(answer) { answer in
                answer.text("intact") == "yes"
                    ? "chain intact: \(answer.text("eventsChecked")) events, head \(answer.text("headSeq")) \(answer.text("headHash").prefix(16))…"
                    : "CHAIN BROKEN at seq \(answer.text("firstBreakSeq")): \(answer.text("firstBreak"))"
            }
            if answer["intact"] == .bool(false) { throw ExitCode(2) }
        }
    }
}

/// Reads `CODE=PATH` into a component object.
func componentJSON(_ spec: String) throws -> JSONValue {
    let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { throw ValidationError("--file takes CODE=PATH, e.g. TP1=./to-khai.pdf") }
    guard let data = FileManager.default.contents(atPath: parts[1]) else { throw CommandFailure("cannot read \(parts[1])") }
    return .object([
        "code": .string(parts[0]), "fileName": .string((parts[1] as NSString).lastPathComponent),
        "contentBase64": .string(data.base64EncodedString()),
    ])
}
