import Foundation
import Logging
import MotCuaAPI
import MotCuaCore
import MotCuaProtocol
import MotCuaStore

/// What the national API and the nodes ask of the hub besides batches and transfers: standings, the
/// index's queries, the mailboxes as operators see them. The routes only decode and answer.
extension HubService {
    /// What the hub holds of a node's log, after recording the head the node reports; with the highest
    /// dossier numbers of `days` when the node's log ends before the hub's position (it lost its end).
    public func reportHead(
        of nodeID: String, headSeq: Int64, days: [String]
    ) async throws -> (standing: NodeStanding, highestNumbers: [String: Int]?) {
        let standing = try await index.standing(of: nodeID)
        try await index.recordReportedHead(nodeID, headSeq: headSeq, nowMs: nowMs)
        guard headSeq < standing.appliedSeq else { return (standing, nil) }
        logger.error("node log behind the hub", metadata: [
            "node.id": "\(nodeID)", "node.head": "\(headSeq)", "hub.applied": "\(standing.appliedSeq)",
        ])
        return (standing, try await index.highestNumbers(of: nodeID, days: days))
    }

    public func standings() async throws -> [NodeStanding] { try await index.standings() }

    /// Whether the hub can serve: its national index answers a read.
    public func readiness() async -> HubReadyAnswer {
        do {
            let standings = try await index.standings()
            return HubReadyAnswer(status: "ready", nodes: standings.count, members: standings.filter(\.member).count, problem: nil)
        } catch {
            return HubReadyAnswer(status: "not-ready", nodes: 0, members: 0, problem: "the national index cannot be read: \(error)")
        }
    }

    /// Lifts a node's quarantine; false when it was not quarantined.
    public func release(_ nodeID: String) async throws -> Bool { try await index.release(nodeID) }

    public func dossier(_ code: String) async throws -> NationalDossier? { try await index.dossier(code) }

    public func dossiers(_ filter: NationalFilter) async throws -> (items: [NationalDossier], nextCursor: String?) {
        try await index.dossiers(filter)
    }

    /// Per node: dossiers, by status, and overdue now.
    public func summaries() async throws -> [NodeSummary] { try await index.summaries(nowMs: nowMs) }

    public func path(of code: String) async throws -> [NationalHop] { try await index.path(of: code) }

    public func federationUnitsVersion() async throws -> String { try await index.federationUnitsVersion() }

    public func federationUnits() async throws -> [FederationUnit] { try await index.federationUnits() }

    /// Transfers in the mailboxes: queued ones, or all of one dossier's.
    public func mailboxEntries(queuedOnly: Bool = true, dossier: String? = nil, limit: Int = 500) async throws -> [MailboxEntry] {
        try await mailbox.entries(queuedOnly: queuedOnly, dossier: dossier, limit: limit)
    }

    /// Per destination: how many transfers wait, and since when.
    public func queuedByDestination() async throws -> [(node: String, count: Int, oldestMs: Int64)] {
        try await mailbox.queuedByDestination()
    }
}
