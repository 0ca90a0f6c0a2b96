import Foundation
import Synchronization

/// Counts failures per key in a sliding window and refuses a key that reached the limit until the window
/// passes: slows password guessing and ID-number guessing without storing anything on disk.
final class FailureThrottle: Sendable {
    private let limit: Int
    private let windowSeconds: TimeInterval
    /// Most keys remembered; the oldest entries go first, so memory stays bounded under a flood.
    private let capacity: Int
    private let failures = Mutex<[String: [Date]]>([:])

    init(limit: Int, windowSeconds: TimeInterval, capacity: Int = 100_000) {
        self.limit = limit
        self.windowSeconds = windowSeconds
        self.capacity = capacity
    }

    /// Whether the key may try again now.
    func allows(_ key: String, at now: Date) -> Bool {
        failures.withLock { table in
            let recent = (table[key] ?? []).filter { now.timeIntervalSince($0) < windowSeconds }
            table[key] = recent.isEmpty ? nil : recent
            return recent.count < limit
        }
    }

    func recordFailure(_ key: String, at now: Date) {
        failures.withLock { table in
            if table.count >= capacity {
                // Drop entries whose window has passed; if none, drop an arbitrary half.
                table = table.filter { $0.value.contains { now.timeIntervalSince($0) < windowSeconds } }
                if table.count >= capacity { table = Dictionary(uniqueKeysWithValues: table.prefix(capacity / 2).map { ($0.key, $0.value) }) }
            }
            table[key, default: []].append(now)
        }
    }
}
