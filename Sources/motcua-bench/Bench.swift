import ArgumentParser
import AsyncHTTPClient
import Foundation
import GRDB
import MotCuaAPI
import MotCuaCore
import NIOCore
import NIOHTTP1
import Synchronization

/// `motcua-bench`: load and baseline tools behind scripts/bench-intake and scripts/bench-federation (not part of a node).
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "motcua-bench", abstract: "Measure a node (HTTP intake load, the raw SQLite insert baseline) and the hub's apply path.",
        subcommands: [Intake.self, RawInsert.self, HubApply.self])
}

/// Online submissions against a running node, closed-loop (as fast as it answers) or at a fixed rate.
struct Intake: AsyncParsableCommand {
    @Option(help: "Node base URL.") var url = "http://127.0.0.1:8080"
    @Option(help: "Concurrent connections.") var concurrency = 64
    @Option(help: "Seconds to run.") var duration = 20.0
    @Option(help: "Requests per second (open loop); omit for closed loop.") var rate: Double?
    @Option(help: "First applicant index (keeps ID numbers distinct across runs).") var start = 0
    @Option(help: "Stop after this many requests.") var maxRequests = 1_000_000
    @Option(help: "Competent units to file at, comma-separated (default: Hà Nội's sample communes).") var units: String?
    @Flag(help: "Print one JSON line.") var json = false

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let recorder = Recorder()
        let begin = ContinuousClock.now
        let end = begin + .milliseconds(Int(duration * 1000))
        let counter = SharedCounter(start)
        let limit = start + maxRequests
        @Sendable func nextIndex() -> Int? { counter.next(below: limit) }
        await withTaskGroup(of: Void.self) { group in
            if let rate {
                // Open loop: requests start on schedule whether or not earlier ones have finished.
                let interval = Duration.nanoseconds(Int64(1e9 / rate))
                let inFlight = SharedCounter(0)
                var due = begin
                while due < end, let index = nextIndex() {
                    let now = ContinuousClock.now
                    if due > now { try? await Task.sleep(until: due, clock: .continuous) }
                    due += interval
                    guard inFlight.next(below: concurrency * 8) != nil else { recorder.record(error: "client backlog full"); continue }
                    group.addTask {
                        await send(client, index: index, recorder: recorder)
                        inFlight.decrement()
                    }
                }
            } else {
                for _ in 0..<concurrency {
                    group.addTask {
                        while ContinuousClock.now < end, let index = nextIndex() {
                            await send(client, index: index, recorder: recorder)
                        }
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - begin
        try await client.shutdown()
        let report = recorder.report(elapsedSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        print(json ? report.json : report.text)
    }

    func send(_ client: HTTPClient, index: Int, recorder: Recorder) async {
        // Without an Idempotency-Key, as the intake figures in docs/PERFORMANCE.md were measured.
        var request = NodeAPI.file(Self.body(index, units: unitList))
        request.idempotent = false
        let started = ContinuousClock.now
        do {
            let response = try await APIClient(baseURL: url, http: client).response(request)
            let latency = ContinuousClock.now - started
            if response.status == 201 {
                recorder.record(latency: latency)
            } else {
                recorder.record(error: "HTTP \(response.status)")
            }
        } catch {
            recorder.record(error: "\(type(of: error))")
        }
    }

    var unitList: [String] {
        units.map { $0.split(separator: ",").map(String.init) } ?? [
            "P01.D01.C01", "P01.D01.C02", "P01.D01.C03", "P01.D02.C01", "P01.D02.C02", "P01.D02.C03",
            "P01.D03.C01", "P01.D03.C02", "P01.D03.C03", "P01.D04.C01", "P01.D04.C02", "P01.D04.C03",
        ]
    }

    /// A certificate-of-marital-status request at one of the given communes, with two small files.
    static func body(_ index: Int, units communes: [String]) -> SubmissionBody {
        let file = Data("tệp \(index)".utf8)
        return SubmissionBody(
            procedureCode: "1.004873", channel: .online,
            applicant: Applicant(idNumber: String(format: "0010950%05d", index % 100_000), fullName: "Công dân \(index)", phone: "0912345678"),
            components: [
                UploadBody(code: "TP1", fileName: "to-khai.pdf", bytes: file), UploadBody(code: "TP2", fileName: "cccd.pdf", bytes: file),
            ],
            unit: communes[index % communes.count])
    }
}

/// Latencies and errors of a run.
final class Recorder: Sendable {
    private struct State {
        var latenciesMicroseconds: [Int] = []
        var errors: [String: Int] = [:]
    }
    private let state = Mutex(State())

    func record(latency: Duration) {
        let micros = Int(latency.components.seconds * 1_000_000) + Int(latency.components.attoseconds / 1_000_000_000_000)
        state.withLock { $0.latenciesMicroseconds.append(micros) }
    }

    func record(error: String) { state.withLock { $0.errors[error, default: 0] += 1 } }

    struct Report {
        var text: String
        var json: String
    }

    func report(elapsedSeconds: Double) -> Report {
        let (latencies, errors) = state.withLock { ($0.latenciesMicroseconds.sorted(), $0.errors) }
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1000
        }
        let throughput = Double(latencies.count) / elapsedSeconds
        let errorCount = errors.values.reduce(0, +)
        let text = String(
            format: "%d ok, %d errors in %.1f s: %.0f submissions/s; latency ms p50 %.2f  p90 %.2f  p99 %.2f  max %.2f%@",
            latencies.count, errorCount, elapsedSeconds, throughput, percentile(0.5), percentile(0.9), percentile(0.99),
            percentile(1.0), errors.isEmpty ? "" : "  errors: \(errors)")
        let json = String(
            format: #"{"ok":%d,"errors":%d,"seconds":%.2f,"perSecond":%.1f,"p50ms":%.3f,"p90ms":%.3f,"p99ms":%.3f,"maxms":%.3f}"#,
            latencies.count, errorCount, elapsedSeconds, throughput, percentile(0.5), percentile(0.9), percentile(0.99), percentile(1.0))
        return Report(text: text, json: json)
    }
}

/// The ceiling: the same dossier rows inserted straight into the same SQLite file, in large
/// transactions with the same durability (WAL, synchronous = FULL), no HTTP and no domain logic.
struct RawInsert: AsyncParsableCommand {
    @Option(help: "The node's SQLite file (a scratch table is created and dropped).") var path: String
    @Option(help: "Rows to insert.") var count = 100_000
    @Option(help: "Rows per transaction.") var batch = 1_000
    @Flag(help: "Print one JSON line.") var json = false

    func run() async throws {
        let pool = try DatabasePool(path: path)
        try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let sample = try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT document FROM dossiers ORDER BY rowid DESC LIMIT 1")
        }
        guard let document = sample else { throw ValidationError("the node has no dossier to copy; run the intake load first") }
        let payload = try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT payload FROM events ORDER BY seq DESC LIMIT 1")
        } ?? "{}"
        try await pool.write { db in
            try db.execute(sql: "DROP TABLE IF EXISTS bench_raw_dossiers; DROP TABLE IF EXISTS bench_raw_events")
            try db.execute(sql: "CREATE TABLE bench_raw_dossiers AS SELECT * FROM dossiers WHERE 0")
            try db.execute(sql: "CREATE UNIQUE INDEX bench_raw_dossiers_code ON bench_raw_dossiers(code)")
            try db.execute(sql: "CREATE TABLE bench_raw_events (seq INTEGER PRIMARY KEY, dossier_code TEXT, kind TEXT, actor TEXT, time_ms INTEGER, hlc INTEGER, payload TEXT, prev_hash TEXT, hash TEXT UNIQUE)")
        }
        let begin = ContinuousClock.now
        var inserted = 0
        while inserted < count {
            let size = min(batch, count - inserted)
            let first = inserted
            try await pool.write { db in
                let dossier = try db.makeStatement(sql: """
                    INSERT INTO bench_raw_dossiers(code, procedure_code, procedure_version, state, status, channel, receiving_unit,
                        competent_unit, holder_unit, applicant_id_number, submitted_at_ms, last_seq, document)
                    VALUES (?, '1.004873', 1, 'submitted', 1, 'online', 'P01.D01.C01', 'P01.D01.C01', 'P01.D01.C01', '001095012345', 0, ?, ?)
                    """)
                let log = try db.makeStatement(sql: "INSERT INTO bench_raw_events VALUES (?, ?, 'dossier.submitted', 'applicant', 0, 0, ?, ?, ?)")
                for offset in 0..<size {
                    let n = first + offset + 1
                    let code = "BENCH-\(n)"
                    let hash = String(format: "%064x", n)
                    try log.execute(arguments: [n, code, payload, String(format: "%064x", n - 1), hash])
                    try dossier.execute(arguments: [code, n, document])
                }
            }
            inserted += size
        }
        let elapsed = ContinuousClock.now - begin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try await pool.write { db in try db.execute(sql: "DROP TABLE bench_raw_dossiers; DROP TABLE bench_raw_events") }
        try pool.close()
        let perSecond = Double(count) / seconds
        print(json
            ? String(format: #"{"rows":%d,"batch":%d,"seconds":%.2f,"perSecond":%.0f}"#, count, batch, seconds, perSecond)
            : String(format: "raw batched inserts: %d dossier rows + events, %d per transaction, %.2f s: %.0f rows/s", count, batch, seconds, perSecond))
    }
}

/// A counter shared by the load tasks.
final class SharedCounter: Sendable {
    private let value: Mutex<Int>

    init(_ start: Int) { value = Mutex(start) }

    /// Increments and returns the new value while it stays below `limit`; nil once it would not.
    func next(below limit: Int) -> Int? {
        value.withLock { current in
            guard current < limit else { return nil }
            current += 1
            return current
        }
    }

    func decrement() { value.withLock { $0 -= 1 } }
}
