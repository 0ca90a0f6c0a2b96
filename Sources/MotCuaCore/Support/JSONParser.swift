import Foundation

extension JSONValue {
    /// Why a text is not JSON this parser accepts.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var offset: Int
        public var reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// Parses JSON text directly from UTF-8 bytes: objects, arrays, strings (all escapes), integers,
    /// booleans and null. Numbers with a fraction or exponent are refused (the protocol has none).
    /// Much faster than `JSONDecoder` into `JSONValue`, which matters on the hub's apply path.
    public static func parse(_ text: String) throws(ParseError) -> JSONValue {
        try parseWhole(text) { (parser: inout JSONByteParser) throws(ParseError) in try parser.parseValue(depth: 0) }
    }

    /// Runs `body` over the text's UTF-8 bytes and requires that nothing but whitespace follows.
    static func parseWhole<Value>(
        _ text: String, _ body: (inout JSONByteParser) throws(ParseError) -> Value
    ) throws(ParseError) -> Value {
        var text = text
        let result = text.withUTF8 { (buffer: UnsafeBufferPointer<UInt8>) -> Result<Value, ParseError> in
            var parser = JSONByteParser(bytes: buffer)
            do throws(ParseError) {
                let value = try body(&parser)
                parser.skipWhitespace()
                guard parser.index == buffer.count else { return .failure(parser.error("trailing characters")) }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses a JSON object and builds only the top-level members that `place` numbers (below `count`);
    /// the others are checked for shape and skipped without building anything. Values come back by
    /// number, with no dictionary to build or hash: the hub's projection reads two dozen members of
    /// payloads that also carry forms and component lists, for every event it applies. When a member
    /// appears twice, the last one counts (as in an object). `place` reads each member name as UTF-8
    /// bytes (escapes decoded), so no string is made for the names.
    public static func parseMembers(
        _ text: String, count: Int, placeUTF8 place: (UnsafeBufferPointer<UInt8>) -> Int?
    ) throws(ParseError) -> [JSONValue?] {
        try parseWhole(text) { (parser: inout JSONByteParser) throws(ParseError) in
            parser.skipWhitespace()
            guard parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "{") else { throw parser.error("expected an object") }
            return try parser.parseMembers(count: count, place: place)
        }
    }
}

/// A recursive-descent JSON parser over a UTF-8 buffer.
struct JSONByteParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    static let depthLimit = 256

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ reason: String) -> JSONValue.ParseError { JSONValue.ParseError(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Checks one value's shape and moves past it without building it.
    mutating func skipValue(depth: Int) throws(JSONValue.ParseError) {
        guard depth < Self.depthLimit else { throw error("nested too deeply") }
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = bytes[index] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == close { index += 1; return }
            while true {
                if isObject {
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
                    try skipString()
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    index += 1
                }
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == close { index += 1; return }
                throw error("expected ',' or a closing bracket")
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expect("true")
        case UInt8(ascii: "f"): try expect("false")
        case UInt8(ascii: "n"): try expect("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try parseInteger()
        default: throw error("unexpected character")
        }
    }

    /// Moves past a string (escapes included) without decoding it.
    mutating func skipString() throws(JSONValue.ParseError) {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""): index += 1; return
            case UInt8(ascii: "\\"): index += 2
            case 0..<0x20: throw error("control character in a string")
            default: index += 1
            }
        }
        throw error("unterminated string")
    }

    mutating func parseValue(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard depth < Self.depthLimit else { throw error("nested too deeply") }
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .int(try parseInteger())
        default: throw error("unexpected character")
        }
    }

    mutating func expect(_ literal: StaticString) throws(JSONValue.ParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { throw error("unknown literal") }
        index += count
    }

    mutating func parseObject(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        // Room for a small object at once (a dossier's flags, a path step): growing from empty reallocated
        // and rehashed at the 2nd, 3rd and 5th member.
        var members = [String: JSONValue](minimumCapacity: 8)
        try forEachMember { (parser: inout JSONByteParser, key: UnsafeBufferPointer<UInt8>) throws(JSONValue.ParseError) in
            members[String(decoding: key, as: UTF8.self)] = try parser.parseValue(depth: depth + 1)
        }
        return .object(members)
    }

    /// The top-level members `place` numbers, by number; the others skipped unbuilt.
    mutating func parseMembers(count: Int, place: (UnsafeBufferPointer<UInt8>) -> Int?) throws(JSONValue.ParseError) -> [JSONValue?] {
        var values = [JSONValue?](repeating: nil, count: count)
        try forEachMember { (parser: inout JSONByteParser, key: UnsafeBufferPointer<UInt8>) throws(JSONValue.ParseError) in
            if let slot = place(key), values.indices.contains(slot) {
                values[slot] = try parser.parseValue(depth: 1)
            } else {
                try parser.skipValue(depth: 1)
            }
        }
        return values
    }

    /// Walks an object from its `{`: `body` reads (or skips) each member's value, the parser at it, with
    /// the member's name as UTF-8 bytes (in the text itself unless the name has escapes).
    mutating func forEachMember(
        _ body: (inout JSONByteParser, UnsafeBufferPointer<UInt8>) throws(JSONValue.ParseError) -> Void
    ) throws(JSONValue.ParseError) {
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
            let key = try parseKey()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            switch key {
            case .inText(let range):
                try body(&self, UnsafeBufferPointer(rebasing: bytes[range]))
            case .decoded(let name):
                let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: name.count)
                defer { copy.deallocate() }
                _ = copy.initialize(from: name)
                try body(&self, UnsafeBufferPointer(copy))
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return }
            throw error("expected ',' or '}'")
        }
    }

    /// A member name: where it stands in the text, or its bytes once escapes are decoded.
    enum Key {
        case inText(Range<Int>)
        case decoded([UInt8])
    }

    /// Reads a member name from its opening quote.
    mutating func parseKey() throws(JSONValue.ParseError) -> Key {
        let quote = index
        var end = index + 1
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                index = end + 1
                return .inText(quote + 1..<end)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { index = end; throw error("control character in a string") }
            end += 1
        }
        return .decoded(Array(try parseString().utf8))
    }

    mutating func parseArray(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw error("expected ',' or ']'")
        }
    }

    mutating func parseInteger() throws(JSONValue.ParseError) -> Int64 {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        var value: Int64 = 0
        var digits = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw error("integer out of range") }
            value = sum
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw error("expected digits") }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            throw error("only integers are accepted")
        }
        return bytes[start] == UInt8(ascii: "-") ? -value : value
    }

    mutating func parseString() throws(JSONValue.ParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in a string") }
            index += 1
        }
        // Slow path: gather UTF-8 bytes, decoding escapes as they come.
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            }
            if byte < 0x20 { throw error("control character in a string") }
            if byte != UInt8(ascii: "\\") {
                utf8.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw error("unexpected end") }
            let escaped = bytes[index]
            index += 1
            var scalar: Unicode.Scalar
            switch escaped {
            case UInt8(ascii: "\""): scalar = "\""
            case UInt8(ascii: "\\"): scalar = "\\"
            case UInt8(ascii: "/"): scalar = "/"
            case UInt8(ascii: "b"): scalar = "\u{08}"
            case UInt8(ascii: "f"): scalar = "\u{0C}"
            case UInt8(ascii: "n"): scalar = "\n"
            case UInt8(ascii: "r"): scalar = "\r"
            case UInt8(ascii: "t"): scalar = "\t"
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let value = Unicode.Scalar(code) else { throw error("invalid code point") }
                scalar = value
            default:
                throw error("unknown escape")
            }
            utf8.append(contentsOf: Array(String(scalar).utf8))
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws(JSONValue.ParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("unexpected end") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("bad \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
