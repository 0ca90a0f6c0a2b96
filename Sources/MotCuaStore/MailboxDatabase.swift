import Foundation
import GRDB
import MotCuaCore
import MotCuaProtocol

/// The hub's router store: one SQLite file (WAL, synchronous = FULL, secure_delete) apart from the national
/// index. `transfers` records every transfer (ids, nodes, units, times: no personal data); `envelopes` holds
/// the dossiers in transit (personal data and documents) only until the destination acknowledges them.
public final class MailboxDatabase: Sendable {
    let pool: DatabasePool
    let committer: GroupCommitter
    public let path: String

    public init(path: String) throws {
        self.path = path
        pool = try openDurablePool(path: path, migrator: Self.migrator, secureDelete: true)
        committer = GroupCommitter(writer: pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-30-mailbox") { db in
            try db.execute(sql: """
                CREATE TABLE transfers (
                    transfer_id TEXT PRIMARY KEY NOT NULL,
                    dossier_code TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('hand-over','result','send-back')),
                    source TEXT NOT NULL,
                    destination TEXT,
                    to_unit TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('queued','acknowledged','refused')),
                    enqueued_at_ms INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    lease_until_ms INTEGER,
                    acknowledged_at_ms INTEGER,
                    reason TEXT
                );
                CREATE INDEX transfers_queued ON transfers(destination, enqueued_at_ms) WHERE state = 'queued';
                CREATE INDEX transfers_by_dossier ON transfers(dossier_code);
                CREATE TABLE envelopes (
                    transfer_id TEXT PRIMARY KEY NOT NULL REFERENCES transfers(transfer_id),
                    body BLOB NOT NULL
                );
                """)
        }
        return migrator
    }

    /// Checkpoints the WAL into the file (truncating it) and closes it; unusable afterwards.
    public func close() throws { try closeDurablePool(pool, committer: committer) }

    static func entry(_ row: Row) -> MailboxEntry {
        MailboxEntry(
            transferId: row["transfer_id"], dossierCode: row["dossier_code"], kind: TransferKind(rawValue: row["kind"]) ?? .handOver,
            source: row["source"], destination: row["destination"], toUnit: row["to_unit"],
            state: MailboxEntry.State(rawValue: row["state"]) ?? .queued, enqueuedAtMs: row["enqueued_at_ms"], attempts: row["attempts"],
            leaseUntilMs: row["lease_until_ms"], acknowledgedAtMs: row["acknowledged_at_ms"], reason: row["reason"])
    }

    static func fetch(_ db: Database, _ transferId: String) throws -> MailboxEntry? {
        try Row.fetchOne(db, sql: "SELECT * FROM transfers WHERE transfer_id = ?", arguments: [transferId]).map(entry)
    }

    /// Takes a transfer from its source: the router decides; a new one is stored with its envelope in one
    /// durable transaction before the source is answered.
    public func admit(
        _ envelope: TransferEnvelope, body: Data, from node: String, destination: String?, nowMs: Int64
    ) async throws -> TransferRouter.Admission {
        try await committer.write { db in
            let known = try Self.fetch(db, envelope.transferId)
            let decision = TransferRouter.admit(envelope, from: node, owner: { _ in destination }, known: known, nowMs: nowMs)
            switch decision {
            case .enqueue(let entry):
                try db.execute(
                    sql: """
                        INSERT INTO transfers(transfer_id, dossier_code, kind, source, destination, to_unit, state, enqueued_at_ms)
                        VALUES (?, ?, ?, ?, ?, ?, 'queued', ?)
                        """,
                    arguments: [entry.transferId, entry.dossierCode, entry.kind.rawValue, entry.source, entry.destination, entry.toUnit, nowMs])
                try db.execute(sql: "INSERT INTO envelopes(transfer_id, body) VALUES (?, ?)", arguments: [entry.transferId, body])
            case .refuse(let reason) where known == nil && envelope.fromNode == node:
                // Recorded (without the envelope) so operators see refused routes.
                try db.execute(
                    sql: """
                        INSERT INTO transfers(transfer_id, dossier_code, kind, source, destination, to_unit, state, enqueued_at_ms, reason)
                        VALUES (?, ?, ?, ?, NULL, ?, 'refused', ?, ?)
                        """,
                    arguments: [envelope.transferId, envelope.dossierCode, envelope.kind.rawValue, node, envelope.toUnit, nowMs, reason])
            case .duplicate, .refuse:
                break
            }
            return decision
        }
    }

    /// Hands a destination what it may take now (see `TransferRouter.deliverable`), leased for `leaseMs`.
    public func lease(for node: String, limit: Int, maxBytes: Int, nowMs: Int64, leaseMs: Int64) async throws -> [(entry: MailboxEntry, body: Data)] {
        let select = "SELECT * FROM transfers WHERE state = 'queued' AND destination = ? ORDER BY enqueued_at_ms LIMIT 1000"
        // A look without the writer first: an empty mailbox (the usual answer to a poll) costs no write.
        let candidates = try await pool.read { db in try Row.fetchAll(db, sql: select, arguments: [node]).map(Self.entry) }
        guard !TransferRouter.deliverable(candidates, for: node, nowMs: nowMs, limit: limit).isEmpty else { return [] }
        return try await committer.write { db in
            let queued = try Row.fetchAll(db, sql: select, arguments: [node]).map(Self.entry)
            var result: [(MailboxEntry, Data)] = []
            var bytes = 0
            for entry in TransferRouter.deliverable(queued, for: node, nowMs: nowMs, limit: limit) {
                let size = try Int.fetchOne(db, sql: "SELECT length(body) FROM envelopes WHERE transfer_id = ?", arguments: [entry.transferId]) ?? 0
                if !result.isEmpty && bytes + size > maxBytes { break }
                bytes += size
                let leased = TransferRouter.leased(entry, nowMs: nowMs, leaseMs: leaseMs)
                try db.execute(
                    sql: "UPDATE transfers SET attempts = ?, lease_until_ms = ? WHERE transfer_id = ?",
                    arguments: [leased.attempts, leased.leaseUntilMs, leased.transferId])
                guard let body = try Data.fetchOne(db, sql: "SELECT body FROM envelopes WHERE transfer_id = ?", arguments: [entry.transferId]) else { continue }
                result.append((leased, body))
            }
            return result
        }
    }

    /// The destination has applied these: their envelopes leave the hub for good.
    public func acknowledge(_ transferIds: [String], by node: String, nowMs: Int64) async throws -> [String: TransferRouter.Acknowledgement] {
        let result = try await committer.write { db in
            var result: [String: TransferRouter.Acknowledgement] = [:]
            for id in transferIds {
                let decision = TransferRouter.acknowledge(try Self.fetch(db, id), by: node, nowMs: nowMs)
                if case .remove(let done) = decision {
                    try db.execute(
                        sql: "UPDATE transfers SET state = 'acknowledged', acknowledged_at_ms = ?, lease_until_ms = NULL WHERE transfer_id = ?",
                        arguments: [done.acknowledgedAtMs, id])
                    try db.execute(sql: "DELETE FROM envelopes WHERE transfer_id = ?", arguments: [id])
                }
                result[id] = decision
            }
            return result
        }
        // With nothing in transit, the WAL is emptied too, so no copy of a delivered dossier stays on disk.
        if try await pool.read({ db in try Int.fetchOne(db, sql: "SELECT count(*) FROM envelopes") ?? 0 }) == 0 {
            try? await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        return result
    }

    /// Per destination: how many transfers wait, and since when.
    public func queuedByDestination() async throws -> [(node: String, count: Int, oldestMs: Int64)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT coalesce(destination, '?') AS node, count(*) AS n, min(enqueued_at_ms) AS oldest
                FROM transfers WHERE state = 'queued' GROUP BY destination ORDER BY destination
                """).map { ($0["node"], $0["n"], $0["oldest"]) }
        }
    }

    /// Transfers for operators: the queued ones (with their age), or those of one dossier.
    public func entries(queuedOnly: Bool = true, dossier: String? = nil, limit: Int = 500) async throws -> [MailboxEntry] {
        try await pool.read { db in
            var clauses: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if queuedOnly { clauses.append("state = 'queued'") }
            if let dossier { clauses.append("dossier_code = ?"); arguments.append(dossier) }
            let sql = "SELECT * FROM transfers \(clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")) ORDER BY enqueued_at_ms LIMIT \(max(1, min(limit, 5000)))"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(Self.entry)
        }
    }
}
