// The Vietnamese lunisolar calendar, computed astronomically.
//
// Tết and Hùng Kings day are set by the lunar calendar, so the working calendar must know lunar dates
// for any year without a table that runs out. This follows Ho Ngoc Duc's published algorithm
// ("Âm lịch Việt Nam", based on Meeus, "Astronomical Algorithms"): months begin on the local day of
// the astronomical new moon, month 11 contains the winter solstice, and in a 13-month year the first
// month without a major solar term is the leap month. Vietnam computes in UTC+7, China in UTC+8; the
// time zone parameter exists because the two calendars differ in some years (Tết 2030).

import Foundation

/// Conversion between Gregorian days and the Vietnamese lunar calendar.
///
/// Holidays such as Tết Nguyên đán and Giỗ Tổ Hùng Vương move every Gregorian year; computing them
/// keeps the calendar valid for any year without maintaining a lookup table.
public enum LunarCalendar {
    /// A day of the lunar calendar; `isLeapMonth` marks the intercalary month (tháng nhuận) that
    /// repeats the number of the month before it.
    public struct LunarDate: Hashable, Sendable, CustomStringConvertible {
        public var year: Int
        public var month: Int
        public var day: Int
        public var isLeapMonth: Bool

        /// Stores the fields as given; use `LunarCalendar.solarDate` to check that such a day exists.
        public init(year: Int, month: Int, day: Int, isLeapMonth: Bool = false) {
            self.year = year
            self.month = month
            self.day = day
            self.isLeapMonth = isLeapMonth
        }

        /// "day/month/year" with an "(nhuận)" marker for a leap month, the way Vietnamese write it.
        public var description: String {
            "\(day)/\(month)\(isLeapMonth ? " (nhuận)" : "")/\(year)"
        }
    }

    // MARK: Public conversions

    /// The lunar date of a Gregorian day; `timeZoneHours` is 7 for Vietnam (8 gives the Chinese calendar).
    public static func lunarDate(of date: LocalDate, timeZoneHours: Double = 7) -> LunarDate {
        let zone = timeZoneHours
        let dayNumber = date.julianDayNumber
        let k = floorInt((Double(dayNumber) - 2_415_021.076998695) / synodicMonth)
        var monthStart = newMoonDay(k + 1, zone)
        if monthStart > dayNumber {
            monthStart = newMoonDay(k, zone)
        }
        var a11 = lunarMonth11(date.year, zone)
        var b11 = a11
        var lunarYear: Int
        if a11 >= monthStart {
            lunarYear = date.year
            a11 = lunarMonth11(date.year - 1, zone)
        } else {
            lunarYear = date.year + 1
            b11 = lunarMonth11(date.year + 1, zone)
        }
        let lunarDay = dayNumber - monthStart + 1
        let diff = floorInt(Double(monthStart - a11) / 29)
        var isLeap = false
        var lunarMonth = diff + 11
        if b11 - a11 > 365 {
            let leapMonthDiff = leapMonthOffset(a11, zone)
            if diff >= leapMonthDiff {
                lunarMonth = diff + 10
                if diff == leapMonthDiff { isLeap = true }
            }
        }
        if lunarMonth > 12 { lunarMonth -= 12 }
        if lunarMonth >= 11 && diff < 4 { lunarYear -= 1 }
        return LunarDate(year: lunarYear, month: lunarMonth, day: lunarDay, isLeapMonth: isLeap)
    }

    /// The Gregorian day of a lunar date, or nil when that lunar day does not exist (a 30th in a
    /// 29-day month, or a leap month the year does not have).
    public static func solarDate(
        lunarYear: Int, lunarMonth: Int, lunarDay: Int, isLeapMonth: Bool = false, timeZoneHours: Double = 7
    ) -> LocalDate? {
        guard (1...12).contains(lunarMonth), (1...30).contains(lunarDay) else { return nil }
        let zone = timeZoneHours
        let a11: Int
        let b11: Int
        if lunarMonth < 11 {
            a11 = lunarMonth11(lunarYear - 1, zone)
            b11 = lunarMonth11(lunarYear, zone)
        } else {
            a11 = lunarMonth11(lunarYear, zone)
            b11 = lunarMonth11(lunarYear + 1, zone)
        }
        let k = floorInt(0.5 + (Double(a11) - 2_415_021.076998695) / synodicMonth)
        var offset = lunarMonth - 11
        if offset < 0 { offset += 12 }
        if b11 - a11 > 365 {
            let leapOffset = leapMonthOffset(a11, zone)
            var leapMonth = leapOffset - 2
            if leapMonth < 0 { leapMonth += 12 }
            if isLeapMonth && lunarMonth != leapMonth {
                return nil
            } else if isLeapMonth || offset >= leapOffset {
                offset += 1
            }
        } else if isLeapMonth {
            return nil
        }
        let monthStart = newMoonDay(k + offset, zone)
        let result = LocalDate(julianDayNumber: monthStart + lunarDay - 1)
        // The arithmetic above happily produces the "30th" of a 29-day month (the next month's 1st);
        // converting back is the simplest complete check that the requested day exists.
        let check = lunarDate(of: result, timeZoneHours: zone)
        guard check.year == lunarYear, check.month == lunarMonth, check.day == lunarDay,
            check.isLeapMonth == isLeapMonth
        else { return nil }
        return result
    }

    /// The first day of the first lunar month that falls in the Gregorian `year` (Tết Nguyên đán);
    /// it always lies between 21 January and 20 February.
    public static func newYear(_ year: Int, timeZoneHours: Double = 7) -> LocalDate {
        // Month 1 day 1 always exists, so the optional is never nil; the fallback keeps the function total.
        solarDate(lunarYear: year, lunarMonth: 1, lunarDay: 1, timeZoneHours: timeZoneHours)
            ?? LocalDate(julianDayNumber: newMoonDay(monthIndex(near: LocalDate(year: year, month: 2, day: 1)), timeZoneHours))
    }

    /// Giỗ Tổ Hùng Vương, the 10th day of the 3rd lunar month (Vietnamese calendar, UTC+7), a
    /// statutory holiday.
    public static func hungKingsDay(_ year: Int) -> LocalDate {
        solarDate(lunarYear: year, lunarMonth: 3, lunarDay: 10)
            ?? newYear(year).adding(days: 68)
    }

    // MARK: Astronomy (Ho Ngoc Duc / Meeus)

    /// Mean length of a lunation in days.
    static let synodicMonth = 29.530588853

    /// Floor as an Int; the published algorithm's INT() is floor.
    static func floorInt(_ value: Double) -> Int { Int(value.rounded(.down)) }

    /// Lunation index whose new moon is near a Gregorian day (used only as a fallback).
    static func monthIndex(near date: LocalDate) -> Int {
        floorInt((Double(date.julianDayNumber) - 2_415_021.076998695) / synodicMonth)
    }

    /// Julian day (fractional, UT) of the k-th new moon after the one of 1900-01-01 (Meeus ch. 49,
    /// truncated series as in Ho Ngoc Duc's code).
    static func newMoon(_ k: Int) -> Double {
        let kk = Double(k)
        let t = kk / 1236.85
        let t2 = t * t
        let t3 = t2 * t
        let dr = Double.pi / 180
        var jd1 = 2_415_020.75933 + 29.53058868 * kk + 0.0001178 * t2 - 0.000000155 * t3
        jd1 += 0.00033 * sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
        let m = 359.2242 + 29.10535608 * kk - 0.0000333 * t2 - 0.00000347 * t3
        let mpr = 306.0253 + 385.81691806 * kk + 0.0107306 * t2 + 0.00001236 * t3
        let f = 21.2964 + 390.67050646 * kk - 0.0016528 * t2 - 0.00000239 * t3
        var c1 = (0.1734 - 0.000393 * t) * sin(m * dr) + 0.0021 * sin(2 * dr * m)
        c1 = c1 - 0.4068 * sin(mpr * dr) + 0.0161 * sin(dr * 2 * mpr)
        c1 = c1 - 0.0004 * sin(dr * 3 * mpr)
        c1 = c1 + 0.0104 * sin(dr * 2 * f) - 0.0051 * sin(dr * (m + mpr))
        c1 = c1 - 0.0074 * sin(dr * (m - mpr)) + 0.0004 * sin(dr * (2 * f + m))
        c1 = c1 - 0.0004 * sin(dr * (2 * f - m)) - 0.0006 * sin(dr * (2 * f + mpr))
        c1 = c1 + 0.0010 * sin(dr * (2 * f - mpr)) + 0.0005 * sin(dr * (2 * mpr + m))
        let deltaT: Double
        if t < -11 {
            deltaT = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
        } else {
            deltaT = -0.000278 + 0.000265 * t + 0.000262 * t2
        }
        return jd1 + c1 - deltaT
    }

    /// Apparent longitude of the sun in radians (0 ..< 2π) at a fractional Julian day (UT).
    static func sunLongitude(_ julianDay: Double) -> Double {
        let t = (julianDay - 2_451_545.0) / 36525
        let t2 = t * t
        let dr = Double.pi / 180
        let m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
        var dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * sin(dr * m)
        dl += (0.019993 - 0.000101 * t) * sin(dr * 2 * m) + 0.000290 * sin(dr * 3 * m)
        let l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
        var l = (l0 + dl) * dr
        l -= Double.pi * 2 * (l / (Double.pi * 2)).rounded(.down)
        return l
    }

    /// Local Julian Day Number of the k-th new moon in the given time zone.
    static func newMoonDay(_ k: Int, _ timeZoneHours: Double) -> Int {
        floorInt(newMoon(k) + 0.5 + timeZoneHours / 24)
    }

    /// Which of the 12 major solar terms (30° sectors, 0...11) holds the sun at the start of a local day.
    static func sunLongitudeSector(_ dayNumber: Int, _ timeZoneHours: Double) -> Int {
        floorInt(sunLongitude(Double(dayNumber) - 0.5 - timeZoneHours / 24) / Double.pi * 6)
    }

    /// Local Julian Day Number of the start of lunar month 11 (the month holding the winter solstice)
    /// of the given Gregorian year; months are anchored on it.
    static func lunarMonth11(_ year: Int, _ timeZoneHours: Double) -> Int {
        let off = LocalDate(year: year, month: 12, day: 31).julianDayNumber - 2_415_021
        let k = floorInt(Double(off) / synodicMonth)
        var start = newMoonDay(k, timeZoneHours)
        if sunLongitudeSector(start, timeZoneHours) >= 9 {
            start = newMoonDay(k - 1, timeZoneHours)
        }
        return start
    }

    /// Position (months after month 11) of the leap month in a 13-month year: the first month in
    /// which the sun does not enter a new major solar term.
    static func leapMonthOffset(_ a11: Int, _ timeZoneHours: Double) -> Int {
        let k = floorInt((Double(a11) - 2_415_021.076998695) / synodicMonth + 0.5)
        var last = 0
        var index = 1
        var arc = sunLongitudeSector(newMoonDay(k + index, timeZoneHours), timeZoneHours)
        repeat {
            last = arc
            index += 1
            arc = sunLongitudeSector(newMoonDay(k + index, timeZoneHours), timeZoneHours)
        } while arc != last && index < 14
        return index - 1
    }
}
