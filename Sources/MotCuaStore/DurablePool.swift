import CMotCuaSQLite
import GRDB

/// Opens a database the way every MotCua file is opened: WAL, foreign keys, a busy time-out, and
/// `synchronous = FULL` on the writer, so that a commit is on disk before it returns. (GRDB switches the
/// writer to NORMAL when it enables WAL, hence setting FULL after opening.) Then brings the schema up to
/// date with the file's migrator.
func openDurablePool(
    path: String, migrator: DatabaseMigrator, secureDelete: Bool = false, writerCacheKiB: Int? = nil
) throws -> DatabasePool {
    SQLiteProcessSettings.apply()
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.busyMode = .timeout(10)
    let pool = try DatabasePool(path: path, configuration: configuration)
    try pool.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA synchronous = FULL")
        // Deleted content is overwritten with zeros, not left in free pages.
        if secureDelete { try db.execute(sql: "PRAGMA secure_delete = ON") }
        if let writerCacheKiB { try db.execute(sql: "PRAGMA cache_size = -\(writerCacheKiB)") }
        // Statement journals (a statement that may abort halfway, a group-commit job replayed in a
        // savepoint) stay in memory, not in temporary files.
        try db.execute(sql: "PRAGMA temp_store = MEMORY")
        // Checkpoints run on their own connection (see `Checkpointer`); the writer's is only a backstop.
        try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Checkpointer.backstopPages)")
        try db.execute(sql: "PRAGMA journal_size_limit = \(Checkpointer.walSizeLimitBytes)")
    }
    try migrator.migrate(pool)
    return pool
}

/// Closes a durable pool on a clean stop: the checkpointer first, then every committed page moved into
/// the database file and the WAL truncated (`wal_checkpoint(TRUNCATE)` on the writer), then the
/// connections. Without the checkpoint a stopped server left its last burst in the WAL alone (10.6 MB
/// after 200 submissions, the main file holding 174 of them), one lost file away from losing them.
func closeDurablePool(_ pool: DatabasePool, committer: GroupCommitter) throws {
    try committer.close()
    try pool.writeWithoutTransaction { db in
        _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
    }
    try pool.close()
}

/// Process-wide SQLite settings, applied once before the first connection opens: no memory statistics
/// (with them, each of SQLite's allocations takes a process-wide mutex, on which the hub's writer and
/// its readers contend). Servers apply them first thing; opening a durable pool applies them too. Once
/// SQLite is initialised in a process it refuses them and its defaults stay, which is only slower.
public enum SQLiteProcessSettings {
    /// Applies the settings (the first call does); true when SQLite took them.
    @discardableResult
    public static func apply() -> Bool { result == 0 }

    private static let result = motcua_sqlite_disable_memory_statistics()
}
