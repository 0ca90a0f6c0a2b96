import Foundation
import GRDB
import MotCuaCore

/// What the queue of officers can be filtered by.
public struct DossierFilter: Sendable {
    /// Dossiers held by this unit or any unit beneath it.
    public var units: [String]?
    public var status: Int?
    public var procedureCode: String?
    public var overdueAt: Date?
    public var dueBefore: Date?
    /// Rowid of the last item of the previous page.
    public var after: Int64?
    public var limit: Int

    public init(
        units: [String]? = nil, status: Int? = nil, procedureCode: String? = nil, overdueAt: Date? = nil,
        dueBefore: Date? = nil, after: Int64? = nil, limit: Int = 50
    ) {
        self.units = units
        self.status = status
        self.procedureCode = procedureCode
        self.overdueAt = overdueAt
        self.dueBefore = dueBefore
        self.after = after
        self.limit = limit
    }
}

/// A page of the queue.
public struct DossierPage: Sendable {
    public var items: [Dossier]
    public var nextCursor: Int64?
}

/// A stored component file.
public struct StoredComponent: Sendable {
    public var component: ReceivedComponent
    public var bytes: [UInt8]
}

/// What the caller must supply to turn a submission into a stored dossier, computed outside the
/// transaction from cached catalogue and unit data.
public struct IntakePlan: Sendable {
    public var submission: DossierSubmission
    public var receiving: AdministrativeUnit
    public var competent: AdministrativeUnit
    public var context: DossierContext

    public init(submission: DossierSubmission, receiving: AdministrativeUnit, competent: AdministrativeUnit, context: DossierContext) {
        self.submission = submission
        self.receiving = receiving
        self.competent = competent
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

    public var description: String {
        switch self {
        case .dossierNotFound(let code): "no dossier \(code) at this node"
        case .sequenceExhausted(let agency, let day): "agency \(agency) has used every dossier number of \(day)"
        case .invalidAgencyCode(let agency, let reason): "the unit's agency code \(agency) cannot prefix a dossier code: \(reason)"
        }
    }
}

extension NodeDatabase {
    /// Files a new dossier: allocates its code from the receiving agency's daily sequence, stores the
    /// dossier, its component files and the event in one transaction, and returns after the commit.
    public func submit(_ plan: IntakePlan) async throws -> DossierOutcome {
        try await committer.write { db in
            let day = VietnamTime.localDate(of: plan.context.now)
            let agency = plan.receiving.agencyCode
            let sequence = try Int.fetchOne(
                db,
                sql: """
                    INSERT INTO daily_sequences(agency_code, day, last) VALUES (?, ?, 1)
                    ON CONFLICT(agency_code, day) DO UPDATE SET last = last + 1 RETURNING last
                    """,
                arguments: [agency, day.iso]) ?? 1
            let code: DossierCode
            do {
                code = try DossierCode(agencyCode: agency, date: (day.year, day.month, day.day), sequence: sequence)
            } catch IdentifierError.sequenceOutOfRange(_) {
                throw StoreError.sequenceExhausted(agency: agency, day: day.iso)
            } catch {
                throw StoreError.invalidAgencyCode(agency: agency, reason: "\(error)")
            }
            let outcome = DossierMachine.intake(
                plan.submission, code: code.value, receiving: plan.receiving, competent: plan.competent, context: plan.context)
            let seq = try Self.append(outcome.event, db: db)
            try Self.insertDossier(outcome.dossier, lastSeq: seq, db: db)
            try Self.storeUploads(outcome.uploads, dossierCode: code.value, seq: seq, db: db)
            return outcome
        }
    }

    /// Applies an action to a dossier inside one transaction: reads it, lets the state machine decide,
    /// writes the new row, the event and any documents. `prepare` runs inside the transaction with the
    /// current dossier and returns the context (procedure version, clock, actor) and checks scope.
    public func perform(
        _ command: DossierCommand, on code: String,
        prepare: @escaping @Sendable (Dossier) throws -> DossierContext
    ) async throws -> DossierOutcome {
        try await committer.write { db in
            guard let current = try Self.fetchDossier(db, code: code) else { throw StoreError.dossierNotFound(code) }
            let context = try prepare(current.dossier)
            let outcome = try DossierMachine.apply(command, to: current.dossier, context: context)
            let seq = try Self.append(outcome.event, db: db)
            try Self.updateDossier(outcome.dossier, lastSeq: seq, db: db)
            try Self.storeUploads(outcome.uploads, dossierCode: code, seq: seq, db: db)
            return outcome
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
                db, sql: "SELECT rowid, document FROM dossiers \(whereClause) ORDER BY rowid LIMIT \(limit + 1)",
                arguments: arguments)
            let page = rows.prefix(limit)
            let items = try page.map { try Self.decode(Dossier.self, $0["document"] as String) }
            let next: Int64? = rows.count > limit ? page.last?["rowid"] : nil
            return DossierPage(items: items, nextCursor: next)
        }
    }

    /// Component files of a dossier, newest last.
    public func components(of code: String) async throws -> [StoredComponent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM components WHERE dossier_code = ? ORDER BY id", arguments: [code]).map { row in
                let bytes: Data = row["content"]
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
        guard let row = try Row.fetchOne(db, sql: "SELECT document, last_seq FROM dossiers WHERE code = ?", arguments: [code]) else {
            return nil
        }
        return DossierWithSeq(dossier: try decode(Dossier.self, row["document"]), lastSeq: row["last_seq"])
    }

    static func dossierArguments(_ dossier: Dossier, lastSeq: Int64) throws -> StatementArguments {
        [
            dossier.code, dossier.procedureCode, dossier.procedureVersion, dossier.state.rawValue, dossier.status,
            dossier.channel.rawValue, dossier.receivingUnit, dossier.competentUnit, dossier.holderUnit,
            dossier.applicant.idNumber, dossier.assignee, ms(dossier.submittedAt), ms(dossier.receivedAt),
            ms(dossier.clockPaused ? nil : dossier.dueAt), ms(dossier.finishedAt), ms(dossier.returnedAt), lastSeq, try encode(dossier),
        ]
    }

    static func insertDossier(_ dossier: Dossier, lastSeq: Int64, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO dossiers(code, procedure_code, procedure_version, state, status, channel, receiving_unit,
                    competent_unit, holder_unit, applicant_id_number, assignee, submitted_at_ms, received_at_ms, due_at_ms,
                    finished_at_ms, returned_at_ms, last_seq, document)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: try dossierArguments(dossier, lastSeq: lastSeq))
    }

    static func updateDossier(_ dossier: Dossier, lastSeq: Int64, db: Database) throws {
        try db.execute(
            sql: """
                UPDATE dossiers SET code = ?, procedure_code = ?, procedure_version = ?, state = ?, status = ?, channel = ?,
                    receiving_unit = ?, competent_unit = ?, holder_unit = ?, applicant_id_number = ?, assignee = ?,
                    submitted_at_ms = ?, received_at_ms = ?, due_at_ms = ?, finished_at_ms = ?, returned_at_ms = ?,
                    last_seq = ?, document = ?
                WHERE code = ?
                """,
            arguments: try dossierArguments(dossier, lastSeq: lastSeq) + [dossier.code])
    }

    static func storeUploads(_ uploads: [ComponentUpload], dossierCode: String, seq: Int64, db: Database) throws {
        for upload in uploads {
            try db.execute(
                sql: """
                    INSERT INTO components(dossier_code, component_code, file_name, size_bytes, sha256, content, added_seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [dossierCode, upload.code, upload.fileName, upload.bytes.count, upload.sha256, Data(upload.bytes), seq])
        }
    }
}
