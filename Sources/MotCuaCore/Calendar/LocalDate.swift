// Calendar dates and Vietnam wall-clock time.
//
// Deadlines are counted in Vietnamese working days, so the system needs a date type that is not an
// instant (a `Date` is a point in time) and a fixed mapping between instants and the local wall clock.
// Vietnam uses UTC+7 all year (no daylight saving), so the mapping is pure arithmetic.

import Foundation

/// A day of the proleptic Gregorian calendar with no time and no time zone.
///
/// Holidays, due days and effective dates are calendar days, not instants; keeping them as a separate
/// value type stops code from comparing a midnight-UTC `Date` with a UTC+7 wall clock by accident.
public struct LocalDate: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Stores the three fields as given, without validation, so arithmetic callers never trap;
    /// use `init?(iso:)` to validate text from outside.
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses a strict "YYYY-MM-DD" string, refusing days that do not exist (2026-02-30), because
    /// dates typed by operators or received on the wire must never be silently normalised.
    public init?(iso: String) {
        let bytes = Array(iso.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else {
            return nil
        }
        guard let year = LocalDate.digits(bytes, 0, 4), let month = LocalDate.digits(bytes, 5, 2),
            let day = LocalDate.digits(bytes, 8, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= LocalDate.daysInMonth(year: year, month: month) else {
            return nil
        }
        self.init(year: year, month: month, day: day)
    }

    /// Decimal value of `count` ASCII digits starting at `start`, or nil if any byte is not a digit.
    static func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start >= 0, start + count <= bytes.count, count > 0 else { return nil }
        var value = 0
        for index in start..<(start + count) {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// The canonical "YYYY-MM-DD" text used on the wire, in storage and in logs.
    public var iso: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(abs(value))
            let padded = String(repeating: "0", count: max(0, width - text.count)) + text
            return value < 0 ? "-" + padded : padded
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// Prints as the ISO text so test failures and logs read naturally.
    public var description: String { iso }

    /// Orders chronologically (year, then month, then day).
    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Decodes from the ISO string so JSON and SQLite hold the same readable text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = LocalDate(iso: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "Expected a date as YYYY-MM-DD, got \"\(text)\"")
        }
        self = date
    }

    /// Encodes as the ISO string (see `init(from:)`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }

    /// Number of days in a Gregorian month; needed to validate input and to walk calendars.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        default: return 0
        }
    }

    /// Julian Day Number (days since 4713 BC at noon); a single integer makes day arithmetic and the
    /// astronomical lunar computation simple. Proleptic Gregorian, valid for years after -4800.
    public var julianDayNumber: Int {
        let a = (14 - month) / 12
        let y = year + 4800 - a
        let m = month + 12 * a - 3
        return day + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045
    }

    /// The Gregorian date of a Julian Day Number (inverse of `julianDayNumber`).
    public init(julianDayNumber jdn: Int) {
        let a = jdn + 32044
        let b = (4 * a + 3) / 146097
        let c = a - (146097 * b) / 4
        let d = (4 * c + 3) / 1461
        let e = c - (1461 * d) / 4
        let m = (5 * e + 2) / 153
        self.init(
            year: 100 * b + d - 4800 + m / 10,
            month: m + 3 - 12 * (m / 10),
            day: e - (153 * m + 2) / 5 + 1)
    }

    /// ISO weekday, 1 = Monday ... 7 = Sunday, because weekends decide what counts as a working day.
    public var weekday: Int {
        let jdn = julianDayNumber
        return ((jdn % 7) + 7) % 7 + 1
    }

    /// True on Saturday and Sunday.
    public var isWeekend: Bool { weekday >= 6 }

    /// The date `days` days later (earlier if negative).
    public func adding(days: Int) -> LocalDate {
        LocalDate(julianDayNumber: julianDayNumber + days)
    }
}

/// Conversions between instants and the Vietnamese wall clock (UTC+7, no daylight saving).
///
/// Every deadline rule ("before 15:00", "close at 17:00") is stated in local time, while the system
/// stores instants; this is the one place that maps between them.
public enum VietnamTime {
    /// Offset of Indochina Time from UTC.
    public static let utcOffsetSeconds = 7 * 3600

    /// Julian Day Number of 1970-01-01, the Unix epoch.
    static let unixEpochJulianDay = 2_440_588

    /// Splits an instant into the local Julian Day Number and the local seconds since midnight.
    static func split(_ instant: Date) -> (julianDay: Int, secondOfDay: Double) {
        let local = instant.timeIntervalSince1970 + Double(utcOffsetSeconds)
        let days = (local / 86_400).rounded(.down)
        let second = local - days * 86_400
        return (Int(days) + unixEpochJulianDay, second)
    }

    /// The instant at `secondOfDay` seconds after local midnight of the given Julian day.
    static func instant(julianDay: Int, secondOfDay: Double) -> Date {
        let days = Double(julianDay - unixEpochJulianDay)
        return Date(timeIntervalSince1970: days * 86_400 + secondOfDay - Double(utcOffsetSeconds))
    }

    /// The local calendar day of an instant, e.g. to find the day a dossier was received.
    public static func localDate(of instant: Date) -> LocalDate {
        LocalDate(julianDayNumber: split(instant).julianDay)
    }

    /// Minutes since local midnight (0...1439), for comparisons with office hours and the 15:00 cutoff.
    public static func minuteOfDay(of instant: Date) -> Int {
        min(1439, max(0, Int((split(instant).secondOfDay / 60).rounded(.down))))
    }

    /// The instant of a local wall time; `minuteOfDay` may be 1440 or more (it then rolls into the
    /// following days), which keeps the arithmetic total.
    public static func date(_ day: LocalDate, minuteOfDay: Int) -> Date {
        instant(julianDay: day.julianDayNumber, secondOfDay: Double(minuteOfDay * 60))
    }

    /// Parses ISO 8601 timestamps as received from forms, APIs and fixtures.
    ///
    /// Accepts "2026-02-13T16:00:00+07:00", "2026-02-13T09:00:00Z", optional fractional seconds,
    /// offsets written "+0700" too, and a bare local "2026-02-13T16:00[:00]" that is read as UTC+7
    /// because an officer typing a time means Vietnamese time. Returns nil on anything else.
    public static func parseISO8601(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 16 else { return nil }
        guard let day = LocalDate(iso: String(decoding: bytes[0..<10], as: UTF8.self)) else { return nil }
        guard bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " ")
        else { return nil }
        guard let hour = LocalDate.digits(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"),
            let minute = LocalDate.digits(bytes, 14, 2), hour <= 23, minute <= 59
        else { return nil }
        var index = 16
        var seconds = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            guard let whole = LocalDate.digits(bytes, index + 1, 2), whole <= 59 else { return nil }
            seconds = Double(whole)
            index += 3
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",") {
                index += 1
                var scale = 0.1
                var fraction = 0.0
                let start = index
                while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                    fraction += Double(bytes[index] - UInt8(ascii: "0")) * scale
                    scale /= 10
                    index += 1
                }
                guard index > start else { return nil }
                seconds += fraction
            }
        }
        var offsetSeconds = utcOffsetSeconds
        if index < bytes.count {
            let sign = bytes[index]
            if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                offsetSeconds = 0
                index += 1
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                guard let offsetHour = LocalDate.digits(bytes, index + 1, 2) else { return nil }
                index += 3
                var offsetMinute = 0
                if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                    guard let value = LocalDate.digits(bytes, index + 1, 2) else { return nil }
                    offsetMinute = value
                    index += 3
                } else if index < bytes.count {
                    guard let value = LocalDate.digits(bytes, index, 2) else { return nil }
                    offsetMinute = value
                    index += 2
                }
                guard offsetHour <= 23, offsetMinute <= 59 else { return nil }
                let magnitude = offsetHour * 3600 + offsetMinute * 60
                offsetSeconds = sign == UInt8(ascii: "-") ? -magnitude : magnitude
            } else {
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        let daySeconds = Double(day.julianDayNumber - unixEpochJulianDay) * 86_400
        let wallSeconds = Double(hour * 3600 + minute * 60) + seconds
        return Date(timeIntervalSince1970: daySeconds + wallSeconds - Double(offsetSeconds))
    }

    /// Formats an instant as Vietnamese local time with its offset, "2026-02-13T16:00:00+07:00",
    /// so that every timestamp a person reads is in the time zone the rules are written in.
    /// Fractions of a second are dropped.
    public static func format(_ instant: Date) -> String {
        let (julianDay, secondOfDay) = split(instant)
        let day = LocalDate(julianDayNumber: julianDay)
        let total = min(86_399, max(0, Int(secondOfDay.rounded(.down))))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(day.iso)T\(two(total / 3600)):\(two(total / 60 % 60)):\(two(total % 60))+07:00"
    }
}
