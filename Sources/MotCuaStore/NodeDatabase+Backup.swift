import Foundation
import GRDB

/// Backups while the node serves, and what a restore carries over.
extension NodeDatabase {
    /// A consistent copy of the node's file at `source` written to `target` (which must not exist), taken
    /// while the node may be writing: `VACUUM INTO` on a connection of its own reads one snapshot (in WAL
    /// mode a reader never blocks the writer) and writes it compacted, without the WAL.
    public static func backup(source: String, to target: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: source, configuration: configuration)
        defer { try? queue.close() }
        try queue.inDatabase { db in try db.execute(sql: "VACUUM INTO ?", arguments: [target]) }
    }

    /// The last dossier number handed out per agency and day.
    public func dailySequences() async throws -> [(agency: String, day: String, last: Int)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT agency_code, day, last FROM daily_sequences").map { ($0[0], $0[1], $0[2]) }
        }
    }

    /// Raises the daily counters to at least these numbers: after a restore from an older copy, numbers
    /// the replaced file had already handed out are never handed out again.
    public func raiseDailySequences(_ sequences: [(agency: String, day: String, last: Int)]) async throws {
        guard !sequences.isEmpty else { return }
        try await committer.write { db in
            for entry in sequences {
                try db.execute(sql: """
                    INSERT INTO daily_sequences(agency_code, day, last) VALUES (?, ?, ?)
                    ON CONFLICT(agency_code, day) DO UPDATE SET last = max(last, excluded.last)
                    """, arguments: [entry.agency, entry.day, entry.last])
            }
        }
    }
}
