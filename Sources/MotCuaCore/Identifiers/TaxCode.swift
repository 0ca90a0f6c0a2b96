import Foundation

/// A Vietnamese tax code (mã số thuế, MST), validated so dossiers of businesses and individuals
/// carry a code the tax authority will accept.
///
/// Three shapes are accepted:
/// - 10 digits, an enterprise: 2-digit province (tax-authority numbering, not the administrative
///   code: "03" is Hồ Chí Minh City) + 7-digit sequence (not 0000000) + check digit;
/// - 13 digits, a branch or dependent unit: a valid 10-digit base + 3-digit suffix (not 000),
///   written "0314409058002" or "0314409058-002" and normalized to the dashed form;
/// - 12 digits, an individual: from 2025-07-01 the personal ID number is the tax code.
///
/// Encoded (Codable) as `normalized`; equal codes written with or without the dash are equal.
public struct TaxCode: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Which kind of taxpayer the code identifies, derived from its shape.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// 10 digits: an enterprise or organization.
        case enterprise
        /// 13 digits: a branch or dependent unit of an enterprise.
        case branch
        /// 12 digits: an individual's personal ID number.
        case personal
    }

    /// The kind of taxpayer.
    public let kind: Kind
    /// The canonical text: 10 digits, "base-branch" (e.g. "0314409058-002"), or 12 digits.
    public let normalized: String
    /// The 10-digit enterprise code for enterprises and branches; the 12 digits for individuals.
    public let base: String
    /// The 3-digit branch suffix, only for branches.
    public let branch: String?

    private init(kind: Kind, normalized: String, base: String, branch: String?) {
        self.kind = kind
        self.normalized = normalized
        self.base = base
        self.branch = branch
    }

    /// The 2-digit tax-authority province code of an enterprise or branch code, nil for
    /// individuals; note it follows the tax numbering, not `Provinces` codes.
    public var provinceCode: String? {
        kind == .personal ? nil : String(base.prefix(2))
    }

    /// The decoded personal ID number of an individual's tax code, nil otherwise.
    public var personalIDNumber: PersonalIDNumber? {
        kind == .personal ? try? PersonalIDNumber.parse(base) : nil
    }

    /// The canonical text, for display and storage.
    public var description: String { normalized }

    /// The check digit for the first nine digits of an enterprise code, so forms can suggest the
    /// right digit and tests can build valid codes.
    ///
    /// Computes 10 - (sum of d_i * w_i mod 11) with weights 31, 29, 23, 19, 17, 13, 7, 5, 3.
    /// Returns nil when the input is not nine ASCII digits or the result is 10 (the sum is
    /// divisible by 11): no tenth digit makes such a code valid.
    public static func checkDigit(forFirstNine firstNine: String) -> Int? {
        guard firstNine.utf8.count == 9, IdentifierText.isASCIIDigits(firstNine) else { return nil }
        let weights = [31, 29, 23, 19, 17, 13, 7, 5, 3]
        let digits = IdentifierText.digitValues(firstNine)
        var sum = 0
        for index in 0..<9 { sum += digits[index] * weights[index] }
        let check = 10 - sum % 11
        return check == 10 ? nil : check
    }

    /// Parses and validates a tax code of any accepted shape, trimming surrounding whitespace,
    /// so every entry point applies the same rules.
    ///
    /// Throws `.notDigits`, `.wrongLength`, `.malformed` (a dash anywhere but before a 3-digit
    /// suffix), `.zeroSequence`, `.badCheckDigit`, `.zeroBranch`, or for 12 digits whatever
    /// `PersonalIDNumber.parse` throws.
    public static func parse(_ raw: String) throws(IdentifierError) -> TaxCode {
        let text = IdentifierText.trimmed(raw)
        if text.contains("-") {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].utf8.count == 10, parts[1].utf8.count == 3 else {
                throw .malformed("a dashed tax code must be 10 digits, a dash and a 3-digit branch suffix, e.g. 0314409058-002")
            }
            guard IdentifierText.isASCIIDigits(parts[0]), IdentifierText.isASCIIDigits(parts[1]) else {
                throw .notDigits
            }
            return try branchCode(base: String(parts[0]), suffix: String(parts[1]))
        }
        guard IdentifierText.isASCIIDigits(text) else { throw .notDigits }
        switch text.utf8.count {
        case 10:
            try validateEnterprise(text)
            return TaxCode(kind: .enterprise, normalized: text, base: text, branch: nil)
        case 13:
            return try branchCode(base: String(text.prefix(10)), suffix: String(text.suffix(3)))
        case 12:
            let id = try PersonalIDNumber.parse(text)
            return TaxCode(kind: .personal, normalized: id.digits, base: id.digits, branch: nil)
        default:
            throw .wrongLength(expected: "10, 12 or 13 digits", got: text.count)
        }
    }

    private static func branchCode(base: String, suffix: String) throws(IdentifierError) -> TaxCode {
        try validateEnterprise(base)
        guard suffix != "000" else { throw .zeroBranch }
        return TaxCode(kind: .branch, normalized: base + "-" + suffix, base: base, branch: suffix)
    }

    /// Validates a 10-ASCII-digit enterprise code: non-zero sequence, then the check digit.
    private static func validateEnterprise(_ code: String) throws(IdentifierError) {
        let digits = IdentifierText.digitValues(code)
        guard digits[2..<9].contains(where: { $0 != 0 }) else { throw .zeroSequence }
        let expected = checkDigit(forFirstNine: String(code.prefix(9)))
        guard expected == digits[9] else {
            throw .badCheckDigit(expected: expected, got: digits[9])
        }
    }

    /// Decodes from the text form (dashed or not) and validates it like `parse`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        do {
            self = try Self.parse(raw)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "Invalid tax code: \(error.description)")
        }
    }

    /// Encodes as `normalized`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(normalized)
    }
}
