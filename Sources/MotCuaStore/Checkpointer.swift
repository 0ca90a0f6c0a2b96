import Foundation
import GRDB
import Synchronization

/// Copies committed WAL frames into the database file on its own connection, off the writer's path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: the single writer then
/// copies every page of the WAL and syncs the database file while every queued write waits. That put
/// tens of thousands of page writes on the hub's critical path during a backlog drain, and occasional
/// multi-millisecond stalls into the replication lag. Here a commit only marks the WAL dirty; a passive
/// checkpoint follows `delay` later on a second connection (so at most one per `delay` however many
/// commits come), and runs on another core while the writer goes on. A passive checkpoint never blocks
/// the writer or readers. The writer keeps SQLite's own checkpoint only as a backstop, at a much larger
/// threshold, for a WAL that a sustained load never lets this one finish.
final class Checkpointer: Sendable {
    /// The writer's automatic checkpoint threshold (pages), the backstop: about 80 MB of WAL.
    static let backstopPages = 20_000
    /// The WAL file is truncated back to this size when it restarts after a large burst.
    static let walSizeLimitBytes = 64 << 20

    private struct State {
        var scheduled = false
        var closed = false
        var connection: DatabaseQueue?
    }

    private let path: String
    private let delay: Duration
    private let clock: any Clock<Duration>
    private let state = Mutex(State())

    init(path: String, delay: Duration = .milliseconds(250), clock: any Clock<Duration> = ContinuousClock()) {
        self.path = path
        self.delay = delay
        self.clock = clock
    }

    /// Called after each commit: schedules one checkpoint unless one is already due.
    func committed() {
        let schedule = state.withLock { state -> Bool in
            guard !state.scheduled, !state.closed else { return false }
            state.scheduled = true
            return true
        }
        guard schedule else { return }
        Task.detached(priority: .utility) { [self] in
            try? await clock.sleep(for: delay)
            checkpointNow()
        }
    }

    /// Runs a passive checkpoint at once; returns (frames in the WAL, frames now in the database file).
    @discardableResult
    func checkpointNow() -> (walFrameCount: Int, checkpointedFrameCount: Int)? {
        // Cleared before the checkpoint: a commit during it schedules the next one.
        guard let connection = state.withLock({ state -> DatabaseQueue? in
            state.scheduled = false
            guard !state.closed else { return nil }
            if state.connection == nil { state.connection = try? Self.open(path) }
            return state.connection
        }) else { return nil }
        // A failed checkpoint loses nothing (the frames stay in the WAL); the next commit tries again.
        return try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }

    /// Closes the checkpoint connection, waiting for a checkpoint in progress; later commits schedule nothing.
    func close() throws {
        let connection = state.withLock { state -> DatabaseQueue? in
            state.closed = true
            defer { state.connection = nil }
            return state.connection
        }
        try connection?.close()
    }

    private static func open(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.label = "checkpointer"
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        // The database file is synced after the frames are copied, before the WAL may be reused.
        try connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        return connection
    }
}
