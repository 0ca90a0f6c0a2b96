import Foundation
import MotCuaCore
import MotCuaProtocol

// The hub's national API answers (operators only), written by its routes and read by `NationalAPI`'s
// clients. Times are ISO 8601 in Vietnam time; a documented member without a value is written as null.

/// A time in ms since 1970 as a date of the API.
func apiDate(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

func apiDate(_ ms: Int64?) -> Date? { ms.map(apiDate) }

/// A node's standing at the hub; in the national status also its dossiers and lag.
public struct NodeStandingAnswer: Codable, Sendable {
    public var id: String
    public var appliedSeq: Int64
    public var appliedHash: String
    @Nullable public var lagMs: Int64?
    @Nullable public var lastContactAt: Date?
    @Nullable public var quarantined: String?
    public var member: Bool
    @Nullable public var reportedHeadSeq: Int64?
    public var logBehindHub: Bool
    // The national status only.
    public var dossiers: Int?
    public var overdue: Int?
    public var lagP50Ms: Int64?
    public var lagP99Ms: Int64?
    public var byStatus: [String: Int]?

    public init(_ standing: NodeStanding) {
        id = standing.nodeID
        appliedSeq = standing.appliedSeq
        appliedHash = standing.appliedHash
        lagMs = standing.lagMs
        lastContactAt = apiDate(standing.lastContactMs)
        quarantined = standing.quarantinedReason
        member = standing.member
        reportedHeadSeq = standing.reportedHeadSeq
        logBehindHub = standing.logBehindHub
    }
}

public struct MembershipAnswer: Codable, Sendable {
    public var node: String
    public var member: Bool
    public var added: Bool?

    public init(node: String, member: Bool, added: Bool? = nil) {
        self.node = node
        self.member = member
        self.added = added
    }
}

public struct ReleaseAnswer: Codable, Sendable {
    public var node: String
    public var released = true

    public init(node: String) { self.node = node }
}

public struct NationalStatusAnswer: Codable, Sendable {
    public struct Totals: Codable, Sendable {
        public var dossiers: Int
        public var overdue: Int
        public var byStatus: [String: Int]

        public init(dossiers: Int, overdue: Int, byStatus: [String: Int]) {
            self.dossiers = dossiers
            self.overdue = overdue
            self.byStatus = byStatus
        }
    }

    public var nodes: [NodeStandingAnswer]
    public var totals: Totals
    public var at: Date

    public init(nodes: [NodeStandingAnswer], totals: Totals, at: Date) {
        self.nodes = nodes
        self.totals = totals
        self.at = at
    }
}

/// A dossier as the national index holds it.
public struct NationalDossierAnswer: Codable, Sendable {
    public var code: String
    public var node: String
    public var status: Int
    public var statusName: String
    @Nullable public var state: String?
    @Nullable public var receivingUnit: String?
    @Nullable public var competentUnit: String?
    @Nullable public var unit: String?
    @Nullable public var level: String?
    @Nullable public var procedureCode: String?
    @Nullable public var channel: String?
    @Nullable public var submittedAt: Date?
    @Nullable public var receivedAt: Date?
    @Nullable public var dueAt: Date?
    @Nullable public var finishedAt: Date?
    @Nullable public var returnedAt: Date?
    public var overdue: Bool
    public var flags: [String: Bool]
    @Nullable public var applicantRef: String?
    public var lastSeq: Int64
    public var receivingNode: String
    @Nullable public var competentNode: String?
    public var holderNode: String
    public var crossNode: Bool

    public init(_ dossier: NationalDossier, nowMs: Int64) {
        code = dossier.code
        node = dossier.node
        status = dossier.status
        statusName = DossierState.statusName(dossier.status)
        state = dossier.state
        receivingUnit = dossier.receivingUnit
        competentUnit = dossier.competentUnit
        unit = dossier.holderUnit
        level = dossier.level
        procedureCode = dossier.procedureCode
        channel = dossier.channel
        submittedAt = apiDate(dossier.submittedAtMs)
        receivedAt = apiDate(dossier.receivedAtMs)
        dueAt = apiDate(dossier.dueAtMs)
        finishedAt = apiDate(dossier.finishedAtMs)
        returnedAt = apiDate(dossier.returnedAtMs)
        overdue = dossier.isOverdue(atMs: nowMs)
        flags = dossier.flags.dictionary
        applicantRef = dossier.applicantRef
        lastSeq = dossier.lastSeq
        receivingNode = dossier.receivingNode ?? dossier.node
        competentNode = dossier.competentNode
        holderNode = dossier.holderNode ?? dossier.node
        crossNode = dossier.crossNode
    }
}

public struct DossierPageAnswer: Codable, Sendable {
    public var items: [NationalDossierAnswer]
    @Nullable public var nextCursor: String?

    public init(items: [NationalDossierAnswer], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// A transfer in (or gone from) a mailbox, as operators and the dossier's journey show it.
public struct MailboxEntryAnswer: Codable, Sendable {
    public var transferId: String
    public var dossier: String
    public var kind: String
    public var source: String
    @Nullable public var destination: String?
    public var toUnit: String
    public var state: String
    public var enqueuedAt: Date
    public var ageMs: Int64
    public var attempts: Int
    @Nullable public var acknowledgedAt: Date?
    @Nullable public var reason: String?

    public init(_ entry: MailboxEntry, nowMs: Int64) {
        transferId = entry.transferId
        dossier = entry.dossierCode
        kind = entry.kind.rawValue
        source = entry.source
        destination = entry.destination
        toUnit = entry.toUnit
        state = entry.state.rawValue
        enqueuedAt = apiDate(entry.enqueuedAtMs)
        ageMs = nowMs - entry.enqueuedAtMs
        attempts = entry.attempts
        acknowledgedAt = apiDate(entry.acknowledgedAtMs)
        reason = entry.reason
    }
}

public struct MailboxAnswer: Codable, Sendable {
    public struct Destination: Codable, Sendable {
        public var node: String
        public var queued: Int
        public var oldestAgeMs: Int64

        public init(node: String, queued: Int, oldestAgeMs: Int64) {
            self.node = node
            self.queued = queued
            self.oldestAgeMs = oldestAgeMs
        }
    }

    public var destinations: [Destination]
    public var items: [MailboxEntryAnswer]

    public init(destinations: [Destination], items: [MailboxEntryAnswer]) {
        self.destinations = destinations
        self.items = items
    }
}

/// A dossier with its journey: every stay and the transfers between nodes.
public struct JourneyAnswer: Codable, Sendable {
    public struct Stay: Codable, Sendable {
        public var index: Int
        @Nullable public var node: String?
        public var unit: String
        @Nullable public var level: String?
        @Nullable public var step: String?
        public var arrivedAt: Date
        @Nullable public var receivedAt: Date?
        @Nullable public var leftAt: Date?
        @Nullable public var stepDueAt: Date?
        public var late: Bool
        public var spentMs: Int64
        @Nullable public var transitMs: Int64?

        public init(_ hop: NationalHop, nowMs: Int64) {
            index = hop.index
            node = hop.node
            unit = hop.unit
            level = hop.level
            step = hop.step
            arrivedAt = apiDate(hop.arrivedAtMs)
            receivedAt = apiDate(hop.receivedAtMs)
            leftAt = apiDate(hop.leftAtMs)
            stepDueAt = apiDate(hop.stepDueAtMs)
            late = hop.isLate(atMs: nowMs)
            spentMs = max(0, (hop.leftAtMs ?? nowMs) - (hop.receivedAtMs ?? hop.arrivedAtMs))
            transitMs = hop.receivedAtMs.map { max(0, $0 - hop.arrivedAtMs) }
        }
    }

    public var dossier: NationalDossierAnswer
    public var path: [Stay]
    public var transfers: [MailboxEntryAnswer]

    public init(dossier: NationalDossierAnswer, path: [Stay], transfers: [MailboxEntryAnswer]) {
        self.dossier = dossier
        self.path = path
        self.transfers = transfers
    }

    enum CodingKeys: String, CodingKey { case path, transfers }

    public init(from decoder: any Decoder) throws {
        dossier = try NationalDossierAnswer(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode([Stay].self, forKey: .path)
        transfers = try container.decode([MailboxEntryAnswer].self, forKey: .transfers)
    }

    /// The dossier's members and beside them `path` and `transfers`, in one object.
    public func encode(to encoder: any Encoder) throws {
        try dossier.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(transfers, forKey: .transfers)
    }
}

/// The hub's `/readyz`: whether it can serve (its national index answers), and how many nodes it knows;
/// 503 with `problem` when it cannot.
public struct HubReadyAnswer: Codable, Sendable {
    public var status: String
    public var nodes: Int
    public var members: Int
    public var problem: String?

    public var isReady: Bool { status == "ready" }

    public init(status: String, nodes: Int, members: Int, problem: String?) {
        self.status = status
        self.nodes = nodes
        self.members = members
        self.problem = problem
    }
}
