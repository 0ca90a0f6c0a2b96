import Foundation
import GRDB
import MotCuaCore
import Synchronization
import Testing

@testable import MotCuaStore

/// A fresh folder under the system's temporary directory, for one test's files.
struct ScratchFolder {
    let url: URL

    init(_ prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A node database in a fresh temporary folder, seeded with Hà Nội's units and the sample catalogue.
struct TemporaryNode {
    let directory: URL
    let database: NodeDatabase
    let units = UnitDirectory(SampleUnits.hanoi)
    let deadlines = DeadlineCalculator(calendar: WorkingCalendar())
    let now = VietnamTime.parseISO8601("2026-03-02T09:00:00+07:00")!

    init() async throws {
        let folder = try ScratchFolder("motcua-store")
        directory = folder.url
        database = try NodeDatabase(path: folder.path("node.sqlite"))
        try await database.upsertUnits(SampleUnits.hanoi)
        try await database.upsertProcedures(SampleCatalogue.procedures)
    }

    var path: String { database.path }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func context(_ actor: Actor, procedure: Procedure, at offset: TimeInterval = 0) -> DossierContext {
        var context = DossierContext(procedure: procedure, units: units, deadlines: deadlines, now: now.addingTimeInterval(offset), actor: actor)
        // The officer an `assign` names, as the node would look them up.
        context.assignee = .officer(username: "specialist", roles: [.specialist], units: ["P01"])
        return context
    }

    /// Files an online dossier for a commune-level procedure at a commune.
    func submitOnline(_ index: Int, commune: String = "P01.D01.C01") async throws -> DossierOutcome {
        let procedure = SampleCatalogue.procedure("1.004873")!  // certificate of marital status, commune level
        var submission = DossierSubmission(
            procedureCode: procedure.code, channel: .online,
            applicant: Applicant(idNumber: String(format: "0010950%05d", index % 100_000), fullName: "Công dân \(index)"),
            components: procedure.components.filter(\.mandatory).map {
                ComponentUpload(code: $0.code, fileName: "\($0.code).pdf", bytes: Array("tệp \(index) \($0.code)".utf8))
            },
            unit: commune)
        let context = context(.applicant, procedure: procedure)
        let route = try DossierMachine.route(&submission, context: context)
        return try await database.submit(IntakePlan(submission: submission, route: route, context: context))
    }

    func act(_ code: String, _ command: DossierCommand, as actor: Actor) async throws -> DossierOutcome {
        let procedure = SampleCatalogue.procedure("1.004873")!
        return try await database.perform(command, on: code) { _ in context(actor, procedure: procedure, at: 60) }
    }
}

let receiver = Actor.officer(username: "receiver", roles: [.receiver], units: ["P01"])
let leader = Actor.officer(username: "leader", roles: [.leader], units: ["P01"])
let specialist = Actor.officer(username: "specialist", roles: [.specialist], units: ["P01"])

@Suite("Node database")
struct NodeDatabaseTests {
    @Test func migrationsAreIdempotentAndWALIsOn() async throws {
        let node = try await TemporaryNode()
        defer { node.remove() }
        try node.database.close()
        let reopened = try NodeDatabase(path: node.path)
        let mode = try await reopened.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        // Read on the writer connection: that is the one whose commits must be fsynced.
        let synchronous = try await reopened.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(mode == "wal")
        #expect(synchronous == 2, "synchronous = FULL: commits are fsynced")
        #expect(try await reopened.units().count == SampleUnits.hanoi.count)
        let applied = try await reopened.pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["2026-11-29-node-schema", "2026-11-30-routing", "2026-12-03-hardening", "2026-12-05-admins-without-units"])
    }

    @Test func dossierCodesFollowTheAgencyAndDay() async throws {
        let node = try await TemporaryNode()
        defer { node.remove() }
        let first = try await node.submitOnline(1)
        let second = try await node.submitOnline(2)
        let elsewhere = try await node.submitOnline(3, commune: "P01.D02.C01")
        #expect(first.dossier.code == "000.01.01.H01-260302-0001")
        #expect(second.dossier.code == "000.01.01.H01-260302-0002")
        #expect(elsewhere.dossier.code == "000.01.02.H01-260302-0001")
        let stored = try #require(try await node.database.dossier(first.dossier.code))
        #expect(stored.dossier == first.dossier)
        let files = try await node.database.components(of: first.dossier.code)
        #expect(files.count == first.dossier.components.count)
        #expect(files.allSatisfy { ComponentUpload(code: $0.component.code, fileName: "", bytes: $0.bytes).sha256 == $0.component.sha256 })
    }

    /// 10,000 mixed operations, most of them concurrent (group commit), some refused: the chain stays
    /// intact, every accepted change has exactly one event, refused ones left nothing behind.
    @Test func chainIntactAfterTenThousandMixedOperations() async throws {
        let node = try await TemporaryNode()
        defer { node.remove() }
        let dossiers = 2_000
        let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<dossiers {
                group.addTask {
                    var events = 0
                    let code = try await node.submitOnline(index, commune: ["P01.D01.C01", "P01.D02.C02", "P01.D04.C03"][index % 3]).dossier.code
                    events += 1
                    _ = try await node.act(code, .receive(note: nil), as: receiver)
                    events += 1
                    // An illegal move in the middle: refused, rolled back alone.
                    await #expect(throws: DossierError.self) { try await node.act(code, .returnResult(note: nil, satisfaction: nil), as: receiver) }
                    _ = try await node.act(code, .assign(assignee: "specialist", note: nil), as: leader)
                    events += 1
                    if index % 4 == 0 {
                        _ = try await node.act(code, .requestSupplement(items: ["bản sao"], note: nil), as: specialist)
                        _ = try await node.act(code, .supplement(components: [], note: "đã nộp bổ sung"), as: .applicant)
                        events += 2
                    }
                    _ = try await node.act(code, .decide(outcome: .approved, reason: nil, resultSummary: nil, resultDocument: nil), as: leader)
                    return events + 1
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(accepted + dossiers >= 10_000, "accepted plus refused operations")
        let report = try await node.database.verifyChain()
        #expect(report.intact)
        #expect(report.eventsChecked == Int64(accepted))
        #expect(try await node.database.dossierCount() == dossiers)
        // Each dossier's row points at its own last event.
        let mismatched = try await node.database.pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM dossiers d
                WHERE d.last_seq <> (SELECT max(seq) FROM events e WHERE e.dossier_code = d.code)
                """)
        }
        #expect(mismatched == 0)
    }

    /// The head the replication agent reads without a query: set by the writer after each commit, before
    /// the commit's listeners run, untouched by a refused change, and read from the file on opening.
    @Test func theCommittedHeadFollowsEveryCommit() async throws {
        let node = try await TemporaryNode()
        defer { node.remove() }
        #expect(node.database.committedHead == (try await node.database.head().seq))
        let seen = Mutex<[Int64]>([])
        let listening = node.database.commits.subscribe { seen.withLock { $0.append(node.database.committedHead) } }
        let codes = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<40 { group.addTask { try await node.submitOnline(index).dossier.code } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let head = try await node.database.head().seq
        #expect(node.database.committedHead == head)
        // Each wake-up saw the head of its own commit: never behind an earlier one, the last one the head.
        let heads = seen.withLock { $0 }
        #expect(!heads.isEmpty && heads == heads.sorted() && heads.last == head)
        // The newest events are held in memory, the same as the rows in the file.
        let fromFile = try await node.database.pool.read { db in try NodeDatabase.readEvents(db, after: head - 10, limit: 100) }
        #expect(fromFile.count == 10)
        #expect(node.database.committedTail.events(after: head - 10, limit: 100) == fromFile)
        #expect(node.database.committedTail.events(after: head - 10, limit: 3) == Array(fromFile.prefix(3)))
        #expect(try await node.database.events(after: head - 10, limit: 100) == fromFile)
        // A refused change commits nothing and leaves it where it was.
        await #expect(throws: DossierError.self) { try await node.act(codes[0], .returnResult(note: nil, satisfaction: nil), as: receiver) }
        #expect(node.database.committedHead == head)
        listening.cancel()
        _ = try await node.act(codes[0], .receive(note: nil), as: receiver)
        #expect(node.database.committedHead == head + 1)
        try node.database.close()
        // Opened again: the head from the file, no events in memory yet; reads come from the file.
        let reopened = try NodeDatabase(path: node.path)
        #expect(reopened.committedHead == head + 1)
        #expect(reopened.committedTail.events(after: head - 10, limit: 100) == nil)
        #expect(try await reopened.events(after: head - 10, limit: 100).map(\.seq) == Array((head - 9)...(head + 1)))
    }

    /// The events held in memory stay contiguous up to the head: a commit of more than the capacity
    /// starts them again, and they are trimmed in steps; a position before the first held is not served.
    @Test func theCommittedTailHoldsOnlyContiguousNewestEvents() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE events(seq INTEGER PRIMARY KEY, dossier_code, kind, actor, time_ms, hlc, payload, prev_hash, hash)")
        }
        func commit(upTo last: Int64, tail: CommittedTail) throws {
            try queue.write { db in
                let from = (try Int64.fetchOne(db, sql: "SELECT max(seq) FROM events") ?? 0) + 1
                for seq in from...last {
                    try db.execute(
                        sql: "INSERT INTO events VALUES (?, 'D', 'k', 'a', 0, 0, '{}', ?, ?)", arguments: [seq, "h\(seq - 1)", "h\(seq)"])
                }
            }
            queue.inDatabase { db in tail.update(db) }
        }
        let tail = CommittedTail(head: 0)
        try commit(upTo: 3, tail: tail)
        try commit(upTo: 5, tail: tail)
        #expect(tail.head == 5)
        #expect(tail.events(after: 0, limit: 10)?.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(tail.events(after: 3, limit: 1)?.map(\.hash) == ["h4"])
        #expect(tail.events(after: 5, limit: 10) == nil)
        // More than the capacity in one commit: nothing held until the next commit.
        let big = 5 + Int64(CommittedTail.capacity) + 1
        try commit(upTo: big, tail: tail)
        #expect(tail.head == big)
        #expect(tail.events(after: big - 1, limit: 10) == nil)
        try commit(upTo: big + 2, tail: tail)
        #expect(tail.events(after: big, limit: 10)?.map(\.seq) == [big + 1, big + 2])
        #expect(tail.events(after: big - 1, limit: 10) == nil)
        // Many small commits: the oldest are let go, the newest stay contiguous.
        for step in 1...(3 * CommittedTail.capacity) { try commit(upTo: big + 2 + Int64(step), tail: tail) }
        let head = big + 2 + Int64(3 * CommittedTail.capacity)
        #expect(tail.events(after: big + 2, limit: 10) == nil)
        let held = tail.events(after: head - Int64(CommittedTail.capacity), limit: 10_000)
        #expect(held?.map(\.seq) == Array((head - Int64(CommittedTail.capacity) + 1)...head))
    }

    @Test func tamperedEventIsDetectedAndNamed() async throws {
        let node = try await TemporaryNode()
        defer { node.remove() }
        for index in 0..<20 { _ = try await node.submitOnline(index) }
        #expect(try await node.database.verifyChain().intact)

        // The log refuses ordinary edits ...
        await #expect(throws: DatabaseError.self) {
            try await node.database.pool.write { db in try db.execute(sql: "UPDATE events SET actor = 'x' WHERE seq = 7") }
        }
        // ... so a forger drops the guard with raw SQL and rewrites an old event.
        try node.database.close()
        let raw = try DatabaseQueue(path: node.path)
        try await raw.write { db in
            try db.execute(sql: "DROP TRIGGER events_no_update")
            try db.execute(sql: "UPDATE events SET payload = replace(payload, 'online', 'counter') WHERE seq = 7")
        }
        try raw.close()
        let report = try await NodeDatabase(path: node.path).verifyChain()
        #expect(!report.intact)
        #expect(report.firstBreakSeq == 7)
        #expect(report.headSeq == 6, "the last good link")
        #expect(report.firstBreak?.contains("altered") == true)
    }

    @Test func schemaRefusesImpossibleRows() async throws {
        let node = try await TemporaryNode()
        defer { node.remove() }
        let code = try await node.submitOnline(1).dossier.code
        await #expect(throws: DatabaseError.self) {
            try await node.database.pool.write { db in try db.execute(sql: "UPDATE dossiers SET status = 11 WHERE code = ?", arguments: [code]) }
        }
        await #expect(throws: DatabaseError.self) {
            // Units may belong to other nodes now, but a unit code is never empty.
            try await node.database.pool.write { db in try db.execute(sql: "UPDATE dossiers SET holder_unit = '' WHERE code = ?", arguments: [code]) }
        }
        await #expect(throws: DatabaseError.self) {
            try await node.database.pool.write { db in try db.execute(sql: "DELETE FROM events") }
        }
    }

    @Test func queueFiltersAndPages() async throws {
        let node = try await TemporaryNode()
        defer { node.remove() }
        var codes: [String] = []
        for index in 0..<7 { codes.append(try await node.submitOnline(index, commune: index < 5 ? "P01.D01.C01" : "P01.D02.C01").dossier.code) }
        _ = try await node.act(codes[0], .receive(note: nil), as: receiver)
        let units = node.units
        let within: @Sendable ([String]) -> [String] = { roots in
            units.units.keys.filter { code in roots.contains { units.isWithin(code, ancestor: $0) } }
        }
        var seen: [String] = []
        var cursor: Int64?
        repeat {
            let page = try await node.database.dossiers(DossierFilter(units: ["P01.D01"], after: cursor, limit: 2), unitsWithin: within)
            seen += page.items.map(\.code)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == Array(codes.prefix(5)))
        let received = try await node.database.dossiers(DossierFilter(status: 2), unitsWithin: within)
        #expect(received.items.map(\.code) == [codes[0]])
        let overdue = try await node.database.dossiers(
            DossierFilter(overdueAt: node.now.addingTimeInterval(30 * 86_400)), unitsWithin: within)
        #expect(overdue.items.map(\.code) == [codes[0]], "only the received one has a running clock")
    }
}

@Suite("Node database upgrade")
struct NodeDatabaseUpgradeTests {
    /// A node file written by the first schema keeps its dossiers, files and log through the routing
    /// migration (which rebuilds the dossiers table), and every foreign key still holds.
    @Test func theRoutingMigrationKeepsExistingDossiers() async throws {
        let folder = try ScratchFolder("motcua-upgrade")
        defer { folder.remove() }
        let path = folder.path("node.sqlite")
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        let old = try DatabasePool(path: path, configuration: configuration)
        try NodeDatabase.migrator.migrate(old, upTo: "2026-11-29-node-schema")
        let hash = String(repeating: "a", count: 64)
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO units(code, name, level, agency_code, document) VALUES ('P01', 'Hà Nội', 'province', '000.00.00.H01', '{}');
                INSERT INTO procedures(code, version, name, level, online_mode, fee_vnd, document) VALUES ('1.004873', 1, 'Xác nhận', 'province', 'none', 0, '{}');
                INSERT INTO events(seq, dossier_code, kind, actor, time_ms, hlc, payload, prev_hash, hash)
                    VALUES (1, 'D1', 'dossier.received', 'officer:receiver', 1000, 1, '{}', '\(String(repeating: "0", count: 64))', '\(hash)');
                INSERT INTO dossiers(code, procedure_code, procedure_version, state, status, channel, receiving_unit, competent_unit, holder_unit,
                    applicant_id_number, submitted_at_ms, received_at_ms, due_at_ms, last_seq, document)
                    VALUES ('D1', '1.004873', 1, 'received', 2, 'counter', 'P01', 'P01', 'P01', '001095012345', 1000, 1000, 99000, 1, '{"k":1}');
                INSERT INTO components(dossier_code, component_code, file_name, size_bytes, sha256, content, added_seq)
                    VALUES ('D1', 'TP1', 'a.pdf', 3, '\(hash)', x'010203', 1);
                INSERT INTO officers(username, full_name, password_hash, roles, units, active)
                    VALUES ('desk', 'Lê Thị Hoa', '\(String(repeating: "h", count: 60))', 'receiver', 'P01', 1);
                INSERT INTO sessions(token_hash, username, created_at_ms, expires_at_ms) VALUES ('\(hash)', 'desk', 1000, 9999999999999);
                """)
        }
        try old.close()

        let upgraded = try NodeDatabase(path: path)
        let row = try upgraded.pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM dossiers WHERE code = 'D1'") }
        let problems = try upgraded.pool.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }
        let applied = try await upgraded.pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["2026-11-29-node-schema", "2026-11-30-routing", "2026-12-03-hardening", "2026-12-05-admins-without-units"])
        // The officers table is rebuilt: the account and its session stay (the session's foreign key holds).
        #expect(try await upgraded.officer("desk")?.units == ["P01"])
        #expect(try await upgraded.officer(forTokenHash: hash, at: Date(timeIntervalSince1970: 2))?.username == "desk")
        let holder: String? = row?["holder_unit"]
        let due: Int64? = row?["due_at_ms"]
        let document: String? = row?["document"]
        #expect(holder == "P01")
        #expect(due == 99000)
        #expect(document == #"{"k":1}"#)
        #expect(problems.isEmpty, "foreign keys after the rebuild: \(problems)")
        #expect(try await upgraded.files(of: "D1").map(\.bytes) == [[1, 2, 3]])
        // And the rebuilt table still refuses impossible rows.
        await #expect(throws: DatabaseError.self) {
            try await upgraded.pool.write { db in try db.execute(sql: "UPDATE dossiers SET status = 11 WHERE code = 'D1'") }
        }
        try upgraded.close()
    }
}

@Suite("Checkpoints off the writer")
struct CheckpointTests {
    /// Commits only append to the WAL (the writer's own checkpoint is a far-off backstop); the pages reach
    /// the database file through the background checkpoint shortly after, with no further write.
    @Test func committedPagesReachTheDatabaseFileWithoutTheWriter() async throws {
        let folder = try ScratchFolder("motcua-checkpoint")
        defer { folder.remove() }
        let path = folder.path("hub.sqlite")
        let hub = try HubDatabase(path: path)
        func fileSize(_ path: String) throws -> Int { (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        // Let the checkpoint the migrations scheduled pass, then measure.
        try await Task.sleep(for: .milliseconds(600))
        let before = try fileSize(path)
        let units = (0..<4000).map { FederationUnit(code: "U\($0)", node: "p01", name: "Đơn vị số \($0) của tỉnh thử nghiệm", level: .commune) }
        #expect(try await hub.registerUnits(units, node: "p01", nowMs: 1).isEmpty)
        let written = try fileSize(path + "-wal")
        #expect(written > 200_000, "the units are in the WAL (\(written) bytes)")
        var after = try fileSize(path)
        for _ in 0..<50 where after < before + 200_000 {
            try await Task.sleep(for: .milliseconds(100))
            after = try fileSize(path)
        }
        #expect(after >= before + 200_000, "database file \(before) → \(after) bytes after the background checkpoint")
        try hub.close()
        // Closed cleanly: reopening finds every unit.
        let reopened = try HubDatabase(path: path)
        #expect(try await reopened.federationUnits().count == 4000)
        try reopened.close()
    }
}
