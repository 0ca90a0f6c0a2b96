import Foundation
import GRDB
import MotCuaCore

extension NodeDatabase {
    // MARK: - Meta

    /// Reads a node setting (node id, name).
    public func meta(_ key: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM node_meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String) async throws {
        try await setMeta([(key, value)])
    }

    /// Several settings in one durable transaction (the replication position's seq and hash go together).
    /// Settings add nothing to the log, so the commit does not wake the replication agent.
    public func setMeta(_ pairs: [(String, String)]) async throws {
        try await committer.write(wakesListeners: false) { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO node_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            for (key, value) in pairs { try statement.execute(arguments: [key, value]) }
        }
    }

    // MARK: - Units

    /// Inserts or replaces units (seeding, topology changes). Refuses a tree with unknown parents.
    public func upsertUnits(_ units: [AdministrativeUnit]) async throws {
        try await committer.write { db in
            for unit in units { try UnitRow(unit).upsert(db) }
        }
    }

    public func units() async throws -> [AdministrativeUnit] {
        try await pool.read { db in
            try UnitRow.order(UnitRow.Columns.code).fetchAll(db).map { try $0.unit() }
        }
    }

    // MARK: - Procedures

    /// Loads catalogue entries (new versions get new rows; an existing version is replaced).
    public func upsertProcedures(_ procedures: [Procedure]) async throws {
        try await committer.write { db in
            for procedure in procedures {
                try db.execute(
                    sql: """
                        INSERT INTO procedures(code, version, name, level, online_mode, fee_vnd, effective_from, effective_until, document)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(code, version) DO UPDATE SET name = excluded.name, level = excluded.level,
                            online_mode = excluded.online_mode, fee_vnd = excluded.fee_vnd,
                            effective_from = excluded.effective_from, effective_until = excluded.effective_until,
                            document = excluded.document
                        """,
                    arguments: [
                        procedure.code, procedure.version, procedure.name, procedure.level.rawValue,
                        procedure.onlineMode.rawValue, procedure.feeVND, procedure.effectiveFrom?.iso,
                        procedure.effectiveUntil?.iso, try Self.encode(procedure),
                    ])
            }
        }
    }

    /// Every version of every procedure (the node caches the catalogue in memory).
    public func allProcedures() async throws -> [Procedure] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT document FROM procedures ORDER BY code, version")
                .map { try Self.decode(Procedure.self, $0) }
        }
    }

    // MARK: - Calendar rules

    /// Adds or replaces a rule and logs it; the caller rebuilds its calendar.
    public func saveCalendarRule(_ rule: CalendarRule, actor: String, at now: Date) async throws {
        try await committer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO calendar_rules(id, kind, date, name, withdrawn, document) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, date = excluded.date, name = excluded.name,
                        withdrawn = excluded.withdrawn, document = excluded.document
                    """,
                arguments: [rule.id, rule.kind.rawValue, rule.date.iso, rule.name, rule.withdrawn, try Self.encode(rule)])
            let kind: EventKind = rule.withdrawn ? .calendarRuleWithdrawn : .calendarRuleAdded
            _ = try Self.append(EventDraft(dossierCode: nil, kind: kind, actor: actor, at: now, payload: try JSONValue.from(rule)), db: db)
        }
    }

    public func calendarRules() async throws -> [CalendarRule] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT document FROM calendar_rules ORDER BY date, id").map { try Self.decode(CalendarRule.self, $0) }
        }
    }

    // MARK: - Officers and sessions

    /// Creates or replaces an officer. A new password or a deactivation ends the officer's sessions in the
    /// same transaction, so a token taken before does not outlive the change.
    /// Stores an account; a new password or a deactivation ends its sessions in the same transaction. With
    /// `keepAnAdmin`, a change after which no active admin is left is rolled back (`LastAdminRefused`).
    public func upsertOfficer(_ officer: OfficerRecord, keepAnAdmin: Bool = false) async throws {
        try await committer.write { db in try Self.store(officer, keepAnAdmin: keepAnAdmin, db) }
    }

    /// Changes an existing account inside one transaction (read, change, check, write), so that changes
    /// made at once cannot undo each other or together remove the last admin. Nil: no such officer.
    public func updateOfficer(
        _ username: String, keepAnAdmin: Bool, change: @escaping @Sendable (inout OfficerRecord) throws -> Void
    ) async throws -> OfficerRecord? {
        try await committer.write { db in
            guard var officer = try Self.fetchOfficer(db, username: username) else { return nil }
            try change(&officer)
            try Self.store(officer, keepAnAdmin: keepAnAdmin, db)
            return officer
        }
    }

    static func store(_ officer: OfficerRecord, keepAnAdmin: Bool, _ db: Database) throws {
        if let existing = try fetchOfficer(db, username: officer.username),
           existing.passwordHash != officer.passwordHash || !officer.active {
            try db.execute(sql: "DELETE FROM sessions WHERE username = ?", arguments: [officer.username])
        }
        try OfficerRow(officer).upsert(db)
        if keepAnAdmin {
            let admins = try OfficerRow.fetchAll(db).map(\.officer).filter { $0.active && $0.roles.contains(.admin) }
            if admins.isEmpty { throw LastAdminRefused() }
        }
    }

    /// Stores the node's first officer, only while it has none (two bootstraps at once: one wins).
    public func insertFirstOfficer(_ officer: OfficerRecord) async throws -> Bool {
        try await committer.write { db in
            guard try OfficerRow.fetchCount(db) == 0 else { return false }
            try OfficerRow(officer).insert(db)
            return true
        }
    }

    public func officer(_ username: String) async throws -> OfficerRecord? {
        try await pool.read { db in try Self.fetchOfficer(db, username: username) }
    }

    /// Every officer account (for admins), by user name.
    public func officers() async throws -> [OfficerRecord] {
        try await pool.read { db in
            try OfficerRow.order(OfficerRow.Columns.username).fetchAll(db).map(\.officer)
        }
    }

    static func fetchOfficer(_ db: Database, username: String) throws -> OfficerRecord? {
        try OfficerRow.fetchOne(db, key: username)?.officer
    }

    /// Stores a session by the SHA-256 of its token (a stolen database does not yield live tokens).
    /// With `passwordHash`, only while the officer still has that password and is active (a password change
    /// during a login's check wins); false when it has changed.
    @discardableResult
    public func createSession(
        tokenHash: String, username: String, passwordHash: String? = nil, createdAt: Date, expiresAt: Date
    ) async throws -> Bool {
        try await committer.write { db in
            if let passwordHash {
                guard let current = try OfficerRow.fetchOne(db, key: username), current.passwordHash == passwordHash, current.active else {
                    return false
                }
            }
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at_ms < ?", arguments: [Self.ms(createdAt)])
            try db.execute(
                sql: "INSERT INTO sessions(token_hash, username, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)",
                arguments: [tokenHash, username, Self.ms(createdAt), Self.ms(expiresAt)])
            return true
        }
    }

    /// The officer behind a live session, or nil when the token is unknown, expired or the account inactive.
    public func officer(forTokenHash tokenHash: String, at now: Date) async throws -> OfficerRecord? {
        try await pool.read { db in
            guard let username = try String.fetchOne(
                db, sql: "SELECT username FROM sessions WHERE token_hash = ? AND expires_at_ms > ?",
                arguments: [tokenHash, Self.ms(now)]) else { return nil }
            guard let officer = try Self.fetchOfficer(db, username: username), officer.active else { return nil }
            return officer
        }
    }
}

/// A change refused because it would leave the node without an active admin (nothing was stored).
public struct LastAdminRefused: Error, Sendable {}
