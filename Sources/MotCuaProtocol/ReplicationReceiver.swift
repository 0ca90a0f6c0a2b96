import Foundation
import MotCuaCore

/// What the hub knows about one node's log: how far it has applied and whether the node is quarantined.
/// The hub stores it in the same transaction as the applied events.
public struct NodeCursor: Codable, Sendable, Hashable {
    public var nodeID: String
    /// Seq of the last applied event; 0 before the first.
    public var appliedSeq: Int64
    /// Hash of the last applied event; `EventChain.genesisHash` before the first.
    public var appliedHash: String
    /// Why the node is quarantined, or nil when it is not. Only an operator clears it.
    public var quarantined: String?

    /// A cursor as stored; a node never seen before starts at `(0, genesisHash)`, not quarantined.
    public init(
        nodeID: String, appliedSeq: Int64 = 0, appliedHash: String = EventChain.genesisHash,
        quarantined: String? = nil
    ) {
        self.nodeID = nodeID
        self.appliedSeq = appliedSeq
        self.appliedHash = appliedHash
        self.quarantined = quarantined
    }
}

/// The hub's side of replication as a pure decision: given what is applied and what arrived, say what to
/// do. The shell performs it (one transaction) and only then answers, so an acknowledgement always means
/// durable.
public enum ReplicationReceiver {
    /// What the hub must do with a batch.
    public enum Decision: Sendable, Hashable {
        /// Store these events and move the cursor to (newSeq, newHash) in one transaction, then answer
        /// `.applied(appliedSeq: newSeq, appliedHash: newHash)`. The events follow the cursor and were
        /// verified (seq, prevHash and recomputed hash) with `EventChain.Verifier`; an already-applied
        /// prefix has been dropped.
        case apply(events: [Event], newSeq: Int64, newHash: String)
        /// Change nothing; send this answer (duplicate, gap, or already quarantined).
        case reply(ReplicationReply)
        /// The chain breaks at `seq`: durably mark the node quarantined with `reason` (apply nothing of
        /// the batch), raise it to operators, then answer `.chainBroken(seq:reason:)`.
        case quarantine(seq: Int64, reason: String)
        /// The request is not acceptable as such (wrong identity, wrong version, over the limits,
        /// malformed). Change nothing; answer with an HTTP error (403 for identity, 413 for limits,
        /// 400 otherwise) carrying the reason. The node stays unquarantined: its chain is not at fault.
        case refuse(reason: String)

        /// The answer to send once whatever the decision requires is durable; nil for a refusal, which
        /// is answered with an HTTP error rather than a reply body.
        public var reply: ReplicationReply? {
            switch self {
            case .apply(_, let seq, let hash): .applied(appliedSeq: seq, appliedHash: hash)
            case .reply(let reply): reply
            case .quarantine(let seq, let reason): .chainBroken(seq: seq, reason: reason)
            case .refuse: nil
            }
        }
    }

    /// Decides what to do with `batch` from the node authenticated as `authenticatedNodeID`, given its
    /// `cursor`. Checks run cheapest and least trusting first: identity, version, quarantine, shape and
    /// limits, then position (gap, duplicate, overlap), then the chain itself.
    ///
    /// `linkCheck` is the result of `checkLinks(of:)` on this batch when the caller ran it beforehand
    /// (the hub does, outside its single writer: it is the costly part, a SHA-256 per event); the
    /// decision is the same either way. A link check of another batch is ignored and the links are
    /// checked here.
    public static func decide(
        cursor: NodeCursor, batch: ReplicationBatch, authenticatedNodeID: String, limits: ReplicationLimits,
        linkCheck: LinkCheck? = nil
    ) -> Decision {
        guard batch.nodeID == authenticatedNodeID else {
            return .refuse(reason: "batch is for node '\(batch.nodeID)' but the client certificate is node '\(authenticatedNodeID)'")
        }
        guard cursor.nodeID == authenticatedNodeID else {
            return .refuse(reason: "cursor of node '\(cursor.nodeID)' given for node '\(authenticatedNodeID)'")
        }
        guard batch.version == ReplicationBatch.protocolVersion else {
            return .refuse(reason: "replication protocol version \(batch.version) is not supported (the hub speaks \(ReplicationBatch.protocolVersion))")
        }
        if let reason = cursor.quarantined {
            return .reply(.quarantined(reason: reason))
        }
        if let reason = shapeProblem(of: batch, limits: limits) {
            return .refuse(reason: reason)
        }

        let events = batch.events
        let firstSeq = batch.firstSeq
        let lastSeq = batch.lastSeq
        let appliedSeq = cursor.appliedSeq
        let appliedHash = cursor.appliedHash

        // A hole before the batch: nothing in it can be checked or applied yet.
        if firstSeq > appliedSeq + 1 {
            return .reply(.gap(expectedSeq: appliedSeq + 1, appliedHash: appliedHash))
        }
        // The batch claims to continue exactly from the applied position: its link must hold.
        if firstSeq == appliedSeq + 1, batch.prevHash != appliedHash {
            return .quarantine(
                seq: firstSeq,
                reason: "batch continues from seq \(appliedSeq) with prevHash \(batch.prevHash.prefix(12))… but the applied hash is \(appliedHash.prefix(12))…")
        }
        // The batch overlaps the applied position: the event there must be the one that was applied.
        if appliedSeq >= firstSeq, appliedSeq <= lastSeq {
            let atApplied = events[Int(appliedSeq - firstSeq)]
            if atApplied.hash != appliedHash {
                return .quarantine(
                    seq: appliedSeq,
                    reason: "event \(appliedSeq) was applied with hash \(appliedHash.prefix(12))… but is now sent with hash \(atApplied.hash.prefix(12))… (the log was rewritten)")
            }
        }
        // Every event of the batch is verified, the already-applied prefix included: each hash must hold
        // and each event must follow the one before it. Together with the checks above (the event at the
        // applied position carries the applied hash, or the batch's prevHash is the applied hash), this
        // makes every fresh event chain from the applied head, and an overlapping event that differs from
        // what was applied (altered, hash kept) is caught here: it is quarantined, never skipped.
        let links = (linkCheck.flatMap { $0.batchFirstSeq == firstSeq && $0.batchLastSeq == lastSeq ? $0 : nil })
            ?? checkLinks(of: batch)
        if let broken = links.firstBreak {
            return .quarantine(seq: broken.seq, reason: broken.description)
        }
        // Everything was applied already (a retry after a lost acknowledgement).
        if lastSeq <= appliedSeq {
            return .reply(.duplicate(appliedSeq: appliedSeq, appliedHash: appliedHash))
        }
        let fresh = Array(events[Int(appliedSeq + 1 - firstSeq)...])
        return .apply(events: fresh, newSeq: lastSeq, newHash: fresh[fresh.count - 1].hash)
    }

    /// The part of the verification that does not depend on the cursor: each event's recomputed hash and
    /// each event's link to the one before it in the batch.
    public struct LinkCheck: Sendable, Hashable {
        public var batchFirstSeq: Int64
        public var batchLastSeq: Int64
        /// The first link that does not hold inside the batch, or nil.
        public var firstBreak: EventChain.Break?
    }

    /// Checks a batch's own chain, for `decide(…linkCheck:)`: from the batch's stated `prevHash` (which its
    /// first event must carry too), every event's recomputed hash and its link to the one before.
    public static func checkLinks(of batch: ReplicationBatch) -> LinkCheck {
        var check = LinkCheck(batchFirstSeq: batch.firstSeq, batchLastSeq: batch.lastSeq, firstBreak: nil)
        guard !batch.events.isEmpty else { return check }
        var verifier = EventChain.Verifier(lastSeq: batch.firstSeq - 1, lastHash: batch.prevHash)
        for event in batch.events {
            if let broken = verifier.check(event) {
                check.firstBreak = broken
                break
            }
        }
        return check
    }

    /// Why a batch is malformed or too large, or nil. Consecutive seqs are a property of the request,
    /// not of the chain, so a violation is refused rather than quarantined.
    private static func shapeProblem(of batch: ReplicationBatch, limits: ReplicationLimits) -> String? {
        guard !batch.events.isEmpty else { return "empty batch" }
        guard batch.firstSeq >= 1 else { return "firstSeq \(batch.firstSeq) is not a log position (they start at 1)" }
        // Positions and times far beyond any real log are refused before any arithmetic on them.
        guard batch.firstSeq < Int64(1) << 48 else { return "firstSeq \(batch.firstSeq) is beyond any log position" }
        for event in batch.events where event.timeMs < 0 || event.timeMs > Int64(1) << 50 {
            return "event \(event.seq) has an impossible time \(event.timeMs)"
        }
        guard batch.events.count <= limits.maxEvents else {
            return "batch of \(batch.events.count) events exceeds the limit of \(limits.maxEvents)"
        }
        if batch.events.count > 1 {
            let bytes = batch.events.reduce(0) { $0 + ReplicationLimits.estimatedBytes(of: $1) }
            if bytes > limits.maxBytes {
                return "batch of about \(bytes) bytes exceeds the limit of \(limits.maxBytes)"
            }
        }
        for (offset, event) in batch.events.enumerated() where event.seq != batch.firstSeq + Int64(offset) {
            return "event at position \(offset) has seq \(event.seq), expected \(batch.firstSeq + Int64(offset)) (events must be consecutive from firstSeq)"
        }
        return nil
    }
}
