import Foundation

// Actions: one command applied to a dossier through the transition table.
extension DossierMachine {
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
        var payload = EventPayload()
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
            payload[.note] = note.map(JSONValue.string)
        case .refuse(let reasons):
            form = .refusal(RefusalForm(
                dossierCode: dossier.code, applicantName: dossier.applicant.fullName, reasons: reasons,
                refusedBy: who, refusedAt: now))
        case .assign(let assignee, let note):
            try checkAssignee(assignee, candidate: context.assignee, dossier: dossier, units: context.units)
            dossier.assignee = assignee
            payload[.assignee] = .string(assignee)
            payload[.note] = note.map(JSONValue.string)
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
            payload[.components] = .array(received.map { .object(["code": .string($0.code), "sha256": .string($0.sha256)]) })
            payload[.note] = note.map(JSONValue.string)
        case .requestPayment(let amount, let description):
            dossier.amountDueVND = amount
            payload[.amountVND] = .int(Int64(amount))
            payload[.description] = description.map(JSONValue.string)
        case .recordPayment(let amount, let method, let reference):
            let (total, overflow) = (dossier.amountPaidVND ?? 0).addingReportingOverflow(amount)
            guard !overflow, total <= DossierCommand.amountLimitVND else {
                throw .invalid(field: "amountVND", reason: "the payments recorded would exceed \(DossierCommand.amountLimitVND) VND")
            }
            dossier.amountPaidVND = total
            if method.isOnline { dossier.flags.paidOnline = true }
            payload[.amountVND] = .int(Int64(amount))
            payload[.method] = .string(method.rawValue)
            payload[.reference] = reference.map(JSONValue.string)
        case .forward(let requested, let note):
            let target = try handOverTarget(requested, dossier: dossier, context: context)
            payload[.fromUnit] = .string(dossier.holderUnit)
            payload[.toUnit] = .string(target.unit)
            payload[.note] = note.map(JSONValue.string)
            if let local = context.units[target.unit] {
                payload[.toLevel] = .string(local.level.rawValue)
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
                payload[.resultDocument] = .object(["fileName": .string(document.fileName), "sha256": .string(document.sha256)])
            }
            payload[.outcome] = .string(outcome.rawValue)
            payload[.reason] = reason.map(JSONValue.string)
            payload[.resultSummary] = summary.map(JSONValue.string)
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
            payload[.note] = note.map(JSONValue.string)
            payload[.satisfaction] = satisfaction.map { .int(Int64($0)) }
        case .requestWithdrawal(let reason):
            payload[.reason] = reason.map(JSONValue.string)
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
            payload[.reason] = .string(reason)
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
            payload[.transferId] = .string(order.transferId)
            payload[.transferKind] = .string(order.kind.rawValue)
            payload[.toNode] = order.toNode.map(JSONValue.string)
            // The node the dossier leaves: it may still report this stay at the hub.
            payload[.departureNode] = .string(context.nodeID)
        }

        payload[.status] = .int(Int64(reported.nationalStatus))
        // A result reports how it ended there; a hand-over or a send-back, that the dossier is on its way.
        payload[.state] = .string(transfer?.kind == .handOver || transfer?.kind == .sendBack ? DossierState.transferred.rawValue : reported.rawValue)
        payload[.holderUnit] = .string(dossier.holderUnit)
        if let level = dossier.path.last?.level ?? context.units[dossier.holderUnit]?.level { payload[.holderLevel] = .string(level.rawValue) }
        payload.set(.dueAt, time: dossier.dueAt)
        if let form { payload[.form] = try? JSONValue.from(form) }
        // The journey rides along only where it says more than the filing (a hand-over, or the end of a
        // dossier that moved): every other event stays small on the hub's apply path.
        let moved = dossier.path.count != hopsBefore || (dossier.state.isTerminal && dossier.path.count > 1)
        payload.merge(journeyPayload(dossier, withPath: moved))
        let event = EventDraft(
            dossierCode: dossier.code, kind: kind, actor: who, at: now,
            payload: payload.json)
        return DossierOutcome(dossier: dossier, event: event, form: form, uploads: uploads, transfer: transfer)
    }
}
