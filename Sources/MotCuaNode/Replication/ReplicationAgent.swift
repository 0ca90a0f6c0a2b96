import Foundation
import Logging
import MotCuaCore
import MotCuaProtocol
import MotCuaSecurity
import MotCuaStore
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Where a node ships its log, and with which certificate.
public struct ReplicationConfiguration: Sendable {
    public var hubURL: String
    public var certificatePath: String
    public var keyPath: String
    public var caPath: String
    public var limits: ReplicationLimits
    public var requestTimeoutSeconds: Int64

    public init(
        hubURL: String, certificatePath: String, keyPath: String, caPath: String,
        limits: ReplicationLimits = .sending, requestTimeoutSeconds: Int64 = 15
    ) {
        self.hubURL = hubURL.hasSuffix("/") ? String(hubURL.dropLast()) : hubURL
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.caPath = caPath
        self.limits = limits
        self.requestTimeoutSeconds = requestTimeoutSeconds
    }

    /// The node's certificate and the CA from a `motcua certs` directory.
    public init(hubURL: String, nodeID: String, pki: PKIDirectory) {
        self.init(
            hubURL: hubURL, certificatePath: pki.certificatePath(for: .node(nodeID)), keyPath: pki.keyPath(for: .node(nodeID)),
            caPath: pki.caCertificatePath)
    }
}

/// What the agent reports to monitoring and to `/readyz`.
public struct ReplicationStatus: Sendable, Codable {
    public var hubURL: String
    public var acknowledgedSeq: Int64
    public var localHead: Int64
    public var backlog: Int64
    public var lagMs: Int64
    public var phase: String
    public var lastError: String?
    public var alarm: String?
}

/// The node's replication shell: carries out what the pure `ReplicationSender` decides. It wakes on
/// commits, sends at once when idle, batches under load, keeps one batch in flight, persists only the
/// positions the hub acknowledged, and backs off with jitter while the hub is away. Nothing on the
/// node's request path waits for it.
public final class ReplicationAgent: Service, Sendable {
    let configuration: ReplicationConfiguration
    let database: NodeDatabase
    let nodeID: String
    let logger: Logger
    let now: @Sendable () -> Date
    private let snapshot: Mutex<ReplicationStatus>

    static let acknowledgedSeqKey = "replication.acknowledged.seq"
    static let acknowledgedHashKey = "replication.acknowledged.hash"

    public init(configuration: ReplicationConfiguration, database: NodeDatabase, nodeID: String, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.database = database
        self.nodeID = nodeID
        self.logger = logger
        self.now = now
        snapshot = Mutex(ReplicationStatus(
            hubURL: configuration.hubURL, acknowledgedSeq: 0, localHead: 0, backlog: 0, lagMs: 0, phase: "starting"))
    }

    public var status: ReplicationStatus { snapshot.withLock { $0 } }

    public func run() async throws {
        let link = try FederationLink(configuration: configuration, logger: logger)
        defer { Task { await link.shutdown() } }
        let doorbell = Doorbell()
        // Rung on the writer's thread as each commit ends.
        let commits = database.commits.subscribe { doorbell.ring() }
        defer { commits.cancel() }
        let acknowledgments = AcknowledgmentRecorder(database: database, nodeID: nodeID, logger: logger)
        var sender = ReplicationSender(nodeID: nodeID, limits: configuration.limits, seed: UInt64.random(in: .min ... .max))
        let acknowledgedSeq = Int64(try await database.meta(Self.acknowledgedSeqKey) ?? "0") ?? 0
        let acknowledgedHash = try await database.meta(Self.acknowledgedHashKey) ?? EventChain.genesisHash
        var pending = sender.start(acknowledged: (acknowledgedSeq, acknowledgedHash), localHead: try await database.head().seq, now: now())
        var tickAt: Date?
        var lastError: String?
        var alarm: String?
        let stopping = StopFlag()

        await withGracefulShutdownHandler {
            while !Task.isCancelled && !stopping.isSet {
                while !pending.isEmpty {
                    let action = pending.removeFirst()
                    switch action {
                    case .load(let afterSeq, let limit, _):
                        do {
                            let events = ReplicationSender.cut(try await database.events(after: afterSeq, limit: limit), limits: configuration.limits)
                            pending += sender.loaded(events: events, now: now())
                        } catch {
                            lastError = "reading the log: \(error)"
                            pending += sender.failed(now: now())
                        }
                    case .send(let batch):
                        switch await send(batch, link: link) {
                        case .success(let reply):
                            lastError = nil
                            pending += sender.replied(reply, now: now())
                        case .failure(.refused(let reason)):
                            lastError = reason
                            pending += sender.refused(reason: reason, now: now())
                        case .failure(.unavailable(let reason)):
                            lastError = reason
                            pending += sender.failed(now: now())
                        case .failure(.notListening(let reason)):
                            lastError = reason
                            pending += sender.failed(now: now(), hubListening: false)
                        }
                        // A re-issued certificate (rotation, or after a revocation) is picked up without a
                        // restart: the next connection presents the new one.
                        link.refreshIfRotated()
                    case .persistAcknowledged(let seq, let hash):
                        // Stored behind the loop: the next batch does not wait for this write's fsync.
                        acknowledgments.record(seq: seq, hash: hash)
                    case .scheduleTick(let at):
                        tickAt = at
                    case .raiseAlarm(let message):
                        alarm = message
                        logger.critical("replication alarm", metadata: ["node.id": "\(nodeID)", "reason": "\(message)"])
                        // Halted: try again every 30 s, so an operator's release at the hub takes effect
                        // without restarting the node (a still-quarantined node just halts again).
                        if sender.haltReason != nil { tickAt = now().addingTimeInterval(Self.haltedRetrySeconds) }
                    }
                }
                publish(sender, lastError: lastError ?? acknowledgments.lastError, alarm: alarm)
                // Wait for a commit or the timer, whichever comes first.
                let timeout = max(0.001, min(5, (tickAt ?? now().addingTimeInterval(5)).timeIntervalSince(now())))
                let woken = await doorbell.wait(timeout: .milliseconds(Int64(timeout * 1000)))
                if Task.isCancelled || stopping.isSet { break }
                // Woken by a commit: the head the writer kept, no read. On the timer (idle, or a back-off
                // ending) the head is read from the file.
                let head = woken ? database.committedHead : ((try? await database.head().seq) ?? sender.localHead)
                pending += sender.committed(localHead: head, now: now())
                // A due timer fires even when commits keep waking us, or a busy node would never end
                // its back-off.
                if !woken || (tickAt.map { $0 <= now() } ?? false) {
                    tickAt = nil
                    if sender.haltReason != nil {
                        alarm = nil
                        pending += sender.resume()
                    } else {
                        pending += sender.tick(now: now())
                    }
                }
            }
        } onGracefulShutdown: {
            // Stop at the next turn of the loop, then store the last acknowledged position.
            stopping.set()
            doorbell.ring()
        }
        await acknowledgments.flush()
    }

    static let haltedRetrySeconds: TimeInterval = 30

    enum SendFailure: Error {
        case refused(String)
        case unavailable(String)
        /// The connection was refused: nothing listens at the hub's address (it is down or restarting).
        case notListening(String)
    }

    func send(_ batch: ReplicationBatch, link: FederationLink) async -> Result<ReplicationReply, SendFailure> {
        do {
            let (status, data) = try await link.call(
                .POST, "/v1/replication/batches", buffer: ByteBuffer(bytes: batch.binaryFrame()), contentType: ReplicationBatch.binaryContentType)
            switch status {
            case 200..<300:
                return .success(try JSONDecoder().decode(ReplicationReply.self, from: data))
            case 400..<500:
                return .failure(.refused("hub refused the batch (HTTP \(status)): \(String(decoding: data.prefix(300), as: UTF8.self))"))
            default:
                return .failure(.unavailable("hub answered HTTP \(status)"))
            }
        } catch {
            if FederationLink.nobodyListening(error) { return .failure(.notListening("hub not listening: \(error)")) }
            return .failure(.unavailable("hub unreachable: \(error)"))
        }
    }

    func publish(_ sender: ReplicationSender, lastError: String?, alarm: String?) {
        let nowDate = now()
        snapshot.withLock { status in
            status.acknowledgedSeq = sender.acknowledgedSeq
            status.localHead = sender.localHead
            status.backlog = sender.backlog
            status.lagMs = sender.lagMs(now: nowDate)
            status.phase = "\(sender.phase)".components(separatedBy: "(").first ?? "\(sender.phase)"
            status.lastError = lastError
            status.alarm = alarm
        }
    }
}

/// Stores the acknowledged position behind the send loop, so the next batch goes out while the last
/// position is being made durable. Only the newest position matters: one write at a time, at most one per
/// `interval`, and positions acknowledged meanwhile are folded into the next write (a node sending one
/// event per batch otherwise made a second fsync'd commit for each, which delayed its own intake). A node
/// that restarts from an older stored position re-sends events the hub already holds (at most `interval`
/// of them), and the hub answers `duplicate`. A failed write never stops the node: it is logged and shown
/// as the agent's last error until a later write succeeds.
final class AcknowledgmentRecorder: Sendable {
    private struct State {
        var latest: (seq: Int64, hash: String)?
        var writing = false
        var lastError: String?
    }

    private let database: NodeDatabase
    private let nodeID: String
    private let logger: Logger
    private let interval: Duration
    private let state = Mutex(State())
    /// Rung by `flush` to end the pause between two writes at once.
    private let hurry = Doorbell()

    init(database: NodeDatabase, nodeID: String, logger: Logger, interval: Duration = .milliseconds(200)) {
        self.database = database
        self.nodeID = nodeID
        self.logger = logger
        self.interval = interval
    }

    var lastError: String? { state.withLock { $0.lastError } }

    func record(seq: Int64, hash: String) {
        let start = state.withLock { state -> Bool in
            state.latest = (seq, hash)
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        if start { Task { await self.writeNewest() } }
    }

    private func writeNewest() async {
        while let position = state.withLock({ state -> (seq: Int64, hash: String)? in
            defer { state.latest = nil }
            if state.latest == nil { state.writing = false }
            return state.latest
        }) {
            do {
                try await database.setMeta([
                    (ReplicationAgent.acknowledgedHashKey, position.hash), (ReplicationAgent.acknowledgedSeqKey, String(position.seq)),
                ])
                state.withLock { $0.lastError = nil }
            } catch {
                state.withLock { $0.lastError = "storing the acknowledged position: \(error)" }
                logger.error("cannot store the replication position", metadata: ["node.id": "\(nodeID)", "error": "\(error)"])
            }
            // Positions acknowledged during the pause go into one write after it.
            _ = await hurry.wait(timeout: interval)
        }
    }

    /// Returns once the newest recorded position is stored (or its write failed).
    func flush() async {
        while state.withLock({ $0.writing }) {
            hurry.ring()
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// A wake-up that a waiter can sleep on with a time-out: rung by commits, answered by the timer otherwise.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Bool, Never>?
        /// Which wait the current waiter belongs to, so a late timer of an earlier wait cannot end it.
        var generation = 0
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// True when rung (now or earlier, since the last wait), false after `timeout` or on cancellation.
    func wait(timeout: Duration) async -> Bool {
        if state.withLock({ state in defer { state.rung = false }; return state.rung }) { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let generation = state.withLock { state -> Int? in
                    if state.rung {
                        state.rung = false
                        return nil
                    }
                    state.generation += 1
                    state.waiter = continuation
                    return state.generation
                }
                guard let generation else {
                    continuation.resume(returning: true)
                    return
                }
                Task {
                    try? await Task.sleep(for: timeout)
                    self.expire(generation: generation)
                }
            }
        } onCancel: {
            self.expire(generation: nil)
        }
    }

    private func expire(generation: Int?) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard generation == nil || generation == state.generation else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: false)
    }
}

/// Set once, read from the loop: the graceful-shutdown signal.
final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
