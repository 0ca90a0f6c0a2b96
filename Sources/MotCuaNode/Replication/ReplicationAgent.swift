import Foundation
import HTTPTypes
import Logging
import MotCuaAPI
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
    let clock: any Clock<Duration>
    private let snapshot: Mutex<ReplicationStatus>
    /// Where the last acknowledged position is kept beside the database (nil: only in the database).
    let positionFile: String?
    let health: NodeHealth?
    /// The link to the hub while the agent runs (for the head check an operator's recovery asks for).
    private let currentLink = Mutex<FederationLink?>(nil)
    /// Set by `resynchronise()`: the loop starts again from the acknowledged position in the database.
    private let restartRequested = Mutex(false)
    private let wakeUp: Doorbell

    /// The hub's acknowledged position as stored in the node's database (0 and the genesis hash before any).
    public static func storedPosition(in database: NodeDatabase) async throws -> (seq: Int64, hash: String) {
        let seq = Int64(try await database.meta(acknowledgedSeqKey) ?? "0") ?? 0
        return (seq, try await database.meta(acknowledgedHashKey) ?? EventChain.genesisHash)
    }

    /// Stores the hub's acknowledged position in the database and, if given, in the file beside it.
    public static func storePosition(seq: Int64, hash: String, in database: NodeDatabase, positionFile: String?) async throws {
        try await database.setMeta([(acknowledgedHashKey, hash), (acknowledgedSeqKey, String(seq))])
        if let positionFile { try writePositionFile(positionFile, seq: seq, hash: hash) }
    }

    static let acknowledgedSeqKey = "replication.acknowledged.seq"
    static let acknowledgedHashKey = "replication.acknowledged.hash"
    /// The hub's answer to the last head check that found the log behind, kept for an operator to read
    /// (`accept-log-loss` asks the hub again).
    static let hubPositionKey = "recovery.hub-position"
    /// Seeds of the sender's jitter, one per (re)start of the machine.
    private let seeds: Mutex<SplitMix64>

    public init(
        configuration: ReplicationConfiguration, database: NodeDatabase, nodeID: String, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }, clock: any Clock<Duration> = ContinuousClock(), positionFile: String? = nil,
        health: NodeHealth? = nil, seed: UInt64 = UInt64.random(in: .min ... .max)
    ) {
        self.seeds = Mutex(SplitMix64(seed: seed))
        self.positionFile = positionFile
        self.health = health
        self.configuration = configuration
        self.database = database
        self.nodeID = nodeID
        self.logger = logger
        self.now = now
        self.clock = clock
        wakeUp = Doorbell(clock: clock)
        snapshot = Mutex(ReplicationStatus(
            hubURL: configuration.hubURL, acknowledgedSeq: 0, localHead: 0, backlog: 0, lagMs: 0, phase: "starting"))
    }

    public var status: ReplicationStatus { snapshot.withLock { $0 } }

    public func run() async throws {
        let link = try FederationLink(configuration: configuration, logger: logger, clock: clock)
        currentLink.withLock { $0 = link }
        defer {
            currentLink.withLock { $0 = nil }
            Task { await link.shutdown() }
        }
        let doorbell = wakeUp
        // Before the first batch: does the hub hold more of this log than the log itself?
        _ = try? await checkHead(link: link)
        // Rung on the writer's thread as each commit ends.
        let commits = database.commits.subscribe { doorbell.ring() }
        defer { commits.cancel() }
        let acknowledgments = AcknowledgmentRecorder(
            database: database, nodeID: nodeID, logger: logger, positionFile: positionFile, clock: clock)
        var sender = ReplicationSender(nodeID: nodeID, limits: configuration.limits, seed: seeds.withLock { $0.next() })
        var pending = sender.start(acknowledged: try await Self.storedPosition(in: database), localHead: try await database.head().seq, now: now())
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
                        // Halted on the hub's word (it holds more of the log, or another version of it):
                        // find out which, and stop writes if the log went back.
                        if sender.haltReason != nil { _ = try? await checkHead(link: link) }
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
                if restartRequested.withLock({ state in defer { state = false }; return state }) {
                    // An operator accepted a lost end of the log: go on from the position stored with it.
                    await acknowledgments.flush()
                    sender = ReplicationSender(nodeID: nodeID, limits: configuration.limits, seed: seeds.withLock { $0.next() })
                    let position = (try? await Self.storedPosition(in: database)) ?? (0, EventChain.genesisHash)
                    alarm = nil
                    tickAt = nil
                    pending = sender.start(acknowledged: position, localHead: database.committedHead, now: now())
                    continue
                }
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

    /// Starts again from the acknowledged position stored in the database (after `accept-log-loss`).
    public func resynchronise() {
        restartRequested.withLock { $0 = true }
        wakeUp.ring()
    }

    /// What the hub holds of this node's log, asked now (for `accept-log-loss`); throws when it cannot be reached.
    public func askHub() async throws -> NodeDatabase.HubPosition {
        guard let link = currentLink.withLock({ $0 }) else { throw NodeError(.unavailable, "hub.unreachable", "the replication agent is not running") }
        return try await checkHead(link: link)
    }

    /// Tells the hub where the local log ends and compares with what the hub applied. Behind (the hub has
    /// more) or different (another hash at the hub's position): writes stop (`node.log-behind-hub`) and
    /// the hub's answer is kept for `accept-log-loss`. In step: a hold from an earlier check is lifted.
    @discardableResult
    func checkHead(link: FederationLink) async throws -> NodeDatabase.HubPosition {
        let head = try await database.head()
        let today = VietnamTime.localDate(of: now())
        let days = [today.adding(days: -1), today].map { date in
            String(format: "%02d%02d%02d", date.year % 100, date.month, date.day)
        }
        let body = try JSONEncoder().encode(HeadReport(headSeq: head.seq, days: days))
        let (status, data) = try await link.call(.POST, "/v1/replication/head", body: body, timeout: 5)
        guard status == 200, let answer = try? JSONDecoder().decode(HeadAnswer.self, from: data) else {
            throw NodeError(.upstream, "hub.unexpected-answer", "the hub answered the head check with HTTP \(status)")
        }
        let position = NodeDatabase.HubPosition(
            appliedSeq: answer.appliedSeq, appliedHash: answer.appliedHash, highestNumbers: answer.highestNumbers ?? [:])
        var problem: String?
        if answer.appliedSeq > head.seq {
            problem = "the local log ends at seq \(head.seq) but the hub has applied up to seq \(answer.appliedSeq)"
        } else if answer.appliedSeq > 0, let local = try await database.hash(atSeq: answer.appliedSeq), local != answer.appliedHash {
            problem = "the hub applied another event at seq \(answer.appliedSeq) than the one this log holds there"
        }
        if let problem {
            try? await database.setMeta(Self.hubPositionKey, String(decoding: try JSONEncoder().encode(position), as: UTF8.self))
            health?.hold(.logBehindHub, problem, at: now())
        } else if health?.isHeld(.logBehindHub) == true {
            health?.lift(.logBehindHub)
        }
        return position
    }

    struct HeadReport: Encodable {
        var headSeq: Int64
        var days: [String]
    }

    struct HeadAnswer: Decodable {
        var appliedSeq: Int64
        var appliedHash: String
        var highestNumbers: [String: Int]?
    }

    /// The last acknowledged position as kept beside the database, or nil.
    public static func readPositionFile(_ path: String) -> (seq: Int64, hash: String)? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let seq = Int64(parts[0]), parts[1].count == 64 else { return nil }
        return (seq, String(parts[1]))
    }

    /// Replaces the file in one rename, so a crash leaves the old position or the new one, never half.
    static func writePositionFile(_ path: String, seq: Int64, hash: String) throws {
        try Data("\(seq) \(hash)\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

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
    private let positionFile: String?
    private let state = Mutex(State())
    /// Rung by `flush` to end the pause between two writes at once.
    private let hurry: Doorbell

    init(
        database: NodeDatabase, nodeID: String, logger: Logger, interval: Duration = .milliseconds(200), positionFile: String? = nil,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        hurry = Doorbell(clock: clock)
        self.positionFile = positionFile
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
                try await ReplicationAgent.storePosition(seq: position.seq, hash: position.hash, in: database, positionFile: positionFile)
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
/// The timer runs on the injected clock (a test moves it by hand).
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Bool, Never>?
        /// Which wait the current waiter belongs to, so a late timer of an earlier wait cannot end it.
        var generation = 0
    }

    private let state = Mutex(State())
    private let clock: any Clock<Duration>

    init(clock: any Clock<Duration> = ContinuousClock()) { self.clock = clock }

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
                Task { [clock] in
                    try? await clock.sleep(for: timeout)
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
