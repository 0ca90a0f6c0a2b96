import Foundation
import HTTPTypes
import Hummingbird
import MotCuaCore
import MotCuaHTTP
import MotCuaProtocol
import NIOCore

/// The public API of a node under `/v1`, plus health probes.
struct NodeRoutes {
    let service: NodeService

    func register(on router: Router<NodeRequestContext>) {
        router.get("/healthz") { _, _ in try json(["status": "ok"]) }
        router.get("/readyz") { _, _ in try await ready() }

        let v1 = router.group("v1")
        v1.post("auth/token") { request, context in try await login(request, context) }
        v1.get("procedures") { request, _ in try procedures(request) }
        v1.get("procedures/:code") { _, context in try procedure(context) }
        v1.get("units") { _, _ in
            try json(Page(items: service.allUnits(), nextCursor: nil))
        }
        // Units of the other nodes (from the hub): where a desk can send a dossier filed here for them.
        v1.get("federation/units") { _, _ in
            try json(Page(items: service.federationDirectory.units.values.sorted { $0.code < $1.code }, nextCursor: nil))
        }
        v1.post("dossiers") { request, context in try await submit(request, context) }
        v1.get("dossiers") { request, _ in try await queue(request) }
        v1.get("dossiers/:code") { request, context in try await dossier(request, context) }
        v1.post("dossiers/:code/lookup") { request, context in try await lookup(request, context) }
        v1.post("dossiers/:code/actions/:action") { request, context in try await act(request, context) }
        v1.get("dossiers/:code/events") { request, context in try await events(request, context) }
        v1.get("dossiers/:code/components") { request, context in try await components(request, context) }
        v1.get("dossiers/:code/control-sheet") { request, context in try await controlSheet(request, context) }
        v1.get("transfers") { request, _ in try await transfers(request) }
        v1.get("log/verify") { request, _ in
            _ = try await officer(request, roles: [.admin, .leader])
            return try json(try await service.verifyChain())
        }
        // An operator accepts that the node lost the end of its log (see `NodeService.acceptLogLoss`).
        v1.post("admin/log/accept-loss") { request, context in
            let admin = try await officer(request, roles: [.admin])
            struct Body: Decodable { var reason: String }
            let body = try await decode(Body.self, request, context).value
            let result = try await service.acceptLogLoss(reason: body.reason, officer: admin)
            return try json(["seq": result.seq, "lostFromSeq": result.lostFrom, "lostToSeq": result.lostTo])
        }
        v1.get("officers") { request, _ in
            _ = try await officer(request, roles: [.admin])
            let officers = try await service.officers().map { officer in
                JSONValue.object([
                    "username": .string(officer.username), "fullName": .string(officer.fullName), "active": .bool(officer.active),
                    "roles": .array(officer.roles.map { .string($0.rawValue) }), "units": .array(officer.units.map(JSONValue.string)),
                ])
            }
            return try json(["items": JSONValue.array(officers)])
        }
        v1.post("officers") { request, context in
            _ = try await officer(request, roles: [.admin])
            let body = try await decode(OfficerBody.self, request, context).value
            try await service.saveOfficer(
                username: body.username, fullName: body.fullName, password: body.password, roles: body.roles, units: body.units,
                active: body.active ?? true)
            return try json(["username": body.username], status: .created)
        }
        v1.get("calendar/rules") { _, _ in try json(Page(items: service.calendarRules(), nextCursor: nil)) }
        v1.post("calendar/rules") { request, context in
            let admin = try await officer(request, roles: [.admin])
            let rule = try await decode(CalendarRule.self, request, context).value
            try await service.saveCalendarRule(rule, officer: admin)
            return try json(rule, status: .created)
        }
        v1.get("calendar/holidays/:year") { _, context in
            guard let text = context.parameters.get("year"), let year = Int(text), (1900...2199).contains(year) else {
                throw Problem(.badRequest, "request.invalid-parameter", "year: a four-digit year between 1900 and 2199")
            }
            return try json(Page(items: WorkingCalendar(rules: service.calendarRules()).nonWorkingDays(year: year), nextCursor: nil))
        }
    }

    // MARK: - Handlers

    func ready() async throws -> Response {
        // While the disk was full, the node is ready again once a write succeeds or enough space is free.
        if service.health.storageFull, let free = Self.freeBytes(service.configuration.dataDirectory), free >= Self.readyFreeBytes {
            service.health.noteWriteSucceeded()
        }
        let conditions = service.health.conditions
        let head = try await service.logHead()
        var answer: [String: JSONValue] = [
            "status": .string(conditions.isEmpty ? "ready" : "not-ready"), "nodeId": .string(service.configuration.nodeID),
            "logHead": .int(head.seq), "procedures": .int(Int64(service.catalogueSize)), "units": .int(Int64(service.allUnits().count)),
        ]
        if let replication = service.replication?.status {
            answer["replication"] = try JSONValue.from(replication)
        }
        if let routing = service.transferAgent()?.status {
            answer["routing"] = try JSONValue.from(routing)
        }
        if !conditions.isEmpty {
            answer["problems"] = .array(conditions.map { condition in
                .object(["code": .string(condition.code), "detail": .string(condition.detail), "since": .string(VietnamTime.format(condition.since))])
            })
        }
        return try json(answer, status: conditions.isEmpty ? .ok : .serviceUnavailable)
    }

    /// After a full disk, the node counts as ready again once this much is free (or a write succeeds).
    static let readyFreeBytes: UInt64 = 4 << 20

    /// Bytes free to the node in the folder, or nil when the file system does not say.
    static func freeBytes(_ path: String) -> UInt64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }

    struct OfficerBody: Decodable {
        var username: String
        var fullName: String
        var password: String
        var roles: [OfficerRole]
        var units: [String]
        /// False deactivates the account (its sessions end at once).
        var active: Bool?
    }

    struct LoginBody: Decodable {
        var username: String
        var password: String
    }

    func login(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let body = try await decode(LoginBody.self, request, context).value
        let session = try await service.login(username: body.username, password: body.password, client: client(request, context))
        return try json([
            "token": JSONValue.string(session.token), "expiresAt": .string(VietnamTime.format(session.expiresAt)),
            "username": .string(session.officer.username), "roles": .array(session.officer.roles.map { .string($0.rawValue) }),
            "units": .array(session.officer.units.map(JSONValue.string)),
        ])
    }

    func procedures(_ request: Request) throws -> Response {
        let query = request.uri.queryParameters
        var filter = ProcedureFilter(limit: try limit(request))
        if let level = query.get("level") {
            guard let parsed = AdministrativeLevel(rawValue: level) else {
                throw Problem(.badRequest, "request.invalid-parameter", "level: one of ministry, province, district, commune")
            }
            filter.level = parsed
        }
        if let mode = query.get("onlineMode") {
            guard let parsed = OnlineMode(rawValue: mode) else {
                throw Problem(.badRequest, "request.invalid-parameter", "onlineMode: one of none, partial, full-process")
            }
            filter.onlineMode = parsed
        }
        filter.text = query.get("q") ?? query.get("text")
        filter.after = query.get("cursor")
        let page = service.procedures(filter)
        return try json(Page(items: page.items.map(ProcedureView.init), nextCursor: page.nextCursor))
    }

    func procedure(_ context: NodeRequestContext) throws -> Response {
        let code = context.parameters.get("code") ?? ""
        guard let procedure = service.procedure(code) else { throw DossierError.unknownProcedure(code) }
        return try json(ProcedureView(procedure))
    }

    struct SubmissionBody: Decodable {
        var procedureCode: String
        var channel: SubmissionChannel?
        var applicant: Applicant
        var components: [ActionBody.Upload]?
        var unit: String?
    }

    func submit(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let (body, raw) = try await decode(SubmissionBody.self, request, context)
        let channel = body.channel ?? .online
        let officer = try await optionalOfficer(request)
        if channel != .online && officer == nil { throw Problem.unauthenticated }
        let claim = try idempotencyClaim(request, scope: "submit:" + (officer.map { "officer:" + $0.username } ?? "applicant"), body: raw)
        if let claim, let replayed = try await replay(claim, officer: officer, status: .created) { return replayed }
        var uploads: [ComponentUpload] = []
        for (index, upload) in (body.components ?? []).enumerated() {
            guard let code = upload.code, !code.isEmpty else {
                throw DossierError.invalid(field: "components[\(index)].code", reason: "required")
            }
            uploads.append(ComponentUpload(
                code: code, fileName: upload.fileName, bytes: try ActionBody.bytes(of: upload, field: "components[\(index)]"),
                reused: upload.reused ?? false))
        }
        let submission = DossierSubmission(
            procedureCode: body.procedureCode, channel: channel, applicant: body.applicant, components: uploads, unit: body.unit)
        let filed: (outcome: DossierOutcome, lookupSecret: String)
        do {
            filed = try await service.submit(submission, officer: channel == .online ? nil : officer, idempotency: claim)
        } catch where claim != nil {
            // Another request with the same key committed first: its answer is this one's.
            if let claim, let replayed = try await replay(claim, officer: officer, status: .created) { return replayed }
            throw error
        }
        return try await answer(view(filed.outcome.dossier, form: filed.outcome.form, lookupSecret: filed.lookupSecret), status: .created, claim: claim)
    }

    func act(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let code = context.parameters.get("code") ?? ""
        let actionName = context.parameters.get("action") ?? ""
        guard let action = DossierAction(rawValue: actionName) else {
            throw Problem(.notFound, "dossier.unknown-action",
                          "unknown action '\(quoted(actionName))'; one of \(DossierAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let (body, raw) = try await decode(ActionBody.self, request, context, emptyAs: "{}")
        let command = try body.command(for: action)
        let officer = try await optionalOfficer(request)
        // The applicant's ID number in the body; the query form stays for old clients (never logged).
        struct Applicant: Decodable { var idNumber: String? }
        let idNumber = (try? JSONDecoder().decode(Applicant.self, from: raw))?.idNumber ?? request.uri.queryParameters.get("idNumber")
        let actor = officer.map { "officer:" + $0.username } ?? "applicant"
        let claim = try idempotencyClaim(request, scope: "act:\(code):\(action.rawValue):\(actor)", body: raw + Data((idNumber ?? "").utf8))
        if let claim, let replayed = try await replay(claim, officer: officer, status: .ok) { return replayed }
        let outcome: DossierOutcome
        do {
            outcome = try await service.act(
                on: code, command: command, officer: officer, applicantIdNumber: idNumber, client: client(request, context), idempotency: claim)
        } catch where claim != nil {
            if let claim, let replayed = try await replay(claim, officer: officer, status: .ok) { return replayed }
            throw error
        }
        if officer == nil {
            return try await answer(try await publicView(outcome.dossier), status: .ok, claim: claim)
        }
        // A receipt issued now carries the lookup secret kept since filing.
        var secret: String?
        if case .receipt? = outcome.form { secret = try await service.lookupSecret(of: outcome.dossier.code) }
        return try await answer(view(outcome.dossier, form: outcome.form, lookupSecret: secret), status: .ok, claim: claim)
    }

    // MARK: - Idempotency

    static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!

    /// The request's retry key, if it sent one: 1-128 visible ASCII characters.
    func idempotencyClaim(_ request: Request, scope: String, body: Data) throws -> IdempotencyClaim? {
        guard let key = request.headers[Self.idempotencyHeader] else { return nil }
        guard (1...128).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Problem(.badRequest, "request.invalid-idempotency-key", "Idempotency-Key: 1 to 128 visible ASCII characters (a UUID is usual)")
        }
        var digest = Data("\(request.method.rawValue) \(request.uri.path)\n".utf8)
        digest.append(body)
        return IdempotencyClaim(scope: scope, key: key, requestSHA256: sha256Hex(digest), atMs: Int64((service.now().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// The first answer to this key, when the key was used: as stored, or (if the node stopped between the
    /// commit and storing it) the dossier as it is now. A key used with another request is refused.
    func replay(_ claim: IdempotencyClaim, officer: OfficerRecord?, status: HTTPResponse.Status) async throws -> Response? {
        guard let record = try await service.idempotencyRecord(of: claim) else { return nil }
        guard record.requestSHA256 == claim.requestSHA256 else {
            throw Problem(.unprocessableContent, "request.idempotency-key-reused",
                          "this Idempotency-Key was used with another request; use a new key for a new request")
        }
        let replayed: HTTPFields = [HTTPField.Name("Idempotent-Replayed")!: "true"]
        if let stored = record.status, let body = record.response {
            return jsonResponse(Array(body.utf8), status: .init(code: stored), headers: replayed)
        }
        guard let dossier = try await service.storedDossier(record.dossierCode) else { throw Problem.dossierNotFound(record.dossierCode) }
        let data = officer == nil ? try APIJSON.encoder.encode(try await publicView(dossier)) : try APIJSON.encoder.encode(view(dossier, form: nil))
        return jsonResponse(data, status: status, headers: replayed)
    }

    /// The answer, stored for the key (behind the answer: a retry before it is stored gets the dossier as
    /// it is, which the change already holds).
    func answer(_ value: some Encodable, status: HTTPResponse.Status, claim: IdempotencyClaim?) async throws -> Response {
        let data = try APIJSON.encoder.encode(value)
        if let claim {
            let text = String(decoding: data, as: UTF8.self)
            service.keepAnswer(text, status: Int(status.code), for: claim)
        }
        return jsonResponse(data, status: status)
    }

    func dossier(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let code = context.parameters.get("code") ?? ""
        if let officer = try await optionalOfficer(request) {
            guard let dossier = try await service.dossier(code, officer: officer) else { throw Problem.dossierNotFound(code) }
            return try json(view(dossier, form: nil))
        }
        guard let idNumber = request.uri.queryParameters.get("idNumber"), !idNumber.isEmpty else {
            throw Problem(.badRequest, "lookup.id-number-required",
                          "look a dossier up with its code and the applicant's ID number: ?idNumber=<12 digits>")
        }
        guard let dossier = try await service.dossier(code, applicantIdNumber: idNumber, client: client(request, context)) else {
            throw Problem.dossierNotFound(code)
        }
        return try json(try await publicView(dossier))
    }

    /// The public lookup with the ID number (or the receipt's lookup secret) in the body, so that neither
    /// lands in access logs or browser history. Wrong values are answered like an unknown code (404).
    func lookup(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let code = context.parameters.get("code") ?? ""
        struct Body: Decodable {
            var idNumber: String?
            var lookupSecret: String?
        }
        let body = try await decode(Body.self, request, context).value
        let client = client(request, context)
        let found: Dossier?
        if let secret = body.lookupSecret, !secret.isEmpty {
            found = try await service.dossier(code, lookupSecret: secret, client: client)
        } else if let idNumber = body.idNumber, !idNumber.isEmpty {
            found = try await service.dossier(code, applicantIdNumber: idNumber, client: client)
        } else {
            throw Problem(.unprocessableContent, "lookup.credential-required",
                          "send {\"lookupSecret\": \"<the secret on your receipt>\"} or {\"idNumber\": \"<the applicant's 12-digit ID number>\"}")
        }
        guard let found else { throw Problem.dossierNotFound(code) }
        return try json(try await publicView(found))
    }

    func queue(_ request: Request) async throws -> Response {
        let officer = try await officer(request, roles: Set(OfficerRole.allCases))
        let query = request.uri.queryParameters
        var filter = DossierFilter(limit: try limit(request))
        if let unit = query.get("unit") {
            guard officer.units.contains(where: { service.units.isWithin(unit, ancestor: $0) }) else {
                throw Problem(.forbidden, "dossier.out-of-scope", "unit \(quoted(unit)) is outside the units you are assigned to")
            }
            filter.units = [unit]
        } else {
            filter.units = officer.units
        }
        if let status = query.get("status") {
            guard let value = Int(status), (1...10).contains(value) else {
                throw Problem(.badRequest, "request.invalid-parameter", "status: a national status code from 1 to 10")
            }
            filter.status = value
        }
        filter.procedureCode = query.get("procedure")
        if let overdue = query.get("overdue") {
            guard overdue == "true" || overdue == "false" else {
                throw Problem(.badRequest, "request.invalid-parameter", "overdue: true or false")
            }
            if overdue == "true" { filter.overdueAt = service.now() }
        }
        if let dueBefore = query.get("dueBefore") {
            guard let date = VietnamTime.parseISO8601(dueBefore) ?? LocalDate(iso: dueBefore).map({ VietnamTime.date($0, minuteOfDay: 0) }) else {
                throw Problem(.badRequest, "request.invalid-parameter", "dueBefore: an ISO 8601 date or time")
            }
            filter.dueBefore = date
        }
        if let cursor = query.get("cursor") {
            guard let value = Int64(cursor) else { throw Problem(.badRequest, "request.invalid-parameter", "cursor: use nextCursor of the previous page") }
            filter.after = value
        }
        let page = try await service.queue(filter)
        return try json(Page(items: page.items.map { view($0, form: nil) }, nextCursor: page.nextCursor.map(String.init)))
    }

    func events(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let officer = try await officer(request, roles: Set(OfficerRole.allCases))
        let code = context.parameters.get("code") ?? ""
        guard try await service.dossier(code, officer: officer) != nil else { throw Problem.dossierNotFound(code) }
        return try json(Page(items: try await service.events(ofDossier: code), nextCursor: nil))
    }

    func components(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let officer = try await officer(request, roles: Set(OfficerRole.allCases))
        let code = context.parameters.get("code") ?? ""
        guard try await service.dossier(code, officer: officer) != nil else { throw Problem.dossierNotFound(code) }
        let stored = try await service.components(of: code)
        let includeContent = request.uri.queryParameters.get("include") == "content"
        let items: [JSONValue] = stored.map { item in
            var fields: [String: JSONValue] = [
                "code": .string(item.component.code), "fileName": .string(item.component.fileName),
                "sizeBytes": .int(Int64(item.component.sizeBytes)), "sha256": .string(item.component.sha256),
            ]
            if includeContent { fields["contentBase64"] = .string(Data(item.bytes).base64EncodedString()) }
            return .object(fields)
        }
        return try json(["items": JSONValue.array(items)])
    }

    // MARK: - Helpers

    func view(_ dossier: Dossier, form: DossierForm?, lookupSecret: String? = nil) -> DossierView {
        var form = form
        if case .receipt(var receipt)? = form, let lookupSecret {
            receipt.lookupSecret = lookupSecret
            form = .receipt(receipt)
        }
        return DossierView(
            dossier: dossier, procedureName: service.procedure(dossier.procedureCode, version: dossier.procedureVersion)?.name,
            overdue: dossier.isOverdue(at: service.now()),
            allowedActions: DossierTransition.actions(from: dossier.state)
                // Only a dossier that came from another node can be sent back there.
                .filter { $0 != .sendBack || DossierMachine.canSendBack(dossier, units: service.units) }
                .map(\.rawValue),
            form: form, units: service.units, federation: service.federationDirectory, stepLate: dossier.currentStayLate(at: service.now()),
            apologyDue: dossier.apologyDue(at: service.now()), lookupSecret: lookupSecret)
    }

    func publicView(_ dossier: Dossier) async throws -> PublicDossierView {
        let units = service.units
        let events = try await service.events(ofDossier: dossier.code)
        let journey = await journey(of: dossier)
        return PublicDossierView(
            code: dossier.code, status: dossier.status, statusName: dossier.state.statusName,
            procedureCode: dossier.procedureCode,
            procedureName: service.procedure(dossier.procedureCode, version: dossier.procedureVersion)?.name,
            channel: dossier.channel, submittedAt: dossier.submittedAt, receivedAt: dossier.receivedAt, dueAt: dossier.dueAt,
            finishedAt: dossier.finishedAt, returnedAt: dossier.returnedAt, overdue: dossier.isOverdue(at: service.now()),
            outcome: dossier.outcome, receivingUnit: UnitRef(dossier.receivingUnit, units),
            holderUnit: UnitRef(dossier.holderUnit, units), componentsReceived: dossier.components.map(\.name),
            timeline: events.map { TimelineEntry($0, units: units) }, journey: journey.stops, journeySource: journey.source)
    }

    /// The journey for the public lookup: from the hub when it answers, else this node's own record.
    func journey(of dossier: Dossier) async -> (stops: [JourneyStop], source: String) {
        let now = service.now()
        let name = service.unitName
        func date(_ ms: Int64?) -> Date? { ms.map { Date(timeIntervalSince1970: Double($0) / 1000) } }
        // Ask the hub only when the dossier has been (or is) at another node.
        let nodeID = service.configuration.nodeID
        if dossier.path.contains(where: { $0.node != nodeID }) || (dossier.competentNode.map { $0 != nodeID } ?? false),
           let hops = await service.transferAgent()?.nationalJourney(of: dossier.code), hops.count >= dossier.path.count {
            return (hops.map { hop in
                JourneyStop(
                    unit: hop.unit, unitName: name(hop.unit), node: hop.node, level: hop.level, step: hop.step,
                    arrivedAt: date(hop.arrivedAtMs)!, leftAt: date(hop.leftAtMs), stepDueAt: date(hop.stepDueAtMs),
                    late: hop.isLate(atMs: Int64(now.timeIntervalSince1970 * 1000)), current: hop.index == hops.count - 1)
            }, "hub")
        }
        let path = dossier.path
        return (path.enumerated().map { index, hop in
            JourneyStop(
                unit: hop.unit, unitName: name(hop.unit), node: hop.node, level: hop.level?.rawValue, step: hop.step,
                arrivedAt: hop.arrivedAt, leftAt: hop.leftAt, stepDueAt: hop.stepDueAt, late: hop.isLate(at: now),
                current: index == path.count - 1)
        }, "local")
    }

    /// Form 06 for an officer who can see the dossier.
    func controlSheet(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let officer = try await officer(request, roles: Set(OfficerRole.allCases))
        let code = context.parameters.get("code") ?? ""
        guard let dossier = try await service.dossier(code, officer: officer) else { throw Problem.dossierNotFound(code) }
        return try json(ProcessingControlSheet(dossier: dossier, now: service.now(), unitName: service.unitName))
    }

    /// The transfers this node sent to other nodes: pending ones first (waiting for the hub), then the rest.
    func transfers(_ request: Request) async throws -> Response {
        _ = try await officer(request, roles: Set(OfficerRole.allCases))
        let now = service.now()
        let items = try await service.outbox(limit: try limit(request)).map { item -> JSONValue in
            .object([
                "transferId": .string(item.order.transferId), "dossier": .string(item.dossier.code), "kind": .string(item.order.kind.rawValue),
                "fromUnit": .string(item.order.fromUnit), "toUnit": .string(item.order.toUnit),
                "toNode": item.order.toNode.map(JSONValue.string) ?? item.destination.map(JSONValue.string) ?? .null,
                "state": .string(item.state), "attempts": .int(Int64(item.attempts)), "createdAt": .string(VietnamTime.format(item.createdAt)),
                "ageMs": .int(Int64(now.timeIntervalSince(item.createdAt) * 1000)), "lastError": item.lastError.map(JSONValue.string) ?? .null,
                "reason": item.order.reason.map(JSONValue.string) ?? .null,
            ])
        }
        return try json(["items": JSONValue.array(items)])
    }

    func bearerToken(_ request: Request) throws -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw Problem(.unauthorized, "auth.malformed-header", "send 'Authorization: Bearer <token>'")
        }
        return String(parts[1])
    }

    func optionalOfficer(_ request: Request) async throws -> OfficerRecord? {
        guard let token = try bearerToken(request) else { return nil }
        guard let officer = try await service.officer(forToken: token) else {
            throw Problem(.unauthorized, "auth.invalid-token", "the token is unknown or has expired; log in again with POST /v1/auth/token")
        }
        return officer
    }

    func officer(_ request: Request, roles: Set<OfficerRole>) async throws -> OfficerRecord {
        guard let officer = try await optionalOfficer(request) else { throw Problem.unauthenticated }
        guard officer.roles.contains(where: roles.contains) else {
            throw Problem(.forbidden, "auth.role-required", "this needs one of the roles: \(roles.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        return officer
    }

    func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 50 }
        guard let value = Int(text), value >= 1, value <= service.configuration.pageLimit else {
            throw Problem(.badRequest, "request.invalid-parameter", "limit: from 1 to \(service.configuration.pageLimit)")
        }
        return value
    }

    /// Reads a bounded body and decodes it, turning every decoding failure into a 400 that says where; a
    /// body must say it is JSON (`application/json`, charset UTF-8 or none), else 415. Returns the value and
    /// the bytes it came from.
    func decode<T: Decodable>(
        _ type: T.Type, _ request: Request, _ context: NodeRequestContext, emptyAs empty: String? = nil
    ) async throws -> (value: T, raw: Data) {
        let buffer = try await request.body.collect(upTo: service.configuration.bodyLimitBytes)
        var data = Data(buffer.readableBytesView)
        if !data.isEmpty { try Self.requireJSON(request.headers[.contentType]) }
        let raw = data
        if data.isEmpty, let empty { data = Data(empty.utf8) }
        do {
            return (try JSONDecoder().decode(T.self, from: data), raw)
        } catch let error as DecodingError {
            throw Problem.badJSON(Self.describe(error))
        }
    }

    /// `application/json`, with no parameter but `charset=utf-8`.
    static func requireJSON(_ contentType: String?) throws {
        let refused = Problem(
            .unsupportedMediaType, "request.unsupported-media-type",
            "send the body as JSON with 'Content-Type: application/json' (charset utf-8 or none); got \(contentType.map { "'\(quoted($0))'" } ?? "none")")
        guard let contentType else { throw refused }
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard parts.first == "application/json" else { throw refused }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0] == "charset", ["utf-8", "\"utf-8\"", "utf8"].contains(pair[1]) else { throw refused }
        }
    }

    /// The client's address: the connection's peer, or, when that peer is a trusted reverse proxy, the
    /// nearest untrusted address its `X-Forwarded-For` / `Forwarded` header names. From any other peer
    /// these headers are ignored: anyone can write them.
    func client(_ request: Request, _ context: NodeRequestContext) -> String? {
        ClientAddress.resolve(
            peer: context.clientAddress, trusted: service.configuration.trustedProxies,
            forwardedFor: request.headers[values: HTTPField.Name("X-Forwarded-For")!],
            forwarded: request.headers[values: HTTPField.Name("Forwarded")!])
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the body" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) must not be null (expected \(type))"
        @unknown default:
            return "the body could not be read"
        }
    }
}


/// An answer whose JSON is already encoded, with any further headers.
func jsonResponse(_ body: some Sequence<UInt8>, status: HTTPResponse.Status, headers extra: HTTPFields = [:]) -> Response {
    var headers = extra
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
}
