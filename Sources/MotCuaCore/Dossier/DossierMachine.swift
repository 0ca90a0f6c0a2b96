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
    /// For an `assign` command: the officer it names, as the node knows them (nil when there is no active
    /// officer of that name). The machine decides whether they may take the dossier.
    public var assignee: Actor? = nil

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

    /// Who may be assigned a dossier: an active specialist or leader whose units include the holding unit.
    static func checkAssignee(_ name: String, candidate: Actor?, dossier: Dossier, units: UnitDirectory) throws(DossierError) {
        guard case .officer(_, let roles, let scopes)? = candidate, roles.contains(.specialist) || roles.contains(.leader) else {
            throw .invalid(field: "assignee", reason: "\(name) is not an active specialist or leader of this node")
        }
        guard scopes.contains(where: { units.isWithin(dossier.holderUnit, ancestor: $0) }) else {
            throw .invalid(field: "assignee", reason: "\(name) does not work for unit \(dossier.holderUnit)")
        }
    }
}
