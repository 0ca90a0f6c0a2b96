import Foundation

// Intake: where a new dossier goes and the dossier it starts as.
extension DossierMachine {
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
        var payload = EventPayload()
        payload[.procedureCode] = procedure.code
        payload[.procedureVersion] = .int(Int64(procedure.version))
        payload[.channel] = submission.channel.rawValue
        payload[.receivingUnit] = receiving.code
        payload[.competentUnit] = route.competent
        payload[.holderUnit] = route.holder.code
        payload[.holderLevel] = route.holder.level.rawValue
        payload[.status] = .int(Int64(dossier.status))
        payload[.state] = dossier.state.rawValue
        payload[.components] = .array(received.map { .object(["code": .string($0.code), "sha256": .string($0.sha256), "sizeBytes": .int(Int64($0.sizeBytes))]) })
        payload[.flags] = dossier.flags.json
        payload.set(.submittedAt, time: context.now)
        payload[.applicantRef] = submission.applicantRef
        // The first stay is the filing itself (the hub derives it); its nodes are said once, here.
        payload.merge(journeyPayload(dossier, withPath: false))
        payload[.receivingNode] = dossier.receivingNode
        payload[.competentNode] = dossier.competentNode
        payload.set(.dueAt, time: dossier.dueAt)
        if let form { payload[.form] = try? JSONValue.from(form) }
        let event = EventDraft(dossierCode: code, kind: kind, actor: context.actor.logName, at: context.now, payload: payload.json)
        return DossierOutcome(dossier: dossier, event: event, form: form, uploads: submission.components)
    }
}
