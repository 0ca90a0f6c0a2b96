import Foundation

// Hand-overs and transfers between nodes: targets, stays, the journey, taking a transfer in.
extension DossierMachine {

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
    static func journeyPayload(_ dossier: Dossier, withPath: Bool = true) -> EventPayload {
        var payload = EventPayload()
        payload[.hop] = .int(Int64(max(0, dossier.path.count - 1)))
        payload[.holderNode] = dossier.holderNode
        // The rest only where the journey moves (and at filing): every other event stays small.
        guard withPath else { return payload }
        payload[.receivingNode] = dossier.receivingNode
        payload[.competentNode] = dossier.competentNode
        payload[.path] = .array(dossier.path.enumerated().map { $0.element.json(index: $0.offset) })
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

        var payload = arrivalPayload(transfer)
        payload[.procedureCode] = dossier.procedureCode
        payload[.receivingUnit] = dossier.receivingUnit
        payload[.competentUnit] = dossier.competentUnit
        payload[.holderUnit] = unit.code
        payload[.holderLevel] = unit.level.rawValue
        payload[.status] = .int(Int64(dossier.status))
        payload[.state] = dossier.state.rawValue
        payload[.flags] = dossier.flags.json
        if let reason = transfer.reason { payload[.reason] = .string(reason) }
        payload.set(.dueAt, time: dossier.dueAt)
        if let outcome = dossier.outcome, transfer.kind == .result { payload[.outcome] = .string(outcome.rawValue) }
        payload.merge(journeyPayload(dossier))
        let kind: EventKind = transfer.kind == .sendBack ? .transferRefused : .transferReceived
        let event = EventDraft(dossierCode: dossier.code, kind: kind, actor: "node:\(transfer.fromNode)", at: context.now, payload: payload.json)
        return DossierOutcome(dossier: dossier, event: event, form: nil, uploads: [])
    }

    /// What the event of a transfer's arrival (taken in or refused) says of the transfer itself.
    static func arrivalPayload(_ transfer: IncomingTransfer) -> EventPayload {
        var payload = EventPayload()
        payload[.transferId] = transfer.transferId
        payload[.transferKind] = transfer.kind.rawValue
        payload[.fromNode] = transfer.fromNode
        payload[.fromUnit] = transfer.fromUnit
        return payload
    }

    /// A transfer this node cannot act on: what to log, and (unless it was itself a send-back, which is
    /// never bounced again: that could loop) the send-back that returns it to the unit it came from with
    /// the reason. The stay it would have begun here is closed in the snapshot that travels back.
    public static func refuse(
        _ incoming: IncomingTransfer, reason: String, now: Date, sendBackID: String
    ) -> (event: EventDraft, sendBack: TransferOrder?, snapshot: Dossier) {
        var snapshot = incoming.dossier
        snapshot.closeStay(at: incoming.toUnit, now: now)
        let bounces = incoming.kind != .sendBack
        var payload = arrivalPayload(incoming)
        payload[.toUnit] = incoming.toUnit
        payload[.reason] = reason
        payload[.refusedHere] = .bool(true)
        if bounces { payload[.sentBackTransferId] = sendBackID }
        let event = EventDraft(dossierCode: incoming.dossier.code, kind: .transferRefused, actor: "system", at: now, payload: payload.json)
        let order = bounces
            ? TransferOrder(
                transferId: sendBackID, kind: .sendBack, fromUnit: incoming.toUnit, toUnit: incoming.fromUnit, toNode: incoming.fromNode,
                reason: reason)
            : nil
        return (event, order, snapshot)
    }
}
