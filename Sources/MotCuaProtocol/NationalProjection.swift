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
    public var flags: [String: Bool]
    public var applicantRef: String?
    public var lastSeq: Int64

    public init(code: String, node: String, lastSeq: Int64) {
        self.code = code
        self.node = node
        status = 1
        flags = [:]
        self.lastSeq = lastSeq
    }

    /// Overdue as the center counts it: open with a running clock past due, or finished after due.
    public func isOverdue(atMs now: Int64) -> Bool {
        guard let due = dueAtMs else { return false }
        if let finished = finishedAtMs { return finished > due }
        if [3, 8, 10].contains(status) { return false }
        return now > due
    }
}

/// Folds a node's events into national index rows. Pure: the hub's store calls it inside the
/// transaction that applies a batch, so the index is a projection of the log and can be rebuilt from it.
public enum NationalProjection {
    /// The row after `event`, from the row before it (nil for a dossier not yet known). Events without a
    /// dossier (calendar rules) return nil: they change no dossier.
    public static func apply(_ event: Event, node: String, to existing: NationalDossier?) -> NationalDossier? {
        apply(event, payload: (try? JSONValue.parse(event.payload)) ?? .null, node: node, to: existing)
    }

    /// The same, with the payload already parsed (the hub parses before entering its single writer).
    public static func apply(_ event: Event, payload: JSONValue, node: String, to existing: NationalDossier?) -> NationalDossier? {
        guard let code = event.dossierCode else { return nil }
        var row = existing ?? NationalDossier(code: code, node: node, lastSeq: event.seq)
        row.lastSeq = event.seq
        if case .int(let status)? = payload["status"], (1...10).contains(status) { row.status = Int(status) }
        if let state = payload["state"]?.stringValue { row.state = state }
        if let unit = payload["holderUnit"]?.stringValue { row.holderUnit = unit }
        if let level = payload["holderLevel"]?.stringValue { row.level = level }
        if let unit = payload["receivingUnit"]?.stringValue { row.receivingUnit = unit }
        if let unit = payload["competentUnit"]?.stringValue {
            row.competentUnit = unit
            if row.holderUnit == nil { row.holderUnit = unit }
        }
        if let procedure = payload["procedureCode"]?.stringValue { row.procedureCode = procedure }
        if let channel = payload["channel"]?.stringValue { row.channel = channel }
        if let reference = payload["applicantRef"]?.stringValue { row.applicantRef = reference }
        if case .object(let flags)? = payload["flags"] {
            for (name, value) in flags { if case .bool(let flag) = value { row.flags[name] = flag } }
        }
        if let due = payload["dueAt"]?.stringValue, let date = VietnamTime.parseISO8601(due) {
            row.dueAtMs = Int64((date.timeIntervalSince1970 * 1000).rounded())
        }
        switch event.kind {
        case EventKind.submitted.rawValue:
            row.submittedAtMs = event.timeMs
        case EventKind.received.rawValue:
            if row.submittedAtMs == nil { row.submittedAtMs = event.timeMs }
            row.receivedAtMs = event.timeMs
        case EventKind.decided.rawValue:
            row.finishedAtMs = event.timeMs
            if payload["resultDocument"] != nil { row.flags["electronicResult"] = true }
        case EventKind.stopped.rawValue, EventKind.refused.rawValue:
            row.finishedAtMs = event.timeMs
        case EventKind.returned.rawValue:
            row.returnedAtMs = event.timeMs
        case EventKind.paymentRecorded.rawValue:
            if let method = payload["method"]?.stringValue, ["national-portal", "local-gateway"].contains(method) {
                row.flags["paidOnline"] = true
            }
        default:
            break
        }
        return row
    }
}
