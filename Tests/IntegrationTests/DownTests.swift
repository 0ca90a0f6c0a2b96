import Foundation
import MotCuaTestSupport
import Testing

@Suite("motcua down and reused process ids")
struct DownTests {
    /// A recorded pid that another process has since been given (the same pid, another start time) is
    /// not signalled; the recorded process itself is.
    @Test func downSignalsOnlyTheProcessItStarted() async throws {
        let stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-down-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let bystander = Process()
        bystander.executableURL = URL(fileURLWithPath: "/bin/sleep")
        bystander.arguments = ["60"]
        try bystander.run()
        defer { if bystander.isRunning { bystander.terminate() } }
        let recorded = Process()
        recorded.executableURL = URL(fileURLWithPath: "/bin/sleep")
        recorded.arguments = ["60"]
        try recorded.run()
        defer { if recorded.isRunning { recorded.terminate() } }
        func startTicks(_ pid: Int32) throws -> UInt64 {
            let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
            return try #require(UInt64(fields[19]))
        }
        // The bystander's pid, as if recorded for a process that started at another time.
        let state: [String: Any] = [
            "topology": "none", "startedAt": "2026-12-03T00:00:00+07:00",
            "processes": [
                ["id": "p01", "role": "province", "name": "gone", "pid": bystander.processIdentifier, "log": "/dev/null",
                 "startTicks": try startTicks(bystander.processIdentifier) + 1],
                ["id": "p02", "role": "province", "name": "ours", "pid": recorded.processIdentifier, "log": "/dev/null",
                 "startTicks": try startTicks(recorded.processIdentifier)],
            ],
        ]
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: stateDir + "/processes.json"))
        _ = try await runMotCua(["down", "--state-dir", stateDir])
        try await waitFor(seconds: 10, "the recorded process to stop") { !recorded.isRunning }
        #expect(!recorded.isRunning, "the recorded process is stopped")
        #expect(bystander.isRunning, "a process that merely has a recorded pid is left alone")
    }
}
