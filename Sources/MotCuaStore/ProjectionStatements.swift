import GRDB
import MotCuaProtocol

/// The statements that write the national index's rows and stays, prepared once per applied batch (from
/// the connection's statement cache) and run through SQLite's C interface.
final class ProjectionStatements {
    private static let columns = """
        code, node_id, receiving_unit, competent_unit, holder_unit, holder_level, procedure_code, status,
        state, channel, submitted_at_ms, received_at_ms, due_at_ms, finished_at_ms, returned_at_ms, flags, applicant_ref, last_seq,
        receiving_node, competent_node, holder_node, hop, cross_node
        """
    private static let values = "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    private var insertRow: BoundStatement
    private var upsertRow: BoundStatement
    private let upsertHop: Statement
    private let serving: Statement
    /// Which node serves a unit, as the directory says: asked once per unit and batch.
    private var servingNode: [String: String?] = [:]

    init(_ db: Database) throws {
        insertRow = BoundStatement(
            try db.cachedStatement(sql: "INSERT INTO national_dossiers(\(Self.columns)) \(Self.values) ON CONFLICT(code) DO NOTHING"), in: db)
        upsertRow = BoundStatement(try db.cachedStatement(sql: """
            INSERT INTO national_dossiers(\(Self.columns)) \(Self.values)
            ON CONFLICT(code) DO UPDATE SET receiving_node = excluded.receiving_node, competent_node = excluded.competent_node,
                holder_node = excluded.holder_node, hop = excluded.hop, cross_node = excluded.cross_node,
                node_id = excluded.node_id, receiving_unit = excluded.receiving_unit,
                competent_unit = excluded.competent_unit, holder_unit = excluded.holder_unit, holder_level = excluded.holder_level,
                procedure_code = excluded.procedure_code,
                status = excluded.status, state = excluded.state, channel = excluded.channel, submitted_at_ms = excluded.submitted_at_ms,
                received_at_ms = excluded.received_at_ms, due_at_ms = excluded.due_at_ms, finished_at_ms = excluded.finished_at_ms,
                returned_at_ms = excluded.returned_at_ms, flags = excluded.flags, applicant_ref = excluded.applicant_ref,
                last_seq = excluded.last_seq
            """), in: db)
        upsertHop = try db.cachedStatement(sql: """
            INSERT INTO national_hops(code, idx, node, unit, level, arrived_at_ms, received_at_ms, left_at_ms, step_due_at_ms, step)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(code, idx) DO UPDATE SET node = coalesce(excluded.node, node), unit = excluded.unit,
                level = coalesce(excluded.level, level), arrived_at_ms = excluded.arrived_at_ms,
                received_at_ms = coalesce(excluded.received_at_ms, received_at_ms), left_at_ms = coalesce(excluded.left_at_ms, left_at_ms),
                step_due_at_ms = coalesce(excluded.step_due_at_ms, step_due_at_ms), step = coalesce(excluded.step, step)
            """)
        serving = try db.cachedStatement(sql: "SELECT node_id FROM federation_units WHERE code = ?")
    }

    /// Inserts the row of a dossier the index does not hold yet; false, with nothing written, when it does.
    func insertNew(_ row: NationalDossier) throws -> Bool {
        Self.bind(row, to: &insertRow)
        return try insertRow.run() > 0
    }

    /// Writes the row whether or not the index holds the dossier.
    func upsert(_ row: NationalDossier) throws {
        Self.bind(row, to: &upsertRow)
        try upsertRow.run()
    }

    /// Writes the stays; a stay at one of a node's own units names no node: the directory says which.
    func writeHops(_ hops: [String: [Int: NationalHop]], db: Database) throws {
        for (code, byIndex) in hops {
            for hop in byIndex.values {
                var node = hop.node
                if node == nil {
                    if let known = servingNode[hop.unit] {
                        node = known
                    } else {
                        node = try String.fetchOne(serving, arguments: [hop.unit])
                        servingNode[hop.unit] = .some(node)
                    }
                }
                try upsertHop.execute(arguments: [
                    code, hop.index, node, hop.unit, hop.level, hop.arrivedAtMs, hop.receivedAtMs, hop.leftAtMs, hop.stepDueAtMs, hop.step,
                ])
            }
        }
    }

    /// The values in the order of `columns`.
    private static func bind(_ row: NationalDossier, to bound: inout BoundStatement) {
        bound.bind(1, row.code)
        bound.bind(2, row.node)
        bound.bind(3, row.receivingUnit)
        bound.bind(4, row.competentUnit)
        bound.bind(5, row.holderUnit)
        bound.bind(6, row.level)
        bound.bind(7, row.procedureCode)
        bound.bind(8, row.status)
        bound.bind(9, row.state)
        bound.bind(10, row.channel)
        bound.bind(11, row.submittedAtMs)
        bound.bind(12, row.receivedAtMs)
        bound.bind(13, row.dueAtMs)
        bound.bind(14, row.finishedAtMs)
        bound.bind(15, row.returnedAtMs)
        bound.bind(16, row.flags.canonicalText)
        bound.bind(17, row.applicantRef)
        bound.bind(18, row.lastSeq)
        bound.bind(19, row.receivingNode)
        bound.bind(20, row.competentNode)
        bound.bind(21, row.holderNode)
        bound.bind(22, row.hop)
        bound.bind(23, row.crossNode)
    }
}
