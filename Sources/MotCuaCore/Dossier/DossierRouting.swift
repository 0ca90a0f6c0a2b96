import Foundation

/// A unit of the federation as the hub's directory lists it: which node serves it.
public struct FederationUnit: Codable, Sendable, Hashable {
    public var code: String
    public var node: String
    public var name: String
    public var level: AdministrativeLevel
    public var parentCode: String?

    public init(code: String, node: String, name: String, level: AdministrativeLevel, parentCode: String? = nil) {
        self.code = code
        self.node = node
        self.name = name
        self.level = level
        self.parentCode = parentCode
    }
}

/// The federation's unit directory as a node caches it (from the hub): where units of other nodes live.
public struct FederationDirectory: Sendable, Hashable {
    public private(set) var units: [String: FederationUnit]

    public init(_ units: [FederationUnit] = []) {
        self.units = Dictionary(units.map { ($0.code, $0) }, uniquingKeysWith: { _, last in last })
    }

    public subscript(code: String) -> FederationUnit? { units[code] }
    public var isEmpty: Bool { units.isEmpty }
}

/// One stay of a dossier at a unit: a hop of its journey (Form 06 lists them).
public struct DossierHop: Codable, Sendable, Hashable {
    /// The node of the unit; nil while the source did not know it (the hub resolves it).
    public var node: String?
    public var unit: String
    public var level: AdministrativeLevel?
    /// When the previous holder handed it over (or the dossier was filed, for the first hop).
    public var arrivedAt: Date
    /// When the node of `unit` took it in, for a hand-over between nodes (transit through the hub before).
    public var receivedAt: Date?
    public var leftAt: Date?
    /// The end of this stay's share of the lead time (interconnected procedures).
    public var stepDueAt: Date?
    /// The step of the procedure performed here.
    public var step: String?
    /// Who handed it over to this unit.
    public var handedOverBy: String?
    /// The transfer that carried it here, between nodes.
    public var transferId: String?
    /// The index of that step in the procedure (to resume there after a send-back).
    public var stepIndex: Int?

    public init(
        node: String?, unit: String, level: AdministrativeLevel?, arrivedAt: Date, receivedAt: Date? = nil, leftAt: Date? = nil,
        stepDueAt: Date? = nil, step: String? = nil, handedOverBy: String? = nil, transferId: String? = nil
    ) {
        self.node = node
        self.unit = unit
        self.level = level
        self.arrivedAt = arrivedAt
        self.receivedAt = receivedAt
        self.leftAt = leftAt
        self.stepDueAt = stepDueAt
        self.step = step
        self.handedOverBy = handedOverBy
        self.transferId = transferId
    }

    /// The stay overran its share: left after its step's due time, or still there past it.
    public func isLate(at now: Date) -> Bool {
        guard let due = stepDueAt else { return false }
        return (leftAt ?? now) > due
    }

    /// As an event payload member (the hub folds these into the national path); times in ms (version 2).
    public func json(index: Int) -> JSONValue {
        var members: [String: JSONValue] = [
            StayKey.index.rawValue: .int(Int64(index)), StayKey.unit.rawValue: .string(unit), StayKey.arrivedAt.rawValue: EventPayload.time(arrivedAt),
        ]
        members[StayKey.node.rawValue] = node.map(JSONValue.string)
        members[StayKey.level.rawValue] = level.map { .string($0.rawValue) }
        members[StayKey.receivedAt.rawValue] = receivedAt.map(EventPayload.time)
        members[StayKey.leftAt.rawValue] = leftAt.map(EventPayload.time)
        members[StayKey.stepDueAt.rawValue] = stepDueAt.map(EventPayload.time)
        members[StayKey.step.rawValue] = step.map(JSONValue.string)
        return .object(members)
    }
}

/// What a transfer between nodes carries the dossier for.
public enum TransferKind: String, Codable, Sendable, CaseIterable {
    /// To the next unit that must act (a later step, another agency, the competent province).
    case handOver = "hand-over"
    /// The decision and the result document, back to the desk where the applicant filed.
    case result
    /// Back to the unit that sent it: the destination cannot act (unknown unit, not competent).
    case sendBack = "send-back"
}

/// Decided by a transition: the dossier leaves for a unit of another node. The shell stores it in the
/// outbox in the same transaction as the event, and ships it through the hub.
public struct TransferOrder: Sendable, Hashable {
    public var transferId: String
    public var kind: TransferKind
    public var fromUnit: String
    public var toUnit: String
    public var toNode: String?
    public var reason: String?
    /// For a result: how it ended there (decided, or stopped).
    public var reportedState: DossierState?

    public init(transferId: String, kind: TransferKind, fromUnit: String, toUnit: String, toNode: String?, reason: String? = nil) {
        self.transferId = transferId
        self.kind = kind
        self.fromUnit = fromUnit
        self.toUnit = toUnit
        self.toNode = toNode
        self.reason = reason
    }
}

/// A transfer as the destination applies it: the dossier as the source last had it.
public struct IncomingTransfer: Sendable, Hashable {
    public var transferId: String
    public var kind: TransferKind
    public var fromNode: String
    public var fromUnit: String
    public var toUnit: String
    public var reason: String?
    public var sentAt: Date
    public var dossier: Dossier
    /// For a result: decided or stopped.
    public var reportedState: DossierState?

    public init(
        transferId: String, kind: TransferKind, fromNode: String, fromUnit: String, toUnit: String, reason: String?, sentAt: Date,
        dossier: Dossier, reportedState: DossierState? = nil
    ) {
        self.transferId = transferId
        self.kind = kind
        self.fromNode = fromNode
        self.fromUnit = fromUnit
        self.toUnit = toUnit
        self.reason = reason
        self.sentAt = sentAt
        self.dossier = dossier
        self.reportedState = reportedState
    }
}

/// Where the steps of an interconnected procedure take place, relative to the desk that received it.
public enum StepRouting {
    /// The unit of a step: its fixed unit (a ministry's department), else the receiving unit's nearest
    /// ancestor at the step's level, else (a level abolished here, such as districts after 2025) the
    /// nearest higher one.
    public static func unit(
        for step: ProcessingStep, receivingUnit: String, units: UnitDirectory, federation: FederationDirectory
    ) -> String? {
        if let fixed = step.unit { return fixed }
        var lineage: [(code: String, level: AdministrativeLevel)] = units.lineage(of: receivingUnit).map { ($0.code, $0.level) }
        if lineage.isEmpty {
            // The desk is at another node: follow the federation directory.
            var cursor = federation[receivingUnit]
            var seen = Set<String>()
            while let unit = cursor, seen.insert(unit.code).inserted {
                lineage.append((unit.code, unit.level))
                cursor = unit.parentCode.flatMap { federation[$0] }
            }
        }
        if let exact = lineage.first(where: { $0.level == step.level }) { return exact.code }
        return lineage.first(where: { $0.level < step.level })?.code
    }
}
