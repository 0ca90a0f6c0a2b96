import ArgumentParser
import AsyncHTTPClient
import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaLauncher
import MotCuaSecurity
import MotCuaTopology
import NIOCore
import Synchronization
import UnixSignals

/// `motcua up`: a whole local federation (hub and nodes as child processes) from a topology.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Start a local federation: the hub and every node of a topology, with certificates made for you.")

    @Argument(help: "Topology file.") var topology: String = "topology/dev.yaml"
    @Option(help: "State folder: PKI, data, logs, process list.") var stateDir: String = ".motcua"
    @Flag(help: "Drive realistic activity at every node (online and counter filings, processing, some late dossiers).") var demo = false
    @Flag(help: "Return once everything is ready; stop later with `motcua down`.") var detach = false
    @Option(help: "Password of every node's demo officers.") var demoPassword: String = "motcua-demo"
    @Option(help: "Seconds to wait for everything to be ready.") var timeout: Double = 120

    func run() async throws {
        let started = Date()
        let loaded = try Topology.load(path: topology)
        if let state = try? FederationState.load(stateDir: stateDir), state.processes.contains(where: \.isRunning) {
            throw CommandFailure("a federation from \(stateDir) is still running; `motcua down --state-dir \(stateDir)` first, or `motcua status`")
        }
        let logs = (stateDir as NSString).appendingPathComponent("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let pki = PKIDirectory(path: LaunchPlan.pkiDirectory(stateDir: stateDir))
        say("▸ \(loaded.name): hub + \(loaded.nodes.count) nodes; certificates in \(pki.path)")
        try LocalFederation.preparePKI(pki, topology: loaded)
        // Trap Ctrl-C before the first child exists: an interrupted start stops what it started.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let interruption = SignalLatch()
        let listener = Task { for await _ in signals { interruption.fire() } }
        defer { listener.cancel() }

        let hubURL = LaunchPlan.hubURL(loaded)
        var processes: [FederationProcess] = []
        var state = FederationState(topology: topology, startedAt: VietnamTime.format(started), processes: [])
        do {
        let hubLog = (logs as NSString).appendingPathComponent("hub.log")
        let hubPID = try LocalFederation.spawn(LaunchPlan.hub(loaded, topologyPath: topology, stateDir: stateDir), log: hubLog).processIdentifier
        processes.append(FederationProcess(
            id: loaded.hub.id, role: "hub", name: "Hub", pid: hubPID, publicURL: "https://localhost:\(loaded.hub.nationalPort)",
            federationURL: hubURL, log: hubLog))
        state.processes = processes
        try state.save(stateDir: stateDir)
        for node in loaded.nodes {
            let log = (logs as NSString).appendingPathComponent("\(node.id).log")
            let pid = try LocalFederation.spawn(
                LaunchPlan.node(node, topologyPath: topology, stateDir: stateDir, hubURL: hubURL, demoPassword: demoPassword), log: log
            ).processIdentifier
            processes.append(FederationProcess(
                id: node.id, role: node.kind.rawValue, name: node.name, pid: pid, publicURL: "http://\(node.host):\(node.publicPort)",
                federationURL: hubURL, log: log))
            state.processes = processes
            try state.save(stateDir: stateDir)
        }
        let startup = processes
        let interrupted = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await waitUntilReady(startup, started: started)
                return false
            }
            group.addTask {
                await interruption.wait()
                return !Task.isCancelled
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        if interrupted { throw CommandFailure("interrupted while starting") }
        } catch {
            LocalFederation.stop(processes.reversed())
            try? FileManager.default.removeItem(atPath: FederationState.path(stateDir: stateDir))
            throw error
        }
        if demo {
            let log = (logs as NSString).appendingPathComponent("demo.log")
            let pid = try LocalFederation.spawn(["demo", "--state-dir", stateDir, "--password", demoPassword], log: log).processIdentifier
            state.processes.append(FederationProcess(id: "demo", role: "demo", name: "Demo traffic", pid: pid, log: log))
            try state.save(stateDir: stateDir)
        }
        printTable(state, loaded: loaded, ready: Date().timeIntervalSince(started))
        if detach {
            say("\nDetached. `motcua status --state-dir \(stateDir)` shows it; `motcua down --state-dir \(stateDir)` stops it.")
            return
        }
        say("\nCtrl-C stops everything.")
        await interruption.wait()
        say("\n▸ stopping \(state.processes.count) processes…")
        LocalFederation.stop(state.processes.reversed())
        try? FileManager.default.removeItem(atPath: FederationState.path(stateDir: stateDir))
        say("stopped.")
    }

    func waitUntilReady(_ processes: [FederationProcess], started: Date) async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let hubClient = try LocalFederation.operatorClient(stateDir: stateDir)
        defer {
            Task {
                try? await client.shutdown()
                try? await hubClient.shutdown()
            }
        }
        var pending = processes
        let deadline = started.addingTimeInterval(timeout)
        while !pending.isEmpty {
            var still: [FederationProcess] = []
            for process in pending {
                guard process.isRunning else {
                    let tail = ((try? String(contentsOfFile: process.log, encoding: .utf8)) ?? "").suffix(1500)
                    throw CommandFailure("\(process.id) exited while starting; its log \(process.log) ends with:\n\(tail)")
                }
                let ready: Bool
                if process.role == "hub" {
                    ready = await APIClient(baseURL: process.federationURL!, http: hubClient, timeout: .seconds(2)).probe(NationalAPI.health()) != nil
                } else {
                    ready = await APIClient(baseURL: process.publicURL!, http: client, timeout: .seconds(2)).probe(NodeAPI.ready())?.isReady == true
                }
                if ready {
                    say(String(format: "  ✓ %-8@ ready after %.1f s", process.id as NSString, Date().timeIntervalSince(started)))
                } else {
                    still.append(process)
                }
            }
            pending = still
            if pending.isEmpty { break }
            guard Date() < deadline else {
                throw CommandFailure("not ready after \(Int(timeout)) s: \(pending.map(\.id).joined(separator: ", ")); see \(stateDir)/logs")
            }
            try await Task.sleep(for: .milliseconds(150))
        }
    }

    func printTable(_ state: FederationState, loaded: Topology, ready: TimeInterval) {
        say(String(format: "\nAll %d processes ready in %.1f s.\n", state.processes.filter { $0.role != "demo" }.count, ready))
        var table = TextTable(headers: ["id", "role", "name", "pid", "endpoint"])
        for process in state.processes {
            table.add([process.id, process.role, process.name, String(process.pid), process.publicURL ?? ""])
        }
        say(table.render())
        say("""

            Officers at every node: receiver, specialist, leader, admin (password \(demoPassword)),
              e.g. motcua ctl queue --url \(state.processes.first { $0.role != "hub" }?.publicURL ?? "") --username receiver --password \(demoPassword)
            National view (mTLS, operator certificate from \(stateDir)/pki):
              motcua ctl national status --state-dir \(stateDir)
            """)
    }
}

/// `motcua status`: is each process of the local federation up, and how far is the hub with each node.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the processes of the local federation.")
    @Option(help: "State folder.") var stateDir: String = ".motcua"
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() async throws {
        let state = try FederationState.load(stateDir: stateDir)
        let hubClient = try LocalFederation.operatorClient(stateDir: stateDir)
        let national = await state.hub.flatMap { $0.federationURL }.asyncMap {
            await APIClient(baseURL: $0, http: hubClient, timeout: .seconds(3)).probe(NationalAPI.status())
        } ?? nil
        try? await hubClient.shutdown()
        let standing = Dictionary((national?.nodes ?? []).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var rows: [JSONValue] = []
        var table = TextTable(headers: ["id", "role", "pid", "up", "public URL", "applied seq", "lag ms"])
        for process in state.processes {
            let up = process.isRunning
            let node = standing[process.id]
            rows.append(.object([
                "id": .string(process.id), "role": .string(process.role), "pid": .int(Int64(process.pid)), "up": .bool(up),
                "publicURL": process.publicURL.map(JSONValue.string) ?? .null,
                "federationURL": process.federationURL.map(JSONValue.string) ?? .null,
                "appliedSeq": node.map { .int($0.appliedSeq) } ?? .null, "lagMs": node?.lagMs.map(JSONValue.int) ?? .null,
            ]))
            table.add([
                process.id, process.role, String(process.pid), up ? "up" : "DOWN", process.publicURL ?? "",
                node.map { String($0.appliedSeq) } ?? "", node?.lagMs.map(String.init) ?? "",
            ])
        }
        say(json ? JSONValue.object(["topology": .string(state.topology), "processes": .array(rows)]).canonicalText : table.render())
    }
}

/// `motcua down`: stops a detached local federation.
struct DownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop the local federation started with `motcua up --detach`.")
    @Option(help: "State folder.") var stateDir: String = ".motcua"

    func run() throws {
        let state = try FederationState.load(stateDir: stateDir)
        let running = state.processes.filter(\.isRunning)
        LocalFederation.stop(running.reversed())
        try? FileManager.default.removeItem(atPath: FederationState.path(stateDir: stateDir))
        say("stopped \(running.count) process(es).")
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}

/// Remembers that a signal came and wakes whoever waits for it (cancellable, any number of waits).
final class SignalLatch: Sendable {
    private struct State {
        var fired = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once a signal has come, or when the waiting task is cancelled.
    func wait() async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.fired || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

/// Writes a line to standard output at once, unbuffered: `motcua up` is often run with its output sent to a
/// file or a pipe, where `print` would hold the progress lines back until exit.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
