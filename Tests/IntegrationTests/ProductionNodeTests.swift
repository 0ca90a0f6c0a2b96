import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaLauncher
import MotCuaTestSupport
import SwiftASN1
import Testing

/// A node put into service as docs/OPERATIONS.md says: HTTPS with the province's certificate, no demo data,
/// the first admin from the one-time token, units imported from a file, officers administered with `ctl`.
@Suite("A node in service without demo data (real processes)", .timeLimit(.minutes(3)))
struct ProductionNodeTests {
    @Test func bootstrapUnitsAndOfficersOverHTTPSWithTheCommandLine() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-prod-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ca = try ProvinceCA(name: "Hà Nội CA")
        let (certificate, key, caFile) = (directory + "/public.pem", directory + "/public-key.pem", directory + "/ca.pem")
        try ca.issueServer(certificatePath: certificate, keyPath: key)
        try ca.certificate.serializeAsPEM().pemString.write(toFile: caFile, atomically: true, encoding: .utf8)
        let data = directory + "/node"
        let port = try freePort()
        let arguments = ["node", "--data-dir", data, "--public-port", String(port), "--tls-certificate", certificate, "--tls-key", key]
        var process = try LocalFederation.spawn(arguments, log: directory + "/node.log", executable: MotCuaBinary.path)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let url = "https://localhost:\(port)"
        let common = ["--url", url, "--ca-file", caFile, "--state-dir", directory + "/ctl"]
        func ctl(_ arguments: [String], expect success: Bool = true) async throws -> String {
            let run = try await runMotCua(["ctl"] + arguments + common)
            #expect((run.status == 0) == success, "ctl \(arguments.joined(separator: " ")): \(run.output)")
            return run.output
        }

        // The first start prints the one-time token and keeps it, readable by the node's user only.
        let tokenFile = data + "/bootstrap-token"
        try await waitFor(seconds: 30, "the bootstrap token") {
            ((try? String(contentsOfFile: directory + "/node.log", encoding: .utf8)) ?? "").contains("motcua ctl admin bootstrap")
        }
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: tokenFile)[.posixPermissions] as? Int)
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let startLog = try String(contentsOfFile: directory + "/node.log", encoding: .utf8)
        #expect(token.count == 64 && !startLog.contains(token), "the token is never printed")
        // A password made by the command cannot be asked for with --json (it would not be shown).
        #expect(try await ctl(["admin", "bootstrap", "--token-file", tokenFile, "--admin", "root", "--full-name", "R", "--json"], expect: false)
            .contains("--password-file"))
        #expect(mode & 0o077 == 0, "the token file is readable by others: \(String(mode, radix: 8))")
        // Nobody can log in, and the public catalogue is empty: no demo data.
        #expect(try await ctl(["procedures"]).contains("code"))
        _ = try await ctl(["queue", "--username", "admin", "--password", "motcua-demo"], expect: false)

        // A wrong token is refused; the right one creates the admin once.
        let wrong = directory + "/wrong-token"
        try String(repeating: "0", count: 64).write(toFile: wrong, atomically: true, encoding: .utf8)
        #expect(try await ctl(["admin", "bootstrap", "--token-file", wrong, "--admin", "root", "--full-name", "Quản trị viên"], expect: false)
            .contains("auth.invalid-bootstrap-token"))
        let passwordFile = directory + "/root-password"
        try "một-mật-khẩu-dài-2026\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let created = try await ctl([
            "admin", "bootstrap", "--token-file", tokenFile, "--admin", "root", "--full-name", "Quản trị viên", "--password-file", passwordFile,
        ])
        #expect(created.contains("first admin root created") && !created.contains("password (shown once)"), "\(created)")
        #expect(!FileManager.default.fileExists(atPath: tokenFile), "the token is gone once used")
        #expect(try await ctl(["admin", "bootstrap", "--token", String(repeating: "a", count: 64), "--admin", "x", "--full-name", "X"], expect: false)
            .contains("node.already-bootstrapped"))
        let root = ["--username", "root", "--password", "một-mật-khẩu-dài-2026"]

        // Units from a file (the province's own list), then officers in them.
        let unitsFile = directory + "/units.json"
        try APIJSON.encoder.encode(UnitsImportBody(units: SampleUnits.hanoi)).write(to: URL(fileURLWithPath: unitsFile))
        #expect(try await ctl(["admin", "units", "import", unitsFile] + root).contains("\(SampleUnits.hanoi.count) unit(s) imported"))
        #expect(try await ctl(["admin", "units"]).contains("P01.D01.C01"))
        let broken = directory + "/broken.yaml"
        try "units:\n  - {code: X1.C9, name: Mồ côi, level: commune, parentCode: X1, agencyCode: 000.00.99.H99}\n".write(toFile: broken, atomically: true, encoding: .utf8)
        #expect(try await ctl(["admin", "units", "import", broken] + root, expect: false).contains("X1"))

        let added = try await ctl(["admin", "officers", "add", "--user", "desk1", "--full-name", "Lê Thị Hoa", "--role", "receiver", "--unit", "P01.D01.C01"] + root)
        let desk1Password = try #require(added.split(separator: " ").last.map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(added.contains("password (shown once)") && desk1Password.count == 20, "\(added)")
        #expect(try await ctl(["admin", "officers", "list"] + root).contains("desk1"))
        _ = try await ctl(["queue", "--username", "desk1", "--password", desk1Password])
        // Deactivated: the session and the password stop working at once.
        _ = try await ctl(["login", "--username", "desk1", "--password", desk1Password])
        _ = try await ctl(["admin", "officers", "deactivate", "desk1"] + root)
        #expect(try await ctl(["queue"], expect: false).contains("HTTP 401"))
        let reset = try await ctl(["admin", "officers", "reset-password", "desk1"] + root)
        let newPassword = try #require(reset.split(separator: " ").last.map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines))
        // A new password does not reactivate the account: that is its own, explicit step.
        #expect(reset.contains("stays deactivated"), "\(reset)")
        _ = try await ctl(["queue", "--username", "desk1", "--password", newPassword], expect: false)
        _ = try await ctl(["admin", "officers", "activate", "desk1"] + root)
        _ = try await ctl(["queue", "--username", "desk1", "--password", newPassword])
        _ = try await ctl(["queue", "--username", "desk1", "--password", desk1Password], expect: false)
        // The last admin cannot lock the node out.
        #expect(try await ctl(["admin", "officers", "deactivate", "root"] + root, expect: false).contains("officer.last-admin"))

        // Demo data is refused on a node with real officers.
        process.terminate()
        process.waitUntilExit()
        let seeded = try await runMotCua(arguments + ["--seed-demo"], limit: 30)
        #expect(seeded.status != 0 && seeded.output.contains("seed.real-officers"), "\(seeded.output)")
        // And it starts again as it was, with no new token.
        process = try LocalFederation.spawn(arguments, log: directory + "/node.log", executable: MotCuaBinary.path)
        try await waitFor(seconds: 30, "the node to serve again") { (try? await ctl(["admin", "officers", "list"] + root))?.contains("root") == true }
        #expect(!FileManager.default.fileExists(atPath: tokenFile))
    }
}
