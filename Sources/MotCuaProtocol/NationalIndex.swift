import Foundation
import MotCuaCore

/// The national index as the hub uses it: node cursors and membership, the batch apply path, the unit
/// directory and the nationwide queries. `HubDatabase` (SQLite) is today's implementation; another
/// engine implements the same protocol and runs the same tests (`HubDatabaseTests` are written against it).
public protocol NationalIndex: Sendable {
    /// A node's standing, created at position 0 the first time the node is seen.
    func standing(of nodeID: String) async throws -> NodeStanding
    func standings() async throws -> [NodeStanding]

    /// Decides and performs a batch atomically: the receiver machine judges it against the cursor read
    /// in the same transaction, the projection updates the index, the cursor moves; durable before it returns.
    func receive(_ batch: ReplicationBatch, from nodeID: String, limits: ReplicationLimits, nowMs: Int64) async throws
        -> ReplicationReceiver.Decision
    /// Lifts a quarantine; false when the node was not quarantined.
    func release(_ nodeID: String) async throws -> Bool

    /// The nodes whose batches are accepted.
    func members() throws -> Set<String>
    /// Makes nodes members; returns those that were not.
    @discardableResult func admit(_ nodeIDs: [String]) async throws -> [String]
    /// Ends a node's membership (its cursor and dossiers stay); false when it was not a member.
    func dismiss(_ nodeID: String) async throws -> Bool
    /// Records the log head a node reports.
    func recordReportedHead(_ nodeID: String, headSeq: Int64, nowMs: Int64) async throws
    /// The highest dossier number held for each `agency|yyyy-MM-dd` of `nodeID` on `days` (`yyMMdd`).
    func highestNumbers(of nodeID: String, days: [String]) async throws -> [String: Int]

    /// Replaces the units a node serves; returns units refused because another node serves them.
    func registerUnits(_ units: [FederationUnit], node: String, nowMs: Int64) async throws -> [String]
    /// Changes whenever the set of registered units changes.
    func federationUnitsVersion() async throws -> String
    func federationUnits() async throws -> [FederationUnit]
    func nodeServing(unit code: String) async throws -> String?

    /// A dossier's journey, stay by stay.
    func path(of code: String) async throws -> [NationalHop]
    func dossier(_ code: String) async throws -> NationalDossier?
    func dossiers(_ filter: NationalFilter) async throws -> (items: [NationalDossier], nextCursor: String?)
    /// Counts per node: dossiers, by status, overdue at `nowMs` (`OverdueRule`).
    func summaries(nowMs: Int64) async throws -> [NodeSummary]

    /// Makes everything durable in the main file and releases it (a clean stop).
    func close() throws
}

/// Where a node stands at the hub.
public struct NodeStanding: Sendable, Codable, Hashable {
    public var nodeID: String
    public var appliedSeq: Int64
    public var appliedHash: String
    public var lastContactMs: Int64?
    /// Node commit → visible at the hub, for the last batch applied (the newest event's age).
    public var lagMs: Int64?
    public var quarantinedReason: String?
    public var quarantinedAtMs: Int64?
    /// Whether the node is a member of the federation (its batches are accepted).
    public var member: Bool = true
    /// The node's own log head as it last reported it; below `appliedSeq` the node lost part of its log.
    public var reportedHeadSeq: Int64?

    public init(
        nodeID: String, appliedSeq: Int64, appliedHash: String, lastContactMs: Int64?, lagMs: Int64?,
        quarantinedReason: String?, quarantinedAtMs: Int64?, member: Bool = true, reportedHeadSeq: Int64?
    ) {
        self.nodeID = nodeID
        self.appliedSeq = appliedSeq
        self.appliedHash = appliedHash
        self.lastContactMs = lastContactMs
        self.lagMs = lagMs
        self.quarantinedReason = quarantinedReason
        self.quarantinedAtMs = quarantinedAtMs
        self.member = member
        self.reportedHeadSeq = reportedHeadSeq
    }

    /// The node says its log ends before what the hub has applied: it lost events the hub holds.
    public var logBehindHub: Bool { reportedHeadSeq.map { $0 < appliedSeq } ?? false }

    public var cursor: NodeCursor {
        NodeCursor(nodeID: nodeID, appliedSeq: appliedSeq, appliedHash: appliedHash, quarantined: quarantinedReason)
    }
}

/// Filters of the national search.
public struct NationalFilter: Sendable {
    public var node: String?
    public var status: Int?
    public var procedureCode: String?
    public var overdueAtMs: Int64?
    public var receivingNode: String?
    public var holderNode: String?
    public var crossNode: Bool?
    public var after: String?
    public var limit: Int

    public init(node: String? = nil, status: Int? = nil, procedureCode: String? = nil, overdueAtMs: Int64? = nil, after: String? = nil, limit: Int = 100) {
        self.node = node
        self.status = status
        self.procedureCode = procedureCode
        self.overdueAtMs = overdueAtMs
        self.after = after
        self.limit = limit
    }
}

/// Per-node aggregates for the national status.
public struct NodeSummary: Sendable {
    public var standing: NodeStanding
    public var dossiers: Int
    public var byStatus: [Int: Int]
    public var overdue: Int

    public init(standing: NodeStanding, dossiers: Int, byStatus: [Int: Int], overdue: Int) {
        self.standing = standing
        self.dossiers = dossiers
        self.byStatus = byStatus
        self.overdue = overdue
    }
}

