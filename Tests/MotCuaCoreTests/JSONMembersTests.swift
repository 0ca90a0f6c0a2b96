import Foundation
import Testing

@testable import MotCuaCore

@Suite("JSON: parsing only some members")
struct JSONMembersTests {
    static let text = #"{"status":4,"form":{"form":"01","applicantName":"Nguyễn \"An\" \\ \u00e9","items":[1,-2,{"x":[true,false,null]}]},"holderUnit":"P01","components":[{"code":"TP1","sha256":"ab"}],"hop":2,"flags":{"digitised":true}}"#

    @Test func wantedMembersAreTheSameAsAFullParse() throws {
        let full = try JSONValue.parse(Self.text)
        let some = try JSONValue.parseMembers(Self.text, keys: ["status", "holderUnit", "hop", "flags", "absent"])
        guard case .object(let all) = full, case .object(let picked) = some else { Issue.record("not objects"); return }
        #expect(Set(picked.keys) == ["status", "holderUnit", "hop", "flags"])
        for (key, value) in picked { #expect(all[key] == value) }
    }

    /// Members read into numbered places: the same values, the last of a repeated member, a JSON null
    /// kept as present, places out of range ignored.
    @Test func membersByNumberAreTheSameAsAFullParse() throws {
        let names = ["status", "holderUnit", "hop", "flags", "absent"]
        let values = try JSONValue.parseMembers(Self.text, count: names.count) { names.firstIndex(of: $0) }
        guard case .object(let all) = try JSONValue.parse(Self.text) else { Issue.record("not an object"); return }
        #expect(values == names.map { all[$0] })
        let repeated = try JSONValue.parseMembers(#"{"a":1,"b":null,"a":{"c":2},"z":3}"#, count: 2) { ["a": 0, "b": 1, "z": 7][$0] }
        #expect(repeated == [.object(["c": .int(2)]), .some(.null)])
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"{"a":1,"b":[}"#, count: 1) { $0 == "a" ? 0 : nil } }
    }

    @Test func skippedMembersAreStillChecked() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"{"a":1,"b":{"c":[1,2}}"#, keys: ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"{"a":1,"b":"open"#, keys: ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"{"a":1,"b":1.5}"#, keys: ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"[1,2]"#, keys: ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"{"a":1} x"#, keys: ["a"]) }
        #expect((try? JSONValue.parseMembers(#"{ "a" : [ ] , "b" : { } }"#, keys: ["a"])) == .object(["a": .array([])]))
    }
}
