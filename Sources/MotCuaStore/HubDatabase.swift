import Foundation
import GRDB
import MotCuaCore
import MotCuaProtocol
import Synchronization

/// The hub's national index: one SQLite file (WAL, synchronous = FULL). A batch and the node's new
/// cursor are applied in one transaction, acknowledged only after it commits.
public final class HubDatabase: NationalIndex {
    let pool: DatabasePool
    let committer: GroupCommitter
    public let path: String
    /// Nodes whose row exists: a batch from them skips the read that would create it.
    private let knownNodes = Mutex<Set<String>>([])

    /// The writer's page cache. A backlog mostly appends: each node's new codes, stays and index entries
    /// land at a few dozen places in each B-tree, so the pages the writer comes back to are few. A larger
    /// cache only kept every new page of a drain resident: fewer page faults and a lower peak at the same
    /// speed (docs/PERFORMANCE.md, "Design choices": the writer's cache).
    static let writerCacheKiB = 8192

    public init(path: String) throws {
        self.path = path
        pool = try openDurablePool(path: path, migrator: Self.migrator, writerCacheKiB: Self.writerCacheKiB)
        committer = GroupCommitter(writer: pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-29-hub-schema") { db in
            try db.execute(sql: """
                CREATE TABLE nodes (
                    node_id TEXT PRIMARY KEY NOT NULL CHECK (length(node_id) BETWEEN 1 AND 64),
                    applied_seq INTEGER NOT NULL DEFAULT 0 CHECK (applied_seq >= 0),
                    applied_hash TEXT NOT NULL CHECK (length(applied_hash) = 64),
                    last_contact_ms INTEGER,
                    lag_ms INTEGER,
                    quarantined_reason TEXT,
                    quarantined_at_ms INTEGER
                );
                CREATE TABLE national_dossiers (
                    code TEXT PRIMARY KEY NOT NULL,
                    node_id TEXT NOT NULL REFERENCES nodes(node_id),
                    receiving_unit TEXT,
                    competent_unit TEXT,
                    holder_unit TEXT,
                    holder_level TEXT,
                    procedure_code TEXT,
                    status INTEGER NOT NULL CHECK (status BETWEEN 1 AND 10),
                    state TEXT,
                    channel TEXT,
                    submitted_at_ms INTEGER,
                    received_at_ms INTEGER,
                    due_at_ms INTEGER,
                    finished_at_ms INTEGER,
                    returned_at_ms INTEGER,
                    flags TEXT NOT NULL,
                    applicant_ref TEXT,
                    last_seq INTEGER NOT NULL
                );
                CREATE INDEX national_by_node_status ON national_dossiers(node_id, status);
                CREATE INDEX national_by_procedure ON national_dossiers(procedure_code);
                CREATE INDEX national_by_due ON national_dossiers(due_at_ms) WHERE finished_at_ms IS NULL;
                """)
        }
        migrator.registerMigration("2026-11-30-routing") { db in
            try db.execute(sql: """
                ALTER TABLE national_dossiers ADD COLUMN receiving_node TEXT;
                ALTER TABLE national_dossiers ADD COLUMN competent_node TEXT;
                ALTER TABLE national_dossiers ADD COLUMN holder_node TEXT;
                ALTER TABLE national_dossiers ADD COLUMN hop INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE national_dossiers ADD COLUMN cross_node INTEGER NOT NULL DEFAULT 0 CHECK (cross_node IN (0, 1));
                -- Rows indexed before routing were filed, decided and held at their own node.
                UPDATE national_dossiers SET receiving_node = node_id, holder_node = node_id;
                -- The receiving node is the row's node (the filing node owns the row): node_id's index serves it.
                CREATE INDEX national_by_holder_node ON national_dossiers(holder_node, status);
                CREATE INDEX national_cross_node ON national_dossiers(code) WHERE cross_node = 1;
                -- The journey of each dossier: one row per stay at a unit, folded from the events' paths.
                CREATE TABLE national_hops (
                    code TEXT NOT NULL,
                    idx INTEGER NOT NULL CHECK (idx >= 0),
                    node TEXT,
                    unit TEXT NOT NULL,
                    level TEXT,
                    arrived_at_ms INTEGER NOT NULL,
                    received_at_ms INTEGER,
                    left_at_ms INTEGER,
                    step_due_at_ms INTEGER,
                    step TEXT,
                    PRIMARY KEY (code, idx)
                ) WITHOUT ROWID;
                -- Which node serves which unit: each node registers its own units.
                CREATE TABLE federation_units (
                    code TEXT PRIMARY KEY NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
                    node_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    level TEXT NOT NULL CHECK (level IN ('ministry','province','district','commune')),
                    parent_code TEXT,
                    updated_at_ms INTEGER NOT NULL
                );
                CREATE INDEX federation_units_by_node ON federation_units(node_id);
                """)
        }
        migrator.registerMigration("2026-12-03-members") { db in
            try db.execute(sql: """
                -- Batches are accepted only from the federation's members: nodes an operator (or the topology
                -- the hub starts with) admitted. Nodes already known when this shipped had been admitted
                -- by use, so they stay members.
                ALTER TABLE nodes ADD COLUMN member INTEGER NOT NULL DEFAULT 0 CHECK (member IN (0, 1));
                UPDATE nodes SET member = 1;
                -- The node's own log head as it last reported it: a head behind applied_seq means the node
                -- lost part of its log.
                ALTER TABLE nodes ADD COLUMN reported_head_seq INTEGER;
                ALTER TABLE nodes ADD COLUMN reported_head_at_ms INTEGER;
                """)
        }
        return migrator
    }

    /// Checkpoints the WAL into the file (truncating it) and closes it; unusable afterwards.
    public func close() throws { try closeDurablePool(pool, committer: committer) }

    // MARK: - Cursors

    /// A node's standing, created at position 0 the first time the node is seen.
    public func standing(of nodeID: String) async throws -> NodeStanding {
        if let existing = try await pool.read({ db in try Self.fetchStanding(db, nodeID) }) { return existing }
        return try await committer.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO nodes(node_id, applied_hash) VALUES (?, ?)", arguments: [nodeID, EventChain.genesisHash])
            return try Self.fetchStanding(db, nodeID)!
        }
    }

    public func standings() async throws -> [NodeStanding] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM nodes ORDER BY node_id").map(Self.standing(from:))
        }
    }

    static func fetchStanding(_ db: Database, _ nodeID: String) throws -> NodeStanding? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM nodes WHERE node_id = ?"), arguments: [nodeID]).map(standing(from:))
    }

    static func standing(from row: Row) -> NodeStanding {
        NodeStanding(
            nodeID: row["node_id"], appliedSeq: row["applied_seq"], appliedHash: row["applied_hash"],
            lastContactMs: row["last_contact_ms"], lagMs: row["lag_ms"], quarantinedReason: row["quarantined_reason"],
            quarantinedAtMs: row["quarantined_at_ms"], member: row["member"] as Bool? ?? true,
            reportedHeadSeq: row["reported_head_seq"])
    }

    // MARK: - Applying batches

    /// Decides and performs a batch in one transaction: the receiver state machine judges it against the
    /// cursor read inside the same transaction, the projection updates the index, the cursor moves, and
    /// the commit is durable before the reply is returned.
    public func receive(
        _ batch: ReplicationBatch, from nodeID: String, limits: ReplicationLimits, nowMs: Int64
    ) async throws -> ReplicationReceiver.Decision {
        // The node's row is created the first time it is seen (rows are never deleted), then known here.
        if !knownNodes.withLock({ $0.contains(nodeID) }) {
            _ = try await standing(of: nodeID)
            knownNodes.withLock { _ = $0.insert(nodeID) }
        }
        // The writer is single: what does not need it is done before. The hashes (only the link to the
        // applied position is checked inside), and the rows of the batch's dossiers as if the index did not
        // hold them yet (in a backlog, most events file new dossiers).
        let links = ReplicationReceiver.checkLinks(of: batch)
        let plan = ProjectionPlan(batch.events, node: nodeID)
        return try await committer.write(weight: batch.events.count) { db in
            guard let standing = try Self.fetchStanding(db, nodeID) else { throw DatabaseError(message: "node vanished") }
            let decision = ReplicationReceiver.decide(
                cursor: standing.cursor, batch: batch, authenticatedNodeID: nodeID, limits: limits, linkCheck: links)
            switch decision {
            case .apply(let events, let newSeq, let newHash):
                try Self.project(events, plan: plan, node: nodeID, db: db)
                let newestMs = events.map(\.timeMs).max() ?? nowMs
                let (lag, overflow) = nowMs.subtractingReportingOverflow(newestMs)
                try db.cachedStatement(sql: """
                    UPDATE nodes SET applied_seq = ?, applied_hash = ?, last_contact_ms = ?, lag_ms = ?, reported_head_seq = ? WHERE node_id = ?
                    """).execute(arguments: [newSeq, newHash, nowMs, overflow ? 0 : max(0, lag), newSeq, nodeID])
            case .quarantine(_, let reason):
                try db.execute(
                    sql: "UPDATE nodes SET quarantined_reason = ?, quarantined_at_ms = ?, last_contact_ms = ? WHERE node_id = ?",
                    arguments: [reason, nowMs, nowMs, nodeID])
            case .reply, .refuse:
                try db.cachedStatement(sql: "UPDATE nodes SET last_contact_ms = ? WHERE node_id = ?").execute(arguments: [nowMs, nodeID])
            }
            return decision
        }
    }

    /// Writes the index rows and journeys of `events` (the part of a batch the receiver applies). The plan
    /// folded every dossier of the batch from nothing, which is right for the dossiers the index has never
    /// seen (in a backlog, most): their rows are inserted as planned, and the insert itself tells which
    /// dossiers the index already holds, with no lookup before. Those, and the dossiers whose events the
    /// plan could not fold from nothing, are folded again here from their rows.
    static func project(_ events: [Event], plan: ProjectionPlan, node: String, db: Database) throws {
        let statements = try ProjectionStatements(db)
        guard plan.covers(events) else {
            // The receiver skipped a prefix: fold the rest from what the index holds.
            let existing = try existingRows(of: events.compactMap(\.dossierCode), db: db)
            let (rows, hops) = NationalProjection.fold(events, payloads: plan.payloads, node: node, from: existing)
            try registerOwners(of: rows.values, node: node, db: db)
            try write(rows: rows, hops: hops, statements: statements, db: db)
            return
        }
        try registerOwners(of: plan.rows.values, node: node, db: db)
        var held = plan.unplanned
        for row in plan.rows.values where try !statements.insertNew(row) {
            held.append(row.code)
        }
        if held.isEmpty {
            try statements.writeHops(plan.hops, db: db)
            return
        }
        let heldCodes = Set(held)
        try statements.writeHops(plan.hops.filter { !heldCodes.contains($0.key) }, db: db)
        let existing = try existingRows(of: held, db: db)
        let refold = events.filter { event in event.dossierCode.map(heldCodes.contains) ?? false }
        // Their owners are registered already: each of these rows is folded from the index's own row (whose
        // owner came in with it) or, with no row there, gives none.
        let (rows, hops) = NationalProjection.fold(refold, payloads: plan.payloads, node: node, from: existing)
        try write(rows: rows, hops: hops, statements: statements, db: db)
    }

    /// Upserts folded rows and their stays (the rows' owners registered before).
    private static func write(
        rows: [String: NationalDossier], hops: [String: [Int: NationalHop]], statements: ProjectionStatements, db: Database
    ) throws {
        try statements.writeHops(hops, db: db)
        for row in rows.values { try statements.upsert(row) }
    }

    /// A dossier first seen through the node that holds it belongs to the node that filed it.
    private static func registerOwners(of rows: some Sequence<NationalDossier>, node: String, db: Database) throws {
        var owners = Set<String>()
        for row in rows where row.node != node { owners.insert(row.node) }
        for owner in owners {
            try db.execute(sql: "INSERT OR IGNORE INTO nodes(node_id, applied_hash) VALUES (?, ?)", arguments: [owner, EventChain.genesisHash])
        }
    }

    /// The rows the index holds of these dossiers, fetched with a few `IN` lists rather than one query each.
    static func existingRows(of dossierCodes: [String], db: Database) throws -> [String: NationalDossier] {
        var seen = Set<String>()
        let codes = dossierCodes.filter { seen.insert($0).inserted }
        var rows: [String: NationalDossier] = [:]
        let chunk = 256
        var start = 0
        while start < codes.count {
            let part = Array(codes[start..<min(start + chunk, codes.count)])
            let sql = "SELECT * FROM national_dossiers WHERE code IN (\(Array(repeating: "?", count: part.count).joined(separator: ",")))"
            // Full chunks share one cached statement; the last, shorter one is prepared once.
            let statement = part.count == chunk ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
            for row in try Row.fetchAll(statement, arguments: StatementArguments(part)) {
                let dossier = dossier(from: row)
                rows[dossier.code] = dossier
            }
            start += part.count
        }
        return rows
    }

    static func dossier(from row: Row) -> NationalDossier {
        var dossier = NationalDossier(code: row["code"], node: row["node_id"], lastSeq: row["last_seq"])
        dossier.receivingUnit = row["receiving_unit"]
        dossier.competentUnit = row["competent_unit"]
        dossier.holderUnit = row["holder_unit"]
        dossier.level = row["holder_level"]
        dossier.procedureCode = row["procedure_code"]
        dossier.status = row["status"]
        dossier.state = row["state"]
        dossier.channel = row["channel"]
        dossier.submittedAtMs = row["submitted_at_ms"]
        dossier.receivedAtMs = row["received_at_ms"]
        dossier.dueAtMs = row["due_at_ms"]
        dossier.finishedAtMs = row["finished_at_ms"]
        dossier.returnedAtMs = row["returned_at_ms"]
        dossier.applicantRef = row["applicant_ref"]
        dossier.receivingNode = row["receiving_node"]
        dossier.competentNode = row["competent_node"]
        dossier.holderNode = row["holder_node"]
        dossier.hop = row["hop"]
        dossier.crossNode = row["cross_node"]
        let flags: String = row["flags"]
        if case .object(let members)? = try? JSONValue.parse(flags) {
            for (name, value) in members { if case .bool(let flag) = value { dossier.flags[name] = flag } }
        }
        return dossier
    }

    /// Lifts a quarantine after an operator has looked; the node resumes from its applied position.
    public func release(_ nodeID: String) async throws -> Bool {
        try await committer.write { db in
            try db.execute(sql: "UPDATE nodes SET quarantined_reason = NULL, quarantined_at_ms = NULL WHERE node_id = ? AND quarantined_reason IS NOT NULL", arguments: [nodeID])
            return db.changesCount > 0
        }
    }

    // MARK: - Membership

    /// The nodes whose batches are accepted.
    public func members() throws -> Set<String> {
        try pool.read { db in Set(try String.fetchAll(db, sql: "SELECT node_id FROM nodes WHERE member = 1")) }
    }

    /// Makes nodes members (a node never seen gets its cursor at position 0); true for each that was not one.
    @discardableResult
    public func admit(_ nodeIDs: [String]) async throws -> [String] {
        try await committer.write { db in
            var added: [String] = []
            for nodeID in nodeIDs {
                try db.execute(
                    sql: """
                        INSERT INTO nodes(node_id, applied_hash, member) VALUES (?, ?, 1)
                        ON CONFLICT(node_id) DO UPDATE SET member = 1 WHERE member = 0
                        """,
                    arguments: [nodeID, EventChain.genesisHash])
                if db.changesCount > 0 { added.append(nodeID) }
            }
            return added
        }
    }

    /// Ends a node's membership; its cursor and its dossiers stay. False when it was not a member.
    public func dismiss(_ nodeID: String) async throws -> Bool {
        try await committer.write { db in
            try db.execute(sql: "UPDATE nodes SET member = 0 WHERE node_id = ? AND member = 1", arguments: [nodeID])
            return db.changesCount > 0
        }
    }

    /// Records the log head a node reports with its batches (a node that lost part of its log reports
    /// a head behind the applied position).
    public func recordReportedHead(_ nodeID: String, headSeq: Int64, nowMs: Int64) async throws {
        try await committer.write(wakesListeners: false) { db in
            try db.cachedStatement(sql: "UPDATE nodes SET reported_head_seq = ?, reported_head_at_ms = ? WHERE node_id = ?")
                .execute(arguments: [headSeq, nowMs, nodeID])
        }
    }

    /// The highest dossier number the index holds for each agency of `nodeID` on each of `days`
    /// (`yyMMdd` as in codes): `agency|yyyy-MM-dd` → number. A node that lost the end of its log resumes
    /// its daily numbering after these, so no code the hub has seen is handed out again.
    public func highestNumbers(of nodeID: String, days: [String]) async throws -> [String: Int] {
        try await pool.read { db in
            var highest: [String: Int] = [:]
            for day in days where day.count == 6 && day.allSatisfy(\.isNumber) {
                let iso = "20\(day.prefix(2))-\(day.dropFirst(2).prefix(2))-\(day.suffix(2))"
                let codes = try String.fetchCursor(
                    db, sql: "SELECT code FROM national_dossiers WHERE node_id = ? AND code GLOB ?", arguments: [nodeID, "*-\(day)-*"])
                while let code = try codes.next() {
                    let parts = code.split(separator: "-")
                    guard parts.count >= 3, parts[parts.count - 2] == day, let number = Int(parts[parts.count - 1]) else { continue }
                    let key = parts.dropLast(2).joined(separator: "-") + "|" + iso
                    highest[key] = max(highest[key] ?? 0, number)
                }
            }
            return highest
        }
    }

    // MARK: - National queries

    /// A dossier's journey, stay by stay.
    public func path(of code: String) async throws -> [NationalHop] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM national_hops WHERE code = ? ORDER BY idx", arguments: [code]).map { row in
                NationalHop(
                    index: row["idx"], node: row["node"], unit: row["unit"], level: row["level"], arrivedAtMs: row["arrived_at_ms"],
                    receivedAtMs: row["received_at_ms"], leftAtMs: row["left_at_ms"], stepDueAtMs: row["step_due_at_ms"], step: row["step"])
            }
        }
    }

    // MARK: - Federation directory

    /// Replaces the units a node serves. A unit already registered by another node is refused (returned),
    /// never taken over silently.
    public func registerUnits(_ units: [FederationUnit], node: String, nowMs: Int64) async throws -> [String] {
        // Nodes register at every start and every ten minutes: an unchanged set costs no write, so the
        // directory's version (and every node's cached copy) stays valid.
        let current = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM federation_units").compactMap { row -> FederationUnit? in
                guard let level = AdministrativeLevel(rawValue: row["level"]) else { return nil }
                return FederationUnit(code: row["code"], node: row["node_id"], name: row["name"], level: level, parentCode: row["parent_code"])
            }
        }
        let conflicts = units.compactMap { unit in
            current.first { $0.code == unit.code && $0.node != node }.map { "\(unit.code) (served by \($0.node))" }
        }
        guard conflicts.isEmpty else { return conflicts }
        if Set(current.filter { $0.node == node }) == Set(units) { return [] }
        return try await committer.write { db in
            try db.execute(sql: "DELETE FROM federation_units WHERE node_id = ?", arguments: [node])
            for unit in units {
                try db.execute(
                    sql: "INSERT INTO federation_units(code, node_id, name, level, parent_code, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [unit.code, node, unit.name, unit.level.rawValue, unit.parentCode, nowMs])
            }
            return []
        }
    }

    /// Changes whenever the set of registered units changes: nodes ask for the directory only when it changed.
    public func federationUnitsVersion() async throws -> String {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*) AS n, max(updated_at_ms) AS at FROM federation_units")
            return "\(row?["n"] as Int? ?? 0)-\(row?["at"] as Int64? ?? 0)"
        }
    }

    public func federationUnits() async throws -> [FederationUnit] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM federation_units ORDER BY code").compactMap { row in
                guard let level = AdministrativeLevel(rawValue: row["level"]) else { return nil }
                return FederationUnit(code: row["code"], node: row["node_id"], name: row["name"], level: level, parentCode: row["parent_code"])
            }
        }
    }

    public func nodeServing(unit code: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT node_id FROM federation_units WHERE code = ?", arguments: [code]) }
    }

    public func dossier(_ code: String) async throws -> NationalDossier? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM national_dossiers WHERE code = ?", arguments: [code]).map(Self.dossier(from:)) }
    }

    public func dossiers(_ filter: NationalFilter) async throws -> (items: [NationalDossier], nextCursor: String?) {
        try await pool.read { db in
            var clauses: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let node = filter.node { clauses.append("node_id = ?"); arguments.append(node) }
            if let status = filter.status { clauses.append("status = ?"); arguments.append(status) }
            if let procedure = filter.procedureCode { clauses.append("procedure_code = ?"); arguments.append(procedure) }
            if let node = filter.receivingNode { clauses.append("node_id = ?"); arguments.append(node) }
            if let node = filter.holderNode { clauses.append("holder_node = ?"); arguments.append(node) }
            // A literal, so the partial index on cross-node dossiers serves it.
            if let cross = filter.crossNode { clauses.append(cross ? "cross_node = 1" : "cross_node = 0") }
            if let now = filter.overdueAtMs {
                clauses.append(OverdueRule.sqlCondition)
                arguments.append(now)
            }
            if let after = filter.after { clauses.append("code > ?"); arguments.append(after) }
            let limit = max(1, min(filter.limit, 500))
            let sql = "SELECT * FROM national_dossiers \(clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")) ORDER BY code LIMIT \(limit + 1)"
            let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            let items = rows.prefix(limit).map(Self.dossier(from:))
            return (items, rows.count > limit ? items.last?.code : nil)
        }
    }

    /// Counts per node: dossiers, by status, overdue at `nowMs`.
    public func summaries(nowMs: Int64) async throws -> [NodeSummary] {
        try await pool.read { db in
            var result: [NodeSummary] = []
            for standing in try Row.fetchAll(db, sql: "SELECT * FROM nodes ORDER BY node_id").map(Self.standing(from:)) {
                var byStatus: [Int: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM national_dossiers WHERE node_id = ? GROUP BY status", arguments: [standing.nodeID]) {
                    byStatus[row["status"]] = row["n"]
                }
                let overdue = try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM national_dossiers WHERE node_id = ? AND \(OverdueRule.sqlCondition)",
                    arguments: [standing.nodeID, nowMs]) ?? 0
                result.append(NodeSummary(standing: standing, dossiers: byStatus.values.reduce(0, +), byStatus: byStatus, overdue: overdue))
            }
            return result
        }
    }
}
