import AsyncHTTPClient
import Foundation
import MotCuaCore
import MotCuaSecurity
import MotCuaTopology
import NIOCore
import NIOHTTP1
import NIOSSL
import X509

/// A local federation's processes as recorded in `<state-dir>/processes.json`, so `motcua status`,
/// `motcua down` and `motcua ctl` find them from any terminal.
struct FederationProcess: Codable, Sendable {
    var id: String
    var role: String
    var name: String
    var pid: Int32
    var publicURL: String?
    var federationURL: String?
    var log: String
    /// When the process started (clock ticks since boot, from `/proc`): a pid the system has handed to
    /// another process since is not this one, and is never signalled.
    var startTicks: UInt64?

    init(id: String, role: String, name: String, pid: Int32, publicURL: String? = nil, federationURL: String? = nil, log: String) {
        self.id = id
        self.role = role
        self.name = name
        self.pid = pid
        self.publicURL = publicURL
        self.federationURL = federationURL
        self.log = log
        startTicks = LocalFederation.startTicks(of: pid)
    }

    /// The recorded process is alive: its pid runs, and it is the same process (same start time).
    var isRunning: Bool {
        guard LocalFederation.isAlive(pid) else { return false }
        guard let startTicks else { return true }
        return LocalFederation.startTicks(of: pid) == startTicks
    }
}

struct FederationState: Codable, Sendable {
    var topology: String
    var startedAt: String
    var processes: [FederationProcess]

    static func path(stateDir: String) -> String { (stateDir as NSString).appendingPathComponent("processes.json") }

    static func load(stateDir: String) throws -> FederationState {
        guard let data = FileManager.default.contents(atPath: path(stateDir: stateDir)) else {
            throw CommandFailure("no local federation recorded in \(stateDir); start one with `motcua up`")
        }
        return try JSONDecoder().decode(FederationState.self, from: data)
    }

    func save(stateDir: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(stateDir: stateDir)), options: .atomic)
    }

    var hub: FederationProcess? { processes.first { $0.role == "hub" } }
}

/// Starts, watches and stops the processes of a local federation.
enum LocalFederation {
    /// The operator identity `motcua up` issues for `motcua ctl` and the status checks.
    static let operatorIdentity = FederationIdentity.operator("local")

    /// Makes the PKI if absent and a certificate for every party that lacks a valid one.
    static func preparePKI(_ pki: PKIDirectory, topology: Topology) throws {
        if !pki.isInitialised { try pki.initialise(now: Date()) }
        try pki.ensurePseudonymKey()
        let identities: [FederationIdentity] = [.hub, operatorIdentity] + topology.nodes.map { .node($0.id) }
        for identity in identities {
            let valid = (try? pki.certificate(for: identity)).map { $0.notValidAfter > Date().addingTimeInterval(86_400) } ?? false
            if !valid { try pki.issue(identity, now: Date()) }
        }
    }

    /// Spawns `motcua` with arguments, output to a log file; the child keeps running if we exit.
    static func spawn(_ arguments: [String], log: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
        if !FileManager.default.isExecutableFile(atPath: process.executableURL!.path) {
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        }
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process.processIdentifier
    }

    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        // A zombie (exited, not yet reaped) is not alive.
        let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !status.contains(") Z ")
    }

    /// A process's start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`); nil when there is
    /// no such process or no `/proc`.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name (which may hold spaces and parentheses): state is field 3, starttime 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Stops processes: SIGTERM, then SIGKILL after `grace` seconds. Only the processes recorded: a pid
    /// reused by another process since is left alone.
    static func stop(_ processes: [FederationProcess], grace: TimeInterval = 10) {
        let processes = processes.filter(\.isRunning)
        for process in processes { kill(process.pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline && processes.contains(where: \.isRunning) {
            var status: Int32 = 0
            while waitpid(-1, &status, WNOHANG) > 0 {}
            usleep(50_000)
        }
        for process in processes where process.isRunning { kill(process.pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(-1, &status, WNOHANG) > 0 {}
    }

    /// A client for the hub with the local operator's certificate.
    static func operatorClient(stateDir: String) throws -> HTTPClient {
        let pki = PKIDirectory(path: (stateDir as NSString).appendingPathComponent("pki"))
        let tls = try FederationTLS.clientConfiguration(
            certificatePath: pki.certificatePath(for: operatorIdentity), keyPath: pki.keyPath(for: operatorIdentity),
            caPath: pki.caCertificatePath)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .automatic
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(10))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

}
