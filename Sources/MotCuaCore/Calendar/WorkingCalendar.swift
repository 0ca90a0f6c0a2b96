// The working calendar of a node: which days and which minutes count towards a deadline.
//
// Built from three layers, lowest first:
//   1. weekends (Saturday, Sunday) are not working days;
//   2. statutory holidays of the Labour Code 2019 art. 112 (computed, lunar ones astronomically), plus
//      a compensation day (nghỉ bù) for each one that falls on a weekend;
//   3. operator rules (CalendarRule) announced by government decision: an extra day off or a weekend
//      day worked for a swap. A rule overrides layers 1 and 2 for its date; a withdrawn rule is ignored.
// The calendar is a value built from the list of rules, so a node rebuilds it when an operator adds,
// dates or withdraws a rule, and two nodes with the same rules compute the same deadlines.

import Foundation

/// A decision-based change to the calendar, entered by an operator at a running node.
///
/// The government announces the exact Tết days, swaps and new days off each year, often mid-year;
/// rules let a node follow these announcements without a software release.
public struct CalendarRule: Codable, Sendable, Hashable, Identifiable {
    /// What the rule does to its date.
    public enum Kind: String, Codable, Sendable {
        /// An announced extra day off (ngày nghỉ theo thông báo).
        case dayOff = "day-off"
        /// A day declared a working day, e.g. the Saturday worked to pay for a bridged Monday off.
        case workingDay = "working-day"
    }

    public var id: String
    public var kind: Kind
    public var date: LocalDate
    /// The holiday or decision name shown to people, e.g. "Nghỉ hoán đổi dịp Quốc khánh".
    public var name: String
    /// When the announcing decision takes effect; informational (the timeline records it).
    public var effectiveFrom: Date?
    /// A withdrawn rule is kept for the record but has no effect.
    public var withdrawn: Bool

    /// Creates a rule; rules are active unless `withdrawn`.
    public init(
        id: String, kind: Kind, date: LocalDate, name: String, effectiveFrom: Date? = nil, withdrawn: Bool = false
    ) {
        self.id = id
        self.kind = kind
        self.date = date
        self.name = name
        self.effectiveFrom = effectiveFrom
        self.withdrawn = withdrawn
    }

    private enum CodingKeys: String, CodingKey {
        case id, kind, date, name, effectiveFrom, withdrawn
    }

    /// Decodes a rule; a missing `withdrawn` means false so hand-written rule files stay short.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        kind = try container.decode(Kind.self, forKey: .kind)
        date = try container.decode(LocalDate.self, forKey: .date)
        name = try container.decode(String.self, forKey: .name)
        effectiveFrom = try container.decodeIfPresent(Date.self, forKey: .effectiveFrom)
        withdrawn = try container.decodeIfPresent(Bool.self, forKey: .withdrawn) ?? false
    }
}

/// Office hours of a working day, as minute-of-day ranges in Vietnamese local time.
///
/// Hour-based lead times and the end-of-day due time depend on when the office is open; keeping the
/// sessions as data lets a node that opens at 07:30 configure it.
public struct WorkingHours: Codable, Sendable, Hashable {
    /// Morning session, minutes since midnight (half-open: the end minute is not worked).
    public var morning: Range<Int>
    /// Afternoon session, minutes since midnight (half-open).
    public var afternoon: Range<Int>
    /// Dossiers for same-day procedures received at or after this minute are due the next working day.
    public var sameDayCutoffMinute: Int

    /// Creates office hours; sessions must not overlap and the morning must come first.
    public init(morning: Range<Int>, afternoon: Range<Int>, sameDayCutoffMinute: Int) {
        self.morning = morning
        self.afternoon = afternoon
        self.sameDayCutoffMinute = sameDayCutoffMinute
    }

    /// 08:00-12:00 and 13:00-17:00 (8 working hours), cutoff 15:00: the common public-office schedule.
    public static let standard = WorkingHours(
        morning: 8 * 60..<12 * 60, afternoon: 13 * 60..<17 * 60, sameDayCutoffMinute: 15 * 60)

    /// The sessions in order, for walking through a day.
    public var sessions: [Range<Int>] { [morning, afternoon] }

    /// The minute the office opens.
    public var openingMinute: Int { morning.lowerBound }

    /// The minute the office closes; day-based deadlines fall due at this time.
    public var closingMinute: Int { afternoon.upperBound }

    /// Working minutes in a full working day (480 for the standard hours).
    public var minutesPerDay: Int { morning.count + afternoon.count }
}

/// A day that is not worked although it may be a weekday, with the reason, for calendars shown to
/// people and for explaining a due date.
public struct NonWorkingDay: Codable, Sendable, Hashable {
    /// Why the day is off.
    public enum Kind: String, Codable, Sendable {
        /// A fixed statutory holiday (Labour Code 2019 art. 112).
        case statutory
        /// One of the five Tết Nguyên đán days.
        case tet
        /// A compensation day (nghỉ bù) for a holiday that fell on a weekend.
        case compensatory
        /// A day off announced by decision (an operator's `CalendarRule`).
        case announced
    }

    public var date: LocalDate
    public var name: String
    public var kind: Kind

    /// Creates an entry.
    public init(date: LocalDate, name: String, kind: Kind) {
        self.date = date
        self.name = name
        self.kind = kind
    }
}

/// Which days and minutes are working time at a node, built from statutory rules plus operator rules.
///
/// Every due date is counted in this calendar; it is a value (cheap to copy, `Sendable`) with an
/// internal cache of per-year holidays so the lunar computation runs once per year, not per lookup.
///
/// Interpretations (documented choices, not legal text):
/// - Tết is the last day of the old lunar year plus lunar days 1-4 of the new year, unless rules say
///   otherwise. The last day is named after its lunar day ("29 Tết" when the 12th month is short).
/// - Quốc khánh is 2 September plus the day after (3 September). When the government picks
///   1 September instead, operators add a `dayOff` rule for 1 September and a `workingDay` rule for
///   3 September.
/// - Compensation is computed from the statutory holidays only: each holiday (or Tết day) on a
///   Saturday or Sunday gives the next weekday that is neither a holiday nor already a compensation
///   day, in date order. Operator rules are applied on top and do not move compensation days.
/// - When active rules conflict on a date, the one with the later `effectiveFrom` wins (a rule without
///   one counts as earliest); on a tie the later rule in the list wins.
public struct WorkingCalendar: Sendable {
    /// All rules, including withdrawn ones (kept for the record).
    public let rules: [CalendarRule]
    public let hours: WorkingHours
    /// First Gregorian year in which 24 November (Ngày Văn hóa Việt Nam) is a day off; nil for never.
    public let cultureDayFromYear: Int?

    /// The winning active rule per date.
    private let overrides: [LocalDate: CalendarRule]
    private let cache: HolidayCache

    /// Builds the calendar from the node's rules, office hours and the year Culture Day starts.
    public init(rules: [CalendarRule] = [], hours: WorkingHours = .standard, cultureDayFromYear: Int? = 2026) {
        self.rules = rules
        self.hours = hours
        self.cultureDayFromYear = cultureDayFromYear
        var winners: [LocalDate: (rule: CalendarRule, position: Int)] = [:]
        for (position, rule) in rules.enumerated() where !rule.withdrawn {
            if let current = winners[rule.date] {
                let currentTime = current.rule.effectiveFrom ?? .distantPast
                let newTime = rule.effectiveFrom ?? .distantPast
                if newTime < currentTime { continue }
                if newTime == currentTime && position < current.position { continue }
            }
            winners[rule.date] = (rule, position)
        }
        self.overrides = winners.mapValues(\.rule)
        self.cache = HolidayCache(cultureDayFromYear: cultureDayFromYear)
    }

    // MARK: Days

    /// Every holiday, compensation day and announced day off of a Gregorian year, by date.
    ///
    /// Holidays that fall on a weekend are listed too (with their names) so a published calendar
    /// explains the compensation day; plain weekends are not listed, and a date a rule declares
    /// a working day is left out.
    public func nonWorkingDays(year: Int) -> [NonWorkingDay] {
        var byDate = cache.statutory(year: year)
        for (date, rule) in overrides where date.year == year {
            switch rule.kind {
            case .workingDay:
                byDate[date] = nil
            case .dayOff:
                if byDate[date] == nil {
                    byDate[date] = NonWorkingDay(date: date, name: rule.name, kind: .announced)
                }
            }
        }
        return byDate.values.sorted { $0.date < $1.date }
    }

    /// Whether the day counts towards deadlines: Monday to Friday and not a holiday, compensation day
    /// or announced day off, or any day a rule declares a working day.
    public func isWorkingDay(_ day: LocalDate) -> Bool {
        if let rule = overrides[day] {
            return rule.kind == .workingDay
        }
        if day.isWeekend { return false }
        return cache.statutory(year: day.year)[day] == nil
    }

    /// The first working day strictly after `day`.
    public func nextWorkingDay(after day: LocalDate) -> LocalDate {
        workingDay(onOrAfter: day.adding(days: 1))
    }

    /// `day` itself if it is a working day, otherwise the next one.
    public func workingDay(onOrAfter day: LocalDate) -> LocalDate {
        var candidate = day
        // Bounded: no calendar has a year without working days; the bound guards against bad rules.
        for _ in 0..<3660 {
            if isWorkingDay(candidate) { return candidate }
            candidate = candidate.adding(days: 1)
        }
        return candidate
    }

    /// The instant the office closes on `day` (17:00 local with the standard hours); day-based
    /// deadlines fall due then.
    public func endOfWorkingDay(_ day: LocalDate) -> Date {
        VietnamTime.date(day, minuteOfDay: hours.closingMinute)
    }

    // MARK: Minutes

    /// Whether the office is open at an instant (a working day, inside a session).
    public func isWorkingInstant(_ instant: Date) -> Bool {
        let (julianDay, second) = VietnamTime.split(instant)
        guard isWorkingDay(LocalDate(julianDayNumber: julianDay)) else { return false }
        return hours.sessions.contains { second >= Double($0.lowerBound * 60) && second < Double($0.upperBound * 60) }
    }

    /// Working minutes between two instants (rounded down), e.g. what is left before a due date when
    /// the clock pauses; 0 when `end` is not after `start`.
    public func workingMinutes(from start: Date, to end: Date) -> Int {
        guard end > start else { return 0 }
        let (firstDay, firstSecond) = VietnamTime.split(start)
        let (lastDay, lastSecond) = VietnamTime.split(end)
        let sessions = hours.sessions
        var seconds = 0.0
        for julianDay in firstDay...lastDay where isWorkingDay(LocalDate(julianDayNumber: julianDay)) {
            let low = julianDay == firstDay ? firstSecond : 0
            let high = julianDay == lastDay ? lastSecond : 86_400
            for session in sessions {
                let from = max(low, Double(session.lowerBound * 60))
                let to = min(high, Double(session.upperBound * 60))
                if to > from { seconds += to - from }
            }
        }
        return Int((seconds / 60 + 1e-9).rounded(.down))
    }

    /// The instant reached after `minutes` of working time from `start`.
    ///
    /// A start outside working time begins at the next opening. A result that lands exactly on the
    /// end of a session stays there: 8 working hours from Monday 08:00 is Monday 17:00, not
    /// Tuesday 08:00, so a deadline never jumps past the evening. Zero or negative minutes return
    /// `start` unchanged.
    public func adding(workingMinutes minutes: Int, to start: Date) -> Date {
        guard minutes > 0 else { return start }
        var remaining = Double(minutes) * 60
        var (julianDay, second) = VietnamTime.split(start)
        let sessions = hours.sessions
        // Bounded by the number of days walked; each working day consumes at least one session.
        for _ in 0..<(minutes / max(1, hours.minutesPerDay) + 1) * 8 + 3660 {
            if isWorkingDay(LocalDate(julianDayNumber: julianDay)) {
                for session in sessions {
                    let sessionEnd = Double(session.upperBound * 60)
                    guard second < sessionEnd else { continue }
                    let from = max(second, Double(session.lowerBound * 60))
                    let available = sessionEnd - from
                    if remaining <= available {
                        return VietnamTime.instant(julianDay: julianDay, secondOfDay: from + remaining)
                    }
                    remaining -= available
                    second = sessionEnd
                }
            }
            julianDay += 1
            second = 0
        }
        return VietnamTime.instant(julianDay: julianDay, secondOfDay: second)
    }
}

/// Per-year statutory holidays and compensation days, computed once per year and shared by copies of
/// a calendar; the inputs (`cultureDayFromYear`) never change, so sharing is safe.
final class HolidayCache: @unchecked Sendable {
    private let cultureDayFromYear: Int?
    private let lock = NSLock()
    private var years: [Int: [LocalDate: NonWorkingDay]] = [:]

    init(cultureDayFromYear: Int?) {
        self.cultureDayFromYear = cultureDayFromYear
    }

    /// The statutory holidays (with weekend ones) and compensation days of a year.
    func statutory(year: Int) -> [LocalDate: NonWorkingDay] {
        lock.lock()
        if let cached = years[year] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        // Computed outside the lock: the result is deterministic, so a concurrent duplicate is harmless.
        let computed = Self.compute(year: year, cultureDayFromYear: cultureDayFromYear)
        lock.lock()
        years[year] = computed
        lock.unlock()
        return computed
    }

    /// Labour Code 2019 art. 112 holidays of a year, then compensation for those on a weekend.
    static func compute(year: Int, cultureDayFromYear: Int?) -> [LocalDate: NonWorkingDay] {
        var holidays: [NonWorkingDay] = []
        func add(_ month: Int, _ day: Int, _ name: String) {
            holidays.append(NonWorkingDay(date: LocalDate(year: year, month: month, day: day), name: name, kind: .statutory))
        }
        add(1, 1, "Tết Dương lịch")

        let newYear = LunarCalendar.newYear(year)
        let eve = newYear.adding(days: -1)
        let eveLunarDay = LunarCalendar.lunarDate(of: eve).day
        holidays.append(NonWorkingDay(date: eve, name: "Tết Nguyên đán (\(eveLunarDay) Tết)", kind: .tet))
        for offset in 0..<4 {
            holidays.append(
                NonWorkingDay(date: newYear.adding(days: offset), name: "Tết Nguyên đán (mùng \(offset + 1))", kind: .tet))
        }

        holidays.append(NonWorkingDay(date: LunarCalendar.hungKingsDay(year), name: "Giỗ Tổ Hùng Vương", kind: .statutory))
        add(4, 30, "Ngày Giải phóng miền Nam")
        add(5, 1, "Quốc tế Lao động")
        add(9, 2, "Quốc khánh")
        add(9, 3, "Quốc khánh (ngày liền kề)")
        if let from = cultureDayFromYear, year >= from {
            add(11, 24, "Ngày Văn hóa Việt Nam")
        }

        var byDate: [LocalDate: NonWorkingDay] = [:]
        for holiday in holidays {
            if var existing = byDate[holiday.date] {
                // Two holidays on one date (possible for Hùng Kings and 30 April) give one day off.
                existing.name += " / " + holiday.name
                byDate[holiday.date] = existing
            } else {
                byDate[holiday.date] = holiday
            }
        }

        let holidayDates = Set(byDate.keys)
        for holiday in byDate.values.sorted(by: { $0.date < $1.date }) where holiday.date.isWeekend {
            var candidate = holiday.date.adding(days: 1)
            while candidate.isWeekend || holidayDates.contains(candidate) || byDate[candidate] != nil {
                candidate = candidate.adding(days: 1)
            }
            byDate[candidate] = NonWorkingDay(date: candidate, name: "Nghỉ bù \(holiday.name)", kind: .compensatory)
        }
        return byDate
    }
}
