import Foundation
import GRDB
import MotCuaCore

/// A node's database: one SQLite file in WAL mode with `synchronous = FULL`, so that a commit is on disk
/// before anyone is told it happened. Callers use intent-named operations (`submit`, `perform`,
/// `verifyChain`), never SQL. Every dossier change appends its event in the same transaction.
public final class NodeDatabase: Sendable {
    let pool: DatabasePool
    let committer: GroupCommitter
    let sequences = DailySequences()
    public let path: String
    /// The head of the log and its newest events, kept by the writer after each commit.
    let committedTail: CommittedTail

    /// Opens (creating if needed) the database file and brings its schema up to date.
    public init(path: String) throws {
        self.path = path
        // WAL + FULL: every commit is fsynced before it returns; group commit keeps that affordable.
        pool = try openDurablePool(path: path, migrator: Self.migrator)
        let committedTail = CommittedTail(head: try pool.read { db in try Self.headSeq(db) })
        self.committedTail = committedTail
        committer = GroupCommitter(writer: pool) { db in committedTail.update(db) }
    }

    /// Migrations have fixed names: once shipped, a name and its SQL never change; new needs get new ones.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-29-node-schema") { db in
            try db.execute(sql: """
                CREATE TABLE node_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                CREATE TABLE units (
                    code TEXT PRIMARY KEY NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
                    name TEXT NOT NULL CHECK (length(name) > 0),
                    level TEXT NOT NULL CHECK (level IN ('ministry','province','district','commune')),
                    parent_code TEXT REFERENCES units(code) DEFERRABLE INITIALLY DEFERRED,
                    agency_code TEXT NOT NULL UNIQUE,
                    effective_from TEXT,
                    effective_until TEXT,
                    successor_code TEXT REFERENCES units(code) DEFERRABLE INITIALLY DEFERRED,
                    document TEXT NOT NULL
                );
                CREATE TABLE procedures (
                    code TEXT NOT NULL,
                    version INTEGER NOT NULL CHECK (version >= 1),
                    name TEXT NOT NULL CHECK (length(name) > 0),
                    level TEXT NOT NULL CHECK (level IN ('ministry','province','district','commune')),
                    online_mode TEXT NOT NULL CHECK (online_mode IN ('none','partial','full-process')),
                    fee_vnd INTEGER NOT NULL CHECK (fee_vnd >= 0),
                    effective_from TEXT,
                    effective_until TEXT,
                    document TEXT NOT NULL,
                    PRIMARY KEY (code, version)
                );
                CREATE TABLE officers (
                    username TEXT PRIMARY KEY NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
                    full_name TEXT NOT NULL,
                    password_hash TEXT NOT NULL CHECK (length(password_hash) >= 20),
                    roles TEXT NOT NULL CHECK (length(roles) > 0),
                    units TEXT NOT NULL CHECK (length(units) > 0),
                    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
                );
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY NOT NULL CHECK (length(token_hash) = 64),
                    username TEXT NOT NULL REFERENCES officers(username) ON DELETE CASCADE,
                    created_at_ms INTEGER NOT NULL,
                    expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms)
                );
                CREATE TABLE dossiers (
                    code TEXT PRIMARY KEY NOT NULL,
                    procedure_code TEXT NOT NULL,
                    procedure_version INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    status INTEGER NOT NULL CHECK (status BETWEEN 1 AND 10),
                    channel TEXT NOT NULL CHECK (channel IN ('online','counter','post')),
                    receiving_unit TEXT NOT NULL REFERENCES units(code),
                    competent_unit TEXT NOT NULL REFERENCES units(code),
                    holder_unit TEXT NOT NULL REFERENCES units(code),
                    applicant_id_number TEXT NOT NULL CHECK (length(applicant_id_number) = 12),
                    assignee TEXT,
                    submitted_at_ms INTEGER NOT NULL,
                    received_at_ms INTEGER,
                    due_at_ms INTEGER,
                    finished_at_ms INTEGER,
                    returned_at_ms INTEGER,
                    last_seq INTEGER NOT NULL,
                    document TEXT NOT NULL,
                    FOREIGN KEY (procedure_code, procedure_version) REFERENCES procedures(code, version),
                    CHECK (received_at_ms IS NULL OR received_at_ms >= submitted_at_ms),
                    CHECK (status <> 1 OR received_at_ms IS NULL),
                    CHECK (status NOT IN (2, 4, 6, 9, 10) OR received_at_ms IS NOT NULL)
                );
                CREATE INDEX dossiers_by_holder ON dossiers(holder_unit, status);
                CREATE INDEX dossiers_by_status ON dossiers(status);
                CREATE INDEX dossiers_by_due ON dossiers(due_at_ms) WHERE finished_at_ms IS NULL;
                CREATE INDEX dossiers_by_procedure ON dossiers(procedure_code);
                CREATE TABLE components (
                    id INTEGER PRIMARY KEY,
                    dossier_code TEXT NOT NULL REFERENCES dossiers(code),
                    component_code TEXT NOT NULL,
                    file_name TEXT NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
                    size_bytes INTEGER NOT NULL CHECK (size_bytes = length(content)),
                    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
                    content BLOB NOT NULL,
                    added_seq INTEGER NOT NULL REFERENCES events(seq)
                );
                CREATE INDEX components_by_dossier ON components(dossier_code);
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
                    dossier_code TEXT,
                    kind TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    time_ms INTEGER NOT NULL,
                    hlc INTEGER NOT NULL,
                    payload TEXT NOT NULL,
                    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
                    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
                );
                CREATE INDEX events_by_dossier ON events(dossier_code, seq);
                CREATE TABLE daily_sequences (
                    agency_code TEXT NOT NULL,
                    day TEXT NOT NULL,
                    last INTEGER NOT NULL CHECK (last >= 1),
                    PRIMARY KEY (agency_code, day)
                ) WITHOUT ROWID;
                CREATE TABLE calendar_rules (
                    id TEXT PRIMARY KEY NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('day-off','working-day')),
                    date TEXT NOT NULL,
                    name TEXT NOT NULL,
                    withdrawn INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
                    document TEXT NOT NULL
                );
                """)
            // The log is append-only: no event may be changed or removed through SQL by mistake.
            try db.execute(sql: """
                CREATE TRIGGER events_no_update BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER events_no_delete BEFORE DELETE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                """)
        }
        migrator.registerMigration("2026-11-30-routing") { db in
            // Dossiers may now be received, decided or held by units of other nodes (filing anywhere,
            // liên thông): the unit columns no longer point into this node's own unit table.
            try db.execute(sql: """
                CREATE TABLE dossiers_routed (
                    code TEXT PRIMARY KEY NOT NULL,
                    procedure_code TEXT NOT NULL,
                    procedure_version INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    status INTEGER NOT NULL CHECK (status BETWEEN 1 AND 10),
                    channel TEXT NOT NULL CHECK (channel IN ('online','counter','post')),
                    receiving_unit TEXT NOT NULL CHECK (length(receiving_unit) BETWEEN 1 AND 64),
                    competent_unit TEXT NOT NULL CHECK (length(competent_unit) BETWEEN 1 AND 64),
                    holder_unit TEXT NOT NULL CHECK (length(holder_unit) BETWEEN 1 AND 64),
                    applicant_id_number TEXT NOT NULL CHECK (length(applicant_id_number) = 12),
                    assignee TEXT,
                    submitted_at_ms INTEGER NOT NULL,
                    received_at_ms INTEGER,
                    due_at_ms INTEGER,
                    finished_at_ms INTEGER,
                    returned_at_ms INTEGER,
                    last_seq INTEGER NOT NULL,
                    document TEXT NOT NULL,
                    FOREIGN KEY (procedure_code, procedure_version) REFERENCES procedures(code, version),
                    CHECK (received_at_ms IS NULL OR received_at_ms >= submitted_at_ms),
                    CHECK (status <> 1 OR received_at_ms IS NULL),
                    CHECK (status NOT IN (2, 4, 6, 9, 10) OR received_at_ms IS NOT NULL)
                );
                INSERT INTO dossiers_routed SELECT code, procedure_code, procedure_version, state, status, channel, receiving_unit,
                    competent_unit, holder_unit, applicant_id_number, assignee, submitted_at_ms, received_at_ms, due_at_ms,
                    finished_at_ms, returned_at_ms, last_seq, document FROM dossiers;
                DROP TABLE dossiers;
                ALTER TABLE dossiers_routed RENAME TO dossiers;
                CREATE INDEX dossiers_by_holder ON dossiers(holder_unit, status);
                CREATE INDEX dossiers_by_status ON dossiers(status);
                CREATE INDEX dossiers_by_due ON dossiers(due_at_ms) WHERE finished_at_ms IS NULL;
                CREATE INDEX dossiers_by_procedure ON dossiers(procedure_code);
                -- Transfers to other nodes, written with the event that decided them; shipped through the hub.
                CREATE TABLE transfers_out (
                    transfer_id TEXT PRIMARY KEY NOT NULL CHECK (length(transfer_id) BETWEEN 8 AND 64),
                    dossier_code TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('hand-over','result','send-back')),
                    from_unit TEXT NOT NULL,
                    to_unit TEXT NOT NULL,
                    to_node TEXT,
                    reason TEXT,
                    reported_state TEXT,
                    snapshot TEXT NOT NULL,
                    event_seq INTEGER NOT NULL REFERENCES events(seq),
                    created_at_ms INTEGER NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','handed-over','refused')),
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    next_attempt_ms INTEGER NOT NULL,
                    last_error TEXT,
                    handed_over_at_ms INTEGER,
                    destination TEXT
                );
                CREATE INDEX transfers_out_pending ON transfers_out(next_attempt_ms) WHERE state = 'pending';
                -- Transfers taken in from other nodes: applied once, by transfer id.
                CREATE TABLE transfers_in (
                    transfer_id TEXT PRIMARY KEY NOT NULL,
                    dossier_code TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    from_node TEXT NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('applied','refused')),
                    reason TEXT,
                    event_seq INTEGER REFERENCES events(seq),
                    received_at_ms INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("2026-12-03-hardening") { db in
            try db.execute(sql: """
                -- The SHA-256 of each dossier's document, checked on every read: a changed byte is refused,
                -- not served. NULL for rows written before this migration until their next change.
                ALTER TABLE dossiers ADD COLUMN document_sha256 TEXT CHECK (document_sha256 IS NULL OR length(document_sha256) = 64);
                -- Idempotency keys of writes a client may retry: claimed in the same transaction as the
                -- change; the answer is stored right after it. Kept at least 24 hours.
                CREATE TABLE idempotency_keys (
                    scope TEXT NOT NULL CHECK (length(scope) BETWEEN 1 AND 200),
                    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
                    request_sha256 TEXT NOT NULL CHECK (length(request_sha256) = 64),
                    dossier_code TEXT NOT NULL,
                    status INTEGER,
                    response TEXT,
                    created_at_ms INTEGER NOT NULL,
                    PRIMARY KEY (scope, key)
                ) WITHOUT ROWID;
                CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at_ms);
                -- The lookup secret printed on a dossier's receipt: with the code it always opens the
                -- dossier to its applicant, however many wrong ID numbers others tried. Kept as it is (a
                -- receipt printed at a later reception shows it again); it never enters the log.
                CREATE TABLE lookup_secrets (
                    dossier_code TEXT PRIMARY KEY NOT NULL,
                    secret TEXT NOT NULL CHECK (length(secret) = 8)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("2026-12-05-admins-without-units") { db in
            // An admin administers the whole node and may have no unit (the first admin of a node created
            // before its units are imported); every other officer still needs one. SQLite changes a CHECK
            // only by rebuilding the table.
            try db.execute(sql: """
                CREATE TABLE officers_new (
                    username TEXT PRIMARY KEY NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
                    full_name TEXT NOT NULL,
                    password_hash TEXT NOT NULL CHECK (length(password_hash) >= 20),
                    roles TEXT NOT NULL CHECK (length(roles) > 0),
                    units TEXT NOT NULL CHECK (length(units) > 0 OR roles = 'admin'),
                    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
                );
                INSERT INTO officers_new SELECT username, full_name, password_hash, roles, units, active FROM officers;
                DROP TABLE officers;
                ALTER TABLE officers_new RENAME TO officers;
                """)
        }
        return migrator
    }

    /// A short, bounded read on the calling thread (GRDB's synchronous read): no hand-off to a reader
    /// queue and back. Only for small bounded reads (the replication agent's head and next batch);
    /// queries of unbounded length use `pool.read`, so they never hold a task thread.
    func readHere<T>(_ body: (Database) throws -> T) throws -> T { try pool.read(body) }

    /// Checkpoints the WAL into the database file (truncating it) and closes the file, so that a clean
    /// stop leaves everything in `node.sqlite` alone; the object is unusable afterwards.
    public func close() throws { try closeDurablePool(pool, committer: committer) }

    // MARK: - Shared helpers

    static var encoder: JSONEncoder { DocumentJSON.encoder }
    static var decoder: JSONDecoder { DocumentJSON.decoder }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    static func sha256(_ text: String) -> String { sha256Hex(text) }

    static func ms(_ date: Date) -> Int64 { date.epochMilliseconds }
    static func ms(_ date: Date?) -> Int64? { date.map { ms($0) } }
    static func date(ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
}
