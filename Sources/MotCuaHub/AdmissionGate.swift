import Synchronization

/// At most `permits` holders at a time; the others wait in arrival order. The hub takes a permit for
/// each replication batch from parsing it until it is committed, so however many nodes ship a backlog
/// at once, only so many batches are held in memory parsed and planned (a few MB each); the others wait
/// as received bytes. 16 keeps the writer fed (it commits up to 8 batches of 500 events together while
/// the next ones are planned). What it saved in memory at no cost in speed: docs/PERFORMANCE.md,
/// "Design choices" (the admission gate).
final class AdmissionGate: Sendable {
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        var nextID = 0
    }

    private let state: Mutex<State>

    init(permits: Int) { state = Mutex(State(available: max(1, permits))) }

    /// Runs `body` holding a permit; a task cancelled while it waits throws `CancellationError`.
    func withPermit<T>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async throws {
        let granted = state.withLock { state -> Bool in
            guard state.available > 0, state.waiters.isEmpty else { return false }
            state.available -= 1
            return true
        }
        if granted { return }
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Decided under the lock that also queues the waiter: a permit released since the first
                // look is taken here rather than left unused.
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.available > 0, state.waiters.isEmpty {
                        state.available -= 1
                        return .success(())
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private func release() {
        let next = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.continuation.resume()
    }

    /// Permits free now, and tasks waiting (for tests and status).
    var counts: (available: Int, waiting: Int) { state.withLock { ($0.available, $0.waiters.count) } }
}
