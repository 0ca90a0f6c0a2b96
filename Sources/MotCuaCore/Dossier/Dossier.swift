import Foundation

/// The roles an officer can hold; each is scoped to units (an officer of a district acts on its communes).
public enum OfficerRole: String, Codable, Sendable, CaseIterable {
    /// Staff of the one-stop desk: receives, refuses, hands over, returns results.
    case receiver
    /// Processes the dossier: appraises, asks for supplements, requests payment, forwards.
    case specialist
    /// Signs: assigns, decides, extends, stops.
    case leader
    /// Manages officers, the catalogue and the calendar; does not process dossiers.
    case admin
}

/// Who performs a transition. The public (the applicant) proves who they are with the dossier code and
/// their ID number; officers with a bearer token.
public enum Actor: Sendable, Hashable {
    case applicant
    case officer(username: String, roles: Set<OfficerRole>, units: [String])
    case system

    /// The actor as written in the event log.
    public var logName: String {
        switch self {
        case .applicant: "applicant"
        case .officer(let username, _, _): "officer:\(username)"
        case .system: "system"
        }
    }
}

/// How the dossier reached the administration (channel codes of the national portal: 1 in person,
/// 2 online, 3 public post).
public enum SubmissionChannel: String, Codable, Sendable, CaseIterable {
    case counter, online, post

    public var nationalCode: Int {
        switch self {
        case .counter: 1
        case .online: 2
        case .post: 3
        }
    }
}

/// The person or organisation the dossier is for. Personal data: it never leaves the node.
public struct Applicant: Codable, Sendable, Hashable {
    public var idNumber: String
    public var fullName: String
    public var birthDate: LocalDate?
    public var phone: String?
    public var email: String?
    public var taxCode: String?
    public var address: String?

    public init(
        idNumber: String, fullName: String, birthDate: LocalDate? = nil, phone: String? = nil,
        email: String? = nil, taxCode: String? = nil, address: String? = nil
    ) {
        self.idNumber = idNumber
        self.fullName = fullName
        self.birthDate = birthDate
        self.phone = phone
        self.email = email
        self.taxCode = taxCode
        self.address = address
    }
}

/// A component the applicant handed in: the file's name, size and SHA-256 (bytes are kept by the store).
public struct ReceivedComponent: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var fileName: String
    public var sizeBytes: Int
    public var sha256: String
    /// Taken from digitised data rather than uploaded (data reuse, indicator 4.3).
    public var reused: Bool

    public init(code: String, name: String, fileName: String, sizeBytes: Int, sha256: String, reused: Bool = false) {
        self.code = code
        self.name = name
        self.fileName = fileName
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.reused = reused
    }
}

/// A stretch of time when the processing clock stood still (awaiting a supplement).
public struct ClockPause: Codable, Sendable, Hashable {
    public var from: Date
    public var until: Date?
    /// Working minutes that were left on the clock when it stopped.
    public var remainingWorkingMinutes: Int
    /// The dossier was already late when the clock stopped: a supplement does not make it on time again.
    public var lateAtPause: Bool

    public init(from: Date, until: Date? = nil, remainingWorkingMinutes: Int, lateAtPause: Bool = false) {
        self.from = from
        self.until = until
        self.remainingWorkingMinutes = remainingWorkingMinutes
        self.lateAtPause = lateAtPause
    }
}

/// The outcome of a decision.
public enum DecisionOutcome: String, Codable, Sendable {
    case approved, rejected
}

/// Flags the service indices count (Decision 766).
public struct DossierFlags: Codable, Sendable, Hashable {
    public var digitised: Bool = false
    public var reused: Bool = false
    public var paidOnline: Bool = false
    public var identityVerified: Bool = false
    public var electronicResult: Bool = false

    public init() {}

    /// The flags as an event payload member.
    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        for name in DossierFlagName.allCases { members[name.rawValue] = .bool(self[name]) }
        return .object(members)
    }

    public subscript(name: DossierFlagName) -> Bool {
        switch name {
        case .digitised: digitised
        case .reused: reused
        case .paidOnline: paidOnline
        case .identityVerified: identityVerified
        case .electronicResult: electronicResult
        }
    }
}

/// One dossier (hồ sơ) as the node keeps it. Every field is a projection of the dossier's events.
public struct Dossier: Codable, Sendable, Hashable {
    public var code: String
    public var procedureCode: String
    public var procedureVersion: Int
    public var applicant: Applicant
    public var channel: SubmissionChannel
    /// The unit whose desk took the dossier in; the result is collected there.
    public var receivingUnit: String
    /// The unit that decides.
    public var competentUnit: String
    /// Where the dossier is now.
    public var holderUnit: String
    public var state: DossierState
    /// The officer now working on it, if any.
    public var assignee: String?
    public var submittedAt: Date
    public var receivedAt: Date?
    public var dueAt: Date?
    /// The due date before the extension, kept for the timeliness index.
    public var originalDueAt: Date?
    public var pauses: [ClockPause]
    public var extensionCount: Int
    public var supplementCount: Int
    public var finishedAt: Date?
    public var returnedAt: Date?
    public var outcome: DecisionOutcome?
    public var feeVND: Int
    public var amountDueVND: Int?
    public var amountPaidVND: Int?
    public var flags: DossierFlags
    public var components: [ReceivedComponent]
    public var satisfaction: Int?
    /// The state to which a supplement returns, recorded when the supplement is requested.
    public var stateBeforeSupplement: DossierState?
    /// Nodes of the receiving and the competent unit (nil in documents written before routing existed).
    public var receivingNode: String?
    public var competentNode: String?
    /// The node that holds the dossier now.
    public var holderNode: String?
    /// The journey: one entry per unit the dossier stayed at, in order (nil before routing existed).
    public var hops: [DossierHop]?
    /// The step of the procedure the holder performs (interconnected procedures).
    public var stepIndex: Int?
    /// The transfer that brought the dossier to this node, and the unit that sent it (for a send-back).
    public var arrivedBy: String?
    public var arrivedFromUnit: String?
    /// Why the last transfer came back, if it did.
    public var lastSendBackReason: String?

    public init(
        code: String, procedureCode: String, procedureVersion: Int, applicant: Applicant, channel: SubmissionChannel,
        receivingUnit: String, competentUnit: String, holderUnit: String, state: DossierState,
        submittedAt: Date, feeVND: Int, components: [ReceivedComponent]
    ) {
        self.code = code
        self.procedureCode = procedureCode
        self.procedureVersion = procedureVersion
        self.applicant = applicant
        self.channel = channel
        self.receivingUnit = receivingUnit
        self.competentUnit = competentUnit
        self.holderUnit = holderUnit
        self.state = state
        self.submittedAt = submittedAt
        self.pauses = []
        self.extensionCount = 0
        self.supplementCount = 0
        self.feeVND = feeVND
        self.flags = DossierFlags()
        self.components = components
    }

    /// The journey so far (empty for documents written before routing existed).
    public var path: [DossierHop] {
        get { hops ?? [] }
        set { hops = newValue }
    }

    /// The national status code (1-10) that the portal shows.
    public var status: Int { state.nationalStatus }

    /// The clock stands still: a supplement was requested and has not arrived (whatever the state since,
    /// e.g. a withdrawal request made while waiting).
    public var clockPaused: Bool { pauses.last.map { $0.until == nil } ?? false }

    /// Ends the current stay (when it is at `unit`, if given) at `now`.
    public mutating func closeStay(at unit: String? = nil, now: Date) {
        guard var path = hops, let last = path.last, unit == nil || last.unit == unit, last.leftAt == nil else { return }
        path[path.count - 1].leftAt = now
        hops = path
    }

    /// The current stay has overrun its step's share of the lead time.
    public func currentStayLate(at now: Date) -> Bool {
        !state.isTerminal && state != .transferred && (path.last?.isLate(at: now) ?? false)
    }

    /// The unit holding the dossier owes the applicant an apology with a new date (Form 04, the `extend`
    /// action): its stay or the whole dossier is late and the one extension has not been used.
    public func apologyDue(at now: Date) -> Bool {
        extensionCount == 0 && !state.isTerminal && state != .transferred && state != .decided
            && (isOverdue(at: now) || currentStayLate(at: now))
    }

    /// Overdue by the one rule (`OverdueRule`): finished after the due time, or open past it with the
    /// clock running, or paused after it had already passed.
    public func isOverdue(at now: Date) -> Bool {
        OverdueRule.isOverdue(
            dueAtMs: dueAt.map(Self.ms), finishedAtMs: finishedAt.map(Self.ms), terminal: state.isTerminal,
            pausedLate: pauses.last.flatMap { $0.until == nil ? $0.lateAtPause : nil }, nowMs: Self.ms(now))
    }

    static func ms(_ date: Date) -> Int64 { date.epochMilliseconds }
}
