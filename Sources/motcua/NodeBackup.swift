import ArgumentParser
import Foundation
import MotCuaCore
import MotCuaNode
import MotCuaStore

/// `<data-dir>/node.lock`, held with `flock` while a node runs on the folder: a second node, or a restore,
/// on the same folder is refused instead of writing under the running one. The lock ends with the process
/// (a kill -9 included).
struct DataDirectoryLock {
    let descriptor: Int32

    static func acquire(_ dataDirectory: String) throws -> DataDirectoryLock? {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let path = (dataDirectory as NSString).appendingPathComponent("node.lock")
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CommandFailure("cannot open \(path) (errno \(errno))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return DataDirectoryLock(descriptor: descriptor)
    }
}

/// `motcua node backup`: a consistent copy of a node's database taken while it serves, verified before it
/// is kept (file structure, every stored digest, the hash chain).
struct NodeBackup {
    var dataDir: String
    var target: String

    func run() async throws {
        let source = (dataDir as NSString).appendingPathComponent("node.sqlite")
        guard FileManager.default.fileExists(atPath: source) else { throw ValidationError("no node.sqlite in \(dataDir)") }
        guard !FileManager.default.fileExists(atPath: target) else { throw ValidationError("\(target) exists: give a new file name") }
        let partial = target + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        let started = Date()
        do {
            try NodeDatabase.backup(source: source, to: partial)
            let report = try await Self.verify(partial)
            guard report.sound, let chain = report.chain else {
                throw CommandFailure("the copy does not verify (\((report.fileProblems + report.rowProblems).prefix(3).joined(separator: "; ")))): the node's own file may be damaged; run `motcua node check --data-dir \(dataDir)`")
            }
            // A link fails rather than replace a file that appeared meanwhile; then the partial name goes.
            guard link(partial, target) == 0 else { throw CommandFailure("cannot put the copy at \(target) (errno \(errno)); it is left in \(partial)") }
            unlink(partial)
            syncDirectory(of: target)
            let size = ((try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0)
            print(String(format: "backup %@: %lld events, head seq %lld, %.1f MB, verified, in %.1f s",
                         target, chain.eventsChecked, chain.headSeq, Double(size) / 1_048_576, Date().timeIntervalSince(started)))
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// Checks a node file where it lies and leaves it checkpointed and synced (no WAL beside it).
    static func verify(_ path: String) async throws -> IntegrityReport {
        let database = try NodeDatabase(path: path)
        let report = try await database.integrityReport()
        try database.close()
        if let handle = FileHandle(forUpdatingAtPath: path) {
            try? handle.synchronize()
            try? handle.close()
        }
        return report
    }
}

/// `motcua node restore`: puts a backup in place of a stopped node's database. A backup older than what the
/// node had written (or the hub had acknowledged) loses the events after it: refused unless the loss is
/// accepted. The replaced files are kept beside, and the daily dossier numbers the replaced file had
/// reached carry over, so no number a citizen holds is handed out again.
struct NodeRestore {
    var dataDir: String
    var backup: String
    var acceptLoss: Bool

    func run() async throws {
        guard FileManager.default.fileExists(atPath: backup) else { throw ValidationError("no backup at \(backup)") }
        guard let lock = try DataDirectoryLock.acquire(dataDir) else {
            throw CommandFailure("a node is running on \(dataDir) (it holds node.lock): stop it before restoring")
        }
        defer { close(lock.descriptor) }
        // The backup is checked on a copy, and that copy is what goes into place.
        let staged = (dataDir as NSString).appendingPathComponent("node.sqlite.restoring")
        try? FileManager.default.removeItem(atPath: staged)
        try FileManager.default.copyItem(atPath: backup, toPath: staged)
        let report = try await NodeBackup.verify(staged)
        guard report.sound, let restoredHead = report.chain?.headSeq else {
            try? FileManager.default.removeItem(atPath: staged)
            throw CommandFailure("\(backup) does not verify: \((report.fileProblems + report.rowProblems).prefix(3).joined(separator: "; "))")
        }

        let current = (dataDir as NSString).appendingPathComponent("node.sqlite")
        var written: Int64 = 0
        var sequences: [(agency: String, day: String, last: Int)] = []
        if FileManager.default.fileExists(atPath: current) {
            // Opening checkpoints its WAL into it and closing removes the WAL: the file alone is then whole.
            do {
                let database = try NodeDatabase(path: current)
                written = try await database.head().seq
                sequences = try await database.dailySequences()
                try database.close()
            } catch where !acceptLoss {
                try? FileManager.default.removeItem(atPath: staged)
                throw CommandFailure("""
                    the node's current file cannot be read (\(error)): the restore cannot tell what it would lose nor carry the \
                    dossier numbers over. Keep that file; to restore anyway, add --accept-loss
                    """)
            } catch {
                print("the current file cannot be read (\(error)); restoring anyway (--accept-loss): dossier numbers it handed out are not known")
            }
        }
        let positionPath = (dataDir as NSString).appendingPathComponent("replication-position")
        let acknowledged = ReplicationAgent.readPositionFile(positionPath)?.seq ?? 0
        let needed = max(written, acknowledged)
        if restoredHead < needed && !acceptLoss {
            try? FileManager.default.removeItem(atPath: staged)
            throw CommandFailure("""
                the backup ends at seq \(restoredHead), but the node had written up to seq \(written) and the hub had acknowledged \(acknowledged): \
                restoring it loses seqs \(restoredHead + 1)-\(needed). Look for a newer backup; to restore this one anyway, add --accept-loss
                """)
        }

        // The numbers go into the staged copy before it is put in place, so the swap is the last step.
        let prepared = try NodeDatabase(path: staged)
        try await prepared.raiseDailySequences(sequences)
        try prepared.close()
        // Keep what is replaced (a second name for the same file: never deleted, never half moved), then one
        // rename puts the restored file in place: a crash before it leaves the old node, after it the new.
        let aside = (dataDir as NSString).appendingPathComponent("replaced-" + Self.stamp(Date()))
        try FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: current) {
            guard link(current, (aside as NSString).appendingPathComponent("node.sqlite")) == 0 else {
                throw CommandFailure("cannot keep the current file in \(aside) (errno \(errno)); nothing was changed")
            }
        }
        // After the close above no WAL belongs to the current file any more; one left by a crash must not be
        // read into the restored file.
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: current + suffix) {
            try FileManager.default.moveItem(atPath: current + suffix, toPath: (aside as NSString).appendingPathComponent("node.sqlite" + suffix))
        }
        syncDirectory(of: (aside as NSString).appendingPathComponent("node.sqlite"))
        guard rename(staged, current) == 0 else { throw CommandFailure("cannot move the restored file into place (errno \(errno)); the node's file is unchanged") }
        syncDirectory(of: current)
        print("restored \(backup) into \(dataDir): head seq \(restoredHead); the replaced files are in \(aside)")
        if restoredHead < acknowledged {
            print("""
                the hub holds seqs \(restoredHead + 1)-\(acknowledged) that this node no longer has: at start it stops writing until they \
                come back or an admin accepts the loss (`motcua ctl admin accept-log-loss --reason "…"`)
                """)
        } else if restoredHead < written {
            print("seqs \(restoredHead + 1)-\(written) are lost (accepted); dossier numbers continue after the highest ever handed out")
        }
    }

    static func stamp(_ date: Date) -> String {
        String(VietnamTime.format(date).prefix(19)).replacingOccurrences(of: ":", with: "")
    }
}

/// Makes a rename or a link in the file's folder durable.
func syncDirectory(of path: String) {
    let descriptor = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
}
