import Foundation
import Synchronization

/// Hands out dossier numbers per agency and day from memory, so that a dossier can be fully prepared
/// (code, documents, event payload) before it enters the single writer. The number is persisted with the
/// dossier (`daily_sequences.last = max(last, n)`) in the same transaction; after a restart counting
/// resumes after the largest number stored. A number whose transaction failed is never reused: daily
/// numbering may have gaps, never duplicates.
final class DailySequences: Sendable {
    private let next = Mutex<[String: Int]>([:])

    /// The next number for `agency` on `day`; `stored` reads the persisted last number the first time.
    func allocate(agency: String, day: String, stored: () async throws -> Int) async throws -> Int {
        let key = agency + "|" + day
        if let number = take(key) { return number }
        let last = try await stored()
        return next.withLock { table in
            // Keep only today's counters: yesterday's can never be asked for again.
            if table[key] == nil {
                table = table.filter { $0.key.hasSuffix("|" + day) }
                table[key] = last
            }
            table[key]! += 1
            return table[key]!
        }
    }

    /// Numbers at or below these (`agency|day` → number) are never handed out again: a node that lost the
    /// end of its log learns from the hub which numbers its lost dossiers had.
    func raise(_ highest: [String: Int]) {
        next.withLock { table in
            for (key, number) in highest where table[key].map({ $0 < number }) ?? false { table[key] = number }
        }
    }

    private func take(_ key: String) -> Int? {
        next.withLock { table in
            guard let current = table[key] else { return nil }
            table[key] = current + 1
            return current + 1
        }
    }
}
