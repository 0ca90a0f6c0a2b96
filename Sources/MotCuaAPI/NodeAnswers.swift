import Foundation
import MotCuaCore

// The node's answers, written by its routes and read by `NodeAPI`'s clients. Times are ISO 8601 in
// Vietnam time; a documented member without a value is written as null (`@Nullable`), a member that only
// some answers carry is left out.

public struct StatusAnswer: Codable, Sendable {
    public var status: String

    public init(status: String) { self.status = status }
}

/// What the node's replication shell reports to monitoring and to `/readyz`.
public struct ReplicationStatus: Sendable, Codable {
    public var hubURL: String
    public var acknowledgedSeq: Int64
    public var localHead: Int64
    public var backlog: Int64
    public var lagMs: Int64
    public var phase: String
    public var lastError: String?
    public var alarm: String?

    public init(hubURL: String, acknowledgedSeq: Int64, localHead: Int64, backlog: Int64, lagMs: Int64, phase: String) {
        self.hubURL = hubURL
        self.acknowledgedSeq = acknowledgedSeq
        self.localHead = localHead
        self.backlog = backlog
        self.lagMs = lagMs
        self.phase = phase
    }
}

/// What the node's routing shell reports to `/readyz` and to operators.
public struct RoutingStatus: Sendable, Codable {
    public var outboxPending: Int = 0
    public var oldestPendingAgeMs: Int64?
    public var delivered: Int = 0
    public var received: Int = 0
    public var directoryUnits: Int = 0
    public var unitsRegistered: Bool = false
    public var lastError: String?

    public init() {}
}

/// `/readyz`: whether the node takes work, and what stands in the way when it does not (then with 503).
public struct ReadyAnswer: Codable, Sendable {
    public struct Condition: Codable, Sendable {
        public var code: String
        public var detail: String
        public var since: Date

        public init(code: String, detail: String, since: Date) {
            self.code = code
            self.detail = detail
            self.since = since
        }
    }

    public var status: String
    public var nodeId: String
    public var logHead: Int64
    public var procedures: Int
    public var units: Int
    public var replication: ReplicationStatus?
    public var routing: RoutingStatus?
    public var problems: [Condition]?

    public var isReady: Bool { status == "ready" }

    public init(
        status: String, nodeId: String, logHead: Int64, procedures: Int, units: Int, replication: ReplicationStatus?,
        routing: RoutingStatus?, problems: [Condition]?
    ) {
        self.status = status
        self.nodeId = nodeId
        self.logHead = logHead
        self.procedures = procedures
        self.units = units
        self.replication = replication
        self.routing = routing
        self.problems = problems
    }
}

/// A session opened by `POST /v1/auth/token`.
public struct SessionAnswer: Codable, Sendable {
    public var token: String
    public var expiresAt: Date
    public var username: String
    public var roles: [OfficerRole]
    public var units: [String]

    public init(token: String, expiresAt: Date, officer: OfficerRecord) {
        self.token = token
        self.expiresAt = expiresAt
        username = officer.username
        roles = officer.roles
        units = officer.units
    }
}

/// An officer's account as an admin sees it (never the password hash).
public struct OfficerAnswer: Codable, Sendable {
    public var username: String
    public var fullName: String
    public var active: Bool
    public var roles: [OfficerRole]
    public var units: [String]

    public init(_ officer: OfficerRecord) {
        username = officer.username
        fullName = officer.fullName
        active = officer.active
        roles = officer.roles
        units = officer.units
    }
}

public struct UsernameAnswer: Codable, Sendable {
    public var username: String

    public init(username: String) { self.username = username }
}

/// The loss an operator accepted: the log's new position and the range the hub held but the node lost.
public struct LogLossAnswer: Codable, Sendable {
    public var seq: Int64
    public var lostFromSeq: Int64
    public var lostToSeq: Int64

    public init(seq: Int64, lostFromSeq: Int64, lostToSeq: Int64) {
        self.seq = seq
        self.lostFromSeq = lostFromSeq
        self.lostToSeq = lostToSeq
    }
}

/// A component attached to a dossier; the file itself only when asked for (`include=content`).
public struct ComponentAnswer: Codable, Sendable {
    public var code: String
    public var fileName: String
    public var sizeBytes: Int
    public var sha256: String
    public var contentBase64: String?

    public init(_ stored: StoredComponent, includeContent: Bool) {
        code = stored.component.code
        fileName = stored.component.fileName
        sizeBytes = stored.component.sizeBytes
        sha256 = stored.component.sha256
        contentBase64 = includeContent ? Data(stored.bytes).base64EncodedString() : nil
    }
}

/// A hand-over this node sent to another node, with where it stands.
public struct TransferAnswer: Codable, Sendable {
    public var transferId: String
    public var dossier: String
    public var kind: String
    public var fromUnit: String
    public var toUnit: String
    @Nullable public var toNode: String?
    public var state: String
    public var attempts: Int
    public var createdAt: Date
    public var ageMs: Int64
    @Nullable public var lastError: String?
    @Nullable public var reason: String?

    public init(_ item: OutboxItem, now: Date) {
        transferId = item.order.transferId
        dossier = item.dossier.code
        kind = item.order.kind.rawValue
        fromUnit = item.order.fromUnit
        toUnit = item.order.toUnit
        toNode = item.order.toNode ?? item.destination
        state = item.state
        attempts = item.attempts
        createdAt = item.createdAt
        ageMs = Int64(now.timeIntervalSince(item.createdAt) * 1000)
        lastError = item.lastError
        reason = item.order.reason
    }
}

/// A catalogue entry as the API shows it.
public struct ProcedureView: Codable, Sendable {
    public var code: String
    public var version: Int
    public var name: String
    public var level: AdministrativeLevel
    public var leadTime: String
    public var onlineMode: OnlineMode
    public var fee: Int
    public var feeNote: String?
    public var components: [ProcedureComponent]
    public var financialObligation: Bool
    public var competentAgency: String
    public var field: String
    public var steps: [ProcessingStep]
    public var sample: Bool

    public init(_ procedure: Procedure) {
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

/// A unit reference with its name, so clients need no second call.
public struct UnitRef: Codable, Sendable {
    public var code: String
    public var name: String
    public var level: AdministrativeLevel?

    public init(_ code: String, _ units: UnitDirectory) {
        self.code = code
        name = units[code]?.name ?? code
        level = units[code]?.level
    }
}

/// One step of a dossier's history as a citizen or officer reads it.
public struct TimelineEntry: Codable, Sendable {
    public var seq: Int64
    public var at: Date
    public var event: String
    public var status: Int?
    public var statusName: String?
    public var unit: UnitRef?
    public var form: String?

    public init(_ event: Event, units: UnitDirectory) {
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

/// The whole dossier, for officers: the dossier's own members and, beside them, what the node adds.
public struct DossierView: Codable, Sendable {
    public var dossier: Dossier
    public var procedureName: String?
    public var overdue: Bool
    public var allowedActions: [String]
    /// The form the request produced (a receipt, a supplement request, ...), only in the answer to it.
    public var form: DossierForm?
    /// Names of the units, those of other nodes from the federation directory.
    public var receivingUnitName: String?
    public var competentUnitName: String?
    public var holderUnitName: String?
    /// The stay at the current unit overran its step's share.
    public var stepLate: Bool
    /// The holding unit should apologise with a new date (Form 04 through `extend`).
    public var apologyDue: Bool
    /// The lookup secret, shown where the receipt is issued (filing, reception).
    public var lookupSecret: String?

    public var code: String { dossier.code }
    public var status: Int { dossier.status }

    public init(
        dossier: Dossier, procedureName: String?, overdue: Bool, allowedActions: [String], form: DossierForm?,
        unitName: (String) -> String?, stepLate: Bool, apologyDue: Bool, lookupSecret: String?
    ) {
        self.dossier = dossier
        self.procedureName = procedureName
        self.overdue = overdue
        self.allowedActions = allowedActions
        self.form = form
        receivingUnitName = unitName(dossier.receivingUnit)
        competentUnitName = unitName(dossier.competentUnit)
        holderUnitName = unitName(dossier.holderUnit)
        self.stepLate = stepLate
        self.apologyDue = apologyDue
        self.lookupSecret = lookupSecret
    }

    enum Keys: String, CodingKey {
        case statusName, procedureName, overdue, allowedActions, form, receivingUnitName, competentUnitName, holderUnitName, status
        case stepLate, apologyDue, lookupSecret
    }

    public init(from decoder: any Decoder) throws {
        dossier = try Dossier(from: decoder)
        let container = try decoder.container(keyedBy: Keys.self)
        procedureName = try container.decodeIfPresent(String.self, forKey: .procedureName)
        overdue = try container.decode(Bool.self, forKey: .overdue)
        allowedActions = try container.decode([String].self, forKey: .allowedActions)
        form = try container.decodeIfPresent(DossierForm.self, forKey: .form)
        receivingUnitName = try container.decodeIfPresent(String.self, forKey: .receivingUnitName)
        competentUnitName = try container.decodeIfPresent(String.self, forKey: .competentUnitName)
        holderUnitName = try container.decodeIfPresent(String.self, forKey: .holderUnitName)
        stepLate = try container.decode(Bool.self, forKey: .stepLate)
        apologyDue = try container.decode(Bool.self, forKey: .apologyDue)
        lookupSecret = try container.decodeIfPresent(String.self, forKey: .lookupSecret)
    }

    public func encode(to encoder: any Encoder) throws {
        try dossier.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(dossier.status, forKey: .status)
        try container.encode(dossier.state.statusName, forKey: .statusName)
        try container.encodeIfPresent(procedureName, forKey: .procedureName)
        try container.encode(overdue, forKey: .overdue)
        try container.encode(allowedActions, forKey: .allowedActions)
        try container.encodeIfPresent(form, forKey: .form)
        try container.encode(receivingUnitName, forKey: .receivingUnitName)
        try container.encode(competentUnitName, forKey: .competentUnitName)
        try container.encode(holderUnitName, forKey: .holderUnitName)
        try container.encode(stepLate, forKey: .stepLate)
        try container.encode(apologyDue, forKey: .apologyDue)
        try container.encodeIfPresent(lookupSecret, forKey: .lookupSecret)
    }
}

/// What the public lookup (code + ID number or lookup secret) shows: status, dates, where it is, its timeline.
public struct PublicDossierView: Codable, Sendable {
    public var code: String
    public var status: Int
    public var statusName: String
    public var procedureCode: String
    public var procedureName: String?
    public var channel: SubmissionChannel
    public var submittedAt: Date
    public var receivedAt: Date?
    public var dueAt: Date?
    public var finishedAt: Date?
    public var returnedAt: Date?
    public var overdue: Bool
    public var outcome: DecisionOutcome?
    public var receivingUnit: UnitRef
    public var holderUnit: UnitRef
    public var componentsReceived: [String]
    public var timeline: [TimelineEntry]
    /// Where the dossier has been and is now, across nodes ("hub": from the national index; "local": what
    /// this node knows, when the hub does not answer).
    public var journey: [JourneyStop]
    public var journeySource: String

    public init(
        _ dossier: Dossier, procedureName: String?, overdue: Bool, units: UnitDirectory, timeline: [TimelineEntry],
        journey: [JourneyStop], journeySource: String
    ) {
        code = dossier.code
        status = dossier.status
        statusName = dossier.state.statusName
        procedureCode = dossier.procedureCode
        self.procedureName = procedureName
        channel = dossier.channel
        submittedAt = dossier.submittedAt
        receivedAt = dossier.receivedAt
        dueAt = dossier.dueAt
        finishedAt = dossier.finishedAt
        returnedAt = dossier.returnedAt
        self.overdue = overdue
        outcome = dossier.outcome
        receivingUnit = UnitRef(dossier.receivingUnit, units)
        holderUnit = UnitRef(dossier.holderUnit, units)
        componentsReceived = dossier.components.map(\.name)
        self.timeline = timeline
        self.journey = journey
        self.journeySource = journeySource
    }
}

/// One stay of the dossier, as the public lookup shows it.
public struct JourneyStop: Codable, Sendable {
    public var unit: String
    public var unitName: String?
    public var node: String?
    public var level: String?
    public var step: String?
    public var arrivedAt: Date
    public var leftAt: Date?
    public var stepDueAt: Date?
    public var late: Bool
    public var current: Bool

    public init(
        unit: String, unitName: String?, node: String?, level: String?, step: String?, arrivedAt: Date, leftAt: Date?,
        stepDueAt: Date?, late: Bool, current: Bool
    ) {
        self.unit = unit
        self.unitName = unitName
        self.node = node
        self.level = level
        self.step = step
        self.arrivedAt = arrivedAt
        self.leftAt = leftAt
        self.stepDueAt = stepDueAt
        self.late = late
        self.current = current
    }
}

/// The answer to a units import: how many came, and how many units the node has now.
public struct UnitsImportAnswer: Codable, Sendable {
    public var imported: Int
    public var units: Int

    public init(imported: Int, units: Int) {
        self.imported = imported
        self.units = units
    }
}
