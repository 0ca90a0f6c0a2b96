import Foundation
import HTTPTypes
import Hummingbird
import MotCuaAPI
import MotCuaCore
import MotCuaHTTP
import MotCuaProtocol

/// Filing, actions, lookups, the queue, and what an officer reads of a dossier.
extension NodeRoutes {
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
        let idNumber = body.idNumber ?? request.uri.queryParameters.get("idNumber")
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
        let body = try await decode(LookupBody.self, request, context).value
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
        return try json(ItemsAnswer(items: stored.map { ComponentAnswer($0, includeContent: includeContent) }))
    }

    func view(_ dossier: Dossier, form: DossierForm?, lookupSecret: String? = nil) -> DossierView {
        var form = form
        if case .receipt(var receipt)? = form, let lookupSecret {
            receipt.lookupSecret = lookupSecret
            form = .receipt(receipt)
        }
        let units = service.units, federation = service.federationDirectory
        return DossierView(
            dossier: dossier, procedureName: service.procedure(dossier.procedureCode, version: dossier.procedureVersion)?.name,
            overdue: dossier.isOverdue(at: service.now()),
            allowedActions: DossierTransition.actions(from: dossier.state)
                // Only a dossier that came from another node can be sent back there.
                .filter { $0 != .sendBack || DossierMachine.canSendBack(dossier, units: units) }
                .map(\.rawValue),
            form: form,
            // Units of other nodes are named from the federation directory.
            unitName: { units[$0]?.name ?? federation[$0]?.name },
            stepLate: dossier.currentStayLate(at: service.now()), apologyDue: dossier.apologyDue(at: service.now()), lookupSecret: lookupSecret)
    }

    func publicView(_ dossier: Dossier) async throws -> PublicDossierView {
        let units = service.units
        let events = try await service.events(ofDossier: dossier.code)
        let journey = await journey(of: dossier)
        return PublicDossierView(
            dossier, procedureName: service.procedure(dossier.procedureCode, version: dossier.procedureVersion)?.name,
            overdue: dossier.isOverdue(at: service.now()), units: units, timeline: events.map { TimelineEntry($0, units: units) },
            journey: journey.stops, journeySource: journey.source)
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
                    late: hop.isLate(atMs: now.epochMilliseconds), current: hop.index == hops.count - 1)
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
        return try json(ItemsAnswer(items: try await service.outbox(limit: try limit(request)).map { TransferAnswer($0, now: now) }))
    }
}
