import Foundation
import GRDB
import MotCuaCore

/// A file of a dossier, to travel with a transfer.
public struct DossierFile: Sendable {
    public var code: String
    public var fileName: String
    public var bytes: [UInt8]
}

/// What became of a transfer that reached this node.
public enum IncomingResult: Sendable {
    /// Taken in: the dossier is here now.
    case applied(Dossier)
    /// The same transfer id was applied (or refused) before: nothing changed.
    case alreadyApplied
    /// It cannot be acted on here; it was logged and, unless it was itself a send-back, queued back.
    case refused(String)
}

extension NodeDatabase {
    static func queueTransfer(_ order: TransferOrder, dossier: Dossier, document: String, eventSeq: Int64, atMs at: Date, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO transfers_out(transfer_id, dossier_code, kind, from_unit, to_unit, to_node, reason, reported_state, snapshot,
                    event_seq, created_at_ms, next_attempt_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [order.transferId, dossier.code, order.kind.rawValue, order.fromUnit, order.toUnit, order.toNode, order.reason,
                        order.reportedState?.rawValue, document, eventSeq, ms(at), ms(at)])
    }

    static func outboxItem(_ row: Row) throws -> OutboxItem {
        var order = TransferOrder(
            transferId: row["transfer_id"], kind: TransferKind(rawValue: row["kind"]) ?? .handOver, fromUnit: row["from_unit"],
            toUnit: row["to_unit"], toNode: row["to_node"], reason: row["reason"])
        order.reportedState = (row["reported_state"] as String?).flatMap(DossierState.init(rawValue:))
        return OutboxItem(
            order: order,
            dossier: try decode(Dossier.self, row["snapshot"]), createdAt: date(ms: row["created_at_ms"]), attempts: row["attempts"],
            state: row["state"], lastError: row["last_error"], destination: row["destination"])
    }

    /// Pending transfers whose next attempt is due, oldest first (order is kept per dossier by the hub).
    public func dueTransfers(at now: Date, limit: Int = 16) async throws -> [OutboxItem] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM transfers_out WHERE state = 'pending' AND next_attempt_ms <= ? ORDER BY created_at_ms, rowid LIMIT ?",
                arguments: [Self.ms(now), limit]
            ).map(Self.outboxItem)
        }
    }

    /// The outbox for monitoring: pending transfers first, then the latest others.
    public func outbox(limit: Int = 100) async throws -> [OutboxItem] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM transfers_out ORDER BY state <> 'pending', created_at_ms DESC LIMIT ?", arguments: [limit]
            ).map(Self.outboxItem)
        }
    }

    public func pendingTransferCount() async throws -> (count: Int, oldest: Date?) {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*) AS n, min(created_at_ms) AS oldest FROM transfers_out WHERE state = 'pending'")
            let oldest: Int64? = row?["oldest"]
            return (row?["n"] ?? 0, oldest.map { Self.date(ms: $0) })
        }
    }

    /// The files of a dossier as they stand: the latest file of each component (a supplement replaces the
    /// earlier one) and the result document, to travel with a transfer.
    public func files(of code: String) async throws -> [DossierFile] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: """
                    SELECT component_code, file_name, content FROM components
                    WHERE id IN (SELECT max(id) FROM components WHERE dossier_code = ? GROUP BY component_code) ORDER BY id
                    """, arguments: [code]
            ).map { row in
                let content: Data = row["content"]
                return DossierFile(code: row["component_code"], fileName: row["file_name"], bytes: [UInt8](content))
            }
        }
    }

    /// The hub took the transfer: it is in the destination's mailbox now.
    public func markHandedOver(_ transferId: String, destination: String?, at now: Date) async throws {
        try await committer.write { db in
            try db.execute(
                sql: "UPDATE transfers_out SET state = 'handed-over', handed_over_at_ms = ?, destination = ?, last_error = NULL WHERE transfer_id = ?",
                arguments: [Self.ms(now), destination, transferId])
        }
    }

    /// The hub could not be reached (or answered with a server error): try again later.
    public func deferTransfer(_ transferId: String, until next: Date, error: String) async throws {
        try await committer.write { db in
            try db.execute(
                sql: "UPDATE transfers_out SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ? WHERE transfer_id = ?",
                arguments: [Self.ms(next), String(error.prefix(500)), transferId])
        }
    }

    /// The hub refused to route the transfer: the dossier comes back to the unit that sent it, with the
    /// reason, in the same transaction that closes the outbox entry.
    public func refuseOutgoing(
        _ item: OutboxItem, reason: String, makeContext: @escaping @Sendable (Dossier) throws -> DossierContext
    ) async throws {
        try await committer.write { db in
            try db.execute(
                sql: "UPDATE transfers_out SET state = 'refused', last_error = ? WHERE transfer_id = ? AND state = 'pending'",
                arguments: [String(reason.prefix(500)), item.order.transferId])
            guard db.changesCount > 0, let current = try Self.fetchDossier(db, code: item.dossier.code) else { return }
            var dossier = current.dossier
            let context = try makeContext(dossier)
            dossier.closeStay(at: item.order.toUnit, now: context.now)
            let back = IncomingTransfer(
                transferId: item.order.transferId, kind: .sendBack, fromNode: "hub", fromUnit: item.order.toUnit, toUnit: item.order.fromUnit,
                reason: reason, sentAt: context.now, dossier: dossier)
            let outcome = try DossierMachine.accept(back, existing: current.dossier, context: context)
            _ = try PreparedChange(outcome).write(db: db, insert: false)
        }
    }

    /// Applies a transfer from another node once: a repeated transfer id changes nothing; a transfer that
    /// cannot be acted on here (unknown unit, procedure not in this catalogue) is logged and sent back.
    public func applyIncoming(
        _ incoming: IncomingTransfer, uploads: [ComponentUpload], now: Date, newTransferID: String,
        makeContext: @escaping @Sendable (Dossier) throws -> DossierContext
    ) async throws -> IncomingResult {
        try await committer.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM transfers_in WHERE transfer_id = ?", arguments: [incoming.transferId]) == true {
                return .alreadyApplied
            }
            let existing = try Self.fetchDossier(db, code: incoming.dossier.code)
            var result: IncomingResult = .alreadyApplied
            do {
                // In a savepoint of its own: a failure halfway leaves nothing behind before the refusal is logged.
                try db.inSavepoint {
                    let context = try makeContext(incoming.dossier)
                    var outcome = try DossierMachine.accept(incoming, existing: existing?.dossier, context: context)
                    // Files this node already has (a dossier coming back) are not stored twice.
                    let stored = Set(try Row.fetchAll(
                        db, sql: "SELECT component_code, sha256 FROM components WHERE dossier_code = ?", arguments: [incoming.dossier.code]
                    ).map { "\($0["component_code"] as String) \($0["sha256"] as String)" })
                    outcome.uploads = uploads.filter { !stored.contains("\($0.code) \($0.sha256)") }
                    let seq = try PreparedChange(outcome).write(db: db, insert: existing == nil)
                    try db.execute(
                        sql: "INSERT INTO transfers_in(transfer_id, dossier_code, kind, from_node, outcome, event_seq, received_at_ms) VALUES (?, ?, ?, ?, 'applied', ?, ?)",
                        arguments: [incoming.transferId, incoming.dossier.code, incoming.kind.rawValue, incoming.fromNode, seq, Self.ms(now)])
                    result = .applied(outcome.dossier)
                    return .commit
                }
                return result
            } catch let error as DossierError {
                return try Self.refuseIncoming(
                    incoming, reason: "\(incoming.toUnit) cannot act on \(incoming.dossier.code): \(error.description)", now: now,
                    newTransferID: newTransferID, db: db)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                // The dossier breaks this node's rules (a file or a field it cannot store): it would never apply.
                return try Self.refuseIncoming(
                    incoming, reason: "\(incoming.toUnit) cannot store \(incoming.dossier.code): \(error.message ?? "constraint failed")", now: now,
                    newTransferID: newTransferID, db: db)
            }
        }
    }

    /// Stores what the machine decided for a transfer this node cannot act on: the refusal event, and the
    /// send-back it queues.
    static func refuseIncoming(_ incoming: IncomingTransfer, reason: String, now: Date, newTransferID: String, db: Database) throws -> IncomingResult {
        let refusal = DossierMachine.refuse(incoming, reason: reason, now: now, sendBackID: newTransferID)
        let seq = try append(refusal.event, db: db)
        if let order = refusal.sendBack {
            try queueTransfer(order, dossier: refusal.snapshot, document: try encode(refusal.snapshot), eventSeq: seq, atMs: now, db: db)
        }
        try db.execute(
            sql: "INSERT INTO transfers_in(transfer_id, dossier_code, kind, from_node, outcome, reason, event_seq, received_at_ms) VALUES (?, ?, ?, ?, 'refused', ?, ?, ?)",
            arguments: [incoming.transferId, incoming.dossier.code, incoming.kind.rawValue, incoming.fromNode, reason, seq, ms(now)])
        return .refused(reason)
    }
}
