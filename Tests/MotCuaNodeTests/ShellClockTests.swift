import Foundation
import HTTPTypes
import MotCuaStore
import MotCuaTestSupport
import Synchronization
import Testing

@testable import MotCuaNode

/// The node's shells wait on the clock they are given, not on the real one: with a clock moved by hand a
/// time-out or a maintenance pass happens exactly when the test moves time, however long it really took.
@Suite("Shells on an injected clock", .timeLimit(.minutes(1)))
struct ShellClockTests {
    @Test func aDoorbellTimesOutOnlyWhenItsClockPassesTheTimeout() async throws {
        let clock = ManualClock()
        let bell = Doorbell(clock: clock)
        let ended = Mutex(false)
        let waiting = Task {
            let rung = await bell.wait(timeout: .seconds(5))
            ended.withLock { $0 = true }
            return rung
        }
        await clock.waitForSleepers()
        try await Task.sleep(for: .milliseconds(100))
        #expect(!ended.withLock { $0 }, "the wait ended before its clock moved")
        clock.advance(by: .seconds(4))
        try await Task.sleep(for: .milliseconds(50))
        #expect(!ended.withLock { $0 }, "the wait ended a second early")
        clock.advance(by: .seconds(1))
        #expect(await waiting.value == false)

        // A ring ends a wait at once with the clock standing still; the timer it leaves behind cannot end
        // the next wait.
        let next = Task { await bell.wait(timeout: .seconds(5)) }
        await clock.waitForSleepers(1)
        bell.ring()
        #expect(await next.value == true)
        let third = Task { await bell.wait(timeout: .seconds(60)) }
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(5))
        try await Task.sleep(for: .milliseconds(50))
        bell.ring()
        #expect(await third.value == true, "the earlier wait's timer ended this one")
    }

    /// Idempotency keys are forgotten 48 hours after they were claimed (wall clock), by the maintenance
    /// pass that first runs 30 s after start and then every hour (the shells' clock).
    @Test func maintenanceForgetsOldKeysOnItsOwnClock() async throws {
        let shellClock = ManualClock()
        let node = try await NodeHarness(shellClock: shellClock)
        defer { node.remove() }
        try await node.run { api in
            let filed = try await api.call(.post, "/v1/dossiers", json: submission(), headers: [HTTPField.Name("Idempotency-Key")!: "k-old"])
            #expect(filed.status == .created)
        }
        #expect(try await node.service.database.idempotencyRecord(scope: "submit:applicant", key: "k-old") != nil)
        node.clock.advance(49 * 3600)
        let maintenance = Task { try await NodeMaintenance(service: node.service).run() }
        defer { maintenance.cancel() }
        await shellClock.waitForSleepers()
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await node.service.database.idempotencyRecord(scope: "submit:applicant", key: "k-old") != nil, "purged before the first pass was due")
        shellClock.advance(by: .seconds(30))
        // The pass verifies the chain, purges, then sleeps an hour on the same clock.
        await shellClock.waitForSleepers()
        #expect(try await node.service.database.idempotencyRecord(scope: "submit:applicant", key: "k-old") == nil)
    }
}
