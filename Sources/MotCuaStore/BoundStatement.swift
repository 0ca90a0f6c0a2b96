import GRDB
import GRDBSQLite

/// Binds and runs a prepared statement through SQLite's C interface, for the hub's hottest inserts: GRDB's
/// general path (argument boxing, per-statement bookkeeping) cost more than SQLite's own work there.
/// Wraps a statement GRDB prepared (and finalises); use it inside the same database access, and only for
/// statements that return no rows.
struct BoundStatement {
    /// Held so that GRDB does not finalise the statement while it is in use here.
    private let owner: Statement
    private let statement: SQLiteStatement
    private let connection: SQLiteConnection
    /// The first binding SQLite refused since the last run (a value left unbound would be stored as NULL).
    private var bindingFailure: (index: Int32, code: Int32)?

    init(_ statement: Statement, in db: Database) {
        owner = statement
        self.statement = statement.sqliteStatement
        connection = db.sqliteConnection!
    }

    /// SQLite copies the bytes during the call (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    mutating func bind(_ index: Int32, _ value: String?) {
        guard var value else { return check(index, sqlite3_bind_null(statement, index)) }
        let code = value.withUTF8 { bytes in
            // An empty string's buffer may have no address; SQLite needs one for a zero-length text.
            bytes.isEmpty
                ? sqlite3_bind_text(statement, index, "", 0, Self.transient)
                : sqlite3_bind_text(statement, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                                    Int32(bytes.count), Self.transient)
        }
        check(index, code)
    }

    mutating func bind(_ index: Int32, _ value: Int64?) {
        guard let value else { return check(index, sqlite3_bind_null(statement, index)) }
        check(index, sqlite3_bind_int64(statement, index, value))
    }

    mutating func bind(_ index: Int32, _ value: Int?) { bind(index, value.map(Int64.init)) }
    mutating func bind(_ index: Int32, _ value: Bool) { check(index, sqlite3_bind_int64(statement, index, value ? 1 : 0)) }

    private mutating func check(_ index: Int32, _ code: Int32) {
        if code != SQLITE_OK && bindingFailure == nil { bindingFailure = (index, code) }
    }

    /// Runs the statement with the values bound, then resets it for the next row; returns the number of
    /// rows it changed. A refused binding fails the run without executing anything.
    @discardableResult
    mutating func run() throws -> Int {
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            bindingFailure = nil
        }
        if let failure = bindingFailure {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: failure.code), message: "cannot bind parameter \(failure.index): \(String(cString: sqlite3_errstr(failure.code)))",
                sql: String(cString: sqlite3_sql(statement)))
        }
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)),
                sql: String(cString: sqlite3_sql(statement)))
        }
        return Int(sqlite3_changes(connection))
    }
}
