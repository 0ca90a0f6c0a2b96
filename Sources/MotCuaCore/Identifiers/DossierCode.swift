import Foundation

/// A dossier code `<agency e-code>-<yyMMdd>-<4-digit daily sequence>`, e.g.
/// "000.00.12.H62-201105-0004": the reference printed on the receipt and used, with the
/// applicant's ID number, for public lookup.
///
/// The agency e-code is dot-separated groups of digits and capital letters (typically
/// `000.00.xx.Hnn`, Hnn the province), without '-'. The date is the reception date
/// (years 2000-2099), the sequence counts dossiers received by the agency that day: 4 digits
/// (0001...9999) as observed; a busy agency's 10,000th dossier of a day widens it to 5 or 6 digits
/// rather than being refused at the counter (our choice, documented in docs/ARCHITECTURE.md).
/// Encoded (Codable) as the string. Ordered by agency code, then date, then sequence.
public struct DossierCode: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The agency e-code, uppercase, e.g. "000.00.12.H62".
    public let agencyCode: String
    /// The 4-digit reception year, 2000...2099.
    public let year: Int
    /// The reception month, 1...12.
    public let month: Int
    /// The reception day of the month.
    public let day: Int
    /// The daily sequence number, 1...999999 (printed with at least 4 digits).
    public let sequence: Int

    /// Builds a code for a newly received dossier, validating every part so no invalid code is
    /// ever issued; the caller supplies the date (no clock is read here).
    ///
    /// ASCII letters of the agency code are uppercased. Throws `.invalidAgencyCode`, `.invalidDate` (also for years
    /// outside 2000...2099, which the 2-digit year cannot carry) or `.sequenceOutOfRange`.
    public init(
        agencyCode: String, date: (year: Int, month: Int, day: Int), sequence: Int
    ) throws(IdentifierError) {
        let agency = Self.asciiUppercased(agencyCode)
        guard Self.isValidAgencyCode(agency) else { throw .invalidAgencyCode(agencyCode) }
        guard (2000...2099).contains(date.year), (1...12).contains(date.month),
              (1...Self.daysIn(month: date.month, year: date.year)).contains(date.day)
        else { throw .invalidDate(year: date.year, month: date.month, day: date.day) }
        guard (1...Self.sequenceMax).contains(sequence) else { throw .sequenceOutOfRange(sequence) }
        self.agencyCode = agency
        self.year = date.year
        self.month = date.month
        self.day = date.day
        self.sequence = sequence
    }

    /// Parses a dossier code typed or scanned by a person, trimming surrounding whitespace and
    /// accepting a lowercase agency code (normalized to uppercase), so lookup is forgiving of
    /// case but strict about structure.
    ///
    /// Throws `.malformed` when the shape is not agency-yyMMdd-nnnn, `.notDigits` for a
    /// non-numeric date or sequence, and the errors of `init(agencyCode:date:sequence:)`.
    public static func parse(_ raw: String) throws(IdentifierError) -> DossierCode {
        let text = IdentifierText.trimmed(raw)
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .malformed("a dossier code has three parts separated by '-': agency code, yyMMdd date and 4-digit sequence, e.g. 000.00.12.H62-201105-0004")
        }
        let datePart = parts[1]
        let sequencePart = parts[2]
        guard datePart.utf8.count == 6 else {
            throw .malformed("the date part must be 6 digits yyMMdd, got \"\(datePart)\"")
        }
        guard (4...6).contains(sequencePart.utf8.count) else {
            throw .malformed("the sequence part must be 4 digits, got \"\(sequencePart)\"")
        }
        guard IdentifierText.isASCIIDigits(datePart), IdentifierText.isASCIIDigits(sequencePart) else {
            throw .notDigits
        }
        let d = IdentifierText.digitValues(datePart)
        let s = IdentifierText.digitValues(sequencePart)
        return try DossierCode(
            agencyCode: String(parts[0]),
            date: (year: 2000 + d[0] * 10 + d[1], month: d[2] * 10 + d[3], day: d[4] * 10 + d[5]),
            sequence: s.reduce(0) { $0 * 10 + $1 })
    }

    /// The largest daily sequence a code can carry.
    public static let sequenceMax = 999_999

    /// The canonical string, e.g. "000.00.12.H62-201105-0004".
    public var value: String {
        agencyCode + "-" + Self.pad(year % 100, 2) + Self.pad(month, 2) + Self.pad(day, 2)
            + "-" + Self.pad(sequence, 4)
    }

    /// The canonical string, for display and logs.
    public var description: String { value }

    /// Orders by agency code, then reception date, then sequence, so codes of one agency sort
    /// in reception order.
    public static func < (lhs: DossierCode, rhs: DossierCode) -> Bool {
        (lhs.agencyCode, lhs.year, lhs.month, lhs.day, lhs.sequence)
            < (rhs.agencyCode, rhs.year, rhs.month, rhs.day, rhs.sequence)
    }

    /// Decodes from the string form and validates it like `parse`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        do {
            self = try Self.parse(raw)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "Invalid dossier code: \(error.description)")
        }
    }

    /// Encodes as `value`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    /// True for dot-separated, non-empty groups of ASCII 0-9/A-Z (^[0-9A-Z]+(\.[0-9A-Z]+)*$).
    static func isValidAgencyCode(_ code: String) -> Bool {
        let groups = code.split(separator: ".", omittingEmptySubsequences: false)
        return groups.allSatisfy { group in
            !group.isEmpty && group.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }
        }
    }

    /// Days in a Gregorian month, without Foundation's Calendar so the code stays clock- and
    /// locale-free.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Uppercases a-z only, so non-ASCII letters (e.g. "ß" -> "SS") cannot sneak into a valid code.
    private static func asciiUppercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
