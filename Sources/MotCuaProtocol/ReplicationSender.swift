import Foundation
import MotCuaCore

/// The node-side replication agent's decisions as a pure value: it is told what happened (a commit, a
/// load, a reply, a failure, a timer) and answers with the actions the shell must perform. No I/O, no
/// clock, no global randomness, so tests drive it event by event and every run with a seed is the same.
///
/// Shape of a round: idle → `.load` → (`loaded`) → `.send` → (`replied`/`failed`) → idle or waiting.
/// At most one load or one batch is outstanding at any time.
public struct ReplicationSender: Sendable {
    /// What the shell must do, in order.
    public enum Action: Sendable, Hashable {
        /// Read up to `limit` events after `afterSeq` from the local log, stopping before `maxBytes`
        /// (counted as `ReplicationLimits.estimatedBytes`, always at least one event), then call `loaded`.
        case load(afterSeq: Int64, limit: Int, maxBytes: Int)
        /// Push this batch to the hub, then call `replied` with the answer, or `failed` on a network
        /// error, a time-out or a 5xx (`refused` on a 4xx).
        case send(ReplicationBatch)
        /// Durably store this position as the node's acknowledged position; it came from the hub.
        case persistAcknowledged(seq: Int64, hash: String)
        /// Call `tick` at (or after) this time. A later schedule replaces an earlier one.
        case scheduleTick(at: Date)
        /// Tell an operator; replication of this node needs attention.
        case raiseAlarm(String)
    }

    /// Where the machine is in its round.
    public enum Phase: Sendable, Hashable {
        /// `start` has not been called yet; every other input is ignored.
        case notStarted
        /// Nothing outstanding; caught up, or waiting for a commit.
        case idle
        /// A `.load(afterSeq:…)` is outstanding.
        case loading(afterSeq: Int64)
        /// A batch is in flight.
        case sending(ReplicationBatch)
        /// Backing off after a failure until this time.
        case waitingToRetry(until: Date)
        /// Stopped after a broken chain or a quarantine until `resume()`.
        case halted(reason: String)
    }

    /// A commit the machine was told about: events up to `seq` existed at `at`. Kept to report lag.
    private struct CommitMark: Sendable, Hashable {
        var seq: Int64
        var at: Date
    }

    /// At most this many commit marks are kept; past it the newest mark absorbs new commits, which can
    /// only overstate the lag, never hide it.
    private static let commitMarksLimit = 256

    public let nodeID: String
    public let limits: ReplicationLimits
    public let backoff: RetryBackoff
    public private(set) var phase: Phase = .notStarted
    /// The last position the hub acknowledged (as far as this node knows).
    public private(set) var acknowledgedSeq: Int64 = 0
    public private(set) var acknowledgedHash: String = EventChain.genesisHash
    /// Seq of the newest event in the local log.
    public private(set) var localHead: Int64 = 0
    /// Failures since the last reply that made progress.
    public private(set) var consecutiveFailures = 0
    private var commitMarks: [CommitMark] = []
    private var random: SplitMix64
    /// Whether an alarm was raised for the current run of refusals, so a persistent refusal alarms once.
    private var refusalAlarmRaised = false

    /// A machine for `nodeID`; `seed` fixes the jitter sequence (the shell passes something random,
    /// tests a constant).
    public init(nodeID: String, limits: ReplicationLimits = ReplicationLimits(), backoff: RetryBackoff = .replication, seed: UInt64) {
        self.nodeID = nodeID
        self.limits = limits
        self.backoff = backoff
        self.random = SplitMix64(seed: seed)
    }

    // MARK: Monitoring

    /// Events committed locally that the hub has not acknowledged.
    public var backlog: Int64 { max(0, localHead - acknowledgedSeq) }

    /// Milliseconds since the oldest commit the machine was told about that the hub has not yet
    /// acknowledged; 0 when caught up. This is the replication lag an operator watches.
    public func lagMs(now: Date) -> Int64 {
        guard let oldest = commitMarks.first else { return 0 }
        return max(0, Int64((now.timeIntervalSince(oldest.at) * 1000).rounded()))
    }

    /// The batch waiting for an answer, if any.
    public var inFlight: ReplicationBatch? {
        if case .sending(let batch) = phase { return batch }
        return nil
    }

    /// When the next retry is due, if backing off.
    public var retryAt: Date? {
        if case .waitingToRetry(let until) = phase { return until }
        return nil
    }

    /// Why sending stopped, if it did; cleared by `resume()`.
    public var haltReason: String? {
        if case .halted(let reason) = phase { return reason }
        return nil
    }

    // MARK: Inputs

    /// The agent starts (or restarts): the persisted acknowledged position and the local head. A backlog
    /// found here counts as committed `now` for the lag, the earliest the machine can know of it.
    public mutating func start(acknowledged: (seq: Int64, hash: String), localHead: Int64, now: Date) -> [Action] {
        acknowledgedSeq = acknowledged.seq
        acknowledgedHash = acknowledged.hash
        self.localHead = localHead
        consecutiveFailures = 0
        refusalAlarmRaised = false
        commitMarks = localHead > acknowledged.seq ? [CommitMark(seq: localHead, at: now)] : []
        phase = .idle
        return pump()
    }

    /// A local commit happened: the log now ends at `localHead`. Wakes an idle agent at once; while a
    /// batch is in flight or a back-off runs, the new events wait for the next round (and so batch up).
    public mutating func committed(localHead head: Int64, now: Date) -> [Action] {
        guard phase != .notStarted else { return [] }
        if head > localHead { localHead = head }
        noteCommit(seq: head, at: now)
        return pump()
    }

    /// The shell read the events asked for by `.load`. Builds the batch and sends it; an empty or
    /// non-consecutive read is treated as a failure (retried with back-off) rather than looping.
    public mutating func loaded(events: [Event], now: Date) -> [Action] {
        guard case .loading(let afterSeq) = phase else { return [] }
        let batchEvents = Self.cut(events, limits: limits)
        guard let first = batchEvents.first, first.seq == afterSeq + 1,
            batchEvents.enumerated().allSatisfy({ $0.element.seq == first.seq + Int64($0.offset) })
        else {
            return backOff(now: now)
        }
        if let last = batchEvents.last, last.seq > localHead { localHead = last.seq }
        let batch = ReplicationBatch(nodeID: nodeID, firstSeq: first.seq, prevHash: first.prevHash, events: batchEvents)
        phase = .sending(batch)
        return [.send(batch)]
    }

    /// The hub answered the batch in flight. Moves to the hub's position (forward past what was sent
    /// if the hub has more, back if it has less), persists it, and sends the next batch at once if there
    /// is a backlog; a broken chain or quarantine halts with an alarm.
    public mutating func replied(_ reply: ReplicationReply, now: Date) -> [Action] {
        guard case .sending(let batch) = phase else { return [] }
        switch reply {
        case .applied(let seq, let hash), .duplicate(let seq, let hash):
            return moveToHubPosition(seq: seq, hash: hash, sent: batch, now: now)
        case .gap(let expectedSeq, let hash):
            return moveToHubPosition(seq: expectedSeq - 1, hash: hash, sent: batch, now: now)
        case .chainBroken(let seq, let reason):
            return halt("hub quarantined node \(nodeID): chain broken at seq \(seq): \(reason)")
        case .quarantined(let reason):
            return halt("hub refuses node \(nodeID) while it is quarantined: \(reason)")
        }
    }

    /// The load or the send failed in a way worth retrying (network error, time-out, 5xx, a local read
    /// error): back off with jitter and try again from the acknowledged position. `hubListening` is false
    /// when the connection was refused (nothing listens at the hub's address): the back-off is then capped
    /// lower, so nodes find a restarted hub within a tenth of a second.
    public mutating func failed(now: Date, hubListening: Bool = true) -> [Action] {
        switch phase {
        case .loading, .sending: return backOff(now: now, listening: hubListening)
        default: return []
        }
    }

    /// The hub refused the request itself (a 4xx: identity, version, limits, malformed). Retrying at once
    /// cannot help, but a configuration fix or certificate rotation can, so raise an alarm (once per run
    /// of refusals) and keep retrying with back-off.
    public mutating func refused(reason: String, now: Date) -> [Action] {
        guard case .sending = phase else { return [] }
        var actions: [Action] = []
        if !refusalAlarmRaised {
            refusalAlarmRaised = true
            actions.append(.raiseAlarm("hub refused a batch from node \(nodeID): \(reason)"))
        }
        return actions + backOff(now: now)
    }

    /// A timer fired. Ends a back-off that is due (reloading from the acknowledged position); an early
    /// tick re-schedules the due time.
    public mutating func tick(now: Date) -> [Action] {
        switch phase {
        case .waitingToRetry(let until):
            guard now >= until else { return [.scheduleTick(at: until)] }
            phase = .idle
            return pump()
        case .idle:
            return pump()
        default:
            return []
        }
    }

    /// An operator dealt with the alarm (e.g. released the quarantine at the hub): start sending again
    /// from the acknowledged position.
    public mutating func resume() -> [Action] {
        guard case .halted = phase else { return [] }
        phase = .idle
        consecutiveFailures = 0
        refusalAlarmRaised = false
        return pump()
    }

    // MARK: Helpers

    /// Truncates a run of events to the limits: at most `maxEvents`, and at most `maxBytes` counted with
    /// `ReplicationLimits.estimatedBytes`, but always the first event, so one large event still travels.
    public static func cut(_ events: [Event], limits: ReplicationLimits) -> [Event] {
        var count = 0
        var bytes = 0
        for event in events {
            let size = ReplicationLimits.estimatedBytes(of: event)
            if count > 0, count >= limits.maxEvents || bytes + size > limits.maxBytes { break }
            count += 1
            bytes += size
        }
        return count == events.count ? events : Array(events.prefix(count))
    }

    /// Starts a round if idle and behind.
    private mutating func pump() -> [Action] {
        guard phase == .idle, localHead > acknowledgedSeq else { return [] }
        phase = .loading(afterSeq: acknowledgedSeq)
        return [.load(afterSeq: acknowledgedSeq, limit: limits.maxEvents, maxBytes: limits.maxBytes)]
    }

    /// Adopts the position the hub reports after a batch. A reply that does not move the position from
    /// where the batch started would only make the same batch again, so it is retried with back-off.
    private mutating func moveToHubPosition(seq: Int64, hash: String, sent batch: ReplicationBatch, now: Date) -> [Action] {
        guard seq <= localHead else {
            return halt("hub has node \(nodeID) at seq \(seq) but the local log ends at \(localHead): the local log lost events the hub holds")
        }
        guard seq >= 0 else {
            return halt("hub reported an impossible position \(seq) for node \(nodeID)")
        }
        var actions: [Action] = []
        if seq != acknowledgedSeq || hash != acknowledgedHash {
            acknowledgedSeq = seq
            acknowledgedHash = hash
            actions.append(.persistAcknowledged(seq: seq, hash: hash))
        }
        commitMarks.removeAll { $0.seq <= seq }
        if seq == batch.firstSeq - 1 {
            return actions + backOff(now: now)
        }
        consecutiveFailures = 0
        refusalAlarmRaised = false
        phase = .idle
        return actions + pump()
    }

    /// Schedules a jittered retry.
    private mutating func backOff(now: Date, listening: Bool = true) -> [Action] {
        consecutiveFailures += 1
        let delay = backoff.delayMs(failures: consecutiveFailures, listening: listening, using: &random)
        let until = now.addingTimeInterval(Double(delay) / 1000)
        phase = .waitingToRetry(until: until)
        return [.scheduleTick(at: until)]
    }

    /// Stops sending until `resume()`.
    private mutating func halt(_ reason: String) -> [Action] {
        phase = .halted(reason: reason)
        return [.raiseAlarm(reason)]
    }

    /// Remembers when events up to `seq` were known committed, for `lagMs`.
    private mutating func noteCommit(seq: Int64, at now: Date) {
        guard seq > acknowledgedSeq, seq > (commitMarks.last?.seq ?? acknowledgedSeq) else { return }
        if commitMarks.count >= Self.commitMarksLimit {
            commitMarks[commitMarks.count - 1].seq = seq
        } else {
            commitMarks.append(CommitMark(seq: seq, at: now))
        }
    }
}

/// A small, fast, seedable generator (SplitMix64): the sender's jitter source, so a seed replays a run.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    private var state: UInt64

    /// A generator whose whole future output is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
