import Foundation
import GRDB
import Synchronization

/// Group commit: concurrent writes queue up and the writer commits them together, one fsync for the
/// lot. A refused job (a 409, a 422) must roll back alone while the others still commit: the group first
/// runs straight through, and only when a job throws is it run again with a savepoint per job. Callers
/// resume only after the commit that holds their change is durable.
final class GroupCommitter: Sendable {
    private struct Job: Sendable {
        let weight: Int
        let wakesListeners: Bool
        let run: @Sendable (Database) throws -> Void
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct State {
        var queue: [Job] = []
        var draining = false
    }

    private let writer: DatabasePool
    private let state = Mutex(State())
    /// Signalled after every commit (the replication agent wakes on it).
    let notifier = CommitNotifier()
    /// Most jobs in one transaction: bounds the latency of the first job of a large batch.
    let batchLimit: Int
    /// Most total weight in one transaction (a replication batch weighs its event count; other jobs 1).
    /// A hub draining 34 nodes otherwise took every queued batch into one long transaction, and the
    /// nodes waited for it with nothing to do; smaller commits let them send their next batch meanwhile.
    let weightLimit: Int

    /// Moves committed pages into the database file off the writer's path.
    let checkpointer: Checkpointer
    /// Runs on the writer's thread after each commit, before the listeners are woken (the node keeps its
    /// log head and newest events this way: `CommittedTail`).
    private let afterCommit: (@Sendable (Database) -> Void)?

    init(writer: DatabasePool, batchLimit: Int = 256, weightLimit: Int = 4096, afterCommit: (@Sendable (Database) -> Void)? = nil) {
        self.writer = writer
        self.batchLimit = batchLimit
        self.weightLimit = weightLimit
        self.afterCommit = afterCommit
        checkpointer = Checkpointer(path: writer.path)
    }

    /// Stops checkpointing (before the pool closes, so that closing it can remove the WAL).
    func close() throws { try checkpointer.close() }

    /// Runs `work` inside a write transaction shared with other concurrent writes; returns after commit.
    /// A write that only records bookkeeping (`wakesListeners: false`, e.g. the replication position)
    /// does not wake the commit listeners: there is nothing new for them.
    func write<T: Sendable>(
        weight: Int = 1, wakesListeners: Bool = true, _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let box = ResultBox<T>()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let job = Job(
                weight: max(1, weight),
                wakesListeners: wakesListeners,
                run: { db in box.set(try work(db)) },
                finish: { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                })
            let startDrain = state.withLock { state -> Bool in
                state.queue.append(job)
                if state.draining { return false }
                state.draining = true
                return true
            }
            // The queue is drained on the writer's own dispatch queue, synchronously: one hand-off from the
            // caller to the writer and one back (the continuation), where a drain task awaiting each
            // group's write took two more. On this 2-core machine each costs 0.1-0.3 ms of latency.
            if startDrain {
                writer.asyncWriteWithoutTransaction { db in self.drain(db) }
            }
        }
        return box.take()
    }

    private func drain(_ db: Database) {
        while true {
            let batch = state.withLock { state -> [Job] in
                var count = 0
                var weight = 0
                // At least one job, however heavy; then while both limits hold.
                while count < state.queue.count, count < batchLimit, count == 0 || weight + state.queue[count].weight <= weightLimit {
                    weight += state.queue[count].weight
                    count += 1
                }
                let batch = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            let outcomes = OutcomeBox(count: batch.count)
            do {
                try commit(batch, outcomes: outcomes, db: db)
                afterCommit?(db)
                if batch.contains(where: \.wakesListeners) { notifier.notify() }
                checkpointer.committed()
                for (index, job) in batch.enumerated() { job.finish(outcomes.get(index)) }
            } catch {
                // The commit itself failed: nothing of this batch is durable.
                for (index, job) in batch.enumerated() { job.finish(outcomes.get(index) ?? error) }
            }
        }
    }

    /// One transaction for the group; per-job refusals are recorded in `outcomes`.
    private func commit(_ batch: [Job], outcomes: OutcomeBox, db: Database) throws {
        // First straight through: no savepoint per job. A savepoint makes SQLite copy every page the job
        // touches into a statement journal, and release it by walking that journal; on the hub's
        // replication path that was a third of the writer's time.
        var failure: (index: Int, error: any Error)?
        try db.inTransaction(.immediate) {
            for (index, job) in batch.enumerated() {
                do {
                    try job.run(db)
                } catch {
                    failure = (index, error)
                    return .rollback
                }
            }
            return .commit
        }
        guard let failure else { return }
        if batch.count == 1 {
            outcomes.set(failure.index, failure.error)
            return
        }
        // A job refused (a 409, a 422) or failed: nothing of the group was kept. Again, each job in a
        // savepoint, so that the refused one rolls back alone and the others commit. Jobs only touch the
        // database and their result, so running one twice is safe.
        try db.inTransaction(.immediate) {
            for (index, job) in batch.enumerated() {
                do {
                    try db.inSavepoint {
                        try job.run(db)
                        return .commit
                    }
                } catch {
                    outcomes.set(index, error)
                }
            }
            return .commit
        }
    }
}

/// Carries a job's result from the writer queue to the waiting caller.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?

    func set(_ newValue: T) { lock.withLock { value = newValue } }
    func take() -> T { lock.withLock { value! } }
}

/// Per-job errors of one batch.
private final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [(any Error)?]

    init(count: Int) { errors = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ error: any Error) { lock.withLock { errors[index] = error } }
    func get(_ index: Int) -> (any Error)? { lock.withLock { errors[index] } }
}
