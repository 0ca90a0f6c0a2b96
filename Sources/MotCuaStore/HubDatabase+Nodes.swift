import Foundation
import GRDB
import MotCuaCore
import MotCuaProtocol
import Synchronization

/// Each node's standing (cursor, quarantine, reported head) and its membership of the federation.
extension HubDatabase {
    /// A node's standing, created at position 0 the first time the node is seen.
    public func standing(of nodeID: String) async throws -> NodeStanding {
        if let existing = try await pool.read({ db in try Self.fetchStanding(db, nodeID) }) { return existing }
        return try await committer.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO nodes(node_id, applied_hash) VALUES (?, ?)", arguments: [nodeID, EventChain.genesisHash])
            return try Self.fetchStanding(db, nodeID)!
        }
    }

    public func standings() async throws -> [NodeStanding] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM nodes ORDER BY node_id").map(Self.standing(from:))
        }
    }

    static func fetchStanding(_ db: Database, _ nodeID: String) throws -> NodeStanding? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM nodes WHERE node_id = ?"), arguments: [nodeID]).map(standing(from:))
    }

    static func standing(from row: Row) -> NodeStanding {
        NodeStanding(
            nodeID: row["node_id"], appliedSeq: row["applied_seq"], appliedHash: row["applied_hash"],
            lastContactMs: row["last_contact_ms"], lagMs: row["lag_ms"], quarantinedReason: row["quarantined_reason"],
            quarantinedAtMs: row["quarantined_at_ms"], member: row["member"] as Bool? ?? true,
            reportedHeadSeq: row["reported_head_seq"])
    }

    /// Lifts a quarantine after an operator has looked; the node resumes from its applied position.
    public func release(_ nodeID: String) async throws -> Bool {
        try await committer.write { db in
            try db.execute(sql: "UPDATE nodes SET quarantined_reason = NULL, quarantined_at_ms = NULL WHERE node_id = ? AND quarantined_reason IS NOT NULL", arguments: [nodeID])
            return db.changesCount > 0
        }
    }

    // MARK: - Membership

    /// The nodes whose batches are accepted.
    public func members() throws -> Set<String> {
        try pool.read { db in Set(try String.fetchAll(db, sql: "SELECT node_id FROM nodes WHERE member = 1")) }
    }

    /// Makes nodes members (a node never seen gets its cursor at position 0); true for each that was not one.
    @discardableResult
    public func admit(_ nodeIDs: [String]) async throws -> [String] {
        try await committer.write { db in
            var added: [String] = []
            for nodeID in nodeIDs {
                try db.execute(
                    sql: """
                        INSERT INTO nodes(node_id, applied_hash, member) VALUES (?, ?, 1)
                        ON CONFLICT(node_id) DO UPDATE SET member = 1 WHERE member = 0
                        """,
                    arguments: [nodeID, EventChain.genesisHash])
                if db.changesCount > 0 { added.append(nodeID) }
            }
            return added
        }
    }

    /// Ends a node's membership; its cursor and its dossiers stay. False when it was not a member.
    public func dismiss(_ nodeID: String) async throws -> Bool {
        try await committer.write { db in
            try db.execute(sql: "UPDATE nodes SET member = 0 WHERE node_id = ? AND member = 1", arguments: [nodeID])
            return db.changesCount > 0
        }
    }

    /// Records the log head a node reports with its batches (a node that lost part of its log reports
    /// a head behind the applied position).
    public func recordReportedHead(_ nodeID: String, headSeq: Int64, nowMs: Int64) async throws {
        try await committer.write(wakesListeners: false) { db in
            try db.cachedStatement(sql: "UPDATE nodes SET reported_head_seq = ?, reported_head_at_ms = ? WHERE node_id = ?")
                .execute(arguments: [headSeq, nowMs, nodeID])
        }
    }

    /// The highest dossier number the index holds for each agency of `nodeID` on each of `days`
    /// (`yyMMdd` as in codes): `agency|yyyy-MM-dd` → number. A node that lost the end of its log resumes
    /// its daily numbering after these, so no code the hub has seen is handed out again.
    public func highestNumbers(of nodeID: String, days: [String]) async throws -> [String: Int] {
        try await pool.read { db in
            var highest: [String: Int] = [:]
            for day in days where day.count == 6 && day.allSatisfy(\.isNumber) {
                let iso = "20\(day.prefix(2))-\(day.dropFirst(2).prefix(2))-\(day.suffix(2))"
                let codes = try String.fetchCursor(
                    db, sql: "SELECT code FROM national_dossiers WHERE node_id = ? AND code GLOB ?", arguments: [nodeID, "*-\(day)-*"])
                while let code = try codes.next() {
                    let parts = code.split(separator: "-")
                    guard parts.count >= 3, parts[parts.count - 2] == day, let number = Int(parts[parts.count - 1]) else { continue }
                    let key = parts.dropLast(2).joined(separator: "-") + "|" + iso
                    highest[key] = max(highest[key] ?? 0, number)
                }
            }
            return highest
        }
    }
}
