import Crypto
import Foundation
import HTTPTypes
import Logging
import MotCuaCore
import MotCuaProtocol
import MotCuaStore
import Synchronization

/// What an operator does when the log is damaged or behind the hub.
extension NodeService {
    /// An operator accepts that the node lost the end of its log (events the hub holds, which cannot be
    /// recovered here: the hub keeps no payloads). Asks the hub where it is now, appends
    /// `node.log-loss-accepted` after the hub's position, raises the daily numbers past every code the hub
    /// holds for this node, and resumes writes and replication. Refused when the log is not behind, when the
    /// hub cannot be reached, or when the log differs from the hub's at the hub's position (then only a
    /// restore can help).
    public func acceptLogLoss(reason: String, officer: OfficerRecord) async throws -> (seq: Int64, lostFrom: Int64, lostTo: Int64) {
        guard health.isHeld(.logBehindHub) else {
            throw NodeError(.conflict, "node.log-not-behind", "this node's log is not behind the hub; there is no loss to accept")
        }
        // One at a time: a second operator's call waits for nothing and is told so.
        guard acceptingLoss.withLock({ busy in defer { busy = true }; return !busy }) else {
            throw NodeError(.conflict, "node.recovery-in-progress", "another accept-log-loss is running at this node")
        }
        defer { acceptingLoss.withLock { $0 = false } }
        guard let agent = replication else {
            throw NodeError(.conflict, "node.standalone", "a standalone node has no hub to resume from")
        }
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count >= 10 else { throw DossierError.invalid(field: "reason", reason: "say in a sentence what was lost and why (at least 10 characters)") }
        let position: NodeDatabase.HubPosition
        do { position = try await agent.askHub() } catch {
            throw NodeError(.unavailable, "hub.unreachable", "the hub must answer to resume after a loss (its position and the codes it holds): \(error)")
        }
        let head = try await database.head()
        let seq: Int64
        do {
            seq = try await database.acceptLogLoss(
                hub: position, actor: "officer:\(officer.username)", reason: trimmed, at: now(),
                acknowledgedKeys: (ReplicationAgent.acknowledgedSeqKey, ReplicationAgent.acknowledgedHashKey))
        } catch StoreError.logNotBehind {
            throw NodeError(.conflict, "node.log-diverged",
                          "the hub holds another event at seq \(position.appliedSeq) than this log does: accepting cannot reconcile two versions of the log; restore the database from a backup")
        }
        try? ReplicationAgent.writePositionFile(configuration.replicationPositionPath, seq: position.appliedSeq, hash: position.appliedHash)
        logger.critical("log loss accepted", metadata: [
            "lost.from": "\(head.seq + 1)", "lost.to": "\(position.appliedSeq)", "by": "\(officer.username)", "event.seq": "\(seq)",
        ])
        health.lift(.logBehindHub)
        agent.resynchronise()
        return (seq, head.seq + 1, position.appliedSeq)
    }

    /// Re-walks the chain; a break stops writes (fail-stop) until the node is repaired.
    public func verifyChain() async throws -> ChainReport {
        let report = try await database.verifyChain()
        if !report.intact {
            health.hold(.integrityFailure, "the event log's chain is broken at seq \(report.firstBreakSeq ?? 0): \(report.firstBreak ?? "")", at: now())
        }
        return report
    }
}
