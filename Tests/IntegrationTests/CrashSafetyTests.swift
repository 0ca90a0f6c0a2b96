import Foundation
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
                        guard let answer = try? await HTTP.call(.POST, node.baseURL + "/v1/dossiers", json: onlineSubmission(index), timeout: .seconds(5)),
                              answer.status == 201, let code = answer.json["code"]?.stringValue else { return }
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
        let next = try await HTTP.call(.POST, restarted.baseURL + "/v1/dossiers", json: onlineSubmission(999_999))
        #expect(next.status == 201)
        let nextCode = try #require(next.json["code"]?.stringValue)
        let sequence = Int(nextCode.split(separator: "-").last ?? "") ?? 0
        // Numbers are never reused: the first one after the restart follows the largest one stored
        // (numbers handed out to requests that never committed are skipped, not reissued).
        #expect(sequence == (storedSequences.max() ?? 0) + 1, "numbering resumes after the largest stored number")
        let verify = try await HTTP.call(.POST, restarted.baseURL + "/v1/auth/token", json: .object(["username": .string("admin"), "password": .string("motcua-demo")]))
        let token = try #require(verify.json["token"]?.stringValue)
        let chain = try await HTTP.call(.GET, restarted.baseURL + "/v1/log/verify", token: token)
        #expect(chain.json["intact"] == .bool(true))
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
