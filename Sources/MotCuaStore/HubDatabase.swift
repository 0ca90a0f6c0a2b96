import Foundation
import GRDB
import MotCuaCore
import MotCuaProtocol
import Synchronization

/// The hub's national index: one SQLite file (WAL, synchronous = FULL). A batch and the node's new
/// cursor are applied in one transaction, acknowledged only after it commits.
public final class HubDatabase: NationalIndex {
    let pool: DatabasePool
    let committer: GroupCommitter
    public let path: String
    /// Nodes whose row exists: a batch from them skips the read that would create it.
    let knownNodes = Mutex<Set<String>>([])

    /// The writer's page cache. A backlog mostly appends: each node's new codes, stays and index entries
    /// land at a few dozen places in each B-tree, so the pages the writer comes back to are few. A larger
    /// cache only kept every new page of a drain resident: fewer page faults and a lower peak at the same
    /// speed (docs/PERFORMANCE.md, "Design choices": the writer's cache).
    static let writerCacheKiB = 8192

    public init(path: String) throws {
        self.path = path
        pool = try openDurablePool(path: path, migrator: Self.migrator, writerCacheKiB: Self.writerCacheKiB)
        committer = GroupCommitter(writer: pool)
    }

    /// Checkpoints the WAL into the file (truncating it) and closes it; unusable afterwards.
    public func close() throws { try closeDurablePool(pool, committer: committer) }
}
