import Synchronization
import MotCuaTestSupport
import Testing

@testable import MotCuaHub

/// The gate that bounds how many replication batches the hub holds parsed at once.
@Suite("Admission gate", .timeLimit(.minutes(1)))
struct AdmissionGateTests {
    /// Tracks how many bodies run at once, and the most ever.
    final class Occupancy: Sendable {
        private let state = Mutex((now: 0, most: 0, order: [Int]()))
        func enter(_ index: Int) { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now); $0.order.append(index) } }
        func leave() { state.withLock { $0.now -= 1 } }
        var most: Int { state.withLock { $0.most } }
        var order: [Int] { state.withLock { $0.order } }
    }

    @Test func noMoreThanThePermitsRunAtOnceAndAllRun() async throws {
        let gate = AdmissionGate(permits: 3)
        let occupancy = Occupancy()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await gate.withPermit {
                        occupancy.enter(index)
                        try await Task.sleep(for: .milliseconds(2))
                        occupancy.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(occupancy.most == 3)
        #expect(occupancy.order.count == 40)
        #expect(gate.counts == (available: 3, waiting: 0))
    }

    /// A permit held until the test lets go of it.
    func holdThePermit(of gate: AdmissionGate) async throws -> (task: Task<Void, any Error>, letGo: @Sendable () -> Void) {
        let release = Mutex(false)
        let holder = Task {
            try await gate.withPermit {
                while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
            }
        }
        try await waitFor(seconds: 10, "the holder's permit") { gate.counts.available == 0 }
        return (holder, { release.withLock { $0 = true } })
    }

    @Test func waitersAreLetInInArrivalOrderAndAFailureReturnsItsPermit() async throws {
        let gate = AdmissionGate(permits: 1)
        let occupancy = Occupancy()
        // Held until all five wait, however slow the machine: the order is then the queue's, not timing's.
        let holder = try await holdThePermit(of: gate)
        var waiters: [Task<Void, any Error>] = []
        for index in 0..<5 {
            waiters.append(Task { try await gate.withPermit { occupancy.enter(index); occupancy.leave() } })
            // Queued before the next one starts.
            try await waitFor(seconds: 10, "waiter \(index) in the queue") { gate.counts.waiting == index + 1 }
        }
        holder.letGo()
        try await holder.task.value
        for waiter in waiters { try await waiter.value }
        #expect(occupancy.order == [0, 1, 2, 3, 4])
        // A body that throws still gives its permit back.
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await gate.withPermit { throw Refused() } }
        #expect(gate.counts == (available: 1, waiting: 0))
    }

    @Test func aCancelledWaiterLeavesTheQueueAndTakesNoPermit() async throws {
        let gate = AdmissionGate(permits: 1)
        let holder = try await holdThePermit(of: gate)
        let ran = Mutex(false)
        let waiter = Task { try await gate.withPermit { ran.withLock { $0 = true } } }
        try await waitFor(seconds: 10, "the waiter in the queue") { gate.counts.waiting == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(gate.counts == (available: 0, waiting: 0))
        holder.letGo()
        try await holder.task.value
        #expect(!ran.withLock { $0 })
        #expect(gate.counts == (available: 1, waiting: 0))
        // The gate still works afterwards.
        try await gate.withPermit { ran.withLock { $0 = true } }
        #expect(ran.withLock { $0 })
    }
}
