import Foundation
import Testing

@testable import MotCuaCore

@Suite("Quoting input in messages")
struct QuotingTests {
    @Test func longInputIsCutAndSaysHowLongItWas() {
        #expect(quoted("short") == "short")
        let long = String(repeating: "9", count: 15 << 20)
        let cut = quoted(long)
        #expect(cut.utf8.count < 200)
        #expect(cut.hasSuffix("(15728640 characters)"))
    }

    /// One character can carry any number of combining marks: the limit counts Unicode scalars.
    @Test func combiningMarksDoNotSlipThrough() {
        let heaped = "A" + String(repeating: "\u{301}", count: 1_000_000)
        #expect(heaped.count == 1)
        #expect(quoted(heaped).utf8.count < 400)
        #expect(capped(heaped).utf8.count < 5_000)
    }
}
