import Foundation
import GRDB
import MotCuaCore
import MotCuaProtocol
import Synchronization

/// Applying a node's batch: verified by the receiver, projected into the index in one transaction with the cursor.
extension HubDatabase {
    /// Decides and performs a batch in one transaction: the receiver state machine judges it against the
    /// cursor read inside the same transaction, the projection updates the index, the cursor moves, and
    /// the commit is durable before the reply is returned.
    public func receive(
        _ batch: ReplicationBatch, from nodeID: String, limits: ReplicationLimits, nowMs: Int64
    ) async throws -> ReplicationReceiver.Decision {
        // The node's row is created the first time it is seen (rows are never deleted), then known here.
        if !knownNodes.withLock({ $0.contains(nodeID) }) {
            _ = try await standing(of: nodeID)
            knownNodes.withLock { _ = $0.insert(nodeID) }
        }
        // The writer is single: what does not need it is done before. The hashes (only the link to the
        // applied position is checked inside), and the rows of the batch's dossiers as if the index did not
        // hold them yet (in a backlog, most events file new dossiers).
        let links = ReplicationReceiver.checkLinks(of: batch)
        let plan = ProjectionPlan(batch.events, node: nodeID)
        return try await committer.write(weight: batch.events.count) { db in
            guard let standing = try Self.fetchStanding(db, nodeID) else { throw DatabaseError(message: "node vanished") }
            let decision = ReplicationReceiver.decide(
                cursor: standing.cursor, batch: batch, authenticatedNodeID: nodeID, limits: limits, linkCheck: links)
            switch decision {
            case .apply(let events, let newSeq, let newHash):
                try Self.project(events, plan: plan, node: nodeID, db: db)
                let newestMs = events.map(\.timeMs).max() ?? nowMs
                let (lag, overflow) = nowMs.subtractingReportingOverflow(newestMs)
                try db.cachedStatement(sql: """
                    UPDATE nodes SET applied_seq = ?, applied_hash = ?, last_contact_ms = ?, lag_ms = ?, reported_head_seq = ? WHERE node_id = ?
                    """).execute(arguments: [newSeq, newHash, nowMs, overflow ? 0 : max(0, lag), newSeq, nodeID])
            case .quarantine(_, let reason):
                try db.execute(
                    sql: "UPDATE nodes SET quarantined_reason = ?, quarantined_at_ms = ?, last_contact_ms = ? WHERE node_id = ?",
                    arguments: [reason, nowMs, nowMs, nodeID])
            case .reply, .refuse:
                try db.cachedStatement(sql: "UPDATE nodes SET last_contact_ms = ? WHERE node_id = ?").execute(arguments: [nowMs, nodeID])
            }
            return decision
        }
    }

    /// Writes the index rows and journeys of `events` (the part of a batch the receiver applies). The plan
    /// folded every dossier of the batch from nothing, which is right for the dossiers the index has never
    /// seen (in a backlog, most): their rows are inserted as planned, and the insert itself tells which
    /// dossiers the index already holds, with no lookup before. Those, and the dossiers whose events the
    /// plan could not fold from nothing, are folded again here from their rows.
    static func project(_ events: [Event], plan: ProjectionPlan, node: String, db: Database) throws {
        let statements = try ProjectionStatements(db)
        guard plan.covers(events) else {
            // The receiver skipped a prefix: fold the rest from what the index holds.
            let existing = try existingRows(of: events.compactMap(\.dossierCode), db: db)
            let (rows, hops) = NationalProjection.fold(events, payloads: plan.payloads, node: node, from: existing)
            try registerOwners(of: rows.values, node: node, db: db)
            try write(rows: rows, hops: hops, statements: statements, db: db)
            return
        }
        try registerOwners(of: plan.rows.values, node: node, db: db)
        var held = plan.unplanned
        for row in plan.rows.values where try !statements.insertNew(row) {
            held.append(row.code)
        }
        if held.isEmpty {
            try statements.writeHops(plan.hops, db: db)
            return
        }
        let heldCodes = Set(held)
        try statements.writeHops(plan.hops.filter { !heldCodes.contains($0.key) }, db: db)
        let existing = try existingRows(of: held, db: db)
        let refold = events.filter { event in event.dossierCode.map(heldCodes.contains) ?? false }
        // Their owners are registered already: each of these rows is folded from the index's own row (whose
        // owner came in with it) or, with no row there, gives none.
        let (rows, hops) = NationalProjection.fold(refold, payloads: plan.payloads, node: node, from: existing)
        try write(rows: rows, hops: hops, statements: statements, db: db)
    }

    /// Upserts folded rows and their stays (the rows' owners registered before).
    private static func write(
        rows: [String: NationalDossier], hops: [String: [Int: NationalHop]], statements: ProjectionStatements, db: Database
    ) throws {
        try statements.writeHops(hops, db: db)
        for row in rows.values { try statements.upsert(row) }
    }

    /// A dossier first seen through the node that holds it belongs to the node that filed it.
    private static func registerOwners(of rows: some Sequence<NationalDossier>, node: String, db: Database) throws {
        var owners = Set<String>()
        for row in rows where row.node != node { owners.insert(row.node) }
        for owner in owners {
            try db.execute(sql: "INSERT OR IGNORE INTO nodes(node_id, applied_hash) VALUES (?, ?)", arguments: [owner, EventChain.genesisHash])
        }
    }

    /// The rows the index holds of these dossiers, fetched with a few `IN` lists rather than one query each.
    static func existingRows(of dossierCodes: [String], db: Database) throws -> [String: NationalDossier] {
        var seen = Set<String>()
        let codes = dossierCodes.filter { seen.insert($0).inserted }
        var rows: [String: NationalDossier] = [:]
        let chunk = 256
        var start = 0
        while start < codes.count {
            let part = Array(codes[start..<min(start + chunk, codes.count)])
            let sql = "SELECT * FROM national_dossiers WHERE code IN (\(Array(repeating: "?", count: part.count).joined(separator: ",")))"
            // Full chunks share one cached statement; the last, shorter one is prepared once.
            let statement = part.count == chunk ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
            for row in try Row.fetchAll(statement, arguments: StatementArguments(part)) {
                let dossier = dossier(from: row)
                rows[dossier.code] = dossier
            }
            start += part.count
        }
        return rows
    }

    static func dossier(from row: Row) -> NationalDossier {
        var dossier = NationalDossier(code: row["code"], node: row["node_id"], lastSeq: row["last_seq"])
        dossier.receivingUnit = row["receiving_unit"]
        dossier.competentUnit = row["competent_unit"]
        dossier.holderUnit = row["holder_unit"]
        dossier.level = row["holder_level"]
        dossier.procedureCode = row["procedure_code"]
        dossier.status = row["status"]
        dossier.state = row["state"]
        dossier.channel = row["channel"]
        dossier.submittedAtMs = row["submitted_at_ms"]
        dossier.receivedAtMs = row["received_at_ms"]
        dossier.dueAtMs = row["due_at_ms"]
        dossier.finishedAtMs = row["finished_at_ms"]
        dossier.returnedAtMs = row["returned_at_ms"]
        dossier.applicantRef = row["applicant_ref"]
        dossier.receivingNode = row["receiving_node"]
        dossier.competentNode = row["competent_node"]
        dossier.holderNode = row["holder_node"]
        dossier.hop = row["hop"]
        dossier.crossNode = row["cross_node"]
        let flags: String = row["flags"]
        if case .object(let members)? = try? JSONValue.parse(flags) {
            for (name, value) in members { if case .bool(let flag) = value { dossier.flags[name] = flag } }
        }
        return dossier
    }
}
