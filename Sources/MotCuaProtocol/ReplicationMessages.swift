import Foundation
import MotCuaCore

/// A run of consecutive events from one node's log, pushed to the hub. It names the hash it continues
/// from, so the hub can check continuity before it looks at a single event.
public struct ReplicationBatch: Codable, Sendable, Hashable {
    /// The wire version this code speaks; the hub refuses any other, so a mixed fleet fails loudly
    /// instead of applying something it misreads.
    public static let protocolVersion = 1

    /// Wire version of this message (`protocolVersion` when built here).
    public var version: Int
    /// The node the events come from; must equal the identity of the client certificate.
    public var nodeID: String
    /// Seq of the first event.
    public var firstSeq: Int64
    /// Hash of event `firstSeq - 1`, or `EventChain.genesisHash` when `firstSeq` is 1.
    public var prevHash: String
    /// Consecutive events `firstSeq`, `firstSeq + 1`, ….
    public var events: [Event]

    /// Builds a batch at the current protocol version unless another is given (tests build bad ones).
    public init(
        version: Int = ReplicationBatch.protocolVersion, nodeID: String, firstSeq: Int64, prevHash: String,
        events: [Event]
    ) {
        self.version = version
        self.nodeID = nodeID
        self.firstSeq = firstSeq
        self.prevHash = prevHash
        self.events = events
    }

    /// Seq of the last event (`firstSeq - 1` for an empty batch), i.e. the position it would bring the hub to.
    public var lastSeq: Int64 { firstSeq + Int64(events.count) - 1 }
}

/// The hub's answer to a batch. Every answer carries the hub's view of the node's position, so the sender
/// can always resume exactly where the hub is, whatever either side lost in a crash.
///
/// Wire form: a JSON object with a `"result"` discriminator (`applied`, `duplicate`, `gap`,
/// `chain-broken`, `quarantined`), the case's fields, and `"version"`.
public enum ReplicationReply: Codable, Sendable, Hashable {
    /// The batch was applied durably; the hub's position is now (appliedSeq, appliedHash).
    case applied(appliedSeq: Int64, appliedHash: String)
    /// Every event of the batch had already been applied; nothing changed. The position is the hub's.
    case duplicate(appliedSeq: Int64, appliedHash: String)
    /// The batch starts after a hole; send from `expectedSeq`, which follows `appliedHash`.
    case gap(expectedSeq: Int64, appliedHash: String)
    /// The chain does not hold at `seq`; the hub has quarantined the node.
    case chainBroken(seq: Int64, reason: String)
    /// The node was quarantined earlier and nothing is accepted until an operator releases it.
    case quarantined(reason: String)

    private enum CodingKeys: String, CodingKey {
        case version, result, appliedSeq, appliedHash, expectedSeq, seq, reason
    }

    /// The `"result"` values on the wire.
    private enum Result: String, Codable {
        case applied
        case duplicate
        case gap
        case chainBroken = "chain-broken"
        case quarantined
    }

    /// Reads the discriminated form; an unknown `"result"` or a newer `"version"` is an error, not a guess.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decodeIfPresent(Int.self, forKey: .version) ?? ReplicationBatch.protocolVersion
        guard version == ReplicationBatch.protocolVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "replication protocol version \(version) is not supported (this side speaks \(ReplicationBatch.protocolVersion))")
        }
        switch try container.decode(Result.self, forKey: .result) {
        case .applied:
            self = .applied(
                appliedSeq: try container.decode(Int64.self, forKey: .appliedSeq),
                appliedHash: try container.decode(String.self, forKey: .appliedHash))
        case .duplicate:
            self = .duplicate(
                appliedSeq: try container.decode(Int64.self, forKey: .appliedSeq),
                appliedHash: try container.decode(String.self, forKey: .appliedHash))
        case .gap:
            self = .gap(
                expectedSeq: try container.decode(Int64.self, forKey: .expectedSeq),
                appliedHash: try container.decode(String.self, forKey: .appliedHash))
        case .chainBroken:
            self = .chainBroken(
                seq: try container.decode(Int64.self, forKey: .seq),
                reason: try container.decode(String.self, forKey: .reason))
        case .quarantined:
            self = .quarantined(reason: try container.decode(String.self, forKey: .reason))
        }
    }

    /// Writes the discriminated form described on the type.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ReplicationBatch.protocolVersion, forKey: .version)
        switch self {
        case .applied(let seq, let hash):
            try container.encode(Result.applied, forKey: .result)
            try container.encode(seq, forKey: .appliedSeq)
            try container.encode(hash, forKey: .appliedHash)
        case .duplicate(let seq, let hash):
            try container.encode(Result.duplicate, forKey: .result)
            try container.encode(seq, forKey: .appliedSeq)
            try container.encode(hash, forKey: .appliedHash)
        case .gap(let expectedSeq, let hash):
            try container.encode(Result.gap, forKey: .result)
            try container.encode(expectedSeq, forKey: .expectedSeq)
            try container.encode(hash, forKey: .appliedHash)
        case .chainBroken(let seq, let reason):
            try container.encode(Result.chainBroken, forKey: .result)
            try container.encode(seq, forKey: .seq)
            try container.encode(reason, forKey: .reason)
        case .quarantined(let reason):
            try container.encode(Result.quarantined, forKey: .result)
            try container.encode(reason, forKey: .reason)
        }
    }
}

/// Bounds on one batch, shared by sender and hub so that whatever one side cuts the other accepts:
/// a limit on everything keeps memory, transaction length and request bodies predictable.
public struct ReplicationLimits: Codable, Sendable, Hashable {
    /// At most this many events per batch.
    public var maxEvents: Int
    /// At most this many estimated bytes per batch (see `estimatedBytes(of:)`), unless the batch is a
    /// single event: an event larger than the limit must still be able to travel alone.
    public var maxBytes: Int

    /// The defaults, what the hub accepts: 2,000 events or 1 MiB, whichever comes first.
    public init(maxEvents: Int = 2000, maxBytes: Int = 1 << 20) {
        self.maxEvents = maxEvents
        self.maxBytes = maxBytes
    }

    /// What a node cuts: 500 events (or 1 MiB), within what the hub accepts. A hub draining 34 nodes holds
    /// one batch of each in memory at once: with batches of 2,000 it peaked at 240 MB, with 500 at 160 MB,
    /// and the drain was about 10 % faster.
    public static let sending = ReplicationLimits(maxEvents: 500)

    /// The size an event is counted at: its payload plus a flat 200 bytes for the other fields and the
    /// JSON around them. An estimate both sides compute identically, cheaper than encoding.
    public static func estimatedBytes(of event: Event) -> Int {
        event.payload.utf8.count + 200
    }
}
