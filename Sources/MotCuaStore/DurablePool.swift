import GRDB

/// Opens a database the way every MotCua file is opened: WAL, foreign keys, a busy time-out, and
/// `synchronous = FULL` on the writer, so that a commit is on disk before it returns. (GRDB switches the
/// writer to NORMAL when it enables WAL, hence setting FULL after opening.) Then brings the schema up to
/// date with the file's migrator.
func openDurablePool(path: String, migrator: DatabaseMigrator, secureDelete: Bool = false) throws -> DatabasePool {
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.busyMode = .timeout(10)
    let pool = try DatabasePool(path: path, configuration: configuration)
    try pool.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA synchronous = FULL")
        // Deleted content is overwritten with zeros, not left in free pages.
        if secureDelete { try db.execute(sql: "PRAGMA secure_delete = ON") }
    }
    try migrator.migrate(pool)
    return pool
}
