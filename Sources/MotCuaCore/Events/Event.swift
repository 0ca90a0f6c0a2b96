import Crypto
import Foundation

/// What happened to a dossier (or to the node), as written in the log. Raw values are the wire names.
public enum EventKind: String, Codable, Sendable, CaseIterable {
    case submitted = "dossier.submitted"
    case received = "dossier.received"
    case refused = "dossier.refused"
    case assigned = "dossier.assigned"
    case supplementRequested = "dossier.supplement-requested"
    case supplemented = "dossier.supplemented"
    case paymentRequested = "dossier.payment-requested"
    case paymentRecorded = "dossier.payment-recorded"
    case forwarded = "dossier.forwarded"
    case extended = "dossier.extended"
    case decided = "dossier.decided"
    case returned = "dossier.returned"
    case withdrawalRequested = "dossier.withdrawal-requested"
    case stopped = "dossier.stopped"
    /// The dossier left for a unit of another node (a hand-over, a result going back, or a send-back).
    case transferSent = "dossier.transfer-sent"
    /// A transfer from another node was taken in (applied once, by transfer id).
    case transferReceived = "dossier.transfer-received"
    /// A transfer could not be delivered or applied (unknown unit, not competent); it goes back with the reason.
    case transferRefused = "dossier.transfer-refused"
    case calendarRuleAdded = "calendar.rule-added"
    case calendarRuleWithdrawn = "calendar.rule-withdrawn"
    /// An operator accepted that the node lost the end of its log (events the hub holds): the log goes on
    /// after the hub's position, and this event names the seqs that are gone (`lostFromSeq`...`lostToSeq`).
    case logLossAccepted = "node.log-loss-accepted"
}

/// A log entry before it has a position: what the domain decided to record.
public struct EventDraft: Sendable, Hashable {
    public var dossierCode: String?
    public var kind: EventKind
    public var actor: String
    public var at: Date
    public var payload: JSONValue

    public init(dossierCode: String?, kind: EventKind, actor: String, at: Date, payload: JSONValue) {
        self.dossierCode = dossierCode
        self.kind = kind
        self.actor = actor
        self.at = at
        self.payload = payload
    }
}

/// One entry of a node's event log, chained to the previous entry by hash. The log is the truth; the
/// dossier rows and the hub's index are projections of it.
public struct Event: Codable, Sendable, Hashable {
    /// Position in the node's log, from 1, without gaps.
    public var seq: Int64
    public var dossierCode: String?
    public var kind: String
    /// Who acted: `officer:<username>`, `applicant`, `system`.
    public var actor: String
    /// Wall time in milliseconds since 1970 (UTC).
    public var timeMs: Int64
    /// Hybrid logical clock: wall milliseconds << 16 | logical counter; never goes backwards.
    public var hlc: Int64
    /// Canonical JSON text of the payload, hashed as stored.
    public var payload: String
    /// Hex SHA-256 of the previous event, or 64 zeros for the first event.
    public var prevHash: String
    public var hash: String

    public init(
        seq: Int64, dossierCode: String?, kind: String, actor: String, timeMs: Int64, hlc: Int64,
        payload: String, prevHash: String, hash: String
    ) {
        self.seq = seq
        self.dossierCode = dossierCode
        self.kind = kind
        self.actor = actor
        self.timeMs = timeMs
        self.hlc = hlc
        self.payload = payload
        self.prevHash = prevHash
        self.hash = hash
    }
}

/// The hash chain rules; docs/ARCHITECTURE.md ("Event log and hash chain") describes the same bytes.
public enum EventChain {
    /// The `prevHash` of the first event of a log.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// The canonical bytes of an event, the input of its hash after the previous hash.
    ///
    /// Fields in this fixed order, each as its decimal UTF-8 byte length, a colon, the bytes, and a
    /// newline: the literal `motcua.event.v1`, seq (decimal), dossier code (empty when none), kind, actor,
    /// time in ms (decimal), hlc (decimal), payload (canonical JSON text).
    public static func canonicalBytes(
        seq: Int64, dossierCode: String?, kind: String, actor: String, timeMs: Int64, hlc: Int64, payload: String
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + payload.utf8.count + kind.utf8.count + actor.utf8.count)
        appendCanonical(seq: seq, dossierCode: dossierCode, kind: kind, actor: actor, timeMs: timeMs, hlc: hlc, payload: payload, to: &bytes)
        return bytes
    }

    /// Appends the canonical bytes to `bytes` (the verifier reuses one buffer for a whole batch).
    static func appendCanonical(
        seq: Int64, dossierCode: String?, kind: String, actor: String, timeMs: Int64, hlc: Int64, payload: String,
        to bytes: inout [UInt8]
    ) {
        // Field by field, without an array of them: every event the hub receives is hashed again.
        func append(_ field: String) {
            bytes.append(contentsOf: String(field.utf8.count).utf8)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: field.utf8)
            bytes.append(UInt8(ascii: "\n"))
        }
        append("motcua.event.v1")
        append(String(seq))
        append(dossierCode ?? "")
        append(kind)
        append(actor)
        append(String(timeMs))
        append(String(hlc))
        append(payload)
    }

    /// Whether `event.hash` is the hash of its contents: the same rule as `recomputedHash`, checked in
    /// `scratch` (reused across calls) and against the hex digits in place, with no text built. The hub
    /// checks every event it receives this way.
    static func hashHolds(for event: Event, scratch: inout [UInt8]) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        // The previous hash as 32 raw bytes; anything but 64 hex digits takes the general path.
        guard appendHexBytes(event.prevHash, count: 32, to: &scratch) else {
            return recomputedHash(of: event) == event.hash
        }
        appendCanonical(
            seq: event.seq, dossierCode: event.dossierCode, kind: event.kind, actor: event.actor, timeMs: event.timeMs,
            hlc: event.hlc, payload: event.payload, to: &scratch)
        let digest = SHA256.hash(data: scratch)
        var stored = event.hash
        return stored.withUTF8 { hex in
            guard hex.count == 64 else { return false }
            var index = 0
            for byte in digest {
                guard hex[index] == hexDigit(byte >> 4), hex[index + 1] == hexDigit(byte & 0x0F) else { return false }
                index += 2
            }
            return true
        }
    }

    /// `hash = SHA-256(prevHash as 32 raw bytes ‖ canonical bytes)`, as lowercase hex.
    public static func hash(prevHash: String, canonical: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: hexBytes(prevHash) ?? [])
        hasher.update(data: canonical)
        return hexString(hasher.finalize())
    }

    /// Seals a draft at a log position: the event with its chain fields filled in.
    public static func seal(
        _ draft: EventDraft, seq: Int64, prevHash: String, lastHLC: Int64
    ) -> Event {
        seal(draft, payloadText: draft.payload.canonicalText, seq: seq, prevHash: prevHash, lastHLC: lastHLC)
    }

    /// Seals a draft whose payload was already rendered as canonical text (done before entering the
    /// writer, so the serial part of a commit only positions and hashes).
    public static func seal(
        _ draft: EventDraft, payloadText payload: String, seq: Int64, prevHash: String, lastHLC: Int64
    ) -> Event {
        let timeMs = draft.at.epochMilliseconds
        let hlc = HybridLogicalClock.next(after: lastHLC, wallMs: timeMs)
        let canonical = canonicalBytes(
            seq: seq, dossierCode: draft.dossierCode, kind: draft.kind.rawValue, actor: draft.actor,
            timeMs: timeMs, hlc: hlc, payload: payload)
        return Event(
            seq: seq, dossierCode: draft.dossierCode, kind: draft.kind.rawValue, actor: draft.actor,
            timeMs: timeMs, hlc: hlc, payload: payload, prevHash: prevHash,
            hash: hash(prevHash: prevHash, canonical: canonical))
    }

    /// Recomputes an event's hash from its fields, for verification.
    public static func recomputedHash(of event: Event) -> String {
        hash(
            prevHash: event.prevHash,
            canonical: canonicalBytes(
                seq: event.seq, dossierCode: event.dossierCode, kind: event.kind, actor: event.actor,
                timeMs: event.timeMs, hlc: event.hlc, payload: event.payload))
    }

    /// Why a chain walk stopped: the first link that does not hold.
    public enum Break: Sendable, Hashable, CustomStringConvertible {
        case gap(expectedSeq: Int64, foundSeq: Int64)
        case prevHashMismatch(seq: Int64, expected: String, found: String)
        case hashMismatch(seq: Int64, stored: String, computed: String)

        public var seq: Int64 {
            switch self {
            case .gap(_, let found): found
            case .prevHashMismatch(let seq, _, _), .hashMismatch(let seq, _, _): seq
            }
        }

        public var description: String {
            switch self {
            case .gap(let expected, let found): "gap: expected seq \(expected), found \(found)"
            case .prevHashMismatch(let seq, let expected, let found):
                "event \(seq): prevHash \(found.prefix(12))… does not match the previous event's hash \(expected.prefix(12))…"
            case .hashMismatch(let seq, let stored, let computed):
                "event \(seq): stored hash \(stored.prefix(12))… but its contents hash to \(computed.prefix(12))… (altered)"
            }
        }
    }

    /// Incremental verifier: feed events in order; it remembers the last good link.
    public struct Verifier: Sendable {
        public private(set) var lastSeq: Int64
        public private(set) var lastHash: String
        /// The canonical bytes of the event being checked, reused from one event to the next.
        private var scratch: [UInt8] = []

        public init(lastSeq: Int64 = 0, lastHash: String = EventChain.genesisHash) {
            self.lastSeq = lastSeq
            self.lastHash = lastHash
        }

        /// Checks the next event; on success it becomes the new head.
        public mutating func check(_ event: Event) -> Break? {
            if event.seq != lastSeq + 1 { return .gap(expectedSeq: lastSeq + 1, foundSeq: event.seq) }
            if event.prevHash != lastHash {
                return .prevHashMismatch(seq: event.seq, expected: lastHash, found: event.prevHash)
            }
            if !EventChain.hashHolds(for: event, scratch: &scratch) {
                return .hashMismatch(seq: event.seq, stored: event.hash, computed: EventChain.recomputedHash(of: event))
            }
            lastSeq = event.seq
            lastHash = event.hash
            return nil
        }
    }
}

/// Hybrid logical clock (wall milliseconds in the high bits, a counter in the low 16): orders a node's
/// events even if the wall clock steps back.
public enum HybridLogicalClock {
    public static func next(after last: Int64, wallMs: Int64) -> Int64 {
        let candidate = wallMs << 16
        return candidate > last ? candidate : last + 1
    }

    /// The wall-clock part of an HLC value.
    public static func wallMs(of hlc: Int64) -> Int64 { hlc >> 16 }
}

/// Lowercase hex of bytes.
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
    var out = [UInt8]()
    out.reserveCapacity(64)
    for byte in bytes {
        out.append(hexDigit(byte >> 4))
        out.append(hexDigit(byte & 0x0F))
    }
    return String(decoding: out, as: UTF8.self)
}

/// Appends the bytes of `text` when it is exactly `count` bytes in hex (either case), as `hexBytes`
/// reads it; false (with nothing appended) otherwise.
func appendHexBytes(_ text: String, count: Int, to out: inout [UInt8]) -> Bool {
    var text = text
    return text.withUTF8 { hex in
        guard hex.count == count * 2 else { return false }
        let start = out.count
        var index = 0
        while index < hex.count {
            guard let high = hexNibble(hex[index]), let low = hexNibble(hex[index + 1]) else {
                out.removeSubrange(start...)
                return false
            }
            out.append(high << 4 | low)
            index += 2
        }
        return true
    }
}

@inline(__always)
private func hexNibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

@inline(__always)
private func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}

/// Bytes of a hex string; nil when it is not hex of even length.
public func hexBytes(_ text: String) -> [UInt8]? {
    let utf8 = text.utf8
    guard utf8.count % 2 == 0 else { return nil }
    var out = [UInt8]()
    out.reserveCapacity(utf8.count / 2)
    return appendHexBytes(text, count: utf8.count / 2, to: &out) ? out : nil
}
