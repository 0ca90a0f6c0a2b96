import Foundation
import MotCuaCore

/// The node's side of routing between nodes (liên thông), as a pure state machine in the shape of
/// `ReplicationSender`: the shell (the node's `TransferAgent`, or the simulation) tells it the time and
/// what happened, and does what it answers. It decides when the node registers its units and refreshes
/// the federation directory, what becomes of a transfer the hub answered (or did not), and how long to
/// wait before reading the mailbox again; it holds no I/O, no clock and no global randomness (the
/// jitter comes from its seed).
public struct TransferCourier: Sendable {
    /// The periodic duties the shell performs when `due(nowMs:)` names them.
    public enum Chore: Sendable, Hashable {
        /// Tell the hub which units this node serves; report with `unitsRegistered`.
        case registerUnits
        /// Fetch the federation directory (304 when unchanged); report with `directoryRefreshed`.
        case refreshDirectory
    }

    /// What becomes of a transfer handed to the hub.
    public enum HandOver: Sendable, Hashable {
        /// The hub holds it (queued for `destination`, or it had it already): done at this node.
        case handedOver(destination: String?)
        /// The hub cannot route it: the dossier comes back to the unit that sent it, with the reason.
        case sendBack(reason: String)
        /// Not taken: try again at this time (the back-off), noting the error for operators.
        case retry(atMs: Int64, error: String)
    }

    public struct Schedule: Sendable, Hashable {
        /// Until the hub took the units, registration is tried again this often.
        public var registrationRetryMs: Int64 = 5_000
        /// Once taken, the units are registered again this often (a hub rebuilt from scratch learns them).
        public var registrationRenewMs: Int64 = 600_000
        /// While the federation starts (nodes register one by one) the directory is fetched this often…
        public var startupDirectoryMs: Int64 = 2_000
        /// …for this long after the node started…
        public var startupPeriodMs: Int64 = 60_000
        /// …and this often after.
        public var directoryMs: Int64 = 30_000
        /// How long the outbox waits when nothing rang (transfers waiting for their back-off are due).
        public var idleWaitMs: Int64 = 1_000
        public var outboxBackoff: RetryBackoff = .transferOutbox
        public var mailboxBackoff: RetryBackoff = .mailboxPoll

        public init() {}
    }

    /// HTTP statuses with which the hub says it can never route a transfer as sent: retrying would not help.
    public static let unroutableStatuses: Set<Int> = [400, 404, 409, 413, 422]

    public let schedule: Schedule
    public let startedAtMs: Int64
    /// When the hub last took this node's units (nil: not yet).
    public private(set) var registeredAtMs: Int64?
    private var registrationTriedAtMs: Int64?
    private var directoryAtMs: Int64?
    /// Mailbox reads that failed in a row.
    public private(set) var mailboxFailures = 0
    private var random: SplitMix64

    public init(startedAtMs: Int64, schedule: Schedule = Schedule(), seed: UInt64) {
        self.startedAtMs = startedAtMs
        self.schedule = schedule
        self.random = SplitMix64(seed: seed)
    }

    public var unitsRegistered: Bool { registeredAtMs != nil }

    /// The chores due now. A chore named here is taken as started: it is not named again until its
    /// outcome is reported or its retry interval has passed.
    public mutating func due(nowMs: Int64) -> [Chore] {
        var chores: [Chore] = []
        let registrationDue: Bool = if let registeredAtMs { nowMs - registeredAtMs > schedule.registrationRenewMs } else { true }
        let retryPassed = registrationTriedAtMs.map { nowMs - $0 > schedule.registrationRetryMs } ?? true
        if registrationDue && retryPassed {
            registrationTriedAtMs = nowMs
            chores.append(.registerUnits)
        }
        let interval = nowMs - startedAtMs < schedule.startupPeriodMs ? schedule.startupDirectoryMs : schedule.directoryMs
        if directoryAtMs.map({ nowMs - $0 > interval }) ?? true {
            chores.append(.refreshDirectory)
        }
        return chores
    }

    /// The hub took the units (or did not: tried again after `registrationRetryMs`).
    public mutating func unitsRegistered(_ taken: Bool, nowMs: Int64) {
        if taken { registeredAtMs = nowMs }
    }

    /// The node's units changed (an import): they are registered again at once.
    public mutating func unitsChanged() {
        registeredAtMs = nil
        registrationTriedAtMs = nil
    }

    /// The directory was fetched (or found unchanged); a failed fetch is tried again at the next round.
    public mutating func directoryRefreshed(_ fetched: Bool, nowMs: Int64) {
        if fetched { directoryAtMs = nowMs }
    }

    /// The hub answered a hand-over with `status`: its receipt on 200, its problem's detail otherwise.
    /// `attempts` are the transfer's failed attempts so far.
    public mutating func answered(status: Int, receipt: TransferReceipt?, detail: String?, attempts: Int, nowMs: Int64) -> HandOver {
        if status == 200, let receipt { return .handedOver(destination: receipt.destination) }
        if Self.unroutableStatuses.contains(status) {
            return .sendBack(reason: detail ?? "the hub refused the transfer (HTTP \(status))")
        }
        let error = status == 200 ? "hub answered 200 without a receipt" : "hub answered HTTP \(status)"
        return retry(error: error, attempts: attempts, nowMs: nowMs)
    }

    /// The hand-over got no answer (the hub is away, the link is cut, the answer was lost): the transfer
    /// waits for its back-off; the hub keeps a transfer it sees twice once.
    public mutating func unanswered(error: String, attempts: Int, nowMs: Int64) -> HandOver {
        retry(error: "hub unreachable: \(error)", attempts: attempts, nowMs: nowMs)
    }

    private mutating func retry(error: String, attempts: Int, nowMs: Int64) -> HandOver {
        let delay = schedule.outboxBackoff.delayMs(failures: attempts + 1, using: &random)
        return .retry(atMs: nowMs + delay, error: error)
    }

    /// A mailbox read came back (`answered`: the hub answered with a page, empty or not) or did not;
    /// the answer is how long to wait before the next read (0: at once, the long poll does the waiting).
    public mutating func mailboxRead(answered: Bool) -> Int64 {
        guard !answered else {
            mailboxFailures = 0
            return 0
        }
        mailboxFailures += 1
        return schedule.mailboxBackoff.delayMs(failures: mailboxFailures, using: &random)
    }
}
