import Foundation

/// Why a dossier operation was refused. `code` is stable on the wire (problem+json `type`); the
/// description tells a person what to do.
public enum DossierError: Error, Sendable, Hashable, CustomStringConvertible {
    case illegalTransition(action: DossierAction, state: DossierState)
    case notPermitted(action: DossierAction, allowed: [String])
    case outOfScope(action: DossierAction, unit: String)
    case extensionAlreadyUsed
    case invalid(field: String, reason: String)
    case unknownProcedure(String)
    case procedureNotEffective(String)
    case notOnline(String)
    case missingComponents([String])
    case unknownComponent(String)
    case unknownUnit(String)
    case notCompetentHere(procedure: String, reason: String)
    case paymentOutstanding

    /// What kind of refusal this is, so the HTTP layer can choose 403, 409 or 422.
    public enum Category: Sendable { case forbidden, conflict, unprocessable, notFound }

    public var category: Category {
        switch self {
        case .notPermitted, .outOfScope: .forbidden
        case .illegalTransition, .extensionAlreadyUsed, .paymentOutstanding: .conflict
        case .unknownProcedure: .notFound
        default: .unprocessable
        }
    }

    public var code: String {
        switch self {
        case .illegalTransition: "dossier.illegal-transition"
        case .notPermitted: "dossier.role-not-permitted"
        case .outOfScope: "dossier.out-of-scope"
        case .extensionAlreadyUsed: "dossier.extension-already-used"
        case .invalid: "dossier.invalid-field"
        case .unknownProcedure: "procedure.unknown"
        case .procedureNotEffective: "procedure.not-effective"
        case .notOnline: "procedure.not-online"
        case .missingComponents: "dossier.missing-components"
        case .unknownComponent: "dossier.unknown-component"
        case .unknownUnit: "unit.unknown"
        case .notCompetentHere: "procedure.not-competent-here"
        case .paymentOutstanding: "dossier.payment-outstanding"
        }
    }

    public var description: String {
        switch self {
        case .illegalTransition(let action, let state):
            let legal = DossierTransition.actions(from: state).map(\.rawValue)
            return "'\(action.rawValue)' is not possible while the dossier is \(state.rawValue) (status \(state.nationalStatus)); "
                + (legal.isEmpty ? "no action is possible any more" : "possible now: \(legal.joined(separator: ", "))")
        case .notPermitted(let action, let allowed):
            return "'\(action.rawValue)' needs one of the roles: \(allowed.joined(separator: ", "))"
        case .outOfScope(let action, let unit):
            return "'\(action.rawValue)' concerns unit \(quoted(unit)), which is outside the units you are assigned to"
        case .extensionAlreadyUsed:
            return "the deadline of this dossier was already extended once; it can be extended only once"
        case .invalid(let field, let reason):
            return "\(quoted(field)): \(quoted(reason, limit: 300))"
        case .unknownProcedure(let code):
            return "no procedure \(quoted(code)) in this node's catalogue; see GET /v1/procedures"
        case .procedureNotEffective(let code):
            return "procedure \(quoted(code)) is not in force on this date"
        case .notOnline(let code):
            return "procedure \(quoted(code)) is not offered online; file it at a one-stop desk"
        case .missingComponents(let names):
            return "mandatory components missing: \(quoted(names.joined(separator: "; "), limit: 500))"
        case .unknownComponent(let code):
            return "component \(quoted(code)) is not part of this procedure"
        case .unknownUnit(let code):
            return "no unit \(quoted(code)) at this node; see GET /v1/units"
        case .notCompetentHere(let procedure, let reason):
            return "procedure \(quoted(procedure)) cannot be filed here: \(quoted(reason, limit: 300))"
        case .paymentOutstanding:
            return "this procedure carries a financial obligation: record the payment before approving"
        }
    }
}
