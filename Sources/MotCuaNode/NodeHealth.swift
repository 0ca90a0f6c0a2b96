import Foundation
import HTTPTypes
import Logging
import Synchronization

/// Whether the node may write, and why not. Some conditions stop every change to dossiers, the log and
/// the calendar until an operator acts (fail-stop: reads, logins and account changes are still served): the log went back behind the hub, or stored data failed an integrity check.
/// A full disk does not stop writes (each one is tried, and answered 507 while it fails) and clears itself
/// on the first write that succeeds. `/readyz` is not ready while any of these holds.
public final class NodeHealth: Sendable {
    /// A condition that stops every write until it is lifted.
    public enum Hold: String, Sendable, CaseIterable {
        /// The local log ends before what the hub has applied (or differs from it): the node would hand
        /// out codes the hub has seen. Lifted by `accept-log-loss`.
        case logBehindHub = "node.log-behind-hub"
        /// The chain or a stored row failed its check. Lifted only by a restart after repair.
        case integrityFailure = "node.integrity-failure"
    }

    /// A problem as `/readyz` and the 503 answers name it.
    public struct Condition: Sendable, Codable, Hashable {
        public var code: String
        public var detail: String
        public var since: Date
    }

    private struct State {
        var holds: [Hold: Condition] = [:]
        var storageFull: Condition?
    }

    private let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Stops writes for `hold`, with what an operator needs to know; the first time, an alarm is logged.
    public func hold(_ hold: Hold, _ detail: String, at now: Date = Date()) {
        let isNew = state.withLock { state -> Bool in
            guard state.holds[hold] == nil else { return false }
            state.holds[hold] = Condition(code: hold.rawValue, detail: detail, since: now)
            return true
        }
        if isNew { logger.critical("writes stopped", metadata: ["condition": "\(hold.rawValue)", "detail": "\(detail)"]) }
    }

    public func lift(_ hold: Hold) {
        if state.withLock({ $0.holds.removeValue(forKey: hold) }) != nil {
            logger.notice("writes resumed", metadata: ["condition": "\(hold.rawValue)"])
        }
    }

    public func isHeld(_ hold: Hold) -> Bool { state.withLock { $0.holds[hold] != nil } }

    /// A write failed because the disk is full.
    func noteStorageFull(_ detail: String, at now: Date = Date()) {
        let isNew = state.withLock { state -> Bool in
            guard state.storageFull == nil else { return false }
            state.storageFull = Condition(code: "storage.full", detail: detail, since: now)
            return true
        }
        if isNew { logger.critical("storage full: writes fail", metadata: ["detail": "\(detail)"]) }
    }

    /// A write succeeded: the disk has room again.
    func noteWriteSucceeded() {
        if state.withLock({ state in defer { state.storageFull = nil }; return state.storageFull != nil }) {
            logger.notice("storage has room again: writes succeed")
        }
    }

    var storageFull: Bool { state.withLock { $0.storageFull != nil } }

    /// Everything that makes the node not ready, holds first.
    public var conditions: [Condition] {
        state.withLock { state in
            Hold.allCases.compactMap { state.holds[$0] } + (state.storageFull.map { [$0] } ?? [])
        }
    }

    /// Throws the 503 of the first hold, if any.
    func checkWritable() throws {
        guard let condition = state.withLock({ state in let holds = state.holds; return Hold.allCases.compactMap { holds[$0] }.first }) else { return }
        throw NodeError(.unavailable, condition.code, Self.advice(condition))
    }

    static func advice(_ condition: Condition) -> String {
        switch condition.code {
        case Hold.logBehindHub.rawValue:
            "this node does not accept changes: \(condition.detail). Reads are served. An operator restores the lost data, or accepts the loss with `motcua ctl admin accept-log-loss` (docs/ARCHITECTURE.md, 'When a node loses the end of its log')"
        case Hold.integrityFailure.rawValue:
            "this node does not accept changes: \(condition.detail). Reads are served. Stop it, run `motcua node check --data-dir DIR`, and restore the database from a backup"
        default:
            condition.detail
        }
    }
}
