import ArgumentParser
import AsyncHTTPClient
import Foundation
import MotCuaAPI
import MotCuaCore
import NIOCore
import NIOSSL
import Synchronization
import Yams

/// `motcua ctl`: what an officer (or a script) uses to file dossiers, act on them and read queues.
struct CtlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl", abstract: "Client of a node's API: log in, submit, act, list, verify.",
        subcommands: [
            Login.self, Procedures.self, Submit.self, Act.self, Show.self, Queue.self, Events.self, Verify.self, Admin.self, NationalCommand.self,
        ])

    struct Admin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A node's administration (admin officers).", subcommands: [Bootstrap.self, Officers.self, Units.self, AcceptLogLoss.self])

        struct Bootstrap: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create the first admin of a node without officers, with the one-time token it printed at its first start.")
            @OptionGroup var connection: Connection
            @Option(help: "The bootstrap token (or --token-file).") var token: String?
            @Option(help: "A file holding the bootstrap token (the node keeps it in <data-dir>/bootstrap-token).") var tokenFile: String?
            @Option(help: "The admin's user name.") var admin: String
            @Option(help: "The admin's full name.") var fullName: String
            @Option(help: "A file holding the admin's password ('-': standard input); without it one is made and printed once.")
            var passwordFile: String?

            func run() async throws {
                guard let given = try token ?? tokenFile.map(readSecret) else { throw ValidationError("give --token or --token-file") }
                let (password, made) = try password(passwordFile, json: connection.json)
                let body = BootstrapBody(token: given, username: admin, fullName: fullName, password: password)
                try await connection.emit(NodeAPI.bootstrap(body), with: try connection.anonymous) { created in
                    "first admin \(created.username) created" + (made ? "; password (shown once): \(password)" : "")
                }
            }
        }

        struct Officers: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Officers' accounts: add, list, deactivate, reset a password.", subcommands: [List.self, Add.self, Deactivate.self, Activate.self, ResetPassword.self],
                defaultSubcommand: List.self)

            struct List: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Every officer of the node.")
                @OptionGroup var connection: Connection

                func run() async throws {
                    try await connection.emit(NodeAPI.officers(), with: try await connection.client()) { answer in
                        var table = TextTable(headers: ["user", "name", "roles", "units", "active"])
                        for officer in answer.items {
                            table.add([officer.username, officer.fullName, officer.roles.map(\.rawValue).joined(separator: ","),
                                       officer.units.joined(separator: ","), officer.active ? "yes" : "NO"])
                        }
                        return table.render()
                    }
                }
            }

            struct Add: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Add an officer (or replace one with the same user name).")
                @OptionGroup var connection: Connection
                @Option(name: .customLong("user"), help: "User name (lower-case letters, digits, '.', '_', '-').") var user: String
                @Option(help: "Full name.") var fullName: String
                @Option(name: .customLong("role"), help: "receiver, specialist, leader or admin (repeat).") var roles: [String]
                @Option(name: .customLong("unit"), help: "A unit the officer works in (repeat; an admin may have none).") var units: [String] = []
                @Option(help: "A file holding the password ('-': standard input); without it one is made and printed once.") var passwordFile: String?

                func run() async throws {
                    let parsed = try roles.map { name in
                        guard let role = OfficerRole(rawValue: name) else {
                            throw ValidationError("--role \(name): one of \(OfficerRole.allCases.map(\.rawValue).joined(separator: ", "))")
                        }
                        return role
                    }
                    let (password, made) = try password(passwordFile, json: connection.json)
                    let body = OfficerBody(username: user, fullName: fullName, password: password, roles: parsed, units: units)
                    try await connection.emit(NodeAPI.saveOfficer(body), with: try await connection.client()) { saved in
                        "officer \(saved.username) saved" + (made ? "; password (shown once): \(password)" : "")
                    }
                }
            }

            struct Deactivate: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Deactivate an officer: their sessions end at once.")
                @OptionGroup var connection: Connection
                @Argument(help: "User name.") var user: String

                func run() async throws {
                    try await connection.emit(NodeAPI.updateOfficer(user, OfficerPatchBody(active: false)), with: try await connection.client()) {
                        "officer \($0.username) deactivated"
                    }
                }
            }

            struct ResetPassword: AsyncParsableCommand {
                static let configuration = CommandConfiguration(
                    commandName: "reset-password", abstract: "Give an officer a new password (their sessions end at once).")
                @OptionGroup var connection: Connection
                @Argument(help: "User name.") var user: String
                @Option(help: "A file holding the new password ('-': standard input); without it one is made and printed once.") var passwordFile: String?

                func run() async throws {
                    let (password, made) = try password(passwordFile, json: connection.json)
                    try await connection.emit(NodeAPI.updateOfficer(user, OfficerPatchBody(password: password)), with: try await connection.client()) {
                        "password of \($0.username) reset" + ($0.active ? "" : " (the account stays deactivated: `officers activate \($0.username)`)")
                            + (made ? "; new password (shown once): \(password)" : "")
                    }
                }
            }

            struct Activate: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Activate a deactivated officer again.")
                @OptionGroup var connection: Connection
                @Argument(help: "User name.") var user: String

                func run() async throws {
                    try await connection.emit(NodeAPI.updateOfficer(user, OfficerPatchBody(active: true)), with: try await connection.client()) {
                        "officer \($0.username) activated"
                    }
                }
            }
        }

        struct Units: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "The node's administrative units: import from a file, list.", subcommands: [List.self, Import.self], defaultSubcommand: List.self)

            struct List: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "The node's units.")
                @OptionGroup var connection: Connection

                func run() async throws {
                    try await connection.emit(NodeAPI.units(), with: try connection.anonymous) { page in
                        var table = TextTable(headers: ["code", "level", "parent", "agency", "name"])
                        for unit in page.items { table.add([unit.code, unit.level.rawValue, unit.parentCode ?? "", unit.agencyCode, unit.name]) }
                        return table.render()
                    }
                }
            }

            struct Import: AsyncParsableCommand {
                static let configuration = CommandConfiguration(
                    abstract: "Add or replace units from a YAML or JSON file: a list of units, or {units: [...]}, each with code, name, level, parentCode, agencyCode.")
                @OptionGroup var connection: Connection
                @Argument(help: "The file.") var file: String

                func run() async throws {
                    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CommandFailure("cannot read \(file)") }
                    let units: [AdministrativeUnit]
                    do {
                        units = try Self.parse(text)
                    } catch {
                        throw CommandFailure("\(file) is not a list of units: \(error)")
                    }
                    try await connection.emit(NodeAPI.importUnits(units), with: try await connection.client()) {
                        "\($0.imported) unit(s) imported; the node has \($0.units)"
                    }
                }

                static func parse(_ text: String) throws -> [AdministrativeUnit] {
                    struct Wrapped: Decodable { var units: [AdministrativeUnit] }
                    let decoder = YAMLDecoder()
                    if let wrapped = try? decoder.decode(Wrapped.self, from: text) { return wrapped.units }
                    return try decoder.decode([AdministrativeUnit].self, from: text)
                }
            }
        }

        struct AcceptLogLoss: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "accept-log-loss",
                abstract: "Accept that this node lost the end of its log (events the hub holds) and resume writes after the hub's position.")
            @OptionGroup var connection: Connection
            @Option(help: "What was lost and why, for the record (an event in the log keeps it).") var reason: String

            func run() async throws {
                try await connection.emit(NodeAPI.acceptLogLoss(reason: reason), with: try await connection.client()) { answer in
                    "loss accepted: seqs \(answer.lostFromSeq)-\(answer.lostToSeq) are gone from this node's log; it goes on at seq \(answer.seq)"
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
    @Option(help: "Trust this CA bundle (PEM) for an HTTPS node instead of the system's (a province's own CA).")
    var caFile: String?

    var sessionFile: String { (stateDir as NSString).appendingPathComponent("ctl-session.json") }

    /// The base URL without a trailing slash: the key of the saved session.
    var baseURL: String { url.hasSuffix("/") ? String(url.dropLast()) : url }

    /// A client without a session.
    var anonymous: APIClient {
        get throws {
            APIClient.commandLine(baseURL: baseURL, http: try caFile.map(HTTPClients.trusting) ?? .shared, hint: " (is the node running? `motcua status`, or --url)")
        }
    }

    /// A client with a token: from --username/--password, MOTCUA_TOKEN, or the saved session.
    func client(requireLogin: Bool = true) async throws -> APIClient {
        var client = try anonymous
        if let username, let password {
            client.token = try await client.send(NodeAPI.login(username: username, password: password)).token
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

    /// Sends the request and prints its answer: with --json as it came, else as `human` renders it.
    @discardableResult
    func emit<Answer>(_ request: APIRequest<Answer>, with client: APIClient, human: (Answer) -> String) async throws -> Answer? {
        if json {
            print(try await client.send(request.untyped).canonicalText)
            return nil
        }
        let answer = try await client.send(request)
        print(human(answer))
        return answer
    }
}

/// HTTP clients that trust a given CA bundle, one per bundle for the life of the process.
enum HTTPClients {
    private static let made = Mutex<[String: HTTPClient]>([:])

    static func trusting(_ caFile: String) throws -> HTTPClient {
        try made.withLock { clients in
            if let client = clients[caFile] { return client }
            guard FileManager.default.isReadableFile(atPath: caFile) else { throw ValidationError("--ca-file \(caFile): cannot read it") }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            clients[caFile] = client
            return client
        }
    }
}

extension APIClient {
    /// A client for the command line: retries of idempotent writes are told on standard error.
    static func commandLine(baseURL: String, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(30), hint: String) -> APIClient {
        var client = APIClient(baseURL: baseURL, http: http, timeout: timeout)
        client.onRetry = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        client.unreachableHint = hint
        return client
    }
}

/// A time as the API writes it ("" for none).
func text(_ date: Date?) -> String { date.map(VietnamTime.format) ?? "" }

/// Renders an officer's view of a dossier for a person.
func describeDossier(_ view: DossierView) -> String {
    let dossier = view.dossier
    var lines = [
        "dossier     \(dossier.code)",
        "status      \(dossier.status) \(dossier.state.statusName) (\(dossier.state.rawValue))",
        "procedure   \(dossier.procedureCode) \(view.procedureName ?? "")",
        "applicant   \(dossier.applicant.fullName) (\(dossier.applicant.idNumber))",
    ]
    for (label, date) in [("received", dossier.receivedAt), ("due", dossier.dueAt), ("finished", dossier.finishedAt), ("returned", dossier.returnedAt)] {
        if let date { lines.append("\(label.padding(toLength: 12, withPad: " ", startingAt: 0))\(text(date))") }
    }
    lines.append("at          \(view.holderUnitName ?? "") (\(dossier.holderUnit))")
    if view.overdue { lines.append("overdue     yes") }
    if !view.allowedActions.isEmpty { lines.append("next        \(view.allowedActions.joined(separator: ", "))") }
    switch view.form {
    case .receipt(let form)?:
        lines.append("form \(form.form)     \(form.title)")
        lines.append("  appointment \(text(form.appointmentAt)), collect at \(form.collectAt)")
    case .supplementRequest(let form)?: lines.append("form \(form.form)     \(form.title)")
    case .refusal(let form)?: lines.append("form \(form.form)     \(form.title)")
    case .apology(let form)?:
        lines.append("form \(form.form)     \(form.title)")
        lines.append("  new appointment \(text(form.newAppointmentAt)): \(form.reason)")
    case .stopNotice(let form)?: lines.append("form \(form.form)     \(form.title)")
    case nil: break
    }
    if let secret = view.lookupSecret { lines.append("lookup      secret \(secret) (printed on the receipt)") }
    return lines.joined(separator: "\n")
}

/// Renders what the public lookup shows for a person.
func describeDossier(_ view: PublicDossierView) -> String {
    var lines = [
        "dossier     \(view.code)",
        "status      \(view.status) \(view.statusName)",
        "procedure   \(view.procedureCode) \(view.procedureName ?? "")",
    ]
    for (label, date) in [("received", view.receivedAt), ("due", view.dueAt), ("finished", view.finishedAt), ("returned", view.returnedAt)] {
        if let date { lines.append("\(label.padding(toLength: 12, withPad: " ", startingAt: 0))\(text(date))") }
    }
    lines.append("at          \(view.holderUnit.name) (\(view.holderUnit.code))")
    if view.overdue { lines.append("overdue     yes") }
    var table = TextTable(headers: ["at", "event", "status", "unit"])
    for entry in view.timeline { table.add([text(entry.at), entry.event, entry.statusName ?? "", entry.unit?.name ?? ""]) }
    lines.append("")
    lines.append(table.render())
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
            let request = NodeAPI.login(username: username, password: password)
            let client = try connection.anonymous
            // The session is kept whatever is printed: the typed answer gives the token, --json prints the answer as it came.
            let raw = try await client.send(request.untyped)
            let answer: SessionAnswer
            do {
                answer = try APIJSON.decoder.decode(SessionAnswer.self, from: Data(raw.canonicalText.utf8))
            } catch {
                throw CommandFailure("the node's answer to the login is not a session: \(error)")
            }
            try FileManager.default.createDirectory(atPath: connection.stateDir, withIntermediateDirectories: true)
            var sessions = (FileManager.default.contents(atPath: connection.sessionFile))
                .flatMap { try? JSONDecoder().decode([String: String].self, from: $0) } ?? [:]
            sessions[client.baseURL] = answer.token
            try JSONEncoder().encode(sessions).write(to: URL(fileURLWithPath: connection.sessionFile), options: .atomic)
            _ = chmod(connection.sessionFile, 0o600)
            print(connection.json ? raw.canonicalText
                  : "logged in as \(answer.username) (\(answer.roles.map(\.rawValue).joined(separator: ", "))) until \(text(answer.expiresAt))")
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
            var filter = NodeAPI.ProcedureQuery(text: query, limit: 200)
            if let level {
                guard let parsed = AdministrativeLevel(rawValue: level) else { throw ValidationError("--level: ministry, province, district or commune") }
                filter.level = parsed
            }
            if let onlineMode {
                guard let parsed = OnlineMode(rawValue: onlineMode) else { throw ValidationError("--online-mode: none, partial or full-process") }
                filter.onlineMode = parsed
            }
            try await connection.emit(NodeAPI.procedures(filter), with: client) { page in
                var table = TextTable(headers: ["code", "level", "lead", "online", "fee", "name"])
                for item in page.items {
                    table.add([item.code, item.level.rawValue, item.leadTime, item.onlineMode.rawValue, String(item.fee), item.name])
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
            guard let channel = SubmissionChannel(rawValue: channel) else { throw ValidationError("--channel: online, counter or post") }
            let client = try await connection.client(requireLogin: channel != .online)
            var applicant = Applicant(idNumber: idNumber, fullName: name)
            if let birthDate {
                guard let day = LocalDate(iso: birthDate) else { throw ValidationError("--birth-date: YYYY-MM-DD") }
                applicant.birthDate = day
            }
            applicant.phone = phone
            applicant.email = email
            applicant.taxCode = taxCode
            let body = SubmissionBody(procedureCode: procedure, channel: channel, applicant: applicant, components: try files.map(upload), unit: unit)
            try await connection.emit(NodeAPI.file(body), with: client, human: describeDossier)
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
            guard let action = DossierAction(rawValue: action) else {
                throw ValidationError("unknown action '\(action)'; one of \(DossierAction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var client = try await connection.client(requireLogin: idNumber == nil)
            if idNumber != nil { client.token = nil }  // acting as the applicant, who has no session
            var payload = ActionBody()
            if let body {
                do {
                    payload = try JSONDecoder().decode(ActionBody.self, from: Data(body.utf8))
                } catch {
                    throw ValidationError("--body is not an action body: \(error)")
                }
            } else {
                payload.note = note
                payload.reason = reason
                payload.assignee = assignee
                payload.outcome = outcome
                payload.method = method
                payload.toUnit = toUnit
                payload.newDueAt = newDueAt
                if !items.isEmpty { payload.items = items }
                payload.amountVND = amount
                payload.workingDays = workingDays
                if action == .refuse, let reason { payload.reasons = [reason] }
                let components = try files.map(upload)
                if action == .decide, let first = components.first {
                    payload.resultDocument = first
                } else if !components.isEmpty {
                    payload.components = components
                }
            }
            // The applicant's ID number travels in the body, never in the URL.
            if let idNumber {
                payload.idNumber = idNumber
                try await connection.emit(NodeAPI.actAsApplicant(code, action, payload), with: client, human: describeDossier)
            } else {
                try await connection.emit(NodeAPI.act(code, action, payload), with: client, human: describeDossier)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a dossier (officers), or look it up as the public with --id-number.")
        @OptionGroup var connection: Connection
        @Argument(help: "Dossier code.") var code: String
        @Option(help: "Applicant's ID number (public lookup).") var idNumber: String?
        @Option(help: "The lookup secret printed on the receipt (public lookup).") var lookupSecret: String?

        func run() async throws {
            if idNumber != nil || lookupSecret != nil {
                // In the body, so neither lands in an access log.
                let credential = lookupSecret.map { LookupBody(lookupSecret: $0) } ?? LookupBody(idNumber: idNumber)
                try await connection.emit(NodeAPI.lookup(code, credential), with: try connection.anonymous, human: describeDossier)
                return
            }
            try await connection.emit(NodeAPI.dossier(code), with: try await connection.client(), human: describeDossier)
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
            let query = NodeAPI.DossierQuery(
                unit: unit, status: status, procedure: procedure, overdue: overdue ? true : nil, dueBefore: dueBefore, cursor: cursor, limit: limit)
            try await connection.emit(NodeAPI.queue(query), with: try await connection.client()) { page in
                var table = TextTable(headers: ["code", "status", "procedure", "applicant", "due", "at", "overdue"])
                for item in page.items {
                    let dossier = item.dossier
                    table.add([
                        dossier.code, "\(dossier.status) \(dossier.state.statusName)", dossier.procedureCode, dossier.applicant.fullName,
                        text(dossier.dueAt), dossier.holderUnit, item.overdue ? "OVERDUE" : "",
                    ])
                }
                let next = page.nextCursor.map { "; next page: --cursor \($0)" } ?? ""
                return table.render() + "\n\(page.items.count) dossier(s)" + next
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a dossier's events from the log.")
        @OptionGroup var connection: Connection
        @Argument(help: "Dossier code.") var code: String

        func run() async throws {
            try await connection.emit(NodeAPI.events(code), with: try await connection.client()) { page in
                var table = TextTable(headers: ["seq", "time (ms)", "kind", "actor", "hash"])
                for event in page.items {
                    table.add([String(event.seq), String(event.timeMs), event.kind, event.actor, String(event.hash.prefix(16)) + "…"])
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
            // The exit status says whether the chain holds, with --json too.
            let report = try await client.send(NodeAPI.verifyLog())
            if connection.json {
                print(String(decoding: try APIJSON.encoder.encode(report), as: UTF8.self))
            } else {
                print(report.intact
                    ? "chain intact: \(report.eventsChecked) events, head \(report.headSeq) \(report.headHash.prefix(16))…"
                    : "CHAIN BROKEN at seq \(report.firstBreakSeq.map(String.init) ?? "?"): \(report.firstBreak ?? "")")
            }
            if !report.intact { throw ExitCode(2) }
        }
    }
}

/// A secret from a file ('-': standard input), without its final line break.
func readSecret(_ path: String) throws -> String {
    let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
    guard let data, let text = String(data: data, encoding: .utf8) else { throw CommandFailure("cannot read \(path)") }
    return text.trimmingCharacters(in: .newlines)
}

/// A password from a file, or a new random one (20 characters from an alphabet without look-alikes) and
/// whether it was made here (then the command prints it once; with --json, whose output is the server's
/// answer alone, a password file is required, so that no password is made that nobody sees).
func password(_ file: String?, json: Bool) throws -> (String, made: Bool) {
    if let file { return (try readSecret(file), false) }
    if json { throw ValidationError("with --json, give --password-file: a password made here would not be shown") }
    let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    var generator = SystemRandomNumberGenerator()
    return (String((0..<20).map { _ in alphabet.randomElement(using: &generator)! }), true)
}

/// Reads `CODE=PATH` into a component to upload.
func upload(_ spec: String) throws -> UploadBody {
    let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { throw ValidationError("--file takes CODE=PATH, e.g. TP1=./to-khai.pdf") }
    guard let data = FileManager.default.contents(atPath: parts[1]) else { throw CommandFailure("cannot read \(parts[1])") }
    return UploadBody(code: parts[0], fileName: (parts[1] as NSString).lastPathComponent, bytes: data)
}
