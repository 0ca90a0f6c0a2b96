import MotCuaCore

/// The one back-off of everything that retries: exponential growth from a base to a cap, with jitter so
/// that a fleet of nodes whose hub returns does not knock it over again in lock step. After the n-th
/// consecutive failure (n ≥ 1) the ceiling is min(cap, base · 2^(n−1)), never below the floor; the delay
/// is drawn under it as the jitter says.
public struct RetryBackoff: Sendable, Hashable {
    public enum Jitter: Sendable, Hashable {
        /// The delay is the ceiling.
        case none
        /// Uniform in [0, ceiling] (then raised to the floor): the widest spread.
        case full
        /// Uniform in [ceiling / 2, ceiling]: spread, but never much sooner than the schedule.
        case half
    }

    public var baseMs: Int64
    public var capMs: Int64
    /// The cap while nobody listens at the peer's address (the connection was refused): the peer process
    /// is down or restarting, so an attempt costs it nothing, and the sooner one tries again the sooner
    /// one finds it back. Nil: the same cap as otherwise.
    public var notListeningCapMs: Int64?
    public var floorMs: Int64
    public var jitter: Jitter

    public init(baseMs: Int64, capMs: Int64, notListeningCapMs: Int64? = nil, floorMs: Int64 = 0, jitter: Jitter) {
        self.baseMs = baseMs
        self.capMs = capMs
        self.notListeningCapMs = notListeningCapMs
        self.floorMs = floorMs
        self.jitter = jitter
    }

    /// The node's replication batches: 100 ms base, 1 s cap, 100 ms while the hub is not listening, 10 ms
    /// floor, full jitter. A node finds a restarted hub within a tenth of a second, and costs next to
    /// nothing trying while the hub is down (docs/PERFORMANCE.md, "Design choices": the replication back-off).
    public static let replication = RetryBackoff(baseMs: 100, capMs: 1_000, notListeningCapMs: 100, floorMs: 10, jitter: .full)

    /// A transfer in the node's outbox the hub did not take: 1 s doubling to 60 s, half jitter.
    public static let transferOutbox = RetryBackoff(baseMs: 1_000, capMs: 60_000, jitter: .half)

    /// The node's long poll of its mailbox when the hub could not be asked: 500 ms doubling to 5 s. No
    /// jitter: a poll that waits on the hub is already spread by when each one's answer came.
    public static let mailboxPoll = RetryBackoff(baseMs: 500, capMs: 5_000, jitter: .none)

    /// The upper bound of the delay after `failures` consecutive failures; grows to the cap (the lower
    /// one when nobody is listening), not past it.
    public func ceilingMs(failures: Int, listening: Bool = true) -> Int64 {
        let cap = listening ? capMs : min(capMs, notListeningCapMs ?? capMs)
        let doublings = min(max(failures - 1, 0), 40)
        let grown = baseMs.multipliedReportingOverflow(by: Int64(1) << Int64(doublings))
        let ceiling = grown.overflow ? cap : min(cap, grown.partialValue)
        return max(ceiling, floorMs)
    }

    /// The delay after `failures` consecutive failures for a draw `unitRandom` in [0, 1].
    public func delayMs(failures: Int, listening: Bool = true, unitRandom: Double) -> Int64 {
        let ceiling = ceilingMs(failures: failures, listening: listening)
        let unit = min(max(unitRandom.isNaN ? 1 : unitRandom, 0), 1)
        let drawn: Int64
        switch jitter {
        case .none: drawn = ceiling
        case .full: drawn = min(ceiling, Int64((Double(ceiling) + 1) * unit))
        case .half: drawn = Int64(Double(ceiling) * (0.5 + 0.5 * unit))
        }
        return max(drawn, floorMs)
    }

    /// A jittered delay after `failures` consecutive failures, drawn from `generator` (never a global
    /// source, so a seed replays it).
    public func delayMs(failures: Int, listening: Bool = true, using generator: inout some RandomNumberGenerator) -> Int64 {
        delayMs(failures: failures, listening: listening, unitRandom: Self.unit(generator.next()))
    }

    /// 64 random bits as a uniform draw in [0, 1).
    public static func unit(_ bits: UInt64) -> Double {
        Double(bits >> 11) / Double(UInt64(1) << 53)
    }
}
