import Foundation
import Synchronization

/// Tells listeners (the replication agent) that a commit happened, coalescing bursts: a listener that is
/// busy sees one wake-up for any number of commits.
public final class CommitNotifier: Sendable {
    private let continuations = Mutex<[Int: AsyncStream<Void>.Continuation]>([:])
    private let nextID = Mutex(0)

    public init() {}

    /// A stream of wake-ups; it holds at most one pending signal.
    public func wakeUps() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = nextID.withLock { value in
            value += 1
            return value
        }
        continuations.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.continuations.withLock { $0.removeValue(forKey: id) } }
        return stream
    }

    func notify() {
        for continuation in continuations.withLock({ Array($0.values) }) { continuation.yield() }
    }
}
