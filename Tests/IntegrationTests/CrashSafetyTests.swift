import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaStore
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// Real `motcua node` processes on loopback, killed with SIGKILL in the middle of a load.
@Suite("Crash safety (real processes)", .timeLimit(.minutes(3)))
struct CrashSafetyTests {
    /// Every submission the node acknowledged (201) survives a SIGKILL between writes, the chain is
    /// intact, and the node restarts on the same file and keeps numbering without a gap.
    @Test func killNineDuringLoadLosesNothingAcknowledged() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = try NodeProcess(dataDirectory: directory, port: try freePort())
        try await node.waitReady()

        let acknowledged = AcknowledgedCodes()
        let killAfter = 400
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var index = worker * 100_000
                    while true {
                        index += 1
                        guard let code = try? await nodeAPI(node.baseURL, timeout: .seconds(5)).send(NodeAPI.file(onlineSubmission(index))).code
                        else { return }
                        let count = acknowledged.append(code)
                        if count >= 5_000 { return }  // bound the loop even if the kill never happens
                    }
                }
            }
            group.addTask {
                // Bounded: if the node stops answering before `killAfter`, the test fails below instead of waiting.
                let deadline = Date().addingTimeInterval(60)
                while acknowledged.count < killAfter, Date() < deadline { try? await Task.sleep(for: .milliseconds(5)) }
                node.kill9()
            }
        }
        let codes = acknowledged.all
        #expect(codes.count >= killAfter)
        #expect(Set(codes).count == codes.count, "no code was handed out twice")

        // Open the file as the crashed node left it.
        let database = try NodeDatabase(path: directory + "/node.sqlite")
        let report = try await database.verifyChain()
        #expect(report.intact, "chain broken after SIGKILL: \(report.firstBreak ?? "")")
        var missing: [String] = []
        for code in codes where try await database.dossier(code) == nil { missing.append(code) }
        #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(5))")
        let stored = try await database.dossierCount()
        #expect(stored >= codes.count)
        var storedSequences: [Int] = []
        var cursor: Int64?
        repeat {
            let page = try await database.dossiers(DossierFilter(after: cursor, limit: 500)) { $0 }
            storedSequences += page.items.compactMap { Int($0.code.split(separator: "-").last ?? "") }
            cursor = page.nextCursor
        } while cursor != nil
        #expect(storedSequences.count == stored)
        try database.close()

        // Restart on the same file: it serves, and the daily sequence continues after the last stored code.
        let restarted = try NodeProcess(dataDirectory: directory, port: try freePort(), seed: false)
        defer { restarted.terminate() }
        try await restarted.waitReady()
        let next = try await nodeAPI(restarted.baseURL).response(NodeAPI.file(onlineSubmission(999_999)))
        #expect(next.status == 201)
        let nextCode = try next.decoded(DossierView.self).code
        let sequence = Int(nextCode.split(separator: "-").last ?? "") ?? 0
        // Numbers are never reused: the first one after the restart follows the largest one stored
        // (numbers handed out to requests that never committed are skipped, not reissued).
        #expect(sequence == (storedSequences.max() ?? 0) + 1, "numbering resumes after the largest stored number")
        let admin = try await nodeAPI(restarted.baseURL).loggedIn(as: "admin")
        let chain = try await admin.send(NodeAPI.verifyLog())
        #expect(chain.intact)
    }

    /// A clean stop (SIGTERM) moves everything into node.sqlite: the WAL is gone (or empty), and the main
    /// file alone, copied elsewhere, holds every acknowledged dossier.
    @Test func aCleanStopLeavesEverythingInTheDatabaseFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-stop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = try NodeProcess(dataDirectory: directory, port: try freePort())
        try await node.waitReady()
        let acknowledged = AcknowledgedCodes()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in 0..<25 {
                        if let filed = try? await nodeAPI(node.baseURL).send(NodeAPI.file(onlineSubmission(worker * 1_000 + index))) {
                            _ = acknowledged.append(filed.code)
                        }
                    }
                }
            }
        }
        #expect(acknowledged.count == 200)
        node.terminate()
        #expect(node.process.terminationStatus == 0, "the node exits cleanly on SIGTERM")
        let wal = (try? FileManager.default.attributesOfItem(atPath: directory + "/node.sqlite-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "\(wal) bytes left in the WAL after a clean stop")

        // The main file alone, as a backup that copied only node.sqlite would have it.
        let copy = directory + "-copy"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: directory + "/node.sqlite", toPath: copy + "/node.sqlite")
        let database = try NodeDatabase(path: copy + "/node.sqlite")
        var missing: [String] = []
        for code in acknowledged.all where try await database.dossier(code) == nil { missing.append(code) }
        #expect(missing.count == 0, "acknowledged dossiers only in the WAL, e.g. \(missing.prefix(3))")
        try database.close()
    }
}

/// Codes the node acknowledged, shared by the load workers.
final class AcknowledgedCodes: Sendable {
    private let codes = Mutex<[String]>([])

    /// Records a code; returns how many there are now.
    func append(_ code: String) -> Int {
        codes.withLock { list in
            list.append(code)
            return list.count
        }
    }

    var count: Int { codes.withLock { $0.count } }
    var all: [String] { codes.withLock { $0 } }
}
