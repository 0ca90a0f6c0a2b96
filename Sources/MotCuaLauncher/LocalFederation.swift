import AsyncHTTPClient
import Foundation
import MotCuaSecurity
import MotCuaTopology
import NIOCore
import X509

/// A failure to start, find or stop a local federation, told in a sentence for the operator.
public struct LaunchFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A local federation's processes as recorded in `<state-dir>/processes.json`, so `motcua status`,
/// `motcua down` and `motcua ctl` find them from any terminal.
public struct FederationProcess: Codable, Sendable {
    public var id: String
    public var role: String
    public var name: String
    public var pid: Int32
    public var publicURL: String?
    public var federationURL: String?
    public var log: String
    /// When the process started (clock ticks since boot, from `/proc`): a pid the system has handed to
    /// another process since is not this one, and is never signalled.
    public var startTicks: UInt64?

    public init(id: String, role: String, name: String, pid: Int32, publicURL: String? = nil, federationURL: String? = nil, log: String) {
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
    public var isRunning: Bool {
        guard LocalFederation.isAlive(pid) else { return false }
        guard let startTicks else { return true }
        return LocalFederation.startTicks(of: pid) == startTicks
    }
}

public struct FederationState: Codable, Sendable {
    public var topology: String
    public var startedAt: String
    public var processes: [FederationProcess]

    public init(topology: String, startedAt: String, processes: [FederationProcess]) {
        self.topology = topology
        self.startedAt = startedAt
        self.processes = processes
    }

    public static func path(stateDir: String) -> String { (stateDir as NSString).appendingPathComponent("processes.json") }

    public static func load(stateDir: String) throws -> FederationState {
        guard let data = FileManager.default.contents(atPath: path(stateDir: stateDir)) else {
            throw LaunchFailure("no local federation recorded in \(stateDir); start one with `motcua up`")
        }
        return try JSONDecoder().decode(FederationState.self, from: data)
    }

    public func save(stateDir: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(stateDir: stateDir)), options: .atomic)
    }

    public var hub: FederationProcess? { processes.first { $0.role == "hub" } }

    public func process(_ id: String) -> FederationProcess? { processes.first { $0.id == id } }

    /// Records that the process `id` runs again under a new pid (with that process's start time).
    public mutating func restarted(_ id: String, pid: Int32) {
        for index in processes.indices where processes[index].id == id {
            processes[index].pid = pid
            processes[index].startTicks = LocalFederation.startTicks(of: pid)
        }
    }
}

/// The command lines of a local federation's processes: one definition for `motcua up` and for whoever
/// restarts one of them later (the integration tests), so a restarted process is started as at first.
public enum LaunchPlan {
    /// The hub of a topology, its data and certificates under the state folder.
    public static func hub(_ topology: Topology, topologyPath: String, stateDir: String) -> [String] {
        [
            "hub", "--data-dir", topology.hub.dataDirectory(stateDir: stateDir), "--host", topology.hub.host,
            "--federation-port", String(topology.hub.federationPort), "--national-port", String(topology.hub.nationalPort),
            "--pki-dir", pkiDirectory(stateDir: stateDir), "--log-level", "warning", "--topology", topologyPath,
        ]
    }

    /// One node of a topology, seeded with demo data and officers, shipping its log to `hubURL`.
    public static func node(
        _ node: NodeSpec, topologyPath: String, stateDir: String, hubURL: String, demoPassword: String = "motcua-demo"
    ) -> [String] {
        [
            "node", "--topology", topologyPath, "--node-id", node.id, "--state-dir", stateDir, "--seed-demo",
            "--demo-password", demoPassword, "--hub-url", hubURL, "--host", node.host, "--log-level", "warning", "--plain-http",
        ]
    }

    /// A node on its own (no hub) on a data folder and port.
    public static func standaloneNode(dataDirectory: String, port: Int, seedDemo: Bool = true) -> [String] {
        ["node", "--data-dir", dataDirectory, "--public-port", String(port), "--log-level", "warning", "--plain-http"] + (seedDemo ? ["--seed-demo"] : [])
    }

    /// The hub's federation address as the nodes of a topology are given it.
    public static func hubURL(_ topology: Topology) -> String { "https://localhost:\(topology.hub.federationPort)" }

    public static func pkiDirectory(stateDir: String) -> String { (stateDir as NSString).appendingPathComponent("pki") }
}

/// Starts, watches and stops the processes of a local federation.
public enum LocalFederation {
    /// The operator identity `motcua up` issues for `motcua ctl` and the status checks.
    public static let operatorIdentity = FederationIdentity.operator("local")

    /// Makes the PKI if absent and a certificate for every party that lacks a valid one.
    public static func preparePKI(_ pki: PKIDirectory, topology: Topology) throws {
        if !pki.isInitialised { try pki.initialise(now: Date()) }
        try pki.ensurePseudonymKey()
        let identities: [FederationIdentity] = [.hub, operatorIdentity] + topology.nodes.map { .node($0.id) }
        for identity in identities {
            let valid = (try? pki.certificate(for: identity)).map { $0.notValidAfter > Date().addingTimeInterval(86_400) } ?? false
            if !valid { try pki.issue(identity, now: Date()) }
        }
    }

    /// Spawns `motcua` (`executable`, or the running program) with arguments, its output to a log file
    /// (appended to: a restarted process's log follows the first run's); the child keeps running if we exit.
    @discardableResult
    public static func spawn(_ arguments: [String], log: String, executable: String? = nil) throws -> Process {
        let process = Process()
        if let executable {
            process.executableURL = URL(fileURLWithPath: executable)
        } else {
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
            if !FileManager.default.isExecutableFile(atPath: process.executableURL!.path) {
                process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            }
        }
        process.arguments = arguments
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = FileHandle(forWritingAtPath: log)
        handle?.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    public static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        // A zombie (exited, not yet reaped) is not alive.
        let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !status.contains(") Z ")
    }

    /// A process's start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`); nil when there is
    /// no such process or no `/proc`.
    public static func startTicks(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name (which may hold spaces and parentheses): state is field 3, starttime 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Stops processes: SIGTERM, then SIGKILL after `grace` seconds. Only the processes recorded: a pid
    /// reused by another process since is left alone.
    public static func stop(_ processes: [FederationProcess], grace: TimeInterval = 10) {
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
    public static func operatorClient(stateDir: String) throws -> HTTPClient {
        let pki = PKIDirectory(path: LaunchPlan.pkiDirectory(stateDir: stateDir))
        let tls = try FederationTLS.clientConfiguration(
            certificatePath: pki.certificatePath(for: operatorIdentity), keyPath: pki.keyPath(for: operatorIdentity),
            caPath: pki.caCertificatePath)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .automatic
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(10))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
