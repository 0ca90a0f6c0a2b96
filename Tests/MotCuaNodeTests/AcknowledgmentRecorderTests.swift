import Foundation
import Logging
import MotCuaCore
import MotCuaStore
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
}
