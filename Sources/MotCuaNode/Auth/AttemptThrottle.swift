import Foundation
import Synchronization

/// Slows guessing without locking anyone out: per key, the first `freeFailures` failures cost nothing,
/// then each further attempt must wait a delay that doubles with every failure (from `baseDelay` up to
/// `maxDelay`). A success clears the key; a key quiet for `forgetAfter` is forgotten. Nothing is stored on
/// disk, and at most `capacity` keys are held (the stalest go first), so a flood of keys cannot exhaust memory.
final class AttemptThrottle: Sendable {
    private struct Entry {
        var failures: Int
        var last: Date
    }

    let freeFailures: Int
    let baseDelay: TimeInterval
    let maxDelay: TimeInterval
    let forgetAfter: TimeInterval
    private let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(freeFailures: Int, baseDelay: TimeInterval, maxDelay: TimeInterval, forgetAfter: TimeInterval, capacity: Int = 100_000) {
        self.freeFailures = freeFailures
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.forgetAfter = forgetAfter
        self.capacity = capacity
    }

    /// The wait after `failures` failures: none for the free ones, then doubling to the cap.
    func delay(afterFailures failures: Int) -> TimeInterval {
        guard failures >= freeFailures else { return 0 }
        let doublings = min(failures - freeFailures, 40)
        return min(maxDelay, baseDelay * pow(2, Double(doublings)))
    }

    /// Seconds the key must still wait before its next attempt, or nil when it may try now.
    func wait(_ key: String, at now: Date) -> TimeInterval? {
        entries.withLock { table in
            guard let entry = table[key] else { return nil }
            let quiet = now.timeIntervalSince(entry.last)
            if quiet >= forgetAfter || quiet < -forgetAfter {
                // Forgotten; a clock that jumped back a long way forgets too rather than locking for good.
                table[key] = nil
                return nil
            }
            let remaining = delay(afterFailures: entry.failures) - max(0, quiet)
            return remaining > 0 ? remaining : nil
        }
    }

    func recordFailure(_ key: String, at now: Date) {
        entries.withLock { table in
            if table[key] == nil, table.count >= capacity {
                table = table.filter { now.timeIntervalSince($0.value.last) < forgetAfter }
                if table.count >= capacity {
                    // Still full: keep the most recent half.
                    let kept = table.sorted { $0.value.last > $1.value.last }.prefix(capacity / 2)
                    table = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
                }
            }
            var entry = table[key] ?? Entry(failures: 0, last: now)
            entry.failures += 1
            entry.last = now
            table[key] = entry
        }
    }

    /// Takes back one failure recorded in advance (an attempt is counted before its slow check, so that
    /// requests sent in parallel cannot all pass before the first failure is known).
    func forgiveOne(_ key: String) {
        entries.withLock { table in
            guard var entry = table[key] else { return }
            entry.failures -= 1
            table[key] = entry.failures <= 0 ? nil : entry
        }
    }

    func recordSuccess(_ key: String) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }

    var keyCount: Int { entries.withLock { $0.count } }
}
