import Foundation

/// Why an identifier (personal ID number, tax code, dossier code) was rejected.
///
/// Each case carries enough detail for the person at the counter or the applicant online to fix
/// the input, and `code` gives a stable machine code for APIs and translations.
public enum IdentifierError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input has the wrong number of characters; `expected` says what is accepted
    /// (e.g. "12 digits"), `got` how many characters were given after trimming.
    case wrongLength(expected: String, got: Int)
    /// The input contains something other than the ASCII digits 0-9 where digits are required.
    case notDigits
    /// The province prefix is not a known pre-2025 province code (e.g. "003" in a CCCD).
    case unknownProvince(String)
    /// The check digit does not match; `expected` is nil when no digit can be valid
    /// (the formula yields 10), `got` is the digit given.
    case badCheckDigit(expected: Int?, got: Int)
    /// The 7-digit sequence of an enterprise tax code is 0000000.
    case zeroSequence
    /// The 3-digit branch suffix of a tax code is 000.
    case zeroBranch
    /// The century digit cannot be decoded. The CCCD century/sex digit maps all ten values,
    /// so `PersonalIDNumber.parse` never throws this today; kept for other ID formats.
    case invalidCentury
    /// The date in a dossier code does not exist (e.g. 2021-02-30).
    case invalidDate(year: Int, month: Int, day: Int)
    /// A daily sequence number outside 1...9999.
    case sequenceOutOfRange(Int)
    /// An agency e-code that is not dot-separated groups of 0-9/A-Z.
    case invalidAgencyCode(String)
    /// The input does not have the expected shape; the string explains what was expected.
    case malformed(String)

    /// An English explanation a person can act on.
    public var description: String {
        switch self {
        case let .wrongLength(expected, got):
            "Wrong length: expected \(expected), got \(got) character\(got == 1 ? "" : "s")."
        case .notDigits:
            "Only the digits 0-9 are allowed here."
        case let .unknownProvince(prefix):
            "Unknown province code \"\(prefix)\"; check the first digits."
        case let .badCheckDigit(expected?, got):
            "Check digit mismatch: expected \(expected), got \(got); the number was probably mistyped."
        case let .badCheckDigit(nil, got):
            "Check digit mismatch: no check digit is valid for these first digits (got \(got)); the number was probably mistyped."
        case .zeroSequence:
            "The sequence part of the tax code cannot be all zeros."
        case .zeroBranch:
            "The branch suffix cannot be 000."
        case .invalidCentury:
            "The century digit cannot be decoded."
        case let .invalidDate(year, month, day):
            "No such date: \(year)-\(Self.twoDigits(month))-\(Self.twoDigits(day))."
        case let .sequenceOutOfRange(sequence):
            "Sequence \(sequence) is out of range; it must be between 1 and 9999."
        case let .invalidAgencyCode(code):
            "Invalid agency code \"\(code)\": expected dot-separated groups of digits and capital letters, e.g. 000.00.12.H62."
        case let .malformed(detail):
            "Malformed identifier: \(detail)"
        }
    }

    /// A stable machine code (e.g. "id.wrong-length") for API responses, logs and translations.
    public var code: String {
        switch self {
        case .wrongLength: "id.wrong-length"
        case .notDigits: "id.not-digits"
        case .unknownProvince: "id.unknown-province"
        case .badCheckDigit: "id.bad-check-digit"
        case .zeroSequence: "id.zero-sequence"
        case .zeroBranch: "id.zero-branch"
        case .invalidCentury: "id.invalid-century"
        case .invalidDate: "id.invalid-date"
        case .sequenceOutOfRange: "id.sequence-out-of-range"
        case .invalidAgencyCode: "id.invalid-agency-code"
        case .malformed: "id.malformed"
        }
    }

    private static func twoDigits(_ value: Int) -> String {
        value >= 0 && value < 10 ? "0\(value)" : "\(value)"
    }
}

/// Small shared helpers for the identifier parsers, kept internal.
enum IdentifierText {
    /// Trims surrounding whitespace and newlines, so pasted values parse.
    static func trimmed(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// True when every character is an ASCII digit 0-9 (Unicode digits such as "٣" are rejected).
    static func isASCIIDigits<S: StringProtocol>(_ text: S) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// The digit values of an ASCII digit string; call only after `isASCIIDigits`.
    static func digitValues<S: StringProtocol>(_ text: S) -> [Int] {
        text.utf8.map { Int($0) - 0x30 }
    }
}
