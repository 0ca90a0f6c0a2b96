import Crypto
import Foundation

/// Lowercase hex SHA-256 of bytes.
public func sha256Hex(_ bytes: some DataProtocol) -> String { hexString(SHA256.hash(data: bytes)) }

/// Lowercase hex SHA-256 of a text's UTF-8 bytes.
public func sha256Hex(_ text: String) -> String { sha256Hex(Data(text.utf8)) }

/// A piece of client input as an error message may quote it: at most `limit` characters, and a note of
/// how long it really was. Messages never echo a large input back (a 15 MiB code once gave a 15.7 MB 404).
/// Counted in Unicode scalars, not characters: one character can carry any number of combining marks.
public func quoted(_ input: some StringProtocol, limit: Int = 100) -> String {
    let scalars = input.unicodeScalars
    guard scalars.count > limit else { return String(input) }
    var text = String.UnicodeScalarView()
    text.append(contentsOf: scalars.prefix(limit))
    return String(text) + "… (\(scalars.count) characters)"
}

/// A message cut to at most `limit` Unicode scalars (the backstop of every problem's detail).
public func capped(_ text: String, limit: Int = 2_000) -> String {
    text.unicodeScalars.count > limit ? quoted(text, limit: limit) : text
}
