import AsyncHTTPClient
import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaLauncher
import MotCuaTopology
import NIOCore
import NIOHTTP1
import MotCuaTestSupport
import Testing

/// A local federation started with `motcua up --detach` from a topology on free loopback ports.
final class LocalFederationHarness: @unchecked Sendable {
    let stateDir: String
    let topologyPath: String
    let hubFederationPort: Int
    let hubNationalPort: Int
    let nodePorts: [String: Int]
    let operatorClient: HTTPClient
    let topology: Topology

    init() async throws {
        stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-fed-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        hubFederationPort = try freePort()
        hubNationalPort = try freePort()
        nodePorts = ["p01": try freePort(), "p79": try freePort(), "m-bca": try freePort()]
        topologyPath = stateDir + "/topology.yaml"
        let yaml = """
            name: integration
            hub: {federationPort: \(hubFederationPort), nationalPort: \(hubNationalPort)}
            nodes:
              - {id: p01, kind: province, code: "01", name: Hà Nội, publicPort: \(nodePorts["p01"]!), units: {generator: hanoi}}
              - {id: p79, kind: province, code: "79", name: Hồ Chí Minh, publicPort: \(nodePorts["p79"]!), units: {generator: province, districts: 0, communes: 3}}
              - {id: m-bca, kind: ministry, code: BCA, name: Bộ Công an, publicPort: \(nodePorts["m-bca"]!), units: {generator: ministry}}
            """
        try yaml.write(toFile: topologyPath, atomically: true, encoding: .utf8)
        topology = try Topology.load(path: topologyPath)
        let up = try await runMotCua(["up", topologyPath, "--state-dir", stateDir, "--detach", "--timeout", "60"])
        guard up.status == 0 else { throw CommandError("motcua up failed: \(up.output)") }
        operatorClient = try LocalFederation.operatorClient(stateDir: stateDir)
    }

    func shutdown() async {
        _ = try? await runMotCua(["down", "--state-dir", stateDir])
        try? await operatorClient.shutdown()
        try? FileManager.default.removeItem(atPath: stateDir)
    }

    func nodeURL(_ id: String) -> String { "http://127.0.0.1:\(nodePorts[id]!)" }

    /// The recorded process `id` (its pid changes when a test restarts it).
    func process(_ id: String) throws -> FederationProcess {
        guard let process = try FederationState.load(stateDir: stateDir).process(id) else { throw CommandError("no process \(id) recorded") }
        return process
    }

    func pid(_ id: String) throws -> Int32 { try process(id).pid }

    /// The hub's national API with the operator's certificate.
    var national: APIClient { APIClient(baseURL: "https://localhost:\(hubNationalPort)", http: operatorClient, timeout: .seconds(10)) }

    /// Every dossier code the hub holds for a node.
    func hubCodes(node: String) async throws -> Set<String> {
        var codes = Set<String>()
        var cursor: String?
        repeat {
            let page = try await national.send(NationalAPI.dossiers(.init(node: node, cursor: cursor, limit: 500)))
            codes.formUnion(page.items.map(\.code))
            cursor = page.nextCursor
        } while cursor != nil
        return codes
    }

    func appliedSeq(node: String) async throws -> Int64? {
        try await national.send(NationalAPI.status()).nodes.first { $0.id == node }?.appliedSeq
    }

    /// Every dossier code a node holds, read through its admin's API.
    func nodeCodes(_ id: String) async throws -> Set<String> {
        let admin = try await nodeAPI(nodeURL(id)).loggedIn(as: "admin")
        var codes = Set<String>()
        var cursor: String?
        repeat {
            let page = try await admin.send(NodeAPI.queue(.init(cursor: cursor, limit: 200)))
            codes.formUnion(page.items.map(\.code))
            cursor = page.nextCursor
        } while cursor != nil
        return codes
    }

    /// The node's log head from its readiness probe (which answers with 503 while the node does not write).
    func logHead(_ id: String) async throws -> Int64 {
        try await nodeAPI(nodeURL(id)).response(NodeAPI.ready()).decoded(ReadyAnswer.self).logHead
    }

    /// Restarts one node exactly as `motcua up` started it (the same launch plan), and records its new pid.
    func restartNode(_ id: String, hubURL explicitHubURL: String? = nil, expectReady: Bool = true) async throws {
        let node = try #require(topology.nodes.first { $0.id == id })
        let arguments = LaunchPlan.node(node, topologyPath: topologyPath, stateDir: stateDir, hubURL: explicitHubURL ?? LaunchPlan.hubURL(topology))
        try restart(id, arguments)
        // A node that stopped writing answers its readiness probe with 503.
        try await waitFor(seconds: 30) {
            (try? await nodeAPI(self.nodeURL(id)).response(NodeAPI.ready())).map { expectReady ? $0.status == 200 : $0.status > 0 } ?? false
        }
    }

    func restartHub() async throws {
        try restart("hub", LaunchPlan.hub(topology, topologyPath: topologyPath, stateDir: stateDir))
        try await waitFor(seconds: 30) { (try? await self.national.send(NationalAPI.nodes())) != nil }
    }

    /// Starts the process `id` again with these arguments (its output after its first run's log) and
    /// records its pid and start time, so `motcua down` stops it too.
    private func restart(_ id: String, _ arguments: [String]) throws {
        var state = try FederationState.load(stateDir: stateDir)
        let log = try #require(state.process(id)).log
        let process = try LocalFederation.spawn(arguments, log: log, executable: MotCuaBinary.path)
        state.restarted(id, pid: process.processIdentifier)
        try state.save(stateDir: stateDir)
    }

    /// Submits `count` dossiers at a node from `workers` concurrent clients; returns the acknowledged codes.
    func load(_ id: String, count: Int, workers: Int = 8, stopWhen: (@Sendable (Int) -> Bool)? = nil) async -> [String] {
        let acknowledged = AcknowledgedCodes()
        let url = nodeURL(id)
        let unit = id == "p01" ? "P01.D01.C01" : "P79.C01"
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var index = worker
                    while index < count {
                        let request = NodeAPI.file(onlineSubmission(index + 10_000 * worker, unit: unit))
                        guard let code = try? await nodeAPI(url, timeout: .seconds(5)).send(request).code else { return }
                        let total = acknowledged.append(code)
                        if stopWhen?(total) == true { return }
                        index += workers
                    }
                }
            }
        }
        return acknowledged.all
    }
}

/// Runs `motcua` with these arguments to its end; its exit status and combined output. `limit`: stopped
/// after that many seconds (a command expected to refuse that starts serving instead must not hang a test).
func runMotCua(_ arguments: [String], limit: Double? = nil) async throws -> ProcessOutput {
    try await runProgram(MotCuaBinary.path, arguments, limit: limit)
}

@Suite("Federation (real processes over mutual TLS)", .serialized, .timeLimit(.minutes(3)))
struct FederationTests {
    @Test func dossiersFromTwoProvincesAndAMinistryReachTheHubWithinTwoSeconds() async throws {
        let federation = try await LocalFederationHarness()
        var codes: [(node: String, code: String)] = []
        let names = ["Trần Thị Bích", "Lê Văn Cường", "Phạm Minh Đức"]
        let ids = ["001195012345", "079301000123", "046090000777"]
        do {
            for (index, node) in ["p01", "p79", "m-bca"].enumerated() {
                let procedure = node == "m-bca" ? "1.001491" : "1.004873"
                let api = nodeAPI(federation.nodeURL(node))
                let described = try await api.send(NodeAPI.procedure(procedure))
                let components = described.components.filter(\.mandatory).map { UploadBody(code: $0.code, fileName: "a.pdf", contentBase64: "YQ==") }
                let unit = ["p01": "P01.D01.C01", "p79": "P79.C01", "m-bca": "M-BCA.C01"][node]!
                let filed = try await api.response(NodeAPI.file(SubmissionBody(
                    procedureCode: procedure, applicant: Applicant(idNumber: ids[index], fullName: names[index]), components: components, unit: unit)))
                #expect(filed.status == 201, "\(node): \(String(decoding: filed.body, as: UTF8.self))")
                codes.append((node, try filed.decoded(DossierView.self).code))
            }
            let submitted = Date()
            let filed = codes
            try await waitFor(seconds: 2) {
                for (node, code) in filed {
                    guard let found = try? await federation.national.send(NationalAPI.dossier(code)).dossier,
                          found.node == node, found.level == (node == "m-bca" ? "ministry" : "commune") else { return false }
                }
                return true
            }
            let elapsed = Date().timeIntervalSince(submitted)
            #expect(elapsed < 2, "visible at the hub after \(elapsed) s")

            // Personal data stays home: the hub's file holds none of the names or ID numbers.
            let hubFile = try Data(contentsOf: URL(fileURLWithPath: federation.stateDir + "/hub/hub.sqlite"))
            let wal = (try? Data(contentsOf: URL(fileURLWithPath: federation.stateDir + "/hub/hub.sqlite-wal"))) ?? Data()
            for secret in names + ids {
                #expect(hubFile.range(of: Data(secret.utf8)) == nil && wal.range(of: Data(secret.utf8)) == nil, "\(secret) reached the hub")
            }
        } catch {
            await federation.shutdown()
            throw error
        }
        await federation.shutdown()
    }

    @Test func killNineANodeDuringLoadThenRestartIt() async throws {
        let federation = try await LocalFederationHarness()
        do {
            let pid = try federation.pid("p79")
            let acknowledged = await federation.load("p79", count: 3_000, stopWhen: { total in
                if total == 300 { kill(pid, SIGKILL) }
                return false
            })
            #expect(acknowledged.count >= 300)
            try await federation.restartNode("p79")
            let head = try await federation.logHead("p79")
            try await waitFor(seconds: 20) { try await federation.appliedSeq(node: "p79") == head }
            let atNode = try await federation.nodeCodes("p79")
            let atHub = try await federation.hubCodes(node: "p79")
            #expect(Set(acknowledged).isSubset(of: atNode), "the node lost acknowledged dossiers")
            #expect(atHub == atNode, "hub and node differ: \(atHub.symmetricDifference(atNode).prefix(5))")
        } catch {
            await federation.shutdown()
            throw error
        }
        await federation.shutdown()
    }

    @Test func killNineTheHubDuringLoadThenRestartIt() async throws {
        let federation = try await LocalFederationHarness()
        do {
            let hubPID = try federation.pid("hub")
            let acknowledged = await federation.load("p01", count: 2_000, stopWhen: { total in
                if total == 300 { kill(hubPID, SIGKILL) }
                return false
            })
            #expect(acknowledged.count == 2_000, "the node kept serving while the hub was gone")
            try await federation.restartHub()
            let head = try await federation.logHead("p01")
            try await waitFor(seconds: 30) { try await federation.appliedSeq(node: "p01") == head }
            let atHub = try await federation.hubCodes(node: "p01")
            #expect(atHub == Set(acknowledged), "hub and node differ by \(atHub.symmetricDifference(Set(acknowledged)).count)")
        } catch {
            await federation.shutdown()
            throw error
        }
        await federation.shutdown()
    }

    /// The node's certificate is revoked and a new one issued from the same CA while the node runs: it
    /// picks the new one up from its file, with no restart. After the hub restarts every connection is
    /// made afresh, and the revoked certificate would be refused.
    @Test func aNodeSwitchesToAReissuedCertificateWithoutARestart() async throws {
        let federation = try await LocalFederationHarness()
        do {
            let before = await federation.load("p01", count: 20, workers: 4)
            try await waitFor(seconds: 10) { try await federation.hubCodes(node: "p01").isSuperset(of: before) }
            let pid = try federation.pid("p01")
            let pki = federation.stateDir + "/pki"
            let revoked = try await runMotCua(["certs", "revoke", "--dir", pki, "--role", "node", "--id", "p01", "--reason", "key rotation"])
            #expect(revoked.status == 0, "\(revoked.output)")
            let issued = try await runMotCua(["certs", "issue", "--dir", pki, "--role", "node", "--id", "p01"])
            #expect(issued.status == 0, "\(issued.output)")
            kill(try federation.pid("hub"), SIGTERM)
            try await waitFor(seconds: 10) { (try? await federation.national.send(NationalAPI.nodes())) == nil }
            try await federation.restartHub()
            let after = await federation.load("p01", count: 20, workers: 4)
            #expect(after.count == 20)
            try await waitFor(seconds: 15) { try await federation.hubCodes(node: "p01").isSuperset(of: after) }
            #expect(try federation.pid("p01") == pid)
        } catch {
            await federation.shutdown()
            throw error
        }
        await federation.shutdown()
    }

    @Test func theHubAwayForThirtySecondsThenEverythingArrivesInOrder() async throws {
        let federation = try await LocalFederationHarness()
        do {
            kill(try federation.pid("hub"), SIGTERM)
            let started = Date()
            var acknowledged: [String] = []
            while Date().timeIntervalSince(started) < 30 {
                acknowledged += await federation.load("p01", count: 40, workers: 4)
                acknowledged += await federation.load("p79", count: 40, workers: 4)
                try await Task.sleep(for: .milliseconds(500))
            }
            try await federation.restartHub()
            for node in ["p01", "p79"] {
                let head = try await federation.logHead(node)
                try await waitFor(seconds: 30) { try await federation.appliedSeq(node: node) == head }
            }
            let atHub = try await federation.hubCodes(node: "p01").union(try await federation.hubCodes(node: "p79"))
            #expect(Set(acknowledged).isSubset(of: atHub))
            // In order: the hub's position for each node is its whole log, with no gap (the receiver accepts
            // only seq = applied + 1, so reaching the head means every event arrived in order).
            #expect(try await federation.appliedSeq(node: "p01") == (try await federation.logHead("p01")))
        } catch {
            await federation.shutdown()
            throw error
        }
        await federation.shutdown()
    }
}
