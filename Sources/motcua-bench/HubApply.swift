import ArgumentParser
import Foundation
import GRDB
import MotCuaCore
import MotCuaProtocol
import MotCuaStore

/// The hub's apply path alone: real events of a node file, replayed as N nodes into a fresh hub index
/// (same durable SQLite settings as `motcua hub`), without TLS or HTTP. Separates the single writer's
/// cost per event from the network's. With `--rounds`, the replay is repeated with new dossier codes
/// into the same index, closed and opened again between rounds as a restarted hub would be: how the
/// cost per event grows with the index.
struct HubApply: AsyncParsableCommand {
    @Option(help: "A node's SQLite file whose events are replayed (e.g. after `motcua-bench intake`).") var from: String
    @Option(help: "The id of the node that wrote the file (its events name it).") var sourceNode = "p01"
    @Option(help: "The hub index to create (must not exist).") var path: String
    @Option(help: "Nodes replaying the same events concurrently, each under its own id and dossier codes.") var nodes = 34
    @Option(help: "Events per batch.") var batch = 2000
    @Option(help: "Replays into the same index, each with new codes, the index reopened between them.") var rounds = 1
    @Flag(help: "Print one JSON line per round.") var json = false

    typealias SourceEvent = (code: String, kind: String, actor: String, timeMs: Int64, hlc: Int64, payload: String)

    func run() async throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw ValidationError("\(path) exists; give a new file") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        // As the hub does, before the first connection.
        SQLiteProcessSettings.apply()
        let source = try DatabaseQueue(path: from, configuration: { var c = Configuration(); c.readonly = true; return c }())
        let original: [SourceEvent] = try await source.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events WHERE dossier_code IS NOT NULL ORDER BY seq").map { row in
                (code: row["dossier_code"] as String, kind: row["kind"] as String, actor: row["actor"] as String,
                 timeMs: row["time_ms"] as Int64, hlc: row["hlc"] as Int64, payload: row["payload"] as String)
            }
        }
        try source.close()
        guard !original.isEmpty else { throw ValidationError("\(from) holds no dossier events") }
        var heads = Array(repeating: EventChain.genesisHash, count: nodes)
        for round in 1...rounds {
            let logs = replayLogs(of: original, round: round, heads: &heads)
            let hub = try HubDatabase(path: path)
            let (seconds, cpu) = try await apply(logs, to: hub)
            try hub.close()
            let total = original.count * nodes
            let perSecond = Double(total) / seconds
            let label = rounds == 1 ? "" : String(format: " (round %d, index %d rows before)", round, total * (round - 1))
            print(json
                ? String(format: #"{"round":%d,"events":%d,"nodes":%d,"batch":%d,"seconds":%.2f,"perSecond":%.0f,"cpuMicrosPerEvent":%.1f}"#,
                         round, total, nodes, batch, seconds, perSecond, cpu * 1e6 / Double(total))
                : String(format: "hub apply%@: %d events from %d nodes, %d per batch, %.2f s: %.0f events/s (%.1f µs each; CPU %.1f µs each)",
                         label, total, nodes, batch, seconds, perSecond, seconds * 1e6 / Double(total), cpu * 1e6 / Double(total)))
        }
    }

    /// Each replaying node gets its own codes (new ones each round) and names itself in the payload; its
    /// chain continues from `heads` across rounds.
    func replayLogs(of original: [SourceEvent], round: Int, heads: inout [String]) -> [(id: String, events: [Event])] {
        let named = "\"\(sourceNode)\""
        return (0..<nodes).map { index in
            let id = String(format: "b%02d", index)
            var prev = heads[index]
            let suffix = round == 1 ? id : "\(id)-r\(round)"
            let events = original.enumerated().map { offset, source -> Event in
                let seq = Int64((round - 1) * original.count + offset + 1)
                let code = "\(source.code)-\(suffix)"
                let payload = source.payload.replacingOccurrences(of: named, with: "\"\(id)\"")
                let hash = EventChain.hash(prevHash: prev, canonical: EventChain.canonicalBytes(
                    seq: seq, dossierCode: code, kind: source.kind, actor: source.actor, timeMs: source.timeMs, hlc: source.hlc, payload: payload))
                defer { prev = hash }
                return Event(seq: seq, dossierCode: code, kind: source.kind, actor: source.actor, timeMs: source.timeMs, hlc: source.hlc,
                             payload: payload, prevHash: prev, hash: hash)
            }
            heads[index] = prev
            return (id, events)
        }
    }

    /// Applies every log concurrently, one batch in flight per node; wall and CPU seconds.
    func apply(_ logs: [(id: String, events: [Event])], to hub: HubDatabase) async throws -> (seconds: Double, cpu: Double) {
        let limits = ReplicationLimits(maxEvents: batch, maxBytes: 64 << 20)
        let batchSize = batch
        let begin = ContinuousClock.now
        let cpuBefore = processCPUSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for log in logs {
                group.addTask {
                    var start = 0
                    while start < log.events.count {
                        let slice = Array(log.events[start..<min(start + batchSize, log.events.count)])
                        let batch = ReplicationBatch(
                            nodeID: log.id, firstSeq: slice[0].seq, prevHash: slice[0].prevHash, events: slice)
                        let nowMs = Date().epochMilliseconds
                        guard case .apply = try await hub.receive(batch, from: log.id, limits: limits, nowMs: nowMs) else {
                            throw ValidationError("the hub did not apply \(log.id)'s batch at \(slice[0].seq)")
                        }
                        start += slice.count
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - begin
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, processCPUSeconds() - cpuBefore)
    }
}
