import Foundation

/// The members of a dossier event's payload: every name the node writes and the hub reads is spelled
/// here, once. The hub's fast payload parser builds its field table from these names
/// (`ProjectionPayload` in MotCuaProtocol), so a member renamed here is renamed for both sides.
///
/// The raw value is the case's place (the hub's table is indexed by it); `name` is the wire name.
public enum PayloadKey: Int, CaseIterable, Sendable {
    /// The payload's version: absent in version 1, `2` since times are integer milliseconds.
    case version
    case status, state, holderUnit, holderLevel, holderNode, receivingUnit, competentUnit, receivingNode, competentNode
    case procedureCode, procedureVersion, channel, applicantRef, flags, dueAt, submittedAt, hop, path
    case transferId, transferKind, toNode, departureNode, fromNode, fromUnit, toUnit, toLevel, sentBackTransferId, refusedHere
    case method, amountVND, description, reference, resultDocument, outcome, reason, resultSummary, satisfaction
    case assignee, note, components, form

    /// The member name in the payload's JSON.
    public var name: String {
        switch self {
        case .version: "v"
        case .status: "status"
        case .state: "state"
        case .holderUnit: "holderUnit"
        case .holderLevel: "holderLevel"
        case .holderNode: "holderNode"
        case .receivingUnit: "receivingUnit"
        case .competentUnit: "competentUnit"
        case .receivingNode: "receivingNode"
        case .competentNode: "competentNode"
        case .procedureCode: "procedureCode"
        case .procedureVersion: "procedureVersion"
        case .channel: "channel"
        case .applicantRef: "applicantRef"
        case .flags: "flags"
        case .dueAt: "dueAt"
        case .submittedAt: "submittedAt"
        case .hop: "hop"
        case .path: "path"
        case .transferId: "transferId"
        case .transferKind: "transferKind"
        case .toNode: "toNode"
        case .departureNode: "departureNode"
        case .fromNode: "fromNode"
        case .fromUnit: "fromUnit"
        case .toUnit: "toUnit"
        case .toLevel: "toLevel"
        case .sentBackTransferId: "sentBackTransferId"
        case .refusedHere: "refusedHere"
        case .method: "method"
        case .amountVND: "amountVND"
        case .description: "description"
        case .reference: "reference"
        case .resultDocument: "resultDocument"
        case .outcome: "outcome"
        case .reason: "reason"
        case .resultSummary: "resultSummary"
        case .satisfaction: "satisfaction"
        case .assignee: "assignee"
        case .note: "note"
        case .components: "components"
        case .form: "form"
        }
    }
}

/// The members of one stay in a payload's `path` (the journey). Version 1 named the index `i`; version 2
/// names it `index`, as the hub's API does.
public enum StayKey: String, CaseIterable, Sendable {
    case index, node, unit, level, arrivedAt, receivedAt, leftAt, stepDueAt, step
    /// The index's name in version 1 payloads, still read.
    public static let legacyIndex = "i"
}

/// A dossier event's payload as the node builds it: members by `PayloadKey`, times as integer
/// milliseconds, the version stamped. `nil` removes a member (a JSON null is never written).
public struct EventPayload: Sendable, Hashable {
    /// The version this code writes.
    public static let currentVersion: Int64 = 2

    public private(set) var members: [String: JSONValue]

    public init() { members = [PayloadKey.version.name: .int(Self.currentVersion)] }

    public subscript(key: PayloadKey) -> JSONValue? {
        get { members[key.name] }
        set { members[key.name] = newValue == .null ? nil : newValue }
    }

    public subscript(key: PayloadKey) -> String? {
        get { members[key.name]?.stringValue }
        set { members[key.name] = newValue.map(JSONValue.string) }
    }

    /// A time member, as integer milliseconds since 1970 (version 2).
    public mutating func set(_ key: PayloadKey, time: Date?) { self[key] = time.map(Self.time) }

    /// The value a time has in a version 2 payload.
    public static func time(_ date: Date) -> JSONValue { .int(date.epochMilliseconds) }

    /// A time member as milliseconds since 1970: an integer (version 2), or an ISO 8601 text (version 1).
    public static func ms(_ value: JSONValue?) -> Int64? {
        switch value {
        case .int(let ms)?: ms
        case .string(let text)?: VietnamTime.parseISO8601(text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
        default: nil
        }
    }

    /// Takes `other`'s members over these.
    public mutating func merge(_ other: EventPayload) { members.merge(other.members) { _, new in new } }

    public var json: JSONValue { .object(members) }
}

/// The flags a dossier carries for the service indices, by their payload names.
public enum DossierFlagName: String, CaseIterable, Sendable {
    case digitised, reused, paidOnline, identityVerified, electronicResult
}

/// The payload of `node.log-loss-accepted`: which seqs are gone, and the head and hub hash it was written on.
public struct LogLossRecord: Codable, Sendable, Hashable {
    public var lostFromSeq: Int64
    public var lostToSeq: Int64
    public var localHeadSeq: Int64
    public var localHeadHash: String
    public var hubHash: String
    public var reason: String

    public init(lostFromSeq: Int64, lostToSeq: Int64, localHeadSeq: Int64, localHeadHash: String, hubHash: String, reason: String) {
        self.lostFromSeq = lostFromSeq
        self.lostToSeq = lostToSeq
        self.localHeadSeq = localHeadSeq
        self.localHeadHash = localHeadHash
        self.hubHash = hubHash
        self.reason = reason
    }
}

/// The ten national statuses of a dossier (DOMAIN.md). The terminal ones end its clock for good.
public struct NationalStatus: RawRepresentable, Sendable, Hashable, Codable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let submitted = NationalStatus(rawValue: 1)
    public static let received = NationalStatus(rawValue: 2)
    public static let refused = NationalStatus(rawValue: 3)
    public static let processing = NationalStatus(rawValue: 4)
    public static let supplementRequested = NationalStatus(rawValue: 5)
    public static let obligationRequested = NationalStatus(rawValue: 6)
    public static let withdrawalRequested = NationalStatus(rawValue: 7)
    public static let stopped = NationalStatus(rawValue: 8)
    public static let decided = NationalStatus(rawValue: 9)
    public static let returned = NationalStatus(rawValue: 10)

    /// The valid codes.
    public static let range = 1...10
    /// Refused, stopped, returned: nothing more happens to the dossier.
    public static let terminal: [NationalStatus] = [.refused, .stopped, .returned]

    public var isTerminal: Bool { Self.terminal.contains(self) }
    /// Refused or stopped: the dossier ended without a result to hand out.
    public var endedWithoutResult: Bool { self == .refused || self == .stopped }
}

/// When a dossier is overdue: the one rule for the node's queue, the hub's index and the hub's SQL.
///
/// Finished (decided, refused, stopped) after its due time; or still open, not terminal, with the due
/// time passed, except while its clock is paused (a supplement requested), when it counts as overdue
/// only if it was already late when the clock stopped.
public enum OverdueRule {
    /// - Parameter pausedLate: nil while the clock runs (or when the caller does not know of a pause, as
    ///   the hub does not); otherwise whether the dossier was late when its clock was paused.
    public static func isOverdue(dueAtMs: Int64?, finishedAtMs: Int64?, terminal: Bool, pausedLate: Bool? = nil, nowMs: Int64) -> Bool {
        guard let due = dueAtMs else { return false }
        if let finished = finishedAtMs { return finished > due }
        if terminal { return false }
        if let pausedLate { return pausedLate }
        return nowMs > due
    }

    /// The same rule as an SQL condition on columns `due_at_ms`, `finished_at_ms` and `status`, with one
    /// `?` for the time now in ms.
    public static let sqlCondition =
        "((finished_at_ms IS NULL AND status NOT IN (\(NationalStatus.terminal.map { String($0.rawValue) }.joined(separator: ", "))) AND due_at_ms < ?) OR (finished_at_ms > due_at_ms))"
}
