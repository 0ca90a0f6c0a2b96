import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaStore
import MotCuaTestSupport
import Synchronization
import Testing

/// `motcua node backup` while the node serves, and `motcua node restore` with its refusals.
@Suite("Backup and restore (real processes)", .timeLimit(.minutes(3)))
struct BackupTests {
    static func sequence(_ code: String) -> Int { Int(code.split(separator: "-").last ?? "") ?? 0 }

    @Test func anOnlineBackupRestoresAndNumbersAreNeverReused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-backup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = directory + "/node"
        let node = try NodeProcess(dataDirectory: data, port: try freePort())
        try await node.waitReady()
        let api = nodeAPI(node.baseURL)
        var before: [String] = []
        for index in 0..<20 { before.append(try await api.send(NodeAPI.file(onlineSubmission(index))).code) }

        // Taken while filings keep arriving.
        let during = Mutex<[String]>([])
        let loader = Task {
            for index in 100..<400 {
                guard let filed = try? await api.send(NodeAPI.file(onlineSubmission(index))) else { return }
                during.withLock { $0.append(filed.code) }
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        let backup = directory + "/p01-backup.sqlite"
        let taken = try await runMotCua(["node", "backup", "--data-dir", data, "--to", backup])
        #expect(taken.status == 0 && taken.output.contains("verified"), "\(taken.output)")
        _ = await loader.value
        let filedDuring = during.withLock { $0 }
        #expect(filedDuring.count == 300, "the node kept serving during the backup")
        #expect(!FileManager.default.fileExists(atPath: backup + "-wal"), "the backup is one file")
        let again = try await runMotCua(["node", "backup", "--data-dir", data, "--to", backup])
        #expect(again.status != 0 && again.output.contains("exists"), "\(again.output)")
        // The copy is a node database on its own, with the dossiers filed before it and some filed during it.
        let copy = try NodeDatabase(path: backup)
        var inBackup = Set<String>()
        for code in before + filedDuring where try await copy.dossier(code) != nil { inBackup.insert(code) }
        let backupHead = try await copy.head().seq
        try copy.close()
        #expect(Set(before).isSubset(of: inBackup) && inBackup.count < before.count + filedDuring.count)

        // Not under a running node; not a second node on the same folder.
        let refused = try await runMotCua(["node", "restore", "--data-dir", data, "--from", backup])
        #expect(refused.status != 0 && refused.output.contains("node.lock"), "\(refused.output)")
        let second = try await runMotCua(["node", "--data-dir", data, "--public-port", String(try freePort()), "--plain-http"], limit: 30)
        #expect(second.status != 0 && second.output.contains("node.lock"), "\(second.output)")

        node.terminate()
        let highest = (before + filedDuring).map(Self.sequence).max() ?? 0
        // Older than what the node wrote: refused unless the loss is accepted.
        let lossy = try await runMotCua(["node", "restore", "--data-dir", data, "--from", backup])
        #expect(lossy.status != 0 && lossy.output.contains("--accept-loss") && lossy.output.contains("seq \(backupHead)"), "\(lossy.output)")
        let restored = try await runMotCua(["node", "restore", "--data-dir", data, "--from", backup, "--accept-loss"])
        #expect(restored.status == 0 && restored.output.contains("restored"), "\(restored.output)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.hasPrefix("replaced-") }
        #expect(kept.count == 1, "the replaced file is kept: \(kept)")

        let back = try NodeProcess(dataDirectory: data, port: try freePort(), seed: false)
        defer { back.terminate() }
        try await back.waitReady()
        let admin = try await nodeAPI(back.baseURL).loggedIn(as: "admin")
        for code in inBackup.prefix(5) { #expect(try await admin.send(NodeAPI.dossier(code)).code == code) }
        // A number handed out before the restore, even one the backup does not hold, is never handed out again.
        let next = try await nodeAPI(back.baseURL).send(NodeAPI.file(onlineSubmission(999)))
        #expect(Self.sequence(next.code) == highest + 1, "\(next.code) after \(highest)")
    }
}
