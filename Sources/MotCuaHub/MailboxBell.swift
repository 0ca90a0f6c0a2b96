import Foundation
import ServiceLifecycle
import Synchronization

/// Ends the long polls as soon as the hub is asked to stop, so its servers need not wait for them. Put it
/// last in the service group: services are stopped in reverse order.
public struct MailboxBellCloser: Service {
    let bell: MailboxBell

    public func run() async throws {
        try? await gracefulShutdown()
        bell.close()
    }
}

/// Wakes the destinations' long polls: a node that asks for its mailbox while it is empty waits here
/// until a transfer for it is admitted (or its wait runs out, on the injected clock), so delivery needs no
/// busy polling.
final class MailboxBell: Sendable {
    private struct State {
        var generations: [String: Int] = [:]
        var waiters: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]
        var settled: Set<UUID> = []
        var closed = false
    }
    private let state = Mutex(State())
    private let clock: any Clock<Duration>

    init(clock: any Clock<Duration> = ContinuousClock()) { self.clock = clock }

    /// A value that changes whenever `ring(node)` is called; read it before looking into the mailbox.
    func generation(_ node: String) -> Int { state.withLock { $0.generations[node, default: 0] } }

    func ring(_ node: String) {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generations[node, default: 0] += 1
            return Array((state.waiters.removeValue(forKey: node) ?? [:]).values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// The hub is stopping: every long poll answers now, and no new one waits.
    func close() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            defer { state.waiters = [:] }
            return state.waiters.values.flatMap(\.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns when the node's mailbox is rung after `seen` was read, or after `timeout`.
    func wait(_ node: String, seen: Int, timeout: Duration) async {
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.closed || state.settled.remove(id) != nil || state.generations[node, default: 0] != seen { return true }
                        state.waiters[node, default: [:]][id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask { [clock] in
                try? await clock.sleep(for: timeout)
            }
            await group.next()
            // Whichever came first, the other ends now: a registered waiter is resumed, a late one never waits.
            let pending = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let continuation = state.waiters[node]?.removeValue(forKey: id) { return continuation }
                state.settled.insert(id)
                return nil
            }
            pending?.resume()
            group.cancelAll()
        }
        state.withLock { _ = $0.settled.remove(id) }
    }
}
