import Foundation
import MotCuaCore

/// A catalogue entry as the API shows it.
struct ProcedureView: Encodable {
    var code: String
    var version: Int
    var name: String
    var level: AdministrativeLevel
    var leadTime: String
    var onlineMode: OnlineMode
    var fee: Int
    var feeNote: String?
    var components: [ProcedureComponent]
    var financialObligation: Bool
    var competentAgency: String
    var field: String
    var steps: [ProcessingStep]
    var sample: Bool

    init(_ procedure: Procedure) {
        code = procedure.code
        version = procedure.version
        name = procedure.name
        level = procedure.level
        leadTime = procedure.leadTime.description
        onlineMode = procedure.onlineMode
        fee = procedure.feeVND
        feeNote = procedure.feeNote
        components = procedure.components
        financialObligation = procedure.financialObligation
        competentAgency = procedure.competentAgency
        field = procedure.field
        steps = procedure.steps
        sample = procedure.sample
    }
}

/// A list page with its cursor.
struct Page<Item: Encodable>: Encodable {
    var items: [Item]
    var nextCursor: String?
}

/// A unit reference with its name, so clients need no second call.
struct UnitRef: Encodable {
    var code: String
    var name: String
    var level: AdministrativeLevel?

    init(_ code: String, _ units: UnitDirectory) {
        self.code = code
        name = units[code]?.name ?? code
        level = units[code]?.level
    }
}

/// One step of a dossier's history as a citizen or officer reads it.
struct TimelineEntry: Encodable {
    var seq: Int64
    var at: Date
    var event: String
    var status: Int?
    var statusName: String?
    var unit: UnitRef?
    var form: String?

    init(_ event: Event, units: UnitDirectory) {
        seq = event.seq
        at = Date(timeIntervalSince1970: Double(event.timeMs) / 1000)
        self.event = event.kind
        let payload = (try? JSONValue.parse(event.payload)) ?? .null
        if case .int(let code)? = payload[PayloadKey.status.name] {
            status = Int(code)
            statusName = DossierState.statusName(Int(code))
        }
        let unitCode = payload[PayloadKey.holderUnit.name]?.stringValue ?? payload[PayloadKey.competentUnit.name]?.stringValue
        unit = unitCode.map { UnitRef($0, units) }
        form = payload[PayloadKey.form.name]?["form"]?.stringValue
    }
}

/// The whole dossier, for officers.
struct DossierView: Encodable {
    var dossier: Dossier
    var procedureName: String?
    var overdue: Bool
    var allowedActions: [String]
    var form: DossierForm?
    var units: UnitDirectory
    var federation: FederationDirectory
    /// The stay at the current unit overran its step's share.
    var stepLate: Bool
    /// The holding unit should apologise with a new date (Form 04 through `extend`).
    var apologyDue: Bool
    /// The lookup secret, shown where the receipt is issued (filing, reception).
    var lookupSecret: String? = nil

    enum Keys: String, CodingKey {
        case statusName, procedureName, overdue, allowedActions, form, receivingUnitName, competentUnitName, holderUnitName, status
        case stepLate, apologyDue, lookupSecret
    }

    func encode(to encoder: any Encoder) throws {
        try dossier.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(dossier.status, forKey: .status)
        try container.encode(dossier.state.statusName, forKey: .statusName)
        try container.encodeIfPresent(procedureName, forKey: .procedureName)
        try container.encode(overdue, forKey: .overdue)
        try container.encode(allowedActions, forKey: .allowedActions)
        try container.encodeIfPresent(form, forKey: .form)
        // Units of other nodes are named from the federation directory.
        func name(_ code: String) -> String? { units[code]?.name ?? federation[code]?.name }
        try container.encode(name(dossier.receivingUnit), forKey: .receivingUnitName)
        try container.encode(name(dossier.competentUnit), forKey: .competentUnitName)
        try container.encode(name(dossier.holderUnit), forKey: .holderUnitName)
        try container.encode(stepLate, forKey: .stepLate)
        try container.encode(apologyDue, forKey: .apologyDue)
        try container.encodeIfPresent(lookupSecret, forKey: .lookupSecret)
    }
}

/// What the public lookup (code + ID number) shows: status, dates, where it is, its timeline.
struct PublicDossierView: Encodable {
    var code: String
    var status: Int
    var statusName: String
    var procedureCode: String
    var procedureName: String?
    var channel: SubmissionChannel
    var submittedAt: Date
    var receivedAt: Date?
    var dueAt: Date?
    var finishedAt: Date?
    var returnedAt: Date?
    var overdue: Bool
    var outcome: DecisionOutcome?
    var receivingUnit: UnitRef
    var holderUnit: UnitRef
    var componentsReceived: [String]
    var timeline: [TimelineEntry]
    /// Where the dossier has been and is now, across nodes ("hub": from the national index; "local": what
    /// this node knows, when the hub does not answer).
    var journey: [JourneyStop]
    var journeySource: String
}

/// One stay of the dossier, as the public lookup shows it.
struct JourneyStop: Encodable {
    var unit: String
    var unitName: String?
    var node: String?
    var level: String?
    var step: String?
    var arrivedAt: Date
    var leftAt: Date?
    var stepDueAt: Date?
    var late: Bool
    var current: Bool
}
