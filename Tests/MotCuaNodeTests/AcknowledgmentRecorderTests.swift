import Foundation
import Logging
import MotCuaCore
import MotCuaStore
import Synchronization
import Testing

@testable import MotCuaNode

@Suite("Acknowledged positions")
struct AcknowledgmentRecorderTests {
    /// Positions recorded faster than they can be made durable are folded into later writes: after
    /// `flush` the file holds the newest, seq and hash together.
    @Test func theNewestPositionIsStoredAndOlderOnesAreFolded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-ack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try NodeDatabase(path: directory.appendingPathComponent("node.sqlite").path)
        let recorder = AcknowledgmentRecorder(database: database, nodeID: "p01", logger: Logger(label: "test"))
        for seq in 1...500 {
            recorder.record(seq: Int64(seq), hash: String(format: "%064x", seq))
        }
        await recorder.flush()
        #expect(try await database.meta(ReplicationAgent.acknowledgedSeqKey) == "500")
        #expect(try await database.meta(ReplicationAgent.acknowledgedHashKey) == String(format: "%064x", 500))
        #expect(recorder.lastError == nil)
        // A later position after the flush is stored too.
        recorder.record(seq: 501, hash: String(format: "%064x", 501))
        await recorder.flush()
        #expect(try await database.meta(ReplicationAgent.acknowledgedSeqKey) == "501")
        try database.close()
    }

    /// At most one write per interval: positions acknowledged during the pause after a write wait for
    /// the next one (a one-event batch no longer costs the node a second fsync), and `flush` ends the
    /// pause at once. Positions are not written to the log, so no commit listener wakes for them.
    @Test func writesArePacedAndFlushEndsThePause() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-ack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try NodeDatabase(path: directory.appendingPathComponent("node.sqlite").path)
        let woken = Mutex(0)
        let listener = database.commits.subscribe { woken.withLock { $0 += 1 } }
        defer { listener.cancel() }
        let recorder = AcknowledgmentRecorder(database: database, nodeID: "p01", logger: Logger(label: "test"), interval: .seconds(30))
        recorder.record(seq: 1, hash: String(format: "%064x", 1))
        let deadline = ContinuousClock.now + .seconds(10)
        while try await database.meta(ReplicationAgent.acknowledgedSeqKey) != "1", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(try await database.meta(ReplicationAgent.acknowledgedSeqKey) == "1")
        for seq in 2...50 { recorder.record(seq: Int64(seq), hash: String(format: "%064x", seq)) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await database.meta(ReplicationAgent.acknowledgedSeqKey) == "1", "a write during the pause")
        let flushStarted = ContinuousClock.now
        await recorder.flush()
        #expect(ContinuousClock.now - flushStarted < .seconds(10), "flush waited out the pause")
        #expect(try await database.meta(ReplicationAgent.acknowledgedSeqKey) == "50")
        #expect(woken.withLock { $0 } == 0, "storing a position woke a commit listener")
        try database.close()
    }
}
