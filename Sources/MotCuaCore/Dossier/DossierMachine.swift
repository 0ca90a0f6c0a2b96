import Foundation

/// Everything a transition needs to know besides the dossier: passed in, so the machine stays pure.
public struct DossierContext: Sendable {
    public var procedure: Procedure
    public var units: UnitDirectory
    public var deadlines: DeadlineCalculator
    public var now: Date
    public var actor: Actor

    public init(procedure: Procedure, units: UnitDirectory, deadlines: DeadlineCalculator, now: Date, actor: Actor) {
        self.procedure = procedure
        self.units = units
        self.deadlines = deadlines
        self.now = now
        self.actor = actor
    }
}

/// What a transition decided: the new dossier, the event to append in the same transaction, the form
/// to hand out, and the documents to store.
public struct DossierOutcome: Sendable {
    public var dossier: Dossier
    public var event: EventDraft
    public var form: DossierForm?
    public var uploads: [ComponentUpload]
}

/// A new dossier as the API hands it in, before it has a code.
public struct DossierSubmission: Sendable {
    public var procedureCode: String
    public var channel: SubmissionChannel
    public var applicant: Applicant
    public var components: [ComponentUpload]
    /// The competent unit the applicant chose (a commune, a district); optional when only one fits.
    public var unit: String?
    public var identityVerified: Bool
    /// The applicant's keyed pseudonym (computed by the node), recorded in the event for the hub.
    public var applicantRef: String?

    public init(
        procedureCode: String, channel: SubmissionChannel, applicant: Applicant, components: [ComponentUpload],
        unit: String? = nil, identityVerified: Bool = false
    ) {
        self.procedureCode = procedureCode
        self.channel = channel
        self.applicant = applicant
        self.components = components
        self.unit = unit
        self.identityVerified = identityVerified
    }
}

/// The dossier state machine: applies commands through the one transition table, or refuses them with a
/// typed error. No I/O, no clock of its own.
public enum DossierMachine {
    /// Checks a submission and decides where it goes. Returns the units (receiving, competent) to use;
    /// the caller allocates the code from the receiving unit's agency code, then calls `intake`.
    public static func route(
        _ submission: inout DossierSubmission, context: DossierContext
    ) throws(DossierError) -> (receiving: AdministrativeUnit, competent: AdministrativeUnit) {
        let procedure = context.procedure
        let today = VietnamTime.localDate(of: context.now)
        guard procedure.isEffective(on: today) else { throw .procedureNotEffective(procedure.code) }
        if submission.channel == .online && procedure.onlineMode == .none { throw .notOnline(procedure.code) }
        submission.applicant = try validateApplicant(submission.applicant, now: context.now)
        submission.components = try validateComponents(submission.components, procedure: procedure)

        let candidates = context.units.units.values
            .filter { $0.level == procedure.level && $0.isEffective(on: today) }
            .sorted { $0.code < $1.code }
        let competent: AdministrativeUnit
        if let chosen = submission.unit {
            guard let unit = context.units[chosen], unit.isEffective(on: today) else { throw .unknownUnit(chosen) }
            guard unit.level == procedure.level else {
                throw .invalid(field: "unit", reason: "\(chosen) is a \(unit.level.rawValue); this procedure is decided at \(procedure.level.rawValue) level")
            }
            competent = unit
        } else if candidates.count == 1 {
            competent = candidates[0]
        } else if candidates.isEmpty {
            throw .notCompetentHere(procedure: procedure.code, reason: "it is decided at \(procedure.level.rawValue) level (\(procedure.competentAgency)) and no such unit belongs to this node")
        } else {
            throw .invalid(field: "unit", reason: "choose the competent \(procedure.level.rawValue): one of \(candidates.prefix(8).map(\.code).joined(separator: ", "))\(candidates.count > 8 ? ", …" : "")")
        }

        var receiving = competent
        if submission.channel != .online, case .officer(_, let roles, let units) = context.actor {
            guard roles.contains(.receiver) else {
                throw .notPermitted(action: .receive, allowed: [OfficerRole.receiver.rawValue])
            }
            // Filed at the desk of the officer's own unit (filing anywhere within the province).
            guard let deskCode = units.first, let desk = context.units[deskCode] else { throw .unknownUnit(units.first ?? "") }
            receiving = desk
        } else if submission.channel != .online {
            throw .invalid(field: "channel", reason: "counter and post filings are made by a receiving officer (log in first)")
        }
        return (receiving, competent)
    }

    /// Creates the dossier: online submissions start at status 1; a receiver at the counter files it
    /// straight into status 2 and hands out the receipt (Form 01).
    public static func intake(
        _ submission: DossierSubmission, code: String, receiving: AdministrativeUnit, competent: AdministrativeUnit,
        context: DossierContext
    ) -> DossierOutcome {
        let procedure = context.procedure
        let received = submission.components.map { upload in
            upload.received(name: procedure.components.first { $0.code == upload.code }?.name ?? upload.code)
        }
        var dossier = Dossier(
            code: code, procedureCode: procedure.code, procedureVersion: procedure.version,
            applicant: submission.applicant, channel: submission.channel, receivingUnit: receiving.code,
            competentUnit: competent.code, holderUnit: competent.code, state: .submitted,
            submittedAt: context.now, feeVND: procedure.feeVND, components: received)
        dossier.flags.identityVerified = submission.identityVerified
        dossier.flags.digitised = !received.isEmpty
        dossier.flags.reused = received.contains { $0.reused }

        var form: DossierForm?
        var kind = EventKind.submitted
        if submission.channel != .online {
            startClock(&dossier, context: context)
            dossier.state = .received
            kind = .received
            form = .receipt(receipt(for: dossier, receiving: receiving, context: context))
        }
        var payload: [String: JSONValue] = [
            "procedureCode": .string(procedure.code),
            "procedureVersion": .int(Int64(procedure.version)),
            "channel": .string(submission.channel.rawValue),
            "receivingUnit": .string(receiving.code),
            "competentUnit": .string(competent.code),
            "holderLevel": .string(competent.level.rawValue),
            "status": .int(Int64(dossier.status)),
            "state": .string(dossier.state.rawValue),
            "components": .array(received.map { .object(["code": .string($0.code), "sha256": .string($0.sha256), "sizeBytes": .int(Int64($0.sizeBytes))]) }),
            "flags": dossier.flags.json,
            "submittedAt": .string(VietnamTime.format(context.now)),
        ]
        if let reference = submission.applicantRef { payload["applicantRef"] = .string(reference) }
        if let dueAt = dossier.dueAt { payload["dueAt"] = .string(VietnamTime.format(dueAt)) }
        if let form, let encoded = try? JSONValue.from(form) { payload["form"] = encoded }
        let event = EventDraft(dossierCode: code, kind: kind, actor: context.actor.logName, at: context.now, payload: .object(payload))
        return DossierOutcome(dossier: dossier, event: event, form: form, uploads: submission.components)
    }

    /// Applies one command to a dossier, or explains why not.
    public static func apply(
        _ command: DossierCommand, to current: Dossier, context: DossierContext
    ) throws(DossierError) -> DossierOutcome {
        let action = command.action
        guard let row = DossierTransition.row(for: action, from: current.state) else {
            throw .illegalTransition(action: action, state: current.state)
        }
        try authorize(row, actor: context.actor)

        var dossier = current
        let now = context.now
        let who = context.actor.logName
        var payload: [String: JSONValue] = [:]
        var form: DossierForm?
        var uploads: [ComponentUpload] = []

        switch command {
        case .receive(let note):
            startClock(&dossier, context: context)
            if let receiving = context.units[dossier.receivingUnit] {
                form = .receipt(receipt(for: dossier, receiving: receiving, context: context))
            }
            payload["note"] = note.map(JSONValue.string)
        case .refuse(let reasons):
            form = .refusal(RefusalForm(
                dossierCode: dossier.code, applicantName: dossier.applicant.fullName, reasons: reasons,
                refusedBy: who, refusedAt: now))
        case .assign(let assignee, let note):
            dossier.assignee = assignee
            payload["assignee"] = .string(assignee)
            payload["note"] = note.map(JSONValue.string)
        case .requestSupplement(let items, let note):
            form = .supplementRequest(SupplementRequestForm(
                dossierCode: dossier.code, applicantName: dossier.applicant.fullName, items: items, note: note,
                requestedBy: who, requestedAt: now))
        case .supplement(let raw, let note):
            let components = try validateComponentCodes(raw, procedure: context.procedure)
            uploads = components
            let received = components.map { upload in
                upload.received(name: context.procedure.components.first { $0.code == upload.code }?.name ?? upload.code)
            }
            dossier.components.removeAll { old in received.contains { $0.code == old.code } }
            dossier.components.append(contentsOf: received)
            if received.contains(where: \.reused) { dossier.flags.reused = true }
            if !received.isEmpty { dossier.flags.digitised = true }
            payload["components"] = .array(received.map { .object(["code": .string($0.code), "sha256": .string($0.sha256)]) })
            payload["note"] = note.map(JSONValue.string)
        case .requestPayment(let amount, let description):
            dossier.amountDueVND = amount
            payload["amountVND"] = .int(Int64(amount))
            payload["description"] = description.map(JSONValue.string)
        case .recordPayment(let amount, let method, let reference):
            let (total, overflow) = (dossier.amountPaidVND ?? 0).addingReportingOverflow(amount)
            guard !overflow, total <= ActionBody.amountLimitVND else {
                throw .invalid(field: "amountVND", reason: "the payments recorded would exceed \(ActionBody.amountLimitVND) VND")
            }
            dossier.amountPaidVND = total
            if method.isOnline { dossier.flags.paidOnline = true }
            payload["amountVND"] = .int(Int64(amount))
            payload["method"] = .string(method.rawValue)
            payload["reference"] = reference.map(JSONValue.string)
        case .forward(let toUnit, let note):
            guard let target = context.units[toUnit], target.isEffective(on: VietnamTime.localDate(of: now)) else {
                throw .unknownUnit(toUnit)
            }
            guard target.code != dossier.holderUnit else {
                throw .invalid(field: "toUnit", reason: "the dossier is already at \(toUnit)")
            }
            payload["fromUnit"] = .string(dossier.holderUnit)
            payload["toUnit"] = .string(target.code)
            payload["toLevel"] = .string(target.level.rawValue)
            payload["note"] = note.map(JSONValue.string)
            dossier.holderUnit = target.code
            dossier.assignee = nil
        case .extend(let reason, let workingDays, let newDueAt):
            guard dossier.extensionCount == 0 else { throw .extensionAlreadyUsed }
            guard let dueAt = dossier.dueAt else {
                throw .invalid(field: "dueAt", reason: "the dossier has no appointment to move yet")
            }
            let target: Date
            if let newDueAt {
                guard newDueAt > dueAt, newDueAt > now else {
                    throw .invalid(field: "newDueAt", reason: "must be after the current appointment \(VietnamTime.format(dueAt)) and in the future")
                }
                guard newDueAt <= dueAt.addingTimeInterval(366 * 86_400) else {
                    throw .invalid(field: "newDueAt", reason: "an extension moves the appointment by at most one year")
                }
                target = newDueAt
            } else {
                target = context.deadlines.extendedDueAt(currentDueAt: dueAt, byWorkingDays: workingDays ?? 1)
            }
            dossier.originalDueAt = dueAt
            dossier.dueAt = target
            dossier.extensionCount += 1
            form = .apology(ApologyForm(
                dossierCode: dossier.code, applicantName: dossier.applicant.fullName,
                unit: context.units[dossier.holderUnit]?.name ?? dossier.holderUnit, reason: reason,
                previousAppointmentAt: dueAt, newAppointmentAt: target, issuedBy: who, issuedAt: now,
                issuedAfterDeadline: now > dueAt))
        case .decide(let outcome, let reason, let summary, let rawDocument):
            var document = rawDocument
            if let raw = rawDocument { document?.fileName = try cleanFileName(raw.fileName, field: "resultDocument.fileName") }
            if outcome == .approved && context.procedure.financialObligation && dossier.amountPaidVND == nil {
                throw .paymentOutstanding
            }
            dossier.outcome = outcome
            if let document {
                uploads = [document]
                dossier.flags.electronicResult = true
                payload["resultDocument"] = .object(["fileName": .string(document.fileName), "sha256": .string(document.sha256)])
            }
            payload["outcome"] = .string(outcome.rawValue)
            payload["reason"] = reason.map(JSONValue.string)
            payload["resultSummary"] = summary.map(JSONValue.string)
            dossier.holderUnit = dossier.receivingUnit
        case .returnResult(let note, let satisfaction):
            dossier.returnedAt = now
            dossier.satisfaction = satisfaction
            payload["note"] = note.map(JSONValue.string)
            payload["satisfaction"] = satisfaction.map { .int(Int64($0)) }
        case .requestWithdrawal(let reason):
            payload["reason"] = reason.map(JSONValue.string)
        case .stop(let reason):
            form = .stopNotice(StopNoticeForm(
                dossierCode: dossier.code, applicantName: dossier.applicant.fullName, reason: reason,
                onApplicantRequest: current.state == .withdrawalRequested, stoppedBy: who, stoppedAt: now))
        }

        switch row.clock {
        case .none, .extend: break
        case .start: startClock(&dossier, context: context)
        case .pause:
            let remaining = dossier.dueAt.map { context.deadlines.remainingWorkingMinutes(dueAt: $0, at: now) } ?? 0
            let late = dossier.dueAt.map { now > $0 } ?? false
            dossier.pauses.append(ClockPause(from: now, remainingWorkingMinutes: remaining, lateAtPause: late))
            dossier.supplementCount += 1
        case .resume:
            if var pause = dossier.pauses.popLast() {
                pause.until = now
                dossier.pauses.append(pause)
                // A dossier that was already late keeps its passed due time: waiting for the applicant
                // does not make it on time again.
                if !pause.lateAtPause {
                    dossier.dueAt = context.deadlines.resumedDueAt(
                        remainingWorkingMinutes: pause.remainingWorkingMinutes, resumedAt: now,
                        lead: context.procedure.leadTime)
                }
            }
        case .finish:
            dossier.finishedAt = now
        }
        if let next = row.to { dossier.state = next }

        payload["status"] = .int(Int64(dossier.status))
        payload["state"] = .string(dossier.state.rawValue)
        payload["holderUnit"] = .string(dossier.holderUnit)
        if let level = context.units[dossier.holderUnit]?.level { payload["holderLevel"] = .string(level.rawValue) }
        if let dueAt = dossier.dueAt { payload["dueAt"] = .string(VietnamTime.format(dueAt)) }
        if let form, let encoded = try? JSONValue.from(form) { payload["form"] = encoded }
        let event = EventDraft(
            dossierCode: dossier.code, kind: row.event, actor: who, at: now,
            payload: .object(payload.filter { $0.value != .null }))
        return DossierOutcome(dossier: dossier, event: event, form: form, uploads: uploads)
    }

    /// Whether the actor's role may make this move. Who the applicant or the system is, is established by
    /// the caller (code + ID number, certificates); unit scope is `checkScope`.
    public static func authorize(_ row: DossierTransition, actor: Actor) throws(DossierError) {
        let allowedNames = row.allowed.map(\.description).sorted()
        switch actor {
        case .applicant:
            guard row.allowed.contains(.applicant) else { throw .notPermitted(action: row.action, allowed: allowedNames) }
        case .system:
            guard row.allowed.contains(.system) else { throw .notPermitted(action: row.action, allowed: allowedNames) }
        case .officer(_, let roles, _):
            guard roles.contains(where: { row.allowed.contains(.officer($0)) }) else {
                throw .notPermitted(action: row.action, allowed: allowedNames)
            }
        }
    }

    /// Unit scope for officers, separate so the shell can give it the unit tree.
    public static func checkScope(
        action: DossierAction, dossier: Dossier, actor: Actor, units: UnitDirectory
    ) throws(DossierError) {
        guard case .officer(_, _, let scopes) = actor,
              let row = DossierTransition.row(for: action, from: dossier.state) else { return }
        let target = row.scope == .receivingUnit ? dossier.receivingUnit : dossier.holderUnit
        guard scopes.contains(where: { units.isWithin(target, ancestor: $0) }) else { throw .outOfScope(action: action, unit: target) }
    }

    static func startClock(_ dossier: inout Dossier, context: DossierContext) {
        // Never before submission, even if the wall clock stepped back.
        let receivedAt = max(context.now, dossier.submittedAt)
        dossier.receivedAt = receivedAt
        dossier.dueAt = context.deadlines.dueAt(receivedAt: receivedAt, lead: context.procedure.leadTime)
    }

    static func receipt(for dossier: Dossier, receiving: AdministrativeUnit, context: DossierContext) -> ReceiptForm {
        ReceiptForm(
            dossierCode: dossier.code, applicantName: dossier.applicant.fullName,
            applicantIdNumber: dossier.applicant.idNumber, procedureCode: context.procedure.code,
            procedureName: context.procedure.name, componentsReceived: dossier.components.map(\.name),
            receivedAt: dossier.receivedAt ?? context.now, appointmentAt: dossier.dueAt ?? context.now,
            collectAt: [receiving.name, receiving.address].compactMap { $0 }.joined(separator: ", "),
            receivingOfficer: context.actor.logName,
            lookup: "GET /v1/dossiers/\(dossier.code)?idNumber=<your ID number>")
    }

    /// Validates the applicant and returns it normalised (trimmed, identifiers in canonical form).
    static func validateApplicant(_ applicant: Applicant, now: Date) throws(DossierError) -> Applicant {
        var normalized = applicant
        let id: PersonalIDNumber
        do { id = try PersonalIDNumber.parse(applicant.idNumber) } catch {
            throw .invalid(field: "applicant.idNumber", reason: error.description)
        }
        if !id.plausible(asOf: VietnamTime.localDate(of: now).year) {
            throw .invalid(field: "applicant.idNumber", reason: "encodes a birth year in the future")
        }
        normalized.idNumber = id.digits
        let name = applicant.fullName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.unicodeScalars.count <= 200 else {
            throw .invalid(field: "applicant.fullName", reason: "required, at most 200 characters")
        }
        normalized.fullName = name
        if let taxCode = applicant.taxCode {
            do { normalized.taxCode = try TaxCode.parse(taxCode).normalized } catch {
                throw .invalid(field: "applicant.taxCode", reason: error.description)
            }
        }
        if let birthDate = applicant.birthDate, birthDate.year != id.birthYear {
            throw .invalid(field: "applicant.birthDate", reason: "the ID number encodes birth year \(id.birthYear), not \(birthDate.year)")
        }
        for (field, value, limit) in [("phone", applicant.phone, 20), ("email", applicant.email, 254), ("address", applicant.address, 500)] {
            if let value, value.unicodeScalars.count > limit {
                throw .invalid(field: "applicant.\(field)", reason: "at most \(limit) characters")
            }
        }
        return normalized
    }

    /// Checks component codes against the procedure and file names; returns the uploads with clean names.
    static func validateComponentCodes(_ uploads: [ComponentUpload], procedure: Procedure) throws(DossierError) -> [ComponentUpload] {
        var seen = Set<String>()
        var cleaned: [ComponentUpload] = []
        for upload in uploads {
            guard procedure.components.contains(where: { $0.code == upload.code }) else { throw .unknownComponent(upload.code) }
            guard seen.insert(upload.code).inserted else {
                throw .invalid(field: "components", reason: "component \(upload.code) appears twice")
            }
            var clean = upload
            clean.fileName = try cleanFileName(upload.fileName, field: "components.fileName")
            cleaned.append(clean)
        }
        return cleaned
    }

    /// A plain file name: trimmed, 1-255 characters, no path separators or control characters.
    public static func cleanFileName(_ raw: String, field: String) throws(DossierError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let forbidden = name.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.properties.generalCategory == .control }
        guard !name.isEmpty, name.unicodeScalars.count <= 255, !forbidden else {
            throw .invalid(field: field, reason: "a plain file name of 1 to 255 characters, without '/', '\\' or control characters")
        }
        return name
    }

    static func validateComponents(_ uploads: [ComponentUpload], procedure: Procedure) throws(DossierError) -> [ComponentUpload] {
        let cleaned = try validateComponentCodes(uploads, procedure: procedure)
        let missing = procedure.components.filter { component in
            component.mandatory && !uploads.contains { $0.code == component.code }
        }
        guard missing.isEmpty else { throw .missingComponents(missing.map { "\($0.code) \($0.name)" }) }
        return cleaned
    }
}
