import Foundation

/// A Vietnamese personal ID number (CCCD, số định danh cá nhân): 12 digits, no check digit.
///
/// Applicants are identified by it (public dossier lookup takes it with the dossier code) and,
/// from 2025-07-01, individuals use it as their tax code. Parsing validates what can be validated
/// (length, digits, province prefix) and decodes the fields printed into the number:
/// digits 1-3 the province of birth registration ("0" + pre-2025 province code; a first digit
/// other than 0 means born abroad), digit 4 century and sex, digits 5-6 the birth year's last two
/// digits, digits 7-12 random. Encoded (Codable) as the 12-digit string.
public struct PersonalIDNumber: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Sex as encoded in digit 4 (even: male, odd: female).
    public enum Sex: String, Sendable, Hashable, Codable, CaseIterable {
        case male
        case female
    }

    /// The 12 digits, normalized (no surrounding whitespace).
    public let digits: String

    private init(digits: String) {
        self.digits = digits
    }

    /// Parses and validates a personal ID number, trimming surrounding whitespace, so every entry
    /// point (forms, API, import) applies the same rules.
    ///
    /// Throws `.notDigits`, `.wrongLength`, or `.unknownProvince` when digits 1-3 start with 0
    /// but do not name a pre-2025 province (e.g. "003"). It does not check that the birth year is
    /// in the past; apply `plausible(asOf:)` for that.
    public static func parse(_ raw: String) throws(IdentifierError) -> PersonalIDNumber {
        let text = IdentifierText.trimmed(raw)
        guard IdentifierText.isASCIIDigits(text) else { throw .notDigits }
        guard text.utf8.count == 12 else {
            throw .wrongLength(expected: "12 digits", got: text.count)
        }
        let prefix = String(text.prefix(3))
        if prefix.hasPrefix("0"), Provinces.byOldCode(String(prefix.dropFirst())) == nil {
            throw .unknownProvince(prefix)
        }
        return PersonalIDNumber(digits: text)
    }

    private var values: [Int] { IdentifierText.digitValues(digits) }

    /// Digits 1-3, the birth-registration prefix ("0" + old province code, or a foreign code).
    public var provincePrefix: String { String(digits.prefix(3)) }

    /// True when the first digit is not 0, i.e. the birth was registered abroad.
    public var bornAbroad: Bool { !digits.hasPrefix("0") }

    /// The pre-2025 province where the birth was registered, or nil when born abroad; the prefix
    /// keeps the old code forever, so use `newCode`/`newName` for the province of today.
    public var birthRegistrationProvince: ProvinceRecord? {
        bornAbroad ? nil : Provinces.byOldCode(String(digits.dropFirst().prefix(2)))
    }

    /// Sex from digit 4 (0, 2, 4, 6, 8 male; 1, 3, 5, 7, 9 female).
    public var sex: Sex { values[3] % 2 == 0 ? .male : .female }

    /// The first year of the birth century from digit 4: 1900 (0/1), 2000 (2/3), 2100 (4/5),
    /// 2200 (6/7) or 2300 (8/9).
    public var birthCentury: Int { 1900 + (values[3] / 2) * 100 }

    /// The full birth year: `birthCentury` plus digits 5-6, e.g. 1995 for 001095012345.
    public var birthYear: Int { birthCentury + values[4] * 10 + values[5] }

    /// False when the encoded birth year lies after `year`, a separate check because the
    /// parser must not depend on the clock; callers pass the current year from their own clock.
    public func plausible(asOf year: Int) -> Bool {
        birthYear <= year
    }

    /// The 12 digits, as printed on the card.
    public var description: String { digits }

    /// Decodes from the 12-digit string and validates it like `parse`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        do {
            self = try Self.parse(raw)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "Invalid personal ID number: \(error.description)")
        }
    }

    /// Encodes as the 12-digit string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digits)
    }
}
