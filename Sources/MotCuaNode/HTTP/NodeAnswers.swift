import Foundation
import MotCuaCore
import MotCuaHTTP

// The node's answers that are not views of a dossier or a procedure (those are in Views.swift). Each
// route returns one of these; times are ISO 8601 in Vietnam time; a documented member without a value is
// written as null (`@Nullable`), a member that only some answers carry is left out.

struct StatusAnswer: Encodable { var status: String }

/// `/readyz`: whether the node takes work, and what stands in the way when it does not.
struct ReadyAnswer: Encodable {
    struct Condition: Encodable {
        var code: String
        var detail: String
        var since: Date
    }

    var status: String
    var nodeId: String
    var logHead: Int64
    var procedures: Int
    var units: Int
    var replication: ReplicationStatus?
    var routing: RoutingStatus?
    var problems: [Condition]?
}

/// A session opened by `POST /v1/auth/token`.
struct SessionAnswer: Encodable {
    var token: String
    var expiresAt: Date
    var username: String
    var roles: [OfficerRole]
    var units: [String]
}

/// An officer's account as an admin sees it (never the password hash).
struct OfficerAnswer: Encodable {
    var username: String
    var fullName: String
    var active: Bool
    var roles: [OfficerRole]
    var units: [String]

    init(_ officer: OfficerRecord) {
        username = officer.username
        fullName = officer.fullName
        active = officer.active
        roles = officer.roles
        units = officer.units
    }
}

struct UsernameAnswer: Encodable { var username: String }

/// The loss an operator accepted: the log's new position and the range the hub held but the node lost.
struct LogLossAnswer: Encodable {
    var seq: Int64
    var lostFromSeq: Int64
    var lostToSeq: Int64
}

/// A component attached to a dossier; the file itself only when asked for (`include=content`).
struct ComponentAnswer: Encodable {
    var code: String
    var fileName: String
    var sizeBytes: Int
    var sha256: String
    var contentBase64: String?

    init(_ stored: StoredComponent, includeContent: Bool) {
        code = stored.component.code
        fileName = stored.component.fileName
        sizeBytes = stored.component.sizeBytes
        sha256 = stored.component.sha256
        contentBase64 = includeContent ? Data(stored.bytes).base64EncodedString() : nil
    }
}

/// A hand-over this node sent to another node, with where it stands.
struct TransferAnswer: Encodable {
    var transferId: String
    var dossier: String
    var kind: String
    var fromUnit: String
    var toUnit: String
    @Nullable var toNode: String?
    var state: String
    var attempts: Int
    var createdAt: Date
    var ageMs: Int64
    @Nullable var lastError: String?
    @Nullable var reason: String?

    init(_ item: OutboxItem, now: Date) {
        transferId = item.order.transferId
        dossier = item.dossier.code
        kind = item.order.kind.rawValue
        fromUnit = item.order.fromUnit
        toUnit = item.order.toUnit
        toNode = item.order.toNode ?? item.destination
        state = item.state
        attempts = item.attempts
        createdAt = item.createdAt
        ageMs = Int64(now.timeIntervalSince(item.createdAt) * 1000)
        lastError = item.lastError
        reason = item.order.reason
    }
}
