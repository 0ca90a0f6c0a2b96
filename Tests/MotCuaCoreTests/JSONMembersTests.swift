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

    @Test func skippedMembersAreStillChecked() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"{"a":1,"b":{"c":[1,2}}"#, keys: ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"{"a":1,"b":"open"#, keys: ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"{"a":1,"b":1.5}"#, keys: ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"[1,2]"#, keys: ["a"]) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parseMembers(#"{"a":1} x"#, keys: ["a"]) }
        #expect((try? JSONValue.parseMembers(#"{ "a" : [ ] , "b" : { } }"#, keys: ["a"])) == .object(["a": .array([])]))
    }
}
