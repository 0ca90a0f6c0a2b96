import Foundation
import MotCuaCore
import Testing

@Suite("Process CPU time")
struct ProcessCPUTests {
    @Test func countsTheCPUThisThreadBurns() throws {
        let start = processCPUSeconds()
        let clock = ContinuousClock()
        let began = clock.now
        var sum: UInt64 = 0
        while clock.now - began < .milliseconds(200) { sum &+= UInt64.random(in: 0...9) }
        let busy = processCPUSeconds() - start
        #expect(sum > 0)  // keeps the loop from being optimised away
        // Other test threads may add to it; this thread's 0.2 s of spinning is in it (the tick is at
        // most 10 ms), and the whole process cannot have used more than its cores over the interval.
        #expect(busy >= 0.15)
        #expect(busy <= 0.2 * Double(ProcessInfo.processInfo.activeProcessorCount) + 1.0)
    }
}
