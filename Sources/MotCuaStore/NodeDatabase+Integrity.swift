import Foundation
import GRDB
import MotCuaCore

/// What `motcua node check` and the start-up check found.
public struct IntegrityReport: Sendable, Codable {
    /// `PRAGMA quick_check` (pages, B-trees, indexes), at most `limit` problems; empty when sound.
    public var fileProblems: [String]
    /// Dossier documents and files whose stored digest no longer holds.
    public var rowProblems: [String]
    public var chain: ChainReport?

    public var sound: Bool { fileProblems.isEmpty && rowProblems.isEmpty && (chain?.intact ?? true) }
}

extension NodeDatabase {
    // MARK: - Integrity

    /// SQLite's structural check of the file (`PRAGMA quick_check(limit)`): the problems it names, or
    /// none. Time grows with the file (about a second per GB here); run at start-up and by `motcua node check`.
    public func fileProblems(limit: Int = 20) async throws -> [String] {
        try await pool.read { db in
            let lines = try String.fetchAll(db, sql: "PRAGMA quick_check(\(max(1, min(limit, 1000))))")
            return lines == ["ok"] ? [] : lines
        }
    }

    /// Every dossier document and file checked against its stored SHA-256; names at most `limit` that fail.
    public func rowProblems(limit: Int = 20) async throws -> [String] {
        try await pool.read { db in
            var problems: [String] = []
            let dossiers = try Row.fetchCursor(db, sql: "SELECT code, document, document_sha256 FROM dossiers")
            while let row = try dossiers.next(), problems.count < limit {
                let code: String = row["code"]
                do { _ = try Self.checkedDossier(row["document"], sha256: row["document_sha256"], code: code) } catch {
                    problems.append("\(error)")
                }
            }
            let files = try Row.fetchCursor(db, sql: "SELECT dossier_code, component_code, sha256, content FROM components")
            while let row = try files.next(), problems.count < limit {
                let content: Data = row["content"]
                if sha256Hex(content) != row["sha256"] as String {
                    problems.append("file \(row["component_code"] as String) of dossier \(row["dossier_code"] as String) no longer matches its SHA-256")
                }
            }
            return problems
        }
    }

    /// The file check, the row digests and the whole chain, for `motcua node check`.
    public func integrityReport() async throws -> IntegrityReport {
        IntegrityReport(fileProblems: try await fileProblems(), rowProblems: try await rowProblems(), chain: try await verifyChain())
    }

    // MARK: - Idempotency keys

    public func idempotencyRecord(scope: String, key: String) async throws -> IdempotencyRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT request_sha256, dossier_code, status, response FROM idempotency_keys WHERE scope = ? AND key = ?",
                arguments: [scope, key]
            ).map { row in
                IdempotencyRecord(requestSHA256: row["request_sha256"], dossierCode: row["dossier_code"], status: row["status"], response: row["response"])
            }
        }
    }

    /// Stores the answer given to a claimed key (after the change committed), so a retry gets it again.
    public func storeIdempotentResponse(scope: String, key: String, status: Int, response: String) async throws {
        try await committer.write(wakesListeners: false) { db in
            try db.cachedStatement(sql: "UPDATE idempotency_keys SET status = ?, response = ? WHERE scope = ? AND key = ? AND response IS NULL")
                .execute(arguments: [status, response, scope, key])
        }
    }

    /// Forgets keys claimed before `cutoff`; returns how many.
    @discardableResult
    public func purgeIdempotencyKeys(claimedBefore cutoff: Date) async throws -> Int {
        try await committer.write(wakesListeners: false) { db in
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE created_at_ms < ?", arguments: [Self.ms(cutoff)])
            return db.changesCount
        }
    }

    // MARK: - Lookup secrets

    /// Whether `secret` is the lookup secret printed on this dossier's receipt (compared in constant time).
    public func lookupSecretMatches(code: String, secret: String) async throws -> Bool {
        guard let stored = try await lookupSecret(of: code) else { return false }
        let a = Array(stored.utf8), b = Array(secret.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The lookup secret of a dossier filed here, for its receipt.
    public func lookupSecret(of code: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT secret FROM lookup_secrets WHERE dossier_code = ?"), arguments: [code])
        }
    }

    // MARK: - Sessions

    /// Ends every session of an officer at once (a password change, a deactivation).
    @discardableResult
    public func revokeSessions(of username: String) async throws -> Int {
        try await committer.write(wakesListeners: false) { db in
            try db.execute(sql: "DELETE FROM sessions WHERE username = ?", arguments: [username])
            return db.changesCount
        }
    }

    // MARK: - A log that lost its end

    /// The hub's answer about this node's log, stored so that an operator's `accept-log-loss` can go on
    /// from it: the hub's position and the highest dossier numbers it holds for this node per agency and day.
    public struct HubPosition: Sendable, Codable, Hashable {
        public var appliedSeq: Int64
        public var appliedHash: String
        /// `agency|yyyy-MM-dd` → the highest number the hub has seen.
        public var highestNumbers: [String: Int]

        public init(appliedSeq: Int64, appliedHash: String, highestNumbers: [String: Int]) {
            self.appliedSeq = appliedSeq
            self.appliedHash = appliedHash
            self.highestNumbers = highestNumbers
        }
    }

    /// The hash of the local event at `seq`, or nil when the log has no such event.
    public func hash(atSeq seq: Int64) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT hash FROM events WHERE seq = ?", arguments: [seq]) }
    }

    /// Goes on after a lost end of the log: appends `node.log-loss-accepted` at the hub's position + 1,
    /// linked to the hub's hash there (so the hub takes it as the next event), raises the daily numbers to
    /// the hub's highest so that no dossier code is handed out twice, and stores the hub's position as the
    /// acknowledged one, all in one transaction. Returns the new event's seq.
    public func acceptLogLoss(
        hub: HubPosition, actor: String, reason: String, at now: Date, acknowledgedKeys: (seq: String, hash: String)
    ) async throws -> Int64 {
        let seq = hub.appliedSeq + 1
        let numbers = hub.highestNumbers
        let reason = String(reason.unicodeScalars.prefix(500).map(Character.init))
        let written = try await committer.write { db in
            // The head as it is inside the transaction, so no write that slipped in before is left out.
            let head = try Row.fetchOne(db, sql: "SELECT seq, hash, hlc FROM events ORDER BY seq DESC LIMIT 1")
            let localSeq: Int64 = head?["seq"] ?? 0
            let localHash: String = head?["hash"] ?? EventChain.genesisHash
            guard hub.appliedSeq > localSeq else { throw StoreError.logNotBehind(localHead: localSeq, hubSeq: hub.appliedSeq) }
            let record = LogLossRecord(
                lostFromSeq: localSeq + 1, lostToSeq: hub.appliedSeq, localHeadSeq: localSeq, localHeadHash: localHash,
                hubHash: hub.appliedHash, reason: reason)
            let payload = try JSONValue.from(record)
            let draft = EventDraft(dossierCode: nil, kind: .logLossAccepted, actor: actor, at: now, payload: payload)
            let event = EventChain.seal(draft, seq: seq, prevHash: hub.appliedHash, lastHLC: head?["hlc"] ?? 0)
            try db.cachedStatement(sql: """
                INSERT INTO events(seq, dossier_code, kind, actor, time_ms, hlc, payload, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    event.seq, event.dossierCode, event.kind, event.actor, event.timeMs, event.hlc, event.payload, event.prevHash, event.hash,
                ])
            for (key, number) in numbers where number >= 1 {
                let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                try db.execute(sql: """
                    INSERT INTO daily_sequences(agency_code, day, last) VALUES (?, ?, ?)
                    ON CONFLICT(agency_code, day) DO UPDATE SET last = max(last, excluded.last)
                    """, arguments: [parts[0], parts[1], number])
            }
            for (key, value) in [(acknowledgedKeys.seq, String(hub.appliedSeq)), (acknowledgedKeys.hash, hub.appliedHash)] {
                try db.execute(sql: "INSERT INTO node_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                               arguments: [key, value])
            }
            return event.seq
        }
        sequences.raise(numbers)
        return written
    }
}

/// How the store's failures read to the layers above, which do not see SQLite.
public enum StorageFailure {
    /// The write failed because the disk (or the file system's quota) is full.
    public static func isFull(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_FULL
    }

    /// SQLite found the file damaged (a page, an index) while reading or writing.
    public static func isCorrupt(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
    }
}
