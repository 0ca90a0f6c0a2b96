import Foundation
import MotCuaCore
import MotCuaHTTP
import MotCuaProtocol

// The hub's answers as types: each route returns one of these, encoded with sorted keys. Times are ISO
// 8601 in Vietnam time; a documented member without a value is written as null.

/// A time in ms since 1970 as the API writes it.
func apiTime(_ ms: Int64) -> String { VietnamTime.format(Date(timeIntervalSince1970: Double(ms) / 1000)) }

func apiTime(_ ms: Int64?) -> String? { ms.map(apiTime) }

struct HealthAnswer: Encodable { var status = "ok" }

struct IdentityAnswer: Encodable { var identity: String }

/// Where the hub is in a node's log, for the node that reported its own head.
struct HeadAnswer: Encodable {
    var appliedSeq: Int64
    var appliedHash: String
    var logBehindHub: Bool
    /// Per day asked for (`yyMMdd`), the highest dossier number the index holds; only when the node is behind.
    var highestNumbers: [String: Int]?
}

/// A node's standing at the hub; in the national status also its dossiers and lag.
struct NodeStandingAnswer: Encodable {
    var id: String
    var appliedSeq: Int64
    var appliedHash: String
    @Nullable var lagMs: Int64?
    @Nullable var lastContactAt: String?
    @Nullable var quarantined: String?
    var member: Bool
    @Nullable var reportedHeadSeq: Int64?
    var logBehindHub: Bool
    // The national status only.
    var dossiers: Int?
    var overdue: Int?
    var lagP50Ms: Int64?
    var lagP99Ms: Int64?
    var byStatus: [String: Int]?

    init(_ standing: NodeStanding) {
        id = standing.nodeID
        appliedSeq = standing.appliedSeq
        appliedHash = standing.appliedHash
        lagMs = standing.lagMs
        lastContactAt = apiTime(standing.lastContactMs)
        quarantined = standing.quarantinedReason
        member = standing.member
        reportedHeadSeq = standing.reportedHeadSeq
        logBehindHub = standing.logBehindHub
    }
}

struct MembershipAnswer: Encodable {
    var node: String
    var member: Bool
    var added: Bool?
}

struct ReleaseAnswer: Encodable {
    var node: String
    var released = true
}

struct StatusAnswer: Encodable {
    struct Totals: Encodable {
        var dossiers: Int
        var overdue: Int
        var byStatus: [String: Int]
    }

    var nodes: [NodeStandingAnswer]
    var totals: Totals
    var at: String
}

/// A dossier as the national index holds it.
struct NationalDossierAnswer: Encodable {
    var code: String
    var node: String
    var status: Int
    var statusName: String
    @Nullable var state: String?
    @Nullable var receivingUnit: String?
    @Nullable var competentUnit: String?
    @Nullable var unit: String?
    @Nullable var level: String?
    @Nullable var procedureCode: String?
    @Nullable var channel: String?
    @Nullable var submittedAt: String?
    @Nullable var receivedAt: String?
    @Nullable var dueAt: String?
    @Nullable var finishedAt: String?
    @Nullable var returnedAt: String?
    var overdue: Bool
    var flags: [String: Bool]
    @Nullable var applicantRef: String?
    var lastSeq: Int64
    var receivingNode: String
    @Nullable var competentNode: String?
    var holderNode: String
    var crossNode: Bool

    init(_ dossier: NationalDossier, nowMs: Int64) {
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
        submittedAt = apiTime(dossier.submittedAtMs)
        receivedAt = apiTime(dossier.receivedAtMs)
        dueAt = apiTime(dossier.dueAtMs)
        finishedAt = apiTime(dossier.finishedAtMs)
        returnedAt = apiTime(dossier.returnedAtMs)
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

struct DossierPageAnswer: Encodable {
    var items: [NationalDossierAnswer]
    @Nullable var nextCursor: String?
}

/// A transfer in (or gone from) a mailbox, as operators and the dossier's journey show it.
struct MailboxEntryAnswer: Encodable {
    var transferId: String
    var dossier: String
    var kind: String
    var source: String
    @Nullable var destination: String?
    var toUnit: String
    var state: String
    var enqueuedAt: String
    var ageMs: Int64
    var attempts: Int
    @Nullable var acknowledgedAt: String?
    @Nullable var reason: String?

    init(_ entry: MailboxEntry, nowMs: Int64) {
        transferId = entry.transferId
        dossier = entry.dossierCode
        kind = entry.kind.rawValue
        source = entry.source
        destination = entry.destination
        toUnit = entry.toUnit
        state = entry.state.rawValue
        enqueuedAt = apiTime(entry.enqueuedAtMs)
        ageMs = nowMs - entry.enqueuedAtMs
        attempts = entry.attempts
        acknowledgedAt = apiTime(entry.acknowledgedAtMs)
        reason = entry.reason
    }
}

struct MailboxAnswer: Encodable {
    struct Destination: Encodable {
        var node: String
        var queued: Int
        var oldestAgeMs: Int64
    }

    var destinations: [Destination]
    var items: [MailboxEntryAnswer]
}

/// A dossier with its journey: every stay and the transfers between nodes.
struct JourneyAnswer: Encodable {
    struct Stay: Encodable {
        var index: Int
        @Nullable var node: String?
        var unit: String
        @Nullable var level: String?
        @Nullable var step: String?
        var arrivedAt: String
        @Nullable var receivedAt: String?
        @Nullable var leftAt: String?
        @Nullable var stepDueAt: String?
        var late: Bool
        var spentMs: Int64
        @Nullable var transitMs: Int64?

        init(_ hop: NationalHop, nowMs: Int64) {
            index = hop.index
            node = hop.node
            unit = hop.unit
            level = hop.level
            step = hop.step
            arrivedAt = apiTime(hop.arrivedAtMs)
            receivedAt = apiTime(hop.receivedAtMs)
            leftAt = apiTime(hop.leftAtMs)
            stepDueAt = apiTime(hop.stepDueAtMs)
            late = hop.isLate(atMs: nowMs)
            spentMs = max(0, (hop.leftAtMs ?? nowMs) - (hop.receivedAtMs ?? hop.arrivedAtMs))
            transitMs = hop.receivedAtMs.map { max(0, $0 - hop.arrivedAtMs) }
        }
    }

    var dossier: NationalDossierAnswer
    var path: [Stay]
    var transfers: [MailboxEntryAnswer]

    enum CodingKeys: String, CodingKey { case path, transfers }

    /// The dossier's members and beside them `path` and `transfers`, in one object.
    func encode(to encoder: any Encoder) throws {
        try dossier.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(transfers, forKey: .transfers)
    }
}
