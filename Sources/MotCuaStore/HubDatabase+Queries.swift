import Foundation
import GRDB
import MotCuaCore
import MotCuaProtocol
import Synchronization

/// The nationwide reads: dossiers, journeys, per-node summaries.
extension HubDatabase {
    /// A dossier's journey, stay by stay.
    public func path(of code: String) async throws -> [NationalHop] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM national_hops WHERE code = ? ORDER BY idx", arguments: [code]).map { row in
                NationalHop(
                    index: row["idx"], node: row["node"], unit: row["unit"], level: row["level"], arrivedAtMs: row["arrived_at_ms"],
                    receivedAtMs: row["received_at_ms"], leftAtMs: row["left_at_ms"], stepDueAtMs: row["step_due_at_ms"], step: row["step"])
            }
        }
    }

    public func dossier(_ code: String) async throws -> NationalDossier? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM national_dossiers WHERE code = ?", arguments: [code]).map(Self.dossier(from:)) }
    }

    public func dossiers(_ filter: NationalFilter) async throws -> (items: [NationalDossier], nextCursor: String?) {
        try await pool.read { db in
            var clauses: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let node = filter.node { clauses.append("node_id = ?"); arguments.append(node) }
            if let status = filter.status { clauses.append("status = ?"); arguments.append(status) }
            if let procedure = filter.procedureCode { clauses.append("procedure_code = ?"); arguments.append(procedure) }
            if let node = filter.receivingNode { clauses.append("node_id = ?"); arguments.append(node) }
            if let node = filter.holderNode { clauses.append("holder_node = ?"); arguments.append(node) }
            // A literal, so the partial index on cross-node dossiers serves it.
            if let cross = filter.crossNode { clauses.append(cross ? "cross_node = 1" : "cross_node = 0") }
            if let now = filter.overdueAtMs {
                clauses.append(OverdueRule.sqlCondition)
                arguments.append(now)
            }
            if let after = filter.after { clauses.append("code > ?"); arguments.append(after) }
            let limit = max(1, min(filter.limit, 500))
            let sql = "SELECT * FROM national_dossiers \(clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")) ORDER BY code LIMIT \(limit + 1)"
            let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            let items = rows.prefix(limit).map(Self.dossier(from:))
            return (items, rows.count > limit ? items.last?.code : nil)
        }
    }

    /// Counts per node: dossiers, by status, overdue at `nowMs`.
    public func summaries(nowMs: Int64) async throws -> [NodeSummary] {
        try await pool.read { db in
            var result: [NodeSummary] = []
            for standing in try Row.fetchAll(db, sql: "SELECT * FROM nodes ORDER BY node_id").map(Self.standing(from:)) {
                var byStatus: [Int: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM national_dossiers WHERE node_id = ? GROUP BY status", arguments: [standing.nodeID]) {
                    byStatus[row["status"]] = row["n"]
                }
                let overdue = try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM national_dossiers WHERE node_id = ? AND \(OverdueRule.sqlCondition)",
                    arguments: [standing.nodeID, nowMs]) ?? 0
                result.append(NodeSummary(standing: standing, dossiers: byStatus.values.reduce(0, +), byStatus: byStatus, overdue: overdue))
            }
            return result
        }
    }
}
