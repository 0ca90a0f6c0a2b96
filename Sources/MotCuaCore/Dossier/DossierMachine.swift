import Foundation

/// Everything a transition needs to know besides the dossier: passed in, so the machine stays pure.
public struct DossierContext: Sendable {
    public var procedure: Procedure
    public var units: UnitDirectory
    public var deadlines: DeadlineCalculator
    public var now: Date
    public var actor: Actor
    /// This node's id, written into the journey.
    public var nodeID: String = ""
    /// Units of other nodes, for hand-overs and filing anywhere.
    public var federation = FederationDirectory()
    /// The id a transfer decided by this transition will carry (the shell makes a fresh one per call).
    public var transferID: String = ""

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
    /// The dossier leaves for another node: the shell queues this transfer with the event.
    public var transfer: TransferOrder? = nil
}

/// Where a new dossier goes: the desk that receives it, the competent unit (perhaps at another node) and
/// the unit that holds it first.
public struct DossierRoute: Sendable {
    public var receiving: AdministrativeUnit
    public var competent: String
    public var competentNode: String?
    public var holder: AdministrativeUnit
    /// The procedure step the first holder performs (interconnected procedures).
    public var stepIndex: Int?

    public init(receiving: AdministrativeUnit, competent: String, competentNode: String?, holder: AdministrativeUnit, stepIndex: Int?) {
        self.receiving = receiving
        self.competent = competent
        self.competentNode = competentNode
        self.holder = holder
        self.stepIndex = stepIndex
    }
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
    /// Checks a submission and decides where it goes: the receiving desk, the competent unit (here or, for
    /// filing anywhere and interconnected procedures, at another node) and the first holder. The caller
    /// allocates the code from the receiving unit's agency code, then calls `intake`.
    public static func route(
        _ submission: inout DossierSubmission, context: DossierContext
    ) throws(DossierError) -> DossierRoute {
        let procedure = context.procedure
        let today = VietnamTime.localDate(of: context.now)
        guard procedure.isEffective(on: today) else { throw .procedureNotEffective(procedure.code) }
        if submission.channel == .online && procedure.onlineMode == .none { throw .notOnline(procedure.code) }
        submission.applicant = try validateApplicant(submission.applicant, now: context.now)
        submission.components = try validateComponents(submission.components, procedure: procedure)

        // The unit the applicant names: the competent unit, or for an interconnected procedure the desk
        // of its first step (the commune for commune → district → province).
        let level = procedure.receptionLevel
        let candidates = context.units.units.values
            .filter { $0.level == level && $0.isEffective(on: today) }
            .sorted { $0.code < $1.code }
        var chosenUnit: AdministrativeUnit?
        var foreign: FederationUnit?
        if let chosen = submission.unit {
            if let unit = context.units[chosen] {
                guard unit.isEffective(on: today) else { throw .unknownUnit(chosen) }
                guard unit.level == level else {
                    throw .invalid(field: "unit", reason: "\(chosen) is a \(unit.level.rawValue); this procedure is filed at \(level.rawValue) level")
                }
                chosenUnit = unit
            } else if let other = context.federation[chosen] {
                // Filing anywhere: the competent unit belongs to another node; the desk here takes it in.
                guard !procedure.isInterconnected, other.level == procedure.level else {
                    throw .invalid(field: "unit", reason: "\(chosen) (\(other.name), node \(other.node)) is a \(other.level.rawValue); this procedure is decided at \(procedure.level.rawValue) level")
                }
                guard submission.channel != .online else {
                    throw .invalid(field: "unit", reason: "\(chosen) is served by node \(other.node): file online there, or at any desk here in person")
                }
                foreign = other
            } else {
                throw .unknownUnit(chosen)
            }
        } else if candidates.count == 1 {
            chosenUnit = candidates[0]
        } else if candidates.isEmpty {
            throw .notCompetentHere(procedure: procedure.code, reason: "it is filed at \(level.rawValue) level (\(procedure.competentAgency)) and no such unit belongs to this node")
        } else {
            throw .invalid(field: "unit", reason: "choose the \(procedure.isInterconnected ? "receiving" : "competent") \(level.rawValue): one of \(candidates.prefix(8).map(\.code).joined(separator: ", "))\(candidates.count > 8 ? ", …" : "")")
        }

        var receiving = chosenUnit
        if submission.channel != .online, case .officer(_, let roles, let units) = context.actor {
            guard roles.contains(.receiver) else {
                throw .notPermitted(action: .receive, allowed: [OfficerRole.receiver.rawValue])
            }
            // Filed at the desk of the officer's own unit (filing anywhere).
            guard let deskCode = units.first, let desk = context.units[deskCode] else { throw .unknownUnit(units.first ?? "") }
            receiving = desk
        } else if submission.channel != .online {
            throw .invalid(field: "channel", reason: "counter and post filings are made by a receiving officer (log in first)")
        }
        guard let receiving else { throw .unknownUnit(submission.unit ?? "") }

        if let foreign {
            return DossierRoute(receiving: receiving, competent: foreign.code, competentNode: foreign.node, holder: receiving, stepIndex: nil)
        }
        let chosen = chosenUnit!
        guard procedure.isInterconnected, let decision = procedure.decisionStepIndex else {
            return DossierRoute(receiving: receiving, competent: chosen.code, competentNode: context.nodeID, holder: chosen, stepIndex: nil)
        }
        guard let competent = StepRouting.unit(
            for: procedure.steps[decision], receivingUnit: chosen.code, units: context.units, federation: context.federation)
        else {
            throw .notCompetentHere(procedure: procedure.code, reason: "no \(procedure.steps[decision].level.rawValue) above \(chosen.code) decides it")
        }
        let competentNode = context.units[competent] != nil ? context.nodeID : context.federation[competent]?.node
        return DossierRoute(receiving: receiving, competent: competent, competentNode: competentNode, holder: chosen, stepIndex: 0)
    }

    /// Creates the dossier: online submissions start at status 1; a receiver at the counter files it
    /// straight into status 2 and hands out the receipt (Form 01).
    public static func intake(
        _ submission: DossierSubmission, code: String, route: DossierRoute, context: DossierContext
    ) -> DossierOutcome {
        let procedure = context.procedure
        let receiving = route.receiving
        let received = submission.components.map { upload in
            upload.received(name: procedure.components.first { $0.code == upload.code }?.name ?? upload.code)
        }
        var dossier = Dossier(
            code: code, procedureCode: procedure.code, procedureVersion: procedure.version,
            applicant: submission.applicant, channel: submission.channel, receivingUnit: receiving.code,
            competentUnit: route.competent, holderUnit: route.holder.code, state: .submitted,
            submittedAt: context.now, feeVND: procedure.feeVND, components: received)
        dossier.receivingNode = context.nodeID
        dossier.competentNode = route.competentNode
        dossier.holderNode = context.nodeID
        dossier.stepIndex = route.stepIndex
        dossier.path = [DossierHop(
            node: context.nodeID, unit: route.holder.code, level: route.holder.level, arrivedAt: context.now,
            stepDueAt: route.stepIndex.flatMap { procedure.share(of: $0) }.map { context.deadlines.dueAt(receivedAt: context.now, lead: $0) },
            step: route.stepIndex.map { procedure.steps[$0].name })]
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
            "competentUnit": .string(route.competent),
            "holderUnit": .string(route.holder.code),
            "holderLevel": .string(route.holder.level.rawValue),
            "status": .int(Int64(dossier.status)),
            "state": .string(dossier.state.rawValue),
            "components": .array(received.map { .object(["code": .string($0.code), "sha256": .string($0.sha256), "sizeBytes": .int(Int64($0.sizeBytes))]) }),
            "flags": dossier.flags.json,
            "submittedAt": .string(VietnamTime.format(context.now)),
        ]
        if let reference = submission.applicantRef { payload["applicantRef"] = .string(reference) }
        // The first stay is the filing itself (the hub derives it); its nodes are said once, here.
        payload.merge(journeyPayload(dossier, withPath: false)) { _, new in new }
        payload["receivingNode"] = dossier.receivingNode.map(JSONValue.string)
        payload["competentNode"] = dossier.competentNode.map(JSONValue.string)
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
        var transfer: TransferOrder?
        let hopsBefore = dossier.path.count

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
        case .forward(let requested, let note):
            let target = try handOverTarget(requested, dossier: dossier, context: context)
            payload["fromUnit"] = .string(dossier.holderUnit)
            payload["toUnit"] = .string(target.unit)
            payload["note"] = note.map(JSONValue.string)
            if let local = context.units[target.unit] {
                payload["toLevel"] = .string(local.level.rawValue)
            } else {
                transfer = try order(.handOver, to: target.unit, node: target.node, dossier: dossier, context: context)
            }
            moveTo(&dossier, unit: target.unit, node: target.node, level: target.level, step: target.step, context: context)
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
            // An interconnected procedure, or one decided at another node, is decided by its competent unit.
            if (dossier.stepIndex != nil || context.units[dossier.competentUnit] == nil) && dossier.holderUnit != dossier.competentUnit {
                throw .invalid(field: "action", reason: "\(dossier.competentUnit) decides this dossier; hand it over (forward) first")
            }
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
            if dossier.holderUnit != dossier.receivingUnit {
                let desk = context.units[dossier.receivingUnit]
                let deskNode = desk != nil ? context.nodeID : dossier.receivingNode
                if desk == nil {
                    // Filed at another node: the decision and the result travel back to that desk.
                    transfer = try order(.result, to: dossier.receivingUnit, node: deskNode, dossier: dossier, context: context)
                }
                let handBack = context.procedure.steps.indices.last.flatMap { last in
                    context.procedure.steps[last].role == .receiver ? last : nil
                }
                moveTo(&dossier, unit: dossier.receivingUnit, node: deskNode, level: desk?.level ?? context.federation[dossier.receivingUnit]?.level,
                       step: dossier.stepIndex == nil ? nil : handBack, context: context)
            }
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
            if context.units[dossier.receivingUnit] == nil {
                // Stopped at another node: the notice travels back to the desk where the applicant filed.
                transfer = try order(.result, to: dossier.receivingUnit, node: dossier.receivingNode, dossier: dossier, context: context)
                moveTo(&dossier, unit: dossier.receivingUnit, node: dossier.receivingNode,
                       level: context.federation[dossier.receivingUnit]?.level, step: nil, context: context)
            }
        case .sendBack(let reason):
            guard canSendBack(dossier, units: context.units), let from = dossier.arrivedFromUnit else {
                throw .invalid(field: "action", reason: "only a dossier received from another node can be sent back; forward it or stop it")
            }
            let node = dossier.path.last(where: { $0.unit == from })?.node ?? context.federation[from]?.node
            transfer = try order(.sendBack, to: from, node: node, dossier: dossier, context: context, reason: reason)
            payload["reason"] = .string(reason)
            moveTo(&dossier, unit: from, node: node, level: context.federation[from]?.level, step: nil, context: context)
            dossier.assignee = nil
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
        // The journey ends with the dossier's end: the last stay closes.
        if dossier.state.isTerminal { dossier.closeStay(now: now) }
        // What the country sees: a result on its way back is decided (9); a hand-over is being processed (4).
        let reported = dossier.state
        var kind = row.event
        if var order = transfer {
            if order.kind == .result { order.reportedState = reported }
            transfer = order
            dossier.state = .transferred
            if order.kind == .handOver { kind = .transferSent }
            payload["transferId"] = .string(order.transferId)
            payload["transferKind"] = .string(order.kind.rawValue)
            payload["toNode"] = order.toNode.map(JSONValue.string)
            // The node the dossier leaves: it may still report this stay at the hub.
            payload["departureNode"] = .string(context.nodeID)
        }

        payload["status"] = .int(Int64(reported.nationalStatus))
        // A result reports how it ended there; a hand-over or a send-back, that the dossier is on its way.
        payload["state"] = .string(transfer?.kind == .handOver || transfer?.kind == .sendBack ? DossierState.transferred.rawValue : reported.rawValue)
        payload["holderUnit"] = .string(dossier.holderUnit)
        if let level = dossier.path.last?.level ?? context.units[dossier.holderUnit]?.level { payload["holderLevel"] = .string(level.rawValue) }
        if let dueAt = dossier.dueAt { payload["dueAt"] = .string(VietnamTime.format(dueAt)) }
        if let form, let encoded = try? JSONValue.from(form) { payload["form"] = encoded }
        // The journey rides along only where it says more than the filing (a hand-over, or the end of a
        // dossier that moved): every other event stays small on the hub's apply path.
        let moved = dossier.path.count != hopsBefore || (dossier.state.isTerminal && dossier.path.count > 1)
        payload.merge(journeyPayload(dossier, withPath: moved)) { _, new in new }
        let event = EventDraft(
            dossierCode: dossier.code, kind: kind, actor: who, at: now,
            payload: .object(payload.filter { $0.value != .null }))
        return DossierOutcome(dossier: dossier, event: event, form: form, uploads: uploads, transfer: transfer)
    }

    // MARK: - Hand-overs

    /// Where a forward goes: the unit named, or the procedure's next stage; and the step it performs there.
    static func handOverTarget(
        _ requested: String?, dossier: Dossier, context: DossierContext
    ) throws(DossierError) -> (unit: String, node: String?, level: AdministrativeLevel?, step: Int?) {
        let procedure = context.procedure
        func stageUnit(_ index: Int) -> String? { stageUnitOf(index, dossier: dossier, context: context) }
        var unit = requested
        var step: Int?
        if let current = dossier.stepIndex {
            // Stages up to the decision are hand-over targets (the result goes back by the decision itself);
            // a stage that lands on the holder's own unit (a level abolished here) is skipped.
            let last = procedure.decisionStepIndex ?? procedure.steps.count - 1
            var cursor = current
            while let next = procedure.nextStageIndex(after: cursor), next <= last {
                let candidate = stageUnit(next)
                if candidate != dossier.holderUnit && (unit == nil || candidate == unit) {
                    unit = candidate
                    step = next
                    break
                }
                cursor = next
            }
        }
        // Filed at a desk that does not decide it (filing anywhere): on to the competent unit.
        if unit == nil && dossier.stepIndex == nil && dossier.holderUnit != dossier.competentUnit { unit = dossier.competentUnit }
        guard let unit else {
            throw .invalid(field: "toUnit", reason: "name the unit to hand the dossier to (the procedure has no further step)")
        }
        guard unit != dossier.holderUnit else { throw .invalid(field: "toUnit", reason: "the dossier is already at \(unit)") }
        if let local = context.units[unit] {
            guard local.isEffective(on: VietnamTime.localDate(of: context.now)) else { throw .unknownUnit(unit) }
            return (unit, context.nodeID, local.level, step)
        }
        if let foreign = context.federation[unit] { return (unit, foreign.node, foreign.level, step) }
        // A unit fixed by the catalogue (a ministry's department) is routed even before the directory lists it.
        if let step, procedure.steps[step].unit == unit { return (unit, nil, procedure.steps[step].level, step) }
        throw .unknownUnit(unit)
    }

    /// The unit of a stage, resolved from the unit that took the first step (the commune the applicant
    /// chose), which may differ from the receiving desk when an officer files for another unit.
    static func stageUnitOf(_ index: Int, dossier: Dossier, context: DossierContext) -> String? {
        let origin = dossier.path.first?.unit ?? dossier.receivingUnit
        return StepRouting.unit(
            for: context.procedure.steps[index], receivingUnit: origin, units: context.units, federation: context.federation)
    }

    /// A stay's share of the lead time: its step's stage, and the following stages that land on the same unit
    /// (a level abolished here falls to the unit above, which then does both stages' work).
    static func stayShare(from step: Int, unit: String, dossier: Dossier, context: DossierContext) -> LeadTime? {
        let procedure = context.procedure
        guard var share = procedure.share(of: step) else { return nil }
        let last = procedure.decisionStepIndex ?? procedure.steps.count - 1
        var cursor = step
        while let next = procedure.nextStageIndex(after: cursor), next <= last, stageUnitOf(next, dossier: dossier, context: context) == unit {
            if let more = procedure.share(of: next) { share = share.with(amount: share.amount + more.amount) }
            cursor = next
        }
        return share
    }

    /// Only a dossier that came from another node can be sent back there.
    public static func canSendBack(_ dossier: Dossier, units: UnitDirectory) -> Bool {
        dossier.arrivedFromUnit.map { units[$0] == nil } ?? false
    }

    /// A transfer to another node, with the id the shell supplied.
    static func order(
        _ kind: TransferKind, to unit: String, node: String?, dossier: Dossier, context: DossierContext, reason: String? = nil
    ) throws(DossierError) -> TransferOrder {
        guard !context.transferID.isEmpty else {
            throw .invalid(field: "toUnit", reason: "\(unit) belongs to another node and this node is not connected to a hub")
        }
        return TransferOrder(transferId: context.transferID, kind: kind, fromUnit: dossier.holderUnit, toUnit: unit, toNode: node, reason: reason)
    }

    /// Moves the dossier to a unit: closes the current stay and opens the next one in the journey.
    static func moveTo(
        _ dossier: inout Dossier, unit: String, node: String?, level: AdministrativeLevel?, step: Int?, context: DossierContext
    ) {
        dossier.closeStay(now: context.now)
        var path = dossier.path
        let local = node == context.nodeID && context.units[unit] != nil
        // The step's share runs from arrival; between nodes the destination computes it on receipt.
        let due = local
            ? step.flatMap { stayShare(from: $0, unit: unit, dossier: dossier, context: context) }.map { context.deadlines.dueAt(receivedAt: context.now, lead: $0) }
            : nil
        var hop = DossierHop(
            node: node, unit: unit, level: level, arrivedAt: context.now, stepDueAt: due,
            step: step.map { context.procedure.steps[$0].name }, handedOverBy: context.actor.logName,
            transferId: local ? nil : context.transferID)
        hop.stepIndex = step
        path.append(hop)
        dossier.path = path
        dossier.holderUnit = unit
        dossier.holderNode = node
        if unit == dossier.competentUnit, let node { dossier.competentNode = node }
        if let step { dossier.stepIndex = step }
    }

    /// Where the dossier is in its journey, for the event (the hub folds it into the national path).
    static func journeyPayload(_ dossier: Dossier, withPath: Bool = true) -> [String: JSONValue] {
        var payload: [String: JSONValue] = ["hop": .int(Int64(max(0, dossier.path.count - 1)))]
        if let node = dossier.holderNode { payload["holderNode"] = .string(node) }
        // The rest only where the journey moves (and at filing): every other event stays small.
        guard withPath else { return payload }
        if let node = dossier.receivingNode { payload["receivingNode"] = .string(node) }
        if let node = dossier.competentNode { payload["competentNode"] = .string(node) }
        payload["path"] = .array(dossier.path.enumerated().map { $0.element.json(index: $0.offset) })
        return payload
    }

    /// Takes in a transfer from another node: a hand-over, a result coming back or a send-back. The shell
    /// has checked that the transfer id is new and that the component files match their SHA-256.
    public static func accept(
        _ transfer: IncomingTransfer, existing: Dossier?, context: DossierContext
    ) throws(DossierError) -> DossierOutcome {
        guard let unit = context.units[transfer.toUnit] else { throw .unknownUnit(transfer.toUnit) }
        var dossier = transfer.dossier
        guard dossier.code == (existing?.code ?? dossier.code) else { throw .invalid(field: "dossier", reason: "code mismatch") }
        switch transfer.kind {
        case .handOver:
            // A dossier this node has is taken back only when it is away; one it is working on is not replaced.
            if let existing, existing.state != .transferred {
                throw .invalid(field: "transfer", reason: "\(dossier.code) is being processed here (\(existing.state.rawValue)); it was not sent away")
            }
            dossier.state = .forwarded
            dossier.arrivedBy = transfer.transferId
            dossier.arrivedFromUnit = transfer.fromUnit
        case .result:
            guard let existing, existing.state == .transferred, dossier.receivingUnit == unit.code else {
                throw .invalid(field: "transfer", reason: "a result for \(dossier.code) came to \(unit.code), which did not receive it or does not wait for it")
            }
            dossier.state = transfer.reportedState == .stopped ? .stopped : .decided
            dossier.arrivedBy = existing.arrivedBy
            dossier.arrivedFromUnit = existing.arrivedFromUnit
        case .sendBack:
            guard let existing, existing.state == .transferred else {
                throw .invalid(field: "transfer", reason: "\(dossier.code) was sent back to \(unit.code), which never sent it away")
            }
            dossier.state = .forwarded
            dossier.lastSendBackReason = transfer.reason
            // The procedure resumes at the step this unit had.
            dossier.stepIndex = existing.path.last(where: { $0.unit == unit.code })?.stepIndex ?? existing.stepIndex
            // Keep where it had come from, so this node can send it further back.
            dossier.arrivedBy = existing.arrivedBy
            dossier.arrivedFromUnit = existing.arrivedFromUnit
        }
        dossier.holderUnit = unit.code
        dossier.holderNode = context.nodeID
        if dossier.competentUnit == unit.code || context.units[dossier.competentUnit] != nil { dossier.competentNode = context.nodeID }
        dossier.assignee = nil
        var path = dossier.path
        if path.last?.unit != unit.code {
            path.append(DossierHop(node: context.nodeID, unit: unit.code, level: unit.level, arrivedAt: transfer.sentAt, transferId: transfer.transferId))
        }
        path[path.count - 1].node = context.nodeID
        path[path.count - 1].level = unit.level
        path[path.count - 1].receivedAt = context.now
        if transfer.kind == .handOver, let step = dossier.stepIndex, let share = stayShare(from: step, unit: unit.code, dossier: dossier, context: context) {
            path[path.count - 1].stepDueAt = context.deadlines.dueAt(receivedAt: context.now, lead: share)
        }
        dossier.path = path

        var payload: [String: JSONValue] = [
            "transferId": .string(transfer.transferId), "transferKind": .string(transfer.kind.rawValue),
            "fromNode": .string(transfer.fromNode), "fromUnit": .string(transfer.fromUnit),
            "procedureCode": .string(dossier.procedureCode), "receivingUnit": .string(dossier.receivingUnit),
            "competentUnit": .string(dossier.competentUnit), "holderUnit": .string(unit.code), "holderLevel": .string(unit.level.rawValue),
            "status": .int(Int64(dossier.status)), "state": .string(dossier.state.rawValue), "flags": dossier.flags.json,
        ]
        if let reason = transfer.reason { payload["reason"] = .string(reason) }
        if let dueAt = dossier.dueAt { payload["dueAt"] = .string(VietnamTime.format(dueAt)) }
        if let outcome = dossier.outcome, transfer.kind == .result { payload["outcome"] = .string(outcome.rawValue) }
        payload.merge(journeyPayload(dossier)) { _, new in new }
        let kind: EventKind = transfer.kind == .sendBack ? .transferRefused : .transferReceived
        let event = EventDraft(dossierCode: dossier.code, kind: kind, actor: "node:\(transfer.fromNode)", at: context.now, payload: .object(payload))
        return DossierOutcome(dossier: dossier, event: event, form: nil, uploads: [])
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
        // At a node that did not receive the dossier, the holding unit answers for the receiving desk
        // (a supplement or a payment reaches the unit that has the dossier now).
        let desk = units[dossier.receivingUnit] != nil ? dossier.receivingUnit : dossier.holderUnit
        let target = row.scope == .receivingUnit ? desk : dossier.holderUnit
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
            lookup: "POST /v1/dossiers/\(dossier.code)/lookup with {\"lookupSecret\": \"<the secret on this receipt>\"} or {\"idNumber\": \"<your ID number>\"}")
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
