import Foundation
import MotCuaLauncher
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
        // The bystander's pid, as if recorded for a process that started at another time.
        var gone = FederationProcess(id: "p01", role: "province", name: "gone", pid: bystander.processIdentifier, log: "/dev/null")
        let bystanderStart = try #require(gone.startTicks)
        gone.startTicks = bystanderStart + 1
        #expect(!gone.isRunning, "a pid with another start time is taken for the recorded process")
        let ours = FederationProcess(id: "p02", role: "province", name: "ours", pid: recorded.processIdentifier, log: "/dev/null")
        #expect(ours.isRunning)
        try FederationState(topology: "none", startedAt: "2026-12-03T00:00:00+07:00", processes: [gone, ours]).save(stateDir: stateDir)
        _ = try await runMotCua(["down", "--state-dir", stateDir])
        try await waitFor(seconds: 10, "the recorded process to stop") { !recorded.isRunning }
        #expect(!recorded.isRunning, "the recorded process is stopped")
        #expect(bystander.isRunning, "a process that merely has a recorded pid is left alone")
    }
}
