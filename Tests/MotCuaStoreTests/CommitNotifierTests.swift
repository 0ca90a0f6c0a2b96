import Foundation
import Synchronization
import Testing

@testable import MotCuaStore

@Suite("Commit notifications")
struct CommitNotifierTests {
    /// A subscribed handler runs once per commit that adds something, before the write returns; settings
    /// writes do not call it; after `cancel`, or once the subscription is dropped, it is not called again.
    @Test func subscribersHearCommitsUntilTheyLeave() async throws {
        let folder = try ScratchFolder("motcua-notify")
        defer { folder.remove() }
        let database = try NodeDatabase(path: folder.path("node.sqlite"))
        let heard = Mutex(0)
        let subscription = database.commits.subscribe { heard.withLock { $0 += 1 } }
        try await database.upsertUnits([])
        #expect(heard.withLock { $0 } == 1)
        try await database.setMeta("quiet", "1")
        #expect(heard.withLock { $0 } == 1, "a settings write woke the subscriber")
        try await database.upsertUnits([])
        #expect(heard.withLock { $0 } == 2)
        subscription.cancel()
        try await database.upsertUnits([])
        #expect(heard.withLock { $0 } == 2)

        let dropped = Mutex(0)
        do { _ = database.commits.subscribe { dropped.withLock { $0 += 1 } } }
        try await database.upsertUnits([])
        #expect(dropped.withLock { $0 } == 0, "a dropped subscription was still called")
        try database.close()
    }
}
