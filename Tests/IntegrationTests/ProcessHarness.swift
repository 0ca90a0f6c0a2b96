import AsyncHTTPClient
import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaLauncher
import NIOCore
import NIOHTTP1
import Synchronization

/// Finds the `motcua` executable next to the test bundle (or MOTCUA_BINARY).
enum MotCuaBinary {
    static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["MOTCUA_BINARY"] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("motcua").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/motcua"
    }
}

/// Ports `freePort` has handed out in this test process.
private let handedOutPorts = Mutex<Set<Int>>([])

/// A free TCP port on loopback: bind to port 0, read what the kernel chose, release it. The kernel may
/// choose a just-released port again (a topology once got its hub's port for a node), so a port is
/// handed out at most once per test process.
func freePort() throws -> Int {
    for _ in 0..<100 {
        let port = try kernelChosenPort()
        if handedOutPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
    throw POSIXError(.EADDRINUSE)
}

private func kernelChosenPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// One `motcua node` child process on a loopback port.
final class NodeProcess: @unchecked Sendable {
    let dataDirectory: String
    let port: Int
    let process: Process
    let logPath: String

    init(dataDirectory: String, port: Int, seed: Bool = true) throws {
        self.dataDirectory = dataDirectory
        self.port = port
        logPath = dataDirectory + ".log"
        process = try LocalFederation.spawn(
            LaunchPlan.standaloneNode(dataDirectory: dataDirectory, port: port, seedDemo: seed), log: logPath, executable: MotCuaBinary.path)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Waits until `/readyz` answers, or fails with the node's log.
    func waitReady(timeout: TimeInterval = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning { break }
            if (try? await nodeAPI(baseURL).response(NodeAPI.ready()))?.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw CommandError("node on port \(port) did not become ready: \(log.suffix(2000))")
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The node's API as the tests use it: the shipped client, one attempt per request (a test that kills a
/// process counts what was answered, not what a retry carried later).
func nodeAPI(_ baseURL: String, timeout: TimeAmount = .seconds(10)) -> APIClient {
    var client = APIClient(baseURL: baseURL, timeout: timeout)
    client.attempts = 1
    return client
}

extension APIClient {
    /// The same client with the session of a demo officer.
    func loggedIn(as username: String, password: String = "motcua-demo") async throws -> APIClient {
        authorized(try await send(NodeAPI.login(username: username, password: password)).token)
    }
}

/// An online submission for a commune-level procedure with its mandatory components.
func onlineSubmission(_ index: Int, unit: String = "P01.D01.C01") -> SubmissionBody {
    SubmissionBody(
        procedureCode: "1.004873", channel: .online,
        applicant: Applicant(idNumber: String(format: "0010950%05d", index % 100_000), fullName: "Công dân \(index)"),
        components: ["TP1", "TP2"].map { (code: String) in UploadBody(code: code, fileName: "\(code).pdf", bytes: Data("tệp \(index)".utf8)) },
        unit: unit)
}
