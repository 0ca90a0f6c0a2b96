import Foundation
import Testing

@testable import MotCuaCore

@Suite("Event hash chain")
struct EventChainTests {
    func chain(_ count: Int) -> [Event] {
        var events: [Event] = []
        var prev = EventChain.genesisHash
        var hlc: Int64 = 0
        for index in 1...count {
            let draft = EventDraft(
                dossierCode: "X-260302-\(index)", kind: .submitted, actor: "applicant",
                at: Date(timeIntervalSince1970: 1_772_400_000 + Double(index)),
                payload: .object(["n": .int(Int64(index)), "tên": .string("Nguyễn \"An\"\n")]))
            let event = EventChain.seal(draft, seq: Int64(index), prevHash: prev, lastHLC: hlc)
            events.append(event)
            prev = event.hash
            hlc = event.hlc
        }
        return events
    }

    @Test func intactChainVerifies() {
        var verifier = EventChain.Verifier()
        for event in chain(50) { #expect(verifier.check(event) == nil) }
        #expect(verifier.lastSeq == 50)
    }

    @Test func tamperedPayloadIsNamed() {
        var events = chain(10)
        events[6].payload = events[6].payload.replacingOccurrences(of: "7", with: "8")
        var verifier = EventChain.Verifier()
        var firstBreak: EventChain.Break?
        for event in events where firstBreak == nil { firstBreak = verifier.check(event) }
        guard case .hashMismatch(let seq, _, _)? = firstBreak else { Issue.record("tampering not detected"); return }
        #expect(seq == 7)
    }

    /// The in-place check the hub runs on every event agrees with recomputing the hash text: on sealed
    /// events, on every single-character change of the stored hash, on a changed field, on an uppercase
    /// stored hash (not what `seal` writes, so refused), and on a previous hash that is not 64 hex digits.
    @Test func inPlaceHashCheckAgreesWithRecomputing() {
        var scratch: [UInt8] = []
        let events = chain(20)
        for event in events {
            #expect(EventChain.hashHolds(for: event, scratch: &scratch))
            #expect(EventChain.recomputedHash(of: event) == event.hash)
        }
        var event = events[3]
        for position in [0, 1, 31, 62, 63] {
            var altered = event
            var digits = Array(altered.hash)
            digits[position] = digits[position] == "0" ? "1" : "0"
            altered.hash = String(digits)
            #expect(!EventChain.hashHolds(for: altered, scratch: &scratch), "position \(position)")
        }
        var shortened = event
        shortened.hash = String(event.hash.dropLast())
        #expect(!EventChain.hashHolds(for: shortened, scratch: &scratch))
        var uppercase = event
        uppercase.hash = event.hash.uppercased()
        #expect(!EventChain.hashHolds(for: uppercase, scratch: &scratch))
        event.actor += "x"
        #expect(!EventChain.hashHolds(for: event, scratch: &scratch))
        // A previous hash that is not hex: both paths read it the same way.
        var odd = events[0]
        odd.prevHash = "not hex"
        odd.hash = EventChain.recomputedHash(of: odd)
        #expect(EventChain.hashHolds(for: odd, scratch: &scratch))
        odd.hash = String(repeating: "0", count: 64)
        #expect(!EventChain.hashHolds(for: odd, scratch: &scratch))
    }

    @Test func gapsAndRelinksAreNamed() {
        var events = chain(5)
        var verifier = EventChain.Verifier()
        #expect(verifier.check(events[0]) == nil)
        #expect(verifier.check(events[2]) == .gap(expectedSeq: 2, foundSeq: 3))
        events[1].prevHash = String(repeating: "f", count: 64)
        guard case .prevHashMismatch(let seq, _, _)? = verifier.check(events[1]) else { Issue.record("relink not detected"); return }
        #expect(seq == 2)
    }

    @Test func canonicalEncodingIsStable() {
        let value = JSONValue.object(["b": .int(-2), "a": .array([.bool(true), .null, .string("x\u{1}y")]), "ă": .string("/")])
        #expect(value.canonicalText == #"{"a":[true,null,"x\u0001y"],"b":-2,"ă":"/"}"#)
        let bytes = EventChain.canonicalBytes(seq: 1, dossierCode: nil, kind: "k", actor: "a", timeMs: 5, hlc: 6, payload: "{}")
        #expect(String(decoding: bytes, as: UTF8.self) == "15:motcua.event.v1\n1:1\n0:\n1:k\n1:a\n1:5\n1:6\n2:{}\n")
        // A known vector (checked with Python hashlib), so a change to the encoding breaks this test, not a federation.
        #expect(EventChain.hash(prevHash: EventChain.genesisHash, canonical: bytes)
            == "ea573128e9d591900114f356aec63f257a18a44b442f4ddfa7e1bb3fcf85c4a0")
    }

    @Test func hybridClockNeverGoesBack() {
        let first = HybridLogicalClock.next(after: 0, wallMs: 1000)
        let stepBack = HybridLogicalClock.next(after: first, wallMs: 900)
        #expect(stepBack == first + 1)
        #expect(HybridLogicalClock.wallMs(of: first) == 1000)
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test func parsesWhatTheCanonicalEncoderWrites() throws {
        let value = JSONValue.object([
            "a": .array([.int(-5), .int(Int64.max), .bool(false), .null]), "tên": .string("Nguyễn \"An\"\n\t\u{1}/\\"),
            "o": .object(["x": .string("")]),
        ])
        #expect(try JSONValue.parse(value.canonicalText) == value)
        #expect(try JSONValue.parse(#" { "k" : [ 1 , "\u00e2\ud83d\ude00" ] } "#) == .object(["k": .array([.int(1), .string("â😀")])]))
    }

    @Test func refusesWhatIsNotJSON() {
        for text in ["", "{", "[1,]", "{\"a\"}", "01x", "1.5", "1e3", "\"\\q\"", "\"\\ud800\"", "nul", "{} x", "99999999999999999999",
                     String(repeating: "[", count: 300) + String(repeating: "]", count: 300)] {
            #expect(throws: JSONValue.ParseError.self, "\(text.prefix(20))") { try JSONValue.parse(text) }
        }
    }
}
