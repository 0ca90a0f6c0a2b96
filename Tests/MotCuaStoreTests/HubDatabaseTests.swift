import Foundation
import GRDB
import MotCuaCore
import MotCuaProtocol
import Testing

@testable import MotCuaStore

/// A node's log as the hub receives it: dossiers filed, then some of them received, sealed with the
/// production chain rules.
private struct NodeLog {
    let node: String
    private(set) var events: [Event] = []

    init(node: String) { self.node = node }

    mutating func append(_ code: String, _ kind: EventKind, _ payload: [String: JSONValue]) {
        let last = events.last
        let draft = EventDraft(
            dossierCode: code, kind: kind, actor: "applicant",
            at: Date(timeIntervalSince1970: 1_772_400_000 + Double(events.count)), payload: .object(payload))
        events.append(EventChain.seal(draft, seq: Int64(events.count + 1), prevHash: last?.hash ?? EventChain.genesisHash, lastHLC: last?.hlc ?? 0))
    }

    mutating func file(_ code: String) {
        append(code, .submitted, [
            "status": .int(1), "state": .string("submitted"), "channel": .string("online"), "procedureCode": .string("1.004873"),
            "receivingNode": .string(node), "holderNode": .string(node), "receivingUnit": .string("P01.D01.C01"),
            "competentUnit": .string("P01.D01.C01"), "holderUnit": .string("P01.D01.C01"), "holderLevel": .string("commune"),
            "applicantRef": .string(String(repeating: "a", count: 64)), "hop": .int(0),
            "flags": .object(["digitised": .bool(true), "paidOnline": .bool(false)]),
            "path": .array([.object(["i": .int(0), "unit": .string("P01.D01.C01"), "arrivedAt": .string("2026-03-02T08:00:00+07:00")])]),
        ])
    }

    mutating func receive(_ code: String) {
        append(code, .received, [
            "status": .int(2), "state": .string("received"), "holderNode": .string(node), "hop": .int(0),
            "dueAt": .string("2026-03-09T17:00:00+07:00"), "flags": .object(["identityVerified": .bool(true)]),
            "path": .array([.object([
                "i": .int(0), "unit": .string("P01.D01.C01"), "arrivedAt": .string("2026-03-02T08:00:00+07:00"),
                "receivedAt": .string("2026-03-02T09:00:00+07:00"), "step": .string("reception"),
            ])]),
        ])
    }

    /// An event that only changes a row the index holds: folded from nothing it gives no row.
    mutating func decide(_ code: String) {
        append(code, .decided, ["status": .int(4), "state": .string("decided")])
    }

    func batch(_ seqs: ClosedRange<Int>) -> ReplicationBatch {
        let slice = Array(events[(seqs.lowerBound - 1)...(seqs.upperBound - 1)])
        return ReplicationBatch(nodeID: node, firstSeq: Int64(seqs.lowerBound), prevHash: slice[0].prevHash, events: slice)
    }

    /// The rows folded one event at a time from nothing: what the index must hold after the whole log.
    var expectedRows: [String: NationalDossier] {
        var rows: [String: NationalDossier] = [:]
        for event in events {
            if let row = NationalProjection.apply(event, node: node, to: rows[event.dossierCode!]) { rows[event.dossierCode!] = row }
        }
        return rows
    }

    /// The stays of each dossier after the whole log.
    var expectedStays: [String: [NationalHop]] {
        NationalProjection.fold(events, node: node, from: [:]).hops.mapValues { $0.values.sorted { $0.index < $1.index } }
    }
}


@Suite("Hub index")
struct HubDatabaseTests {
    /// Batches mixing new dossiers with dossiers the index already holds (one whose event gives no row
    /// when folded from nothing), and a batch re-sent with an applied prefix: the rows and stays folded
    /// before the writer and those folded inside it give the same index as folding the whole log one
    /// event at a time.
    @Test func rowsFoldedBeforeAndInsideTheWriterAgree() async throws {
        let folder = try ScratchFolder("motcua-hub")
        let hub = try HubDatabase(path: folder.path("hub.sqlite"))
        defer { try? hub.close(); folder.remove() }
        var log = NodeLog(node: "p01")
        for index in 1...6 { log.file("D\(index)") }                         // seqs 1-6: new dossiers
        for index in 1...3 { log.receive("D\(index)") }                      // 7-9: known dossiers
        for index in 7...9 { log.file("D\(index)") }                         // 10-12: new again
        log.receive("D7")                                                     // 13: filed in the same batch
        log.receive("D4")                                                     // 14: known
        log.decide("D5")                                                      // 15: known, nothing from nothing
        log.file("D10")                                                       // 16: new
        let limits = ReplicationLimits()
        func apply(_ seqs: ClosedRange<Int>) async throws -> ReplicationReceiver.Decision {
            try await hub.receive(log.batch(seqs), from: "p01", limits: limits, nowMs: 1_772_500_000_000)
        }
        guard case .apply = try await apply(1...6) else { Issue.record("first batch not applied"); return }
        guard case .apply = try await apply(7...12) else { Issue.record("second batch not applied"); return }
        // Re-sent from seq 11 on: 11 and 12 are skipped, 13 and 14 applied.
        guard case .apply(let events, _, _) = try await apply(11...14) else { Issue.record("third batch not applied"); return }
        #expect(events.map(\.seq) == [13, 14])
        guard case .apply = try await apply(15...16) else { Issue.record("fourth batch not applied"); return }
        for (code, expected) in log.expectedRows {
            let row = try #require(try await hub.dossier(code))
            #expect(row == expected, "\(code)")
        }
        #expect(try await hub.dossier("D5")?.status == 4)
        let stays = log.expectedStays
        #expect(stays.count == 10 && stays["D1"]?.first?.receivedAtMs != nil)
        for (code, expected) in stays {
            #expect(try await hub.path(of: code) == expected, "\(code)")
        }
        #expect(try await hub.dossiers(NationalFilter()).items.count == 10)
        let received = try await hub.dossiers(NationalFilter(status: 2)).items.map(\.code)
        #expect(received == ["D1", "D2", "D3", "D4", "D7"])
    }

    /// The flags column is the canonical JSON text of the flags, names escaped where they need it.
    @Test func flagsTextIsCanonicalJSON() throws {
        let cases: [[String: Bool]] = [
            [:], ["digitised": true], ["reused": false, "digitised": true, "paidOnline": false],
            ["quote\"d": true, "back\\slash": false, "đã số hoá": true, "tab\there": false, "Zeta": true, "alpha": false],
        ]
        for flags in cases {
            let text = NationalFlags(flags).canonicalText
            #expect(text == JSONValue.object(flags.mapValues(JSONValue.bool)).canonicalText)
            guard case .object(let parsed) = try JSONValue.parse(text) else { Issue.record("not an object: \(text)"); continue }
            #expect(parsed.mapValues { $0 == .bool(true) } == flags)
            // Built one flag at a time in another order, overwritten and removed: the same flags.
            var built = NationalFlags()
            for (name, value) in flags.sorted(by: { $0.key > $1.key }) {
                built[name] = !value
                built["extra"] = true
                built[name] = value
            }
            if flags["extra"] == nil { built["extra"] = nil }
            #expect(built == NationalFlags(flags))
            #expect(built.dictionary == flags)
            #expect(built.canonicalText == text)
            let decoded = try JSONDecoder().decode(NationalFlags.self, from: JSONEncoder().encode(built))
            #expect(decoded == built)
        }
    }
}

@Suite("Statements bound through SQLite's C interface")
struct BoundStatementTests {
    /// Texts (empty, non-ASCII), integers, booleans and NULLs are stored as given; a refused binding and a
    /// constraint violation throw, and the statement stays usable.
    @Test func valuesAreStoredAndFailuresThrow() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (a TEXT NOT NULL, b TEXT, n INTEGER, flag INTEGER NOT NULL)")
            var bound = BoundStatement(try db.makeStatement(sql: "INSERT INTO t(a, b, n, flag) VALUES (?, ?, ?, ?)"), in: db)
            for (a, b, n, flag) in [("", nil, Int64(7), true), ("Hồ sơ số 1", "x", nil, false)] as [(String, String?, Int64?, Bool)] {
                bound.bind(1, a)
                bound.bind(2, b)
                bound.bind(3, n)
                bound.bind(4, flag)
                try bound.run()
            }
            bound.bind(1, nil as String?)
            bound.bind(4, true)
            #expect(throws: DatabaseError.self) { try bound.run() }
            bound.bind(1, "a")
            bound.bind(99, "no such parameter")
            let refused = #expect(throws: DatabaseError.self) { try bound.run() }
            #expect(refused?.message?.contains("cannot bind parameter 99") == true)
            bound.bind(1, "after")
            bound.bind(4, false)
            try bound.run()
            let rows = try Row.fetchAll(db, sql: "SELECT a, b, n, flag FROM t ORDER BY rowid")
            #expect(rows.map { $0["a"] as String } == ["", "Hồ sơ số 1", "after"])
            #expect(rows.map { $0["b"] as String? } == [nil, "x", nil])
            #expect(rows.map { $0["n"] as Int64? } == [7, nil, nil])
            #expect(rows.map { $0["flag"] as Bool } == [true, false, false])
        }
    }
}

@Suite("Group commit")
struct GroupCommitTests {
    /// Concurrent jobs share transactions. The refused ones (every seventh throws after writing) leave
    /// nothing behind and get their own error; every other job commits and gets its own result.
    @Test func aRefusedJobRollsBackAloneAndTheOthersCommit() async throws {
        let folder = try ScratchFolder("motcua-commit")
        defer { folder.remove() }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("t") { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, note TEXT NOT NULL)") }
        let pool = try openDurablePool(path: folder.path("t.sqlite"), migrator: migrator)
        let committer = GroupCommitter(writer: pool)
        struct Refused: Error, Equatable { let n: Int }
        let outcomes = await withTaskGroup(of: (Int, Result<Int, Refused>).self) { group in
            for n in 0..<300 {
                group.addTask {
                    do {
                        let value = try await committer.write { db -> Int in
                            try db.execute(sql: "INSERT INTO t(n, note) VALUES (?, 'kept')", arguments: [n])
                            if n % 7 == 3 { throw Refused(n: n) }
                            return n * 2
                        }
                        return (n, .success(value))
                    } catch let error as Refused {
                        return (n, .failure(error))
                    } catch {
                        Issue.record("unexpected \(error)")
                        return (n, .failure(Refused(n: -1)))
                    }
                }
            }
            return await group.reduce(into: [Int: Result<Int, Refused>]()) { $0[$1.0] = $1.1 }
        }
        for n in 0..<300 {
            #expect(outcomes[n] == (n % 7 == 3 ? .failure(Refused(n: n)) : .success(n * 2)), "job \(n)")
        }
        let stored = try await pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t ORDER BY n") }
        #expect(stored == (0..<300).filter { $0 % 7 != 3 })
        try committer.close()
        try pool.close()
    }
}
