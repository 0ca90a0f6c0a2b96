import Foundation
import Testing

@testable import MotCuaCore

@Suite("JSON: parsing only some members")
struct JSONMembersTests {
    static let text = #"{"status":4,"form":{"form":"01","applicantName":"Nguyễn \"An\" \\ \u00e9","items":[1,-2,{"x":[true,false,null]}]},"holderUnit":"P01","components":[{"code":"TP1","sha256":"ab"}],"hop":2,"flags":{"digitised":true}}"#

    /// The members named, by their place in `names`.
    static func members(_ text: String, _ names: [String]) throws -> [JSONValue?] {
        try parse(text, count: names.count) { names.firstIndex(of: $0) }
    }

    /// Members placed by name, the name decoded from the bytes the parser hands over.
    static func parse(_ text: String, count: Int, place: (String) -> Int?) throws -> [JSONValue?] {
        try JSONValue.parseMembers(text, count: count, placeUTF8: { place(String(decoding: $0, as: UTF8.self)) })
    }

    @Test func wantedMembersAreTheSameAsAFullParse() throws {
        guard case .object(let all) = try JSONValue.parse(Self.text) else { Issue.record("not an object"); return }
        let names = ["status", "holderUnit", "hop", "flags", "absent"]
        let picked = try Self.members(Self.text, names)
        #expect(picked.map { $0 != nil } == [true, true, true, true, false])
        for (name, value) in zip(names, picked) { #expect(all[name] == value) }
    }

    /// The last of a repeated member counts, a JSON null is kept as present, places out of range are ignored.
    @Test func repeatedNullAndOutOfRangeMembers() throws {
        let repeated = try Self.parse(#"{"a":1,"b":null,"a":{"c":2},"z":3}"#, count: 2) { ["a": 0, "b": 1, "z": 7][$0] }
        #expect(repeated == [.object(["c": .int(2)]), .some(.null)])
        #expect(throws: JSONValue.ParseError.self) { try Self.parse(#"{"a":1,"b":[}"#, count: 1) { $0 == "a" ? 0 : nil } }
    }

    /// Names are matched on their decoded bytes: an escaped name is the same name, inside objects too.
    @Test func escapedNamesAreDecoded() throws {
        let text = #"{"st\u0061tus":4,"hold\"er":"x","flags":{"dig\u0069tised":true}}"#
        let picked = try Self.members(text, ["status", "hold\"er", "flags"])
        #expect(picked == [.int(4), .string("x"), .object(["digitised": .bool(true)])])
        var names: [String] = []
        _ = try JSONValue.parseMembers(text, count: 0, placeUTF8: { names.append(String(decoding: $0, as: UTF8.self)); return nil })
        #expect(names == ["status", "hold\"er", "flags"])
        #expect(throws: JSONValue.ParseError.self) { try Self.members(#"{"a\u00":1}"#, ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try Self.members("{\"a\u{01}\":1}", ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try Self.members(#"{"abc"#, ["a"]) }
    }

    @Test func skippedMembersAreStillChecked() {
        #expect(throws: JSONValue.ParseError.self) { try Self.members(#"{"a":1,"b":{"c":[1,2}}"#, ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try Self.members(#"{"a":1,"b":"open"#, ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try Self.members(#"{"a":1,"b":1.5}"#, ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try Self.members(#"[1,2]"#, ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try Self.members(#"{"a":1} x"#, ["a"]) }
        #expect((try? Self.members(#"{ "a" : [ ] , "b" : { } }"#, ["a"])) == [.array([])])
    }
}
