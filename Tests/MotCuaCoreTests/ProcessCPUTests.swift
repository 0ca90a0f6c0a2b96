import Foundation
import MotCuaCore
import Testing

@Suite("Process CPU time")
struct ProcessCPUTests {
    /// This thread spins until it has itself burnt 0.2 s of CPU (its own clock, so a loaded machine only
    /// makes the spin take longer): the process's count has grown by at least that, less a tick, and by no
    /// more than its cores could burn over the time it took.
    @Test func countsTheCPUThisThreadBurns() throws {
        func threadCPUSeconds() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        let start = processCPUSeconds()
        let threadStart = threadCPUSeconds()
        let clock = ContinuousClock()
        let began = clock.now
        var sum: UInt64 = 0
        while threadCPUSeconds() - threadStart < 0.2 { sum &+= UInt64.random(in: 0...9) }
        let busy = processCPUSeconds() - start
        let elapsed = clock.now - began
        #expect(sum > 0)  // keeps the loop from being optimised away
        // Other test threads may add to it; the tick of the process count is at most 10 ms.
        #expect(busy >= 0.19)
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        #expect(busy <= wall * Double(ProcessInfo.processInfo.activeProcessorCount) + 1.0)
    }
}
