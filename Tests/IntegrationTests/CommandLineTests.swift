import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaTestSupport
import Testing

/// `motcua ctl` against a real node, in the README's order: the typed client as a person and a script use it.
@Suite("Command line client (real processes)", .timeLimit(.minutes(3)))
struct CommandLineTests {
    @Test func theReadmesWalkThroughWorksWithTheCommandLine() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-ctl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let node = try NodeProcess(dataDirectory: directory, port: try freePort())
        defer { node.terminate() }
        try await node.waitReady()
        let file = directory + "-to-khai.pdf"
        try Data("tờ khai".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        func ctl(_ arguments: [String]) async throws -> String {
            let run = try await runMotCua(["ctl"] + arguments + ["--url", node.baseURL, "--state-dir", directory + "-state"])
            #expect(run.status == 0, "ctl \(arguments.joined(separator: " ")): \(run.output)")
            return run.output
        }
        let officer = { (name: String) in ["--username", name, "--password", "motcua-demo"] }

        let catalogue = try await ctl(["procedures", "--level", "commune"])
        #expect(catalogue.contains("1.004873") && catalogue.contains("commune"))
        // A script reads the answer as the node wrote it.
        let filedJSON = try await ctl([
            "submit", "--procedure", "1.004873", "--unit", "P01.D01.C01", "--id-number", "001095012345", "--name", "Nguyễn Văn An",
            "--birth-date", "1995-04-12", "--file", "TP1=\(file)", "--file", "TP2=\(file)", "--json",
        ])
        let filed = try APIJSON.decoder.decode(DossierView.self, from: Data(filedJSON.utf8))
        #expect(filed.status == 1 && filed.dossier.applicant.fullName == "Nguyễn Văn An")
        let code = filed.code

        let received = try await ctl(["act", code, "receive"] + officer("receiver"))
        #expect(received.contains("status      2") && received.contains("form 01"), "\(received)")
        let secret = try #require(received.split(separator: "\n").first { $0.hasPrefix("lookup") }?.split(separator: " ").dropFirst(2).first)
        _ = try await ctl(["act", code, "assign", "--assignee", "specialist"] + officer("leader"))
        _ = try await ctl(["act", code, "decide", "--outcome", "approved"] + officer("leader"))
        let returned = try await ctl(["act", code, "return"] + officer("receiver"))
        #expect(returned.contains("status      10"), "\(returned)")

        let lookup = try await ctl(["show", code, "--id-number", "001095012345"])
        #expect(lookup.contains("dossier.returned") && lookup.contains("status      10"), "\(lookup)")
        #expect(try await ctl(["show", code, "--lookup-secret", String(secret)]).contains("dossier     \(code)"))
        // A wrong ID number is a 404 problem, said in one line, with a failing exit status.
        let refused = try await runMotCua(["ctl", "show", code, "--id-number", "001095099999", "--url", node.baseURL])
        #expect(refused.status != 0 && refused.output.contains("HTTP 404"), "\(refused.output)")

        _ = try await ctl(["login"] + officer("leader"))
        let queue = try await ctl(["queue", "--status", "10"])
        #expect(queue.contains(code) && queue.contains("1 dossier(s)"), "\(queue)")
        #expect(try await ctl(["events", code]).contains("dossier.decided"))
        let verified = try await ctl(["verify"] + officer("admin"))
        #expect(verified.contains("chain intact"), "\(verified)")
        let report = try APIJSON.decoder.decode(ChainReport.self, from: Data(try await ctl(["verify", "--json"] + officer("admin")).utf8))
        #expect(report.intact && report.headSeq >= 5)
    }
}
