import Foundation
import MotCuaCore

/// One dossier as the national index knows it: where it is, its status and dates, flags, and a keyed
/// pseudonym of the applicant. No name, ID number, address or document ever reaches the hub.
public struct NationalDossier: Codable, Sendable, Hashable {
    public var code: String
    public var node: String
    public var receivingUnit: String?
    public var competentUnit: String?
    public var holderUnit: String?
    /// The administrative level of the holding unit (commune, district, province, ministry).
    public var level: String?
    public var procedureCode: String?
    public var status: Int
    public var state: String?
    public var channel: String?
    public var submittedAtMs: Int64?
    public var receivedAtMs: Int64?
    public var dueAtMs: Int64?
    public var finishedAtMs: Int64?
    public var returnedAtMs: Int64?
    public var flags: NationalFlags
    public var applicantRef: String?
    public var lastSeq: Int64
    /// Nodes of the receiving desk, of the competent unit, and of the unit that holds the dossier now.
    public var receivingNode: String?
    public var competentNode: String?
    public var holderNode: String?
    /// The index of the current stay in the journey; events of earlier stays no longer move the dossier.
    public var hop: Int = 0
    /// The dossier involves more than one node (filing anywhere, a hand-over to another node).
    public var crossNode: Bool = false

    public init(code: String, node: String, lastSeq: Int64) {
        self.code = code
        self.node = node
        status = 1
        flags = NationalFlags()
        self.lastSeq = lastSeq
    }

    /// The journey of a dossier that never moved: one stay, where it was filed (events carry a path only
    /// from the first hand-over on).
    public var filingStay: NationalHop? {
        guard let unit = holderUnit, let arrived = submittedAtMs ?? receivedAtMs else { return nil }
        return NationalHop(index: 0, node: holderNode ?? node, unit: unit, level: level, arrivedAtMs: arrived, leftAtMs: returnedAtMs ?? finishedAtMs.flatMap { NationalStatus(rawValue: status).endedWithoutResult ? $0 : nil })
    }

    /// Overdue by the one rule (`OverdueRule`); the hub does not see clock pauses.
    public func isOverdue(atMs now: Int64) -> Bool {
        OverdueRule.isOverdue(dueAtMs: dueAtMs, finishedAtMs: finishedAtMs, terminal: NationalStatus(rawValue: status).isTerminal, nowMs: now)
    }
}

/// A dossier's flags (digitised, reused, paid online…): a few named booleans, kept sorted by the UTF-8
/// bytes of their names, which is also the order of their canonical JSON. A dictionary cost the hub a
/// hash per flag on every event and a sort on every row it wrote; five flags travel with every dossier.
public struct NationalFlags: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable {
        public let name: String
        public var value: Bool
        /// The name needs no escaping in JSON (letters, digits, `_` and `-`).
        let plain: Bool

        init(name: String, value: Bool) {
            self.value = value
            if let known = NationalFlags.interned(name) {
                self.name = known
                plain = true
            } else {
                self.name = name
                plain = name.utf8.allSatisfy { byte in
                    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
                }
            }
        }
    }

    /// The flags nodes send today, as literals: every row shares them instead of holding (and counting
    /// references to) copies parsed from each event. All are plain.
    static func interned(_ name: String) -> String? {
        DossierFlagName(rawValue: name)?.rawValue
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public init(_ dictionary: [String: Bool]) {
        for (name, value) in dictionary { self[name] = value }
    }

    public var dictionary: [String: Bool] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.value) })
    }

    public subscript(name: String) -> Bool? {
        get {
            let index = position(of: name)
            return index < entries.count && entries[index].name == name ? entries[index].value : nil
        }
        set {
            let index = position(of: name)
            let present = index < entries.count && entries[index].name == name
            switch (present, newValue) {
            case (true, let value?): entries[index].value = value
            case (true, nil): entries.remove(at: index)
            case (false, let value?): entries.insert(Entry(name: name, value: value), at: index)
            case (false, nil): break
            }
        }
    }

    /// Where `name` is, or would be inserted (a linear scan: there are a handful).
    private func position(of name: String) -> Int {
        var index = 0
        while index < entries.count, entries[index].name.utf8.lexicographicallyPrecedes(name.utf8) {
            index += 1
        }
        return index
    }

    /// The canonical JSON text (what `JSONValue.canonicalText` gives for the same object), written
    /// directly: the hub stores it for every row it writes.
    public var canonicalText: String {
        if entries.isEmpty { return "{}" }
        guard entries.allSatisfy(\.plain) else {
            return JSONValue.object(dictionary.mapValues(JSONValue.bool)).canonicalText
        }
        // Byte by byte into one allocation: `{"name":true,…}`.
        let capacity = entries.reduce(1) { $0 + $1.name.utf8.count + 9 }
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var count = 0
            func put(_ byte: UInt8) {
                buffer[count] = byte
                count += 1
            }
            put(UInt8(ascii: "{"))
            for (index, entry) in entries.enumerated() {
                if index > 0 { put(UInt8(ascii: ",")) }
                put(UInt8(ascii: "\""))
                for byte in entry.name.utf8 { put(byte) }
                put(UInt8(ascii: "\""))
                put(UInt8(ascii: ":"))
                for byte in (entry.value ? "true" : "false").utf8 { put(byte) }
            }
            put(UInt8(ascii: "}"))
            return count
        }
    }

    /// As a JSON object, like the dictionary it stands for.
    public init(from decoder: any Decoder) throws {
        self.init(try [String: Bool](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try dictionary.encode(to: encoder)
    }
}

/// Folds a node's events into national index rows. Pure: the hub's store calls it inside the
/// transaction that applies a batch, so the index is a projection of the log and can be rebuilt from it.
public enum NationalProjection {
    /// The row after `event`, from the row before it (nil for a dossier not yet known). Events without a
    /// dossier (calendar rules) return nil: they change no dossier.
    public static func apply(_ event: Event, node: String, to existing: NationalDossier?) -> NationalDossier? {
        apply(event, payload: payload(of: event), node: node, to: existing)
    }

    /// An event's payload as the projection needs it.
    public static func payload(of event: Event) -> ProjectionPayload { ProjectionPayload(event.payload) }

    /// The same, with the payload already parsed (the hub parses before entering its single writer).
    public static func apply(_ event: Event, payload: ProjectionPayload, node: String, to existing: NationalDossier?) -> NationalDossier? {
        guard let code = event.dossierCode else { return nil }
        // A dossier belongs to the node that filed it; another node speaks of it only while it holds it, or
        // as it hands it on (its departure may reach the hub after the next holder's events).
        let speaks = payload[.holderNode]?.stringValue == node || payload[.departureNode]?.stringValue == node
        if let existing, existing.node != node, existing.holderNode != node, !speaks { return nil }
        if existing == nil {
            // The first event the hub sees of a dossier is its filing, or an event of the node that holds it.
            let filing = event.kind == EventKind.submitted.rawValue || event.kind == EventKind.received.rawValue
            guard payload[.holderNode] == nil ? filing : speaks else { return nil }
        }
        let owner = existing?.node ?? payload[.receivingNode]?.stringValue ?? node
        var row = existing ?? NationalDossier(code: code, node: owner, lastSeq: event.seq)
        if node == row.node { row.lastSeq = event.seq }
        // Where the dossier is: only the newest stay speaks. A departure (the sender's side of a transfer)
        // speaks only until the destination has reported the same stay.
        var hop = row.hop
        if case .int(let value)? = payload[.hop] { hop = Int(value) }
        let departure = payload[.transferId] != nil && event.kind != EventKind.transferReceived.rawValue
            && event.kind != EventKind.transferRefused.rawValue
        let current = existing == nil || (departure ? hop > row.hop : hop >= row.hop)
        if current {
            row.hop = max(row.hop, hop)
            if case .int(let status)? = payload[.status], NationalStatus.range.contains(Int(status)) { row.status = Int(status) }
            if let state = payload[.state]?.stringValue { row.state = state }
            if let unit = payload[.holderUnit]?.stringValue { row.holderUnit = unit }
            if let level = payload[.holderLevel]?.stringValue { row.level = level }
            if let holder = payload[.holderNode]?.stringValue { row.holderNode = holder }
            if departure { row.holderNode = payload[.toNode]?.stringValue ?? (payload[.transferKind]?.stringValue == "result" ? row.receivingNode : nil) }
            if let due = NationalHop.ms(payload[.dueAt]) { row.dueAtMs = due }
        }
        if let receiving = payload[.receivingNode]?.stringValue { row.receivingNode = receiving }
        if let competent = payload[.competentNode]?.stringValue { row.competentNode = competent }
        if row.receivingNode == nil { row.receivingNode = row.node }
        if let unit = payload[.receivingUnit]?.stringValue { row.receivingUnit = unit }
        if let unit = payload[.competentUnit]?.stringValue {
            row.competentUnit = unit
            if row.holderUnit == nil { row.holderUnit = unit }
        }
        if row.holderNode == nil { row.holderNode = node }
        if (row.competentNode.map { $0 != row.receivingNode } ?? false) || (row.holderNode.map { $0 != row.receivingNode } ?? false)
            || payload[.transferId] != nil {
            row.crossNode = true
        }
        if let procedure = payload[.procedureCode]?.stringValue { row.procedureCode = procedure }
        if let channel = payload[.channel]?.stringValue { row.channel = channel }
        if let reference = payload[.applicantRef]?.stringValue { row.applicantRef = reference }
        if case .object(let flags)? = payload[.flags] {
            for (name, value) in flags { if case .bool(let flag) = value { row.flags[name] = flag } }
        }
        switch event.kind {
        case EventKind.submitted.rawValue:
            row.submittedAtMs = event.timeMs
        case EventKind.received.rawValue:
            if row.submittedAtMs == nil { row.submittedAtMs = event.timeMs }
            row.receivedAtMs = event.timeMs
        case EventKind.decided.rawValue:
            row.finishedAtMs = event.timeMs
            if payload[.resultDocument] != nil { row.flags[DossierFlagName.electronicResult.rawValue] = true }
        case EventKind.stopped.rawValue, EventKind.refused.rawValue:
            row.finishedAtMs = event.timeMs
        case EventKind.returned.rawValue:
            row.returnedAtMs = event.timeMs
        case EventKind.paymentRecorded.rawValue:
            if let method = payload[.method]?.stringValue.flatMap(PaymentMethod.init(rawValue:)), method.isOnline {
                row.flags[DossierFlagName.paidOnline.rawValue] = true
            }
        default:
            break
        }
        return row
    }
}

extension NationalProjection {
    /// Folds events into the rows they change and the stays their paths list, starting from `existing`
    /// (the index's rows of their dossiers). Only rows the events change are returned. Each dossier is
    /// folded on its own: the events of one never change another's row.
    public static func fold(
        _ events: [Event], payloads: ProjectionPayloads = ProjectionPayloads(), node: String, from existing: [String: NationalDossier]
    ) -> (rows: [String: NationalDossier], hops: [String: [Int: NationalHop]]) {
        var rows: [String: NationalDossier] = [:]
        rows.reserveCapacity(events.count)
        var hops: [String: [Int: NationalHop]] = [:]
        for event in events {
            guard let code = event.dossierCode else { continue }
            let payload = payloads[seq: event.seq] ?? NationalProjection.payload(of: event)
            // The projection refuses events of a node that neither filed nor holds the dossier.
            guard let updated = apply(event, payload: payload, node: node, to: rows[code] ?? existing[code]) else { continue }
            rows[code] = updated
            for hop in NationalHop.stays(payload[.path]) { hops[code, default: [:]][hop.index] = hop }
        }
        return (rows, hops)
    }
}

/// The payload members the projection reads, parsed into fixed places: building and hashing a
/// dictionary of them, and looking each up by name, was most of the cost of projecting an event. The
/// names come from `PayloadKey` (MotCuaCore), the one definition the node writes by.
public struct ProjectionPayload: Sendable, Hashable {
    /// The members the projection reads; every other member is skipped unparsed.
    public static let fields: [PayloadKey] = [
        .status, .state, .holderUnit, .holderLevel, .holderNode, .receivingUnit, .competentUnit, .procedureCode, .channel,
        .applicantRef, .flags, .dueAt, .hop, .transferId, .transferKind, .toNode, .departureNode, .receivingNode,
        .competentNode, .method, .resultDocument, .path,
    ]

    /// Each key's place in `values` (by the key's raw value), or -1 for a key not read.
    private static let slots: [Int] = {
        var slots = [Int](repeating: -1, count: PayloadKey.allCases.count)
        for (slot, key) in fields.enumerated() { slots[key.rawValue] = slot }
        return slots
    }()

    /// The names' UTF-8 bytes, grouped by length: a member name is compared only with the few of its
    /// length, byte by byte, and no string is made for it.
    private static let byLength: [[(name: [UInt8], slot: Int)]] = {
        let longest = fields.map(\.name.utf8.count).max() ?? 0
        var table = [[(name: [UInt8], slot: Int)]](repeating: [], count: longest + 1)
        for (slot, key) in fields.enumerated() { table[key.name.utf8.count].append((Array(key.name.utf8), slot)) }
        return table
    }()

    /// The slot of a payload member name (its UTF-8 bytes), when the projection reads it.
    static func slot(utf8 name: UnsafeBufferPointer<UInt8>) -> Int? {
        guard name.count < byLength.count else { return nil }
        for candidate in byLength[name.count] where candidate.name.withUnsafeBufferPointer({ $0.elementsEqual(name) }) {
            return candidate.slot
        }
        return nil
    }

    private var values: [JSONValue?]

    /// From a payload's text; a text that is not a JSON object reads as an empty payload.
    public init(_ text: String) {
        values = (try? JSONValue.parseMembers(text, count: Self.fields.count, placeUTF8: Self.slot(utf8:)))
            ?? Array(repeating: nil, count: Self.fields.count)
    }

    /// The member for `key`, when the payload has it (a JSON `null` included) and the projection reads it.
    public subscript(key: PayloadKey) -> JSONValue? {
        let slot = Self.slots[key.rawValue]
        return slot < 0 ? nil : values[slot]
    }
}

/// A batch's projection prepared before the hub's single writer: the payloads parsed, and the rows and
/// stays of its dossiers folded as if the index held none of them. Inside the writer, dossiers the index
/// does hold are folded again from their rows; the others are taken from here as they are.
public struct ProjectionPlan: Sendable {
    public let payloads: ProjectionPayloads
    public let rows: [String: NationalDossier]
    public let hops: [String: [Int: NationalHop]]
    /// Dossiers the events speak of that folding from nothing left without a row: events that change only
    /// a row the index already holds (a decision, a payment). Their rows must be read before folding.
    public let unplanned: [String]

    public init(_ events: [Event], node: String) {
        let payloads = ProjectionPayloads(events)
        self.payloads = payloads
        let (rows, hops) = NationalProjection.fold(events, payloads: payloads, node: node, from: [:])
        self.rows = rows
        self.hops = hops
        var seen = Set<String>()
        unplanned = events.compactMap { event in
            guard let code = event.dossierCode, rows[code] == nil, seen.insert(code).inserted else { return nil }
            return code
        }
    }

    /// Whether the plan was made from exactly these events (not when the receiver skips a prefix it
    /// already applied).
    public func covers(_ events: [Event]) -> Bool { payloads.covers(events) }
}

/// The parsed payloads of a batch's events, found by seq without hashing: a batch's seqs run on by one,
/// so a seq's place is its distance from the first (and is checked, for a batch that breaks the rule
/// and will be refused).
public struct ProjectionPayloads: Sendable {
    private let firstSeq: Int64
    private let payloads: [(seq: Int64, payload: ProjectionPayload)]

    /// None: each event's payload is parsed when it is folded.
    public init() {
        firstSeq = 0
        payloads = []
    }

    public init(_ events: [Event]) {
        firstSeq = events.first?.seq ?? 0
        payloads = events.map { ($0.seq, NationalProjection.payload(of: $0)) }
    }

    /// Whether these are the payloads of exactly `events` (same first seq, same count).
    func covers(_ events: [Event]) -> Bool {
        events.count == payloads.count && events.first?.seq ?? 0 == firstSeq
    }

    /// The payload of the event at `seq`, when it is one of these.
    public subscript(seq seq: Int64) -> ProjectionPayload? {
        let (offset, overflow) = seq.subtractingReportingOverflow(firstSeq)
        guard !overflow, offset >= 0, offset < Int64(payloads.count), payloads[Int(offset)].seq == seq else { return nil }
        return payloads[Int(offset)].payload
    }
}

/// One stay of a dossier at a unit, as the national index keeps it.
public struct NationalHop: Codable, Sendable, Hashable {
    public var index: Int
    public var node: String?
    public var unit: String
    public var level: String?
    public var arrivedAtMs: Int64
    public var receivedAtMs: Int64?
    public var leftAtMs: Int64?
    public var stepDueAtMs: Int64?
    public var step: String?

    public init(index: Int, node: String?, unit: String, level: String?, arrivedAtMs: Int64, receivedAtMs: Int64? = nil,
                leftAtMs: Int64? = nil, stepDueAtMs: Int64? = nil, step: String? = nil) {
        self.index = index
        self.node = node
        self.unit = unit
        self.level = level
        self.arrivedAtMs = arrivedAtMs
        self.receivedAtMs = receivedAtMs
        self.leftAtMs = leftAtMs
        self.stepDueAtMs = stepDueAtMs
        self.step = step
    }

    /// The stay overran its step's share (left after it, or still there past it).
    public func isLate(atMs now: Int64) -> Bool {
        guard let due = stepDueAtMs else { return false }
        return (leftAtMs ?? now) > due
    }

    /// A time of a payload as ms since 1970 (an integer since version 2, an ISO 8601 text before).
    static func ms(_ value: JSONValue?) -> Int64? { EventPayload.ms(value) }

    /// The stays listed in an event's `path` (hand-overs carry the whole journey), or in a `path` answered
    /// by the hub's API.
    public static func path(in payload: JSONValue) -> [NationalHop] { stays(payload[PayloadKey.path.name]) }

    /// The stays of a `path` value (the index named `index`, or `i` in version 1 payloads).
    static func stays(_ path: JSONValue?) -> [NationalHop] {
        guard case .array(let entries)? = path else { return [] }
        return entries.compactMap { entry in
            guard case .int(let index)? = entry[StayKey.index.rawValue] ?? entry[StayKey.legacyIndex], (0...10_000).contains(index),
                  let unit = entry[StayKey.unit.rawValue]?.stringValue, let arrived = ms(entry[StayKey.arrivedAt.rawValue]) else { return nil }
            return NationalHop(
                index: Int(index), node: entry[StayKey.node.rawValue]?.stringValue, unit: unit, level: entry[StayKey.level.rawValue]?.stringValue,
                arrivedAtMs: arrived, receivedAtMs: ms(entry[StayKey.receivedAt.rawValue]), leftAtMs: ms(entry[StayKey.leftAt.rawValue]),
                stepDueAtMs: ms(entry[StayKey.stepDueAt.rawValue]), step: entry[StayKey.step.rawValue]?.stringValue)
        }
    }
}
