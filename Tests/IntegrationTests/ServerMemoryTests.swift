import Foundation
import MotCuaAPI
import NIOHTTP1
import Testing

/// A real `motcua node` process and its resident memory, read from /proc.
@Suite("Server memory (real processes)", .timeLimit(.minutes(3)))
struct ServerMemoryTests {
    /// Kilobytes of a process's resident set that map files (its code, mostly), from /proc/PID/status.
    static func residentFileKiB(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("RssFile:") {
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }

    /// Once start-up is over, a node unmaps the code it ran only to start (its resident file pages fall
    /// by more than a quarter) and goes on serving: code it runs again faults back in.
    @Test func aSettledNodeLetsGoOfItsStartUpCodeAndKeepsServing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-memory-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = try NodeProcess(dataDirectory: directory, port: try freePort())
        defer { node.terminate() }
        try await node.waitReady()
        let pid = node.process.processIdentifier
        let atStart = try #require(Self.residentFileKiB(of: pid))
        // Checks run every 2 s; start-up is over at the first one under 5 % of a core.
        var lowest = atStart
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, lowest * 4 > atStart * 3 {
            try await Task.sleep(for: .milliseconds(250))
            lowest = min(lowest, try #require(Self.residentFileKiB(of: pid)))
        }
        #expect(lowest * 4 <= atStart * 3, "resident file pages: \(atStart) KiB when ready, lowest \(lowest) KiB after")
        let answer = try await nodeAPI(node.baseURL).response(NodeAPI.file(onlineSubmission(1)))
        #expect(answer.status == 201)
        #expect(node.process.isRunning)
    }
}
