import Foundation
import GRDB
import MotCuaCore

/// What the caller must supply to turn a submission into a stored dossier, computed outside the
/// transaction from cached catalogue and unit data.
public struct IntakePlan: Sendable {
    public var submission: DossierSubmission
    public var route: DossierRoute
    public var context: DossierContext

    public init(submission: DossierSubmission, route: DossierRoute, context: DossierContext) {
        self.submission = submission
        self.route = route
        self.context = context
    }
}

/// A stored dossier with the log position of its last event.
public struct DossierWithSeq: Sendable {
    public var dossier: Dossier
    public var lastSeq: Int64
}

/// Errors of the store that the API turns into clear answers.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case dossierNotFound(String)
    case sequenceExhausted(agency: String, day: String)
    case invalidAgencyCode(agency: String, reason: String)
    /// Stored data failed its integrity check (a changed byte on disk, a damaged page).
    case corrupt(what: String, detail: String)
    /// `acceptLogLoss` when the local log is not behind the hub.
    case logNotBehind(localHead: Int64, hubSeq: Int64)

    public var description: String {
        switch self {
        case .corrupt(let what, let detail): "\(what) is damaged in the database: \(detail)"
        case .logNotBehind(let local, let hub): "the local log ends at seq \(local) and the hub has applied up to \(hub): nothing was lost"
        case .dossierNotFound(let code): "no dossier \(quoted(code)) at this node"
        case .sequenceExhausted(let agency, let day): "agency \(agency) has used every dossier number of \(day)"
        case .invalidAgencyCode(let agency, let reason): "the unit's agency code \(agency) cannot prefix a dossier code: \(reason)"
        }
    }
}

extension NodeDatabase {
    /// Files a new dossier. Its number comes from the receiving agency's daily sequence and everything
    /// (code, dossier document, event payload) is prepared before the writer; the writer then appends the
    /// event, stores the dossier, its files and the sequence in one transaction. Returns after the commit.
    public func submit(_ plan: IntakePlan, idempotency: IdempotencyClaim? = nil, lookupSecret: String? = nil) async throws -> DossierOutcome {
        let day = VietnamTime.localDate(of: plan.context.now)
        let agency = plan.route.receiving.agencyCode
        let sequence = try await sequences.allocate(agency: agency, day: day.iso) {
            try await self.pool.read { db in
                try Int.fetchOne(db, sql: "SELECT last FROM daily_sequences WHERE agency_code = ? AND day = ?", arguments: [agency, day.iso]) ?? 0
            }
        }
        let code: DossierCode
        do {
            code = try DossierCode(agencyCode: agency, date: (day.year, day.month, day.day), sequence: sequence)
        } catch IdentifierError.sequenceOutOfRange(_) {
            throw StoreError.sequenceExhausted(agency: agency, day: day.iso)
        } catch {
            throw StoreError.invalidAgencyCode(agency: agency, reason: "\(error)")
        }
        let outcome = DossierMachine.intake(
            plan.submission, code: code.value, route: plan.route, context: plan.context)
        let prepared = try PreparedChange(outcome, idempotency: idempotency)
        try await committer.write { db in
            let seq = try prepared.write(db: db, insert: true)
            if let lookupSecret {
                try db.cachedStatement(sql: "INSERT INTO lookup_secrets(dossier_code, secret) VALUES (?, ?)")
                    .execute(arguments: [code.value, lookupSecret])
            }
            try db.cachedStatement(sql: """
                INSERT INTO daily_sequences(agency_code, day, last) VALUES (?, ?, ?)
                ON CONFLICT(agency_code, day) DO UPDATE SET last = max(last, excluded.last)
                """).execute(arguments: [agency, day.iso, sequence])
            _ = seq
        }
        return outcome
    }

    /// Applies an action to a dossier. The state machine decides on a snapshot outside the writer
    /// (`prepare` gives the context and runs the caller's checks); inside the transaction the row's log
    /// position is compared with the snapshot's, and if another change came first the decision is taken
    /// again on the fresh row. Either way the row, its event and any files commit together.
    public func perform(
        _ command: DossierCommand, on code: String, idempotency: IdempotencyClaim? = nil,
        prepare: @escaping @Sendable (Dossier) throws -> DossierContext
    ) async throws -> DossierOutcome {
        guard let snapshot = try await dossier(code) else { throw StoreError.dossierNotFound(code) }
        let outcome = try DossierMachine.apply(command, to: snapshot.dossier, context: try prepare(snapshot.dossier))
        let prepared = try PreparedChange(outcome, idempotency: idempotency)
        return try await committer.write { db in
            let lastSeq = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT last_seq FROM dossiers WHERE code = ?"), arguments: [code])
            if lastSeq == snapshot.lastSeq {
                _ = try prepared.write(db: db, insert: false)
                return outcome
            }
            guard let current = try Self.fetchDossier(db, code: code) else { throw StoreError.dossierNotFound(code) }
            let fresh = try DossierMachine.apply(command, to: current.dossier, context: try prepare(current.dossier))
            _ = try PreparedChange(fresh, idempotency: idempotency).write(db: db, insert: false)
            return fresh
        }
    }

    public func dossier(_ code: String) async throws -> DossierWithSeq? {
        try await pool.read { db in try Self.fetchDossier(db, code: code) }
    }

    /// The officers' queue: filtered, in filing order, a page at a time.
    public func dossiers(_ filter: DossierFilter, unitsWithin: @escaping @Sendable ([String]) -> [String]) async throws -> DossierPage {
        try await pool.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let units = filter.units {
                let expanded = unitsWithin(units)
                if expanded.isEmpty { return DossierPage(items: [], nextCursor: nil) }
                clauses.append("holder_unit IN (\(Array(repeating: "?", count: expanded.count).joined(separator: ",")))")
                for unit in expanded { _ = arguments.append(contentsOf: [unit]) }
            }
            if let status = filter.status {
                clauses.append("status = ?")
                _ = arguments.append(contentsOf: [status])
            }
            if let procedure = filter.procedureCode {
                clauses.append("procedure_code = ?")
                _ = arguments.append(contentsOf: [procedure])
            }
            if let overdueAt = filter.overdueAt {
                // Open, clock running, past due; or finished after the due time.
                // Open with the clock running (a paused clock stores no due time) and past due, or finished late.
                clauses.append("((finished_at_ms IS NULL AND due_at_ms < ?) OR (finished_at_ms IS NOT NULL AND finished_at_ms > due_at_ms))")
                _ = arguments.append(contentsOf: [Self.ms(overdueAt)])
            }
            if let dueBefore = filter.dueBefore {
                clauses.append("finished_at_ms IS NULL AND due_at_ms < ?")
                _ = arguments.append(contentsOf: [Self.ms(dueBefore)])
            }
            if let after = filter.after {
                clauses.append("rowid > ?")
                _ = arguments.append(contentsOf: [after])
            }
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            let limit = max(1, min(filter.limit, 500))
            let rows = try Row.fetchAll(
                db, sql: "SELECT rowid, code, document, document_sha256 FROM dossiers \(whereClause) ORDER BY rowid LIMIT \(limit + 1)",
                arguments: arguments)
            let page = rows.prefix(limit)
            let items = try page.map { try Self.checkedDossier($0["document"], sha256: $0["document_sha256"], code: $0["code"]) }
            let next: Int64? = rows.count > limit ? page.last?["rowid"] : nil
            return DossierPage(items: items, nextCursor: next)
        }
    }

    /// Component files of a dossier, newest last.
    public func components(of code: String) async throws -> [StoredComponent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM components WHERE dossier_code = ? ORDER BY id", arguments: [code]).map { row in
                let bytes: Data = row["content"]
                let sha256: String = row["sha256"]
                guard sha256Hex(bytes) == sha256 else {
                    throw StoreError.corrupt(
                        what: "a file of dossier \(code.prefix(64))", detail: "its bytes no longer match the SHA-256 recorded when it was received")
                }
                return StoredComponent(
                    component: ReceivedComponent(
                        code: row["component_code"], name: row["component_code"], fileName: row["file_name"],
                        sizeBytes: row["size_bytes"], sha256: row["sha256"]),
                    bytes: [UInt8](bytes))
            }
        }
    }

    public func dossierCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM dossiers") ?? 0 }
    }

    // MARK: - Rows

    static func fetchDossier(_ db: Database, code: String) throws -> DossierWithSeq? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT document, last_seq, document_sha256 FROM dossiers WHERE code = ?"), arguments: [code]) else {
            return nil
        }
        return DossierWithSeq(dossier: try checkedDossier(row["document"], sha256: row["document_sha256"], code: code), lastSeq: row["last_seq"])
    }

    /// A dossier's document after checking it against the digest stored with it: a row whose bytes changed
    /// on disk is refused (`StoreError.corrupt`), never served as if valid.
    static func checkedDossier(_ document: String, sha256: String?, code: String) throws -> Dossier {
        if let sha256, sha256 != Self.sha256(document) {
            throw StoreError.corrupt(what: "dossier \(code.prefix(64))", detail: "its stored document no longer matches its SHA-256")
        }
        return try decode(Dossier.self, document)
    }

    static let insertDossierSQL = """
        INSERT INTO dossiers(code, procedure_code, procedure_version, state, status, channel, receiving_unit,
            competent_unit, holder_unit, applicant_id_number, assignee, submitted_at_ms, received_at_ms, due_at_ms,
            finished_at_ms, returned_at_ms, last_seq, document, document_sha256)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static let updateDossierSQL = """
        UPDATE dossiers SET code = ?, procedure_code = ?, procedure_version = ?, state = ?, status = ?, channel = ?,
            receiving_unit = ?, competent_unit = ?, holder_unit = ?, applicant_id_number = ?, assignee = ?,
            submitted_at_ms = ?, received_at_ms = ?, due_at_ms = ?, finished_at_ms = ?, returned_at_ms = ?,
            last_seq = ?, document = ?, document_sha256 = ?
        WHERE code = ?
        """

    static let insertComponentSQL = """
        INSERT INTO components(dossier_code, component_code, file_name, size_bytes, sha256, content, added_seq)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """
}
