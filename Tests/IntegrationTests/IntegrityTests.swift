import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaStore
import MotCuaTestSupport
import Testing

/// Real processes on damaged, full and rolled-back storage.
@Suite("Storage integrity (real processes)", .serialized, .timeLimit(.minutes(3)))
struct IntegrityTests {
    static func folder(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("motcua-\(name)-\(UUID().uuidString)").path
    }


    /// Replaces every occurrence of `old` by `new` (same length) in a file, as a bad disk or a stray write would.
    static func patch(_ path: String, _ old: String, _ new: String) throws -> Int {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let from = Array(old.utf8), to = Array(new.utf8)
        precondition(from.count == to.count)
        var count = 0
        var index = 0
        while index + from.count <= bytes.count {
            if bytes[index] == from[0], Array(bytes[index..<index + from.count]) == from {
                bytes.replaceSubrange(index..<index + from.count, with: to)
                count += 1
                index += from.count
            } else {
                index += 1
            }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return count
    }

    @Test func aChangedByteIsRefusedAndStopsWrites() async throws {
        let directory = Self.folder("corrupt")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = try NodeProcess(dataDirectory: directory, port: try freePort())
        try await node.waitReady()
        let code = try await nodeAPI(node.baseURL).send(NodeAPI.file(onlineSubmission(4242))).code
        node.terminate()
        // "Công dân 4242" becomes "Công dân 4243" wherever the file holds it (the dossier's row; the event
        // log does not carry the name). SQLite's own structure check cannot see such a change.
        #expect(try Self.patch(directory + "/node.sqlite", "Công dân 4242", "Công dân 4243") >= 1)

        let restarted = try NodeProcess(dataDirectory: directory, port: try freePort(), seed: false)
        defer { restarted.terminate() }
        try await restarted.waitReady()  // SQLite's structure is sound: it starts
        let api = nodeAPI(restarted.baseURL)
        let admin = try await api.loggedIn(as: "admin")
        let read = try await admin.response(NodeAPI.dossier(code))
        #expect(read.status == 500)
        #expect(read.json?["type"] == .string("urn:motcua:problem:storage.corrupt"))
        // Fail-stop: reads still answer, writes do not, and the node is not ready.
        let write = try await api.response(NodeAPI.file(onlineSubmission(1)))
        #expect(write.status == 503)
        #expect(write.json?["type"] == .string("urn:motcua:problem:node.integrity-failure"))
        #expect(try await api.response(NodeAPI.ready()).status == 503)
        #expect(try await api.response(NodeAPI.procedures()).status == 200)
        restarted.terminate()

        let check = try await runMotCua(["node", "check", "--data-dir", directory])
        #expect(check.status == 1, "\(check.output)")
        #expect(check.output.contains("dossier \(code)"), "\(check.output)")
        #expect(check.output.contains("stored digests   FAILED"), "\(check.output)")
    }

    @Test func aDamagedFileIsNotStartedOn() async throws {
        let directory = Self.folder("damaged")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = try NodeProcess(dataDirectory: directory, port: try freePort())
        try await node.waitReady()
        for index in 0..<20 { _ = try await nodeAPI(node.baseURL).send(NodeAPI.file(onlineSubmission(index))) }
        node.terminate()
        // Garbage over the B-tree pages after the first few: the file's structure no longer holds.
        let handle = try #require(FileHandle(forUpdatingAtPath: directory + "/node.sqlite"))
        let size = try handle.seekToEnd()
        for page in stride(from: UInt64(4 * 4096), to: size, by: 4096 * 3) {
            try handle.seek(toOffset: page)
            handle.write(Data(repeating: 0xA5, count: 64))
        }
        try handle.close()
        let restarted = try NodeProcess(dataDirectory: directory, port: try freePort(), seed: false)
        restarted.process.waitUntilExit()
        #expect(restarted.process.terminationStatus != 0)
        let log = (try? String(contentsOfFile: restarted.logPath, encoding: .utf8)) ?? ""
        #expect(log.contains("is damaged"), "\(log.suffix(800))")
        #expect(log.contains("motcua node check --data-dir"), "\(log.suffix(800))")
        let check = try await runMotCua(["node", "check", "--data-dir", directory])
        #expect(check.status != 0, "\(check.output)")
    }

    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")))
    func aFullDiskAnswers507AndRecoversByItself() async throws {
        let mountPoint = Self.folder("tmpfs")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try await runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=10m", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mount: \(mounted.output)")
        defer {
            _ = try? FileManager.default.removeItem(atPath: mountPoint + "/node")
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint]
            try? umount.run()
            umount.waitUntilExit()
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        // Room that can be given back later.
        try Data(repeating: 0, count: 5 << 20).write(to: URL(fileURLWithPath: mountPoint + "/filler"))
        let node = try NodeProcess(dataDirectory: mountPoint + "/node", port: try freePort())
        defer { node.terminate() }
        try await node.waitReady()
        let bulky = Data(repeating: 0x41, count: 192 * 1024).base64EncodedString()
        let api = nodeAPI(node.baseURL)
        var full: APIResponse?
        for index in 0..<100 {
            var body = onlineSubmission(index)
            body.components = ["TP1", "TP2"].map { (code: String) in UploadBody(code: code, fileName: "\(code).pdf", contentBase64: bulky) }
            let answer = try await api.response(NodeAPI.file(body))
            if answer.status != 201 { full = answer; break }
        }
        let refused = try #require(full, "the disk never filled")
        #expect(refused.status == 507, "\(String(decoding: refused.body, as: UTF8.self))")
        #expect(refused.json?["type"] == .string("urn:motcua:problem:storage.full"))
        let notReady = try await api.response(NodeAPI.ready())
        #expect(notReady.status == 503)
        #expect(try notReady.decoded(ReadyAnswer.self).problems?.contains { $0.code == "storage.full" } == true)
        // Space comes back: the node is ready again and files, with nothing to do by hand.
        try FileManager.default.removeItem(atPath: mountPoint + "/filler")
        try await waitFor(seconds: 10) { try await api.response(NodeAPI.ready()).status == 200 }
        #expect(try await api.response(NodeAPI.file(onlineSubmission(999))).status == 201)
    }
}

extension FederationTests {
    /// A node put back on an older copy of its database (its log behind what the hub applied) stops
    /// writing instead of handing out the codes the hub already holds, shows it, and resumes once an
    /// operator accepts the loss, with numbers after the hub's.
    @Test func aNodeWhoseLogWentBackStopsWritingUntilTheLossIsAccepted() async throws {
        try await withFederation { federation in
            let data = federation.stateDir + "/nodes/p01"
            let before = await federation.load("p01", count: 5)
            #expect(before.count == 5)
            let head = try await federation.logHead("p01")
            try await waitFor(seconds: 15) { try await federation.appliedSeq(node: "p01") == head }
            kill(try federation.pid("p01"), SIGTERM)
            try await waitFor(seconds: 15) { hasExited(try federation.pid("p01")) }
            try FileManager.default.copyItem(atPath: data + "/node.sqlite", toPath: data + "/backup.sqlite")
            try await federation.restartNode("p01")
            let lost = await federation.load("p01", count: 5)
            #expect(lost.count == 5)
            let lostHead = try await federation.logHead("p01")
            try await waitFor(seconds: 15) { try await federation.appliedSeq(node: "p01") == lostHead }
            kill(try federation.pid("p01"), SIGTERM)
            try await waitFor(seconds: 15) { hasExited(try federation.pid("p01")) }
            // The old copy goes back, and the position kept beside it goes too: only the hub can tell.
            for name in ["node.sqlite", "node.sqlite-wal", "node.sqlite-shm", "replication-position"] {
                try? FileManager.default.removeItem(atPath: data + "/" + name)
            }
            try FileManager.default.moveItem(atPath: data + "/backup.sqlite", toPath: data + "/node.sqlite")
            try await federation.restartNode("p01", expectReady: false)

            let api = nodeAPI(federation.nodeURL("p01"))
            try await waitFor(seconds: 15) { try await api.response(NodeAPI.ready()).status == 503 }
            let refused = try await api.response(NodeAPI.file(onlineSubmission(77, unit: "P01.D01.C01")))
            #expect(refused.status == 503)
            #expect(refused.json?["type"] == .string("urn:motcua:problem:node.log-behind-hub"))
            try await waitFor(seconds: 10) {
                try await federation.national.send(NationalAPI.nodes()).items.first { $0.id == "p01" }?.logBehindHub == true
            }

            // The operator accepts the loss with the command line.
            let login = try await runMotCua(["ctl", "login", "--url", federation.nodeURL("p01"), "--state-dir", federation.stateDir, "--username", "admin", "--password", "motcua-demo"])
            #expect(login.status == 0, "\(login.output)")
            let accepted = try await runMotCua([
                "ctl", "admin", "accept-log-loss", "--url", federation.nodeURL("p01"), "--state-dir", federation.stateDir,
                "--reason", "node.sqlite restored from the copy taken before the last five dossiers",
            ])
            #expect(accepted.status == 0, "\(accepted.output)")
            #expect(try await api.response(NodeAPI.ready()).status == 200)

            // New dossiers get numbers the hub has never seen, and reach the hub.
            let after = await federation.load("p01", count: 3)
            #expect(after.count == 3)
            let hubBefore = Set(before + lost)
            #expect(Set(after).isDisjoint(with: hubBefore), "a code was handed out twice: \(after) vs \(hubBefore)")
            let newHead = try await federation.logHead("p01")
            try await waitFor(seconds: 15) { try await federation.appliedSeq(node: "p01") == newHead }
            let hubCodes = try await federation.hubCodes(node: "p01")
            #expect(hubCodes.isSuperset(of: Set(after + before + lost)))
            let p01 = try #require(try await federation.national.send(NationalAPI.nodes()).items.first { $0.id == "p01" })
            #expect(p01.logBehindHub == false)
            #expect(p01.quarantined == nil)
            // The local chain holds across the accepted gap, and the event says what was lost.
            let verify = try await api.loggedIn(as: "admin").send(NodeAPI.verifyLog())
            #expect(verify.intact, "\(verify)")
        }
    }
}

extension FederationTests {
    /// With the hub away, the position kept beside the database is enough: a node put back on an older
    /// copy stops writing at start-up, before it could hand out a code the hub holds.
    @Test func aNodeFindsItsLogWentBackWithoutTheHub() async throws {
        try await withFederation { federation in
            let data = federation.stateDir + "/nodes/p01"
            _ = await federation.load("p01", count: 3)
            kill(try federation.pid("p01"), SIGTERM)
            try await waitFor(seconds: 15) { hasExited(try federation.pid("p01")) }
            try FileManager.default.copyItem(atPath: data + "/node.sqlite", toPath: data + "/backup.sqlite")
            try await federation.restartNode("p01")
            #expect(await federation.load("p01", count: 3).count == 3)
            let head = try await federation.logHead("p01")
            try await waitFor(seconds: 15) { try await federation.appliedSeq(node: "p01") == head }
            // Give the acknowledgment recorder its 200 ms, then stop the node and the hub.
            try await Task.sleep(for: .milliseconds(500))
            kill(try federation.pid("p01"), SIGTERM)
            kill(try federation.pid("hub"), SIGTERM)
            let node = try federation.pid("p01"), hub = try federation.pid("hub")
            try await waitFor(seconds: 15) { hasExited(node) && hasExited(hub) }
            for name in ["node.sqlite", "node.sqlite-wal", "node.sqlite-shm"] { try? FileManager.default.removeItem(atPath: data + "/" + name) }
            try FileManager.default.moveItem(atPath: data + "/backup.sqlite", toPath: data + "/node.sqlite")
            try await federation.restartNode("p01", expectReady: false)
            let api = nodeAPI(federation.nodeURL("p01"))
            let ready = try await api.response(NodeAPI.ready())
            #expect(ready.status == 503)
            #expect(try ready.decoded(ReadyAnswer.self).problems?.contains { $0.code == "node.log-behind-hub" } == true)
            let refused = try await api.response(NodeAPI.file(onlineSubmission(5, unit: "P01.D01.C01")))
            #expect(refused.status == 503)
            #expect(refused.json?["type"] == .string("urn:motcua:problem:node.log-behind-hub"))
        }
    }
}

/// Whether a process has ended (gone, or a zombie its parent has not reaped yet).
func hasExited(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return true }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return stat.range(of: ") Z ") != nil
}
