import Foundation

/// The short secret printed on a dossier's receipt (Form 01): 8 characters from 32 that cannot be
/// mistaken for one another (no 0/O, 1/I/L), about 39.6 random bits (31^8). With the dossier code it always opens the
/// dossier to its applicant; guessing one is hopeless, and wrong tries slow only the client making them.
enum LookupSecret {
    static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    static let length = 8

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    /// Upper case, without the spaces or dashes a person types to group it.
    static func normalize(_ text: String) -> String {
        String(text.uppercased().filter { !$0.isWhitespace && $0 != "-" }.prefix(64))
    }

    static func isWellFormed(_ text: String) -> Bool {
        text.count == length && text.allSatisfy(alphabet.contains)
    }
}
