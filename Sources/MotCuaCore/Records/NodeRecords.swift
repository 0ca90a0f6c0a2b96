import Foundation

// Records of a node that its services, its store and its HTTP layer share: plain values, no storage.

/// An officer account as stored (the password only as a hash).
public struct OfficerRecord: Sendable, Hashable, Codable {
    public var username: String
    public var fullName: String
    public var passwordHash: String
    public var roles: [OfficerRole]
    public var units: [String]
    public var active: Bool

    public init(username: String, fullName: String, passwordHash: String, roles: [OfficerRole], units: [String], active: Bool = true) {
        self.username = username
        self.fullName = fullName
        self.passwordHash = passwordHash
        self.roles = roles
        self.units = units
        self.active = active
    }
}

/// A paging filter for the catalogue.
public struct ProcedureFilter: Sendable {
    public var level: AdministrativeLevel?
    public var onlineMode: OnlineMode?
    public var text: String?
    public var after: String?
    public var limit: Int

    public init(level: AdministrativeLevel? = nil, onlineMode: OnlineMode? = nil, text: String? = nil, after: String? = nil, limit: Int = 50) {
        self.level = level
        self.onlineMode = onlineMode
        self.text = text
        self.after = after
        self.limit = limit
    }
}

/// A retry key a client sent with a write (`Idempotency-Key`), claimed in the same transaction as the change.
public struct IdempotencyClaim: Sendable, Hashable {
    /// What the key is for (e.g. `submit:applicant`, `act:<code>:receive:officer:alice`): one key per scope.
    public var scope: String
    public var key: String
    /// SHA-256 of the request (method, path and body): the same key with another request is refused.
    public var requestSHA256: String
    public var atMs: Int64

    public init(scope: String, key: String, requestSHA256: String, atMs: Int64) {
        self.scope = scope
        self.key = key
        self.requestSHA256 = requestSHA256
        self.atMs = atMs
    }
}

/// A key as stored: which request claimed it, its dossier, and the answer once stored.
public struct IdempotencyRecord: Sendable, Hashable {
    public var requestSHA256: String
    public var dossierCode: String
    public var status: Int?
    public var response: String?

    public init(requestSHA256: String, dossierCode: String, status: Int?, response: String?) {
        self.requestSHA256 = requestSHA256
        self.dossierCode = dossierCode
        self.status = status
        self.response = response
    }
}

/// What the queue of officers can be filtered by.
public struct DossierFilter: Sendable {
    /// Dossiers held by this unit or any unit beneath it.
    public var units: [String]?
    public var status: Int?
    public var procedureCode: String?
    public var overdueAt: Date?
    public var dueBefore: Date?
    /// Rowid of the last item of the previous page.
    public var after: Int64?
    public var limit: Int

    public init(
        units: [String]? = nil, status: Int? = nil, procedureCode: String? = nil, overdueAt: Date? = nil,
        dueBefore: Date? = nil, after: Int64? = nil, limit: Int = 50
    ) {
        self.units = units
        self.status = status
        self.procedureCode = procedureCode
        self.overdueAt = overdueAt
        self.dueBefore = dueBefore
        self.after = after
        self.limit = limit
    }
}

/// A page of the queue.
public struct DossierPage: Sendable {
    public var items: [Dossier]
    public var nextCursor: Int64?

    public init(items: [Dossier], nextCursor: Int64?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// A stored component file.
public struct StoredComponent: Sendable {
    public var component: ReceivedComponent
    public var bytes: [UInt8]

    public init(component: ReceivedComponent, bytes: [UInt8]) {
        self.component = component
        self.bytes = bytes
    }
}

/// A transfer waiting in (or gone from) the node's outbox.
public struct OutboxItem: Sendable {
    public var order: TransferOrder
    public var dossier: Dossier
    public var createdAt: Date
    public var attempts: Int
    public var state: String
    public var lastError: String?
    public var destination: String?

    public init(order: TransferOrder, dossier: Dossier, createdAt: Date, attempts: Int, state: String, lastError: String?, destination: String?) {
        self.order = order
        self.dossier = dossier
        self.createdAt = createdAt
        self.attempts = attempts
        self.state = state
        self.lastError = lastError
        self.destination = destination
    }
}

/// The result of re-walking the log.
public struct ChainReport: Sendable, Codable {
    public var eventsChecked: Int64
    public var headSeq: Int64
    public var headHash: String
    public var intact: Bool
    /// The first link that does not hold, in words, and its seq.
    public var firstBreak: String?
    public var firstBreakSeq: Int64?

    public init(eventsChecked: Int64, headSeq: Int64, headHash: String, intact: Bool, firstBreak: String? = nil, firstBreakSeq: Int64? = nil) {
        self.eventsChecked = eventsChecked
        self.headSeq = headSeq
        self.headHash = headHash
        self.intact = intact
        self.firstBreak = firstBreak
        self.firstBreakSeq = firstBreakSeq
    }
}
