import Foundation
import Testing

@testable import MotCuaCore

/// Parses a timestamp fixture; a bare "YYYY-MM-DDTHH:MM" is Vietnamese local time.
private func at(_ text: String) throws -> Date {
    try #require(VietnamTime.parseISO8601(text))
}

private func day(_ text: String) throws -> LocalDate {
    try #require(LocalDate(iso: text))
}

// MARK: - LocalDate and VietnamTime

@Suite("Local dates and Vietnam time")
struct LocalDateTests {
    @Test func isoParsingIsStrict() throws {
        #expect(LocalDate(iso: "2026-02-17") == LocalDate(year: 2026, month: 2, day: 17))
        #expect(LocalDate(iso: "2024-02-29") != nil)
        #expect(LocalDate(iso: "2026-02-29") == nil)
        #expect(LocalDate(iso: "2026-13-01") == nil)
        #expect(LocalDate(iso: "2026-00-10") == nil)
        #expect(LocalDate(iso: "2026-2-17") == nil)
        #expect(LocalDate(iso: "2026-02-17T00:00") == nil)
        #expect(LocalDate(iso: "2026/02/17") == nil)
        #expect(try day("2026-02-07").iso == "2026-02-07")
        #expect(LocalDate(year: 26, month: 1, day: 5).iso == "0026-01-05")
    }

    @Test func weekdayAndJulianDay() throws {
        #expect(try day("2026-02-13").weekday == 5)  // Friday
        #expect(try day("2026-02-15").weekday == 7)  // Sunday
        #expect(try day("2026-02-16").weekday == 1)  // Monday
        #expect(try day("1970-01-01").julianDayNumber == 2_440_588)
        #expect(try day("2000-01-01").julianDayNumber == 2_451_545)
        var date = try day("1999-12-25")
        for _ in 0..<800 {
            #expect(LocalDate(julianDayNumber: date.julianDayNumber) == date)
            let next = date.adding(days: 1)
            #expect(next.julianDayNumber == date.julianDayNumber + 1)
            #expect(date < next)
            date = next
        }
        #expect(try day("2026-03-01").adding(days: -1) == day("2026-02-28"))
        #expect(LocalDate.daysInMonth(year: 2100, month: 2) == 28)
        #expect(LocalDate.daysInMonth(year: 2000, month: 2) == 29)
    }

    @Test func codableAsIsoString() throws {
        let data = try JSONEncoder().encode([try day("2026-08-31")])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-08-31"]"#)
        #expect(try JSONDecoder().decode([LocalDate].self, from: data) == [try day("2026-08-31")])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([LocalDate].self, from: Data(#"["2026-02-30"]"#.utf8))
        }
    }

    @Test func parsesAndFormatsTimestamps() throws {
        let local = try at("2026-02-13T16:00:00+07:00")
        #expect(try at("2026-02-13T09:00:00Z") == local)
        #expect(try at("2026-02-13T16:00") == local)
        #expect(try at("2026-02-13T16:00:00") == local)
        #expect(try at("2026-02-13T10:00:00.000+01:00") == local)
        #expect(try at("2026-02-13T16:00:00.250+07:00").timeIntervalSince(local) == 0.25)
        #expect(VietnamTime.format(local) == "2026-02-13T16:00:00+07:00")
        #expect(VietnamTime.format(try at("2026-02-13T20:30:00Z")) == "2026-02-14T03:30:00+07:00")
        #expect(local.timeIntervalSince1970 == 1_770_973_200)
        #expect(VietnamTime.localDate(of: local) == (try day("2026-02-13")))
        #expect(VietnamTime.minuteOfDay(of: local) == 16 * 60)
        #expect(VietnamTime.date(try day("2026-02-13"), minuteOfDay: 16 * 60) == local)
        // 23:30 UTC is already the next day in Vietnam.
        #expect(VietnamTime.localDate(of: try at("2026-02-13T23:30:00Z")) == (try day("2026-02-14")))
        for bad in ["2026-02-13", "2026-02-13T25:00", "2026-02-13T16:00+7", "2026-02-13T16:00:00X", "2026-02-30T10:00"] {
            #expect(VietnamTime.parseISO8601(bad) == nil, "\(bad)")
        }
    }
}

// MARK: - Lunar calendar

@Suite("Vietnamese lunar calendar")
struct LunarCalendarTests {
    /// DOMAIN.md: lunar new year and Hùng Kings day by the Vietnamese calendar (UTC+7).
    static let table: [(year: Int, tet: String, hungKings: String)] = [
        (2024, "2024-02-10", "2024-04-18"),
        (2025, "2025-01-29", "2025-04-07"),
        (2026, "2026-02-17", "2026-04-26"),
        (2027, "2027-02-06", "2027-04-16"),
        (2028, "2028-01-26", "2028-04-04"),
        (2029, "2029-02-13", "2029-04-23"),
        (2030, "2030-02-02", "2030-04-12"),
        (2031, "2031-01-23", "2031-04-01"),
    ]

    @Test(arguments: table.map(\.year))
    func tetAndHungKingsMatchTheTable(year: Int) throws {
        let row = try #require(Self.table.first { $0.year == year })
        #expect(LunarCalendar.newYear(year) == (try day(row.tet)))
        #expect(LunarCalendar.hungKingsDay(year) == (try day(row.hungKings)))
        #expect(LunarCalendar.lunarDate(of: try day(row.tet)) == .init(year: year, month: 1, day: 1))
        #expect(LunarCalendar.lunarDate(of: try day(row.hungKings)) == .init(year: year, month: 3, day: 10))
    }

    @Test func chineseCalendarDiffersIn2030() throws {
        #expect(LunarCalendar.newYear(2030, timeZoneHours: 7) == (try day("2030-02-02")))
        #expect(LunarCalendar.newYear(2030, timeZoneHours: 8) == (try day("2030-02-03")))
        #expect(LunarCalendar.newYear(2026, timeZoneHours: 8) == (try day("2026-02-17")))
        // 2030-02-02 is still the 29th of the 12th month in China.
        #expect(LunarCalendar.lunarDate(of: try day("2030-02-02"), timeZoneHours: 8).month == 12)
    }

    @Test func leapMonths() throws {
        // 2023 had a leap 2nd month, 2025 a leap 6th month.
        #expect(LunarCalendar.lunarDate(of: try day("2023-03-22")) == .init(year: 2023, month: 2, day: 1, isLeapMonth: true))
        #expect(LunarCalendar.lunarDate(of: try day("2025-07-25")) == .init(year: 2025, month: 6, day: 1, isLeapMonth: true))
        #expect(LunarCalendar.solarDate(lunarYear: 2025, lunarMonth: 6, lunarDay: 1, isLeapMonth: true) == (try day("2025-07-25")))
        #expect(LunarCalendar.solarDate(lunarYear: 2025, lunarMonth: 6, lunarDay: 1) == (try day("2025-06-25")))
        #expect(LunarCalendar.solarDate(lunarYear: 2026, lunarMonth: 6, lunarDay: 1, isLeapMonth: true) == nil)
        #expect(LunarCalendar.solarDate(lunarYear: 2025, lunarMonth: 5, lunarDay: 1, isLeapMonth: true) == nil)
    }

    @Test func nonexistentDaysAreRefused() throws {
        // The 12th month of lunar year 2025 has 29 days: Tết 2026 follows its 29th.
        #expect(LunarCalendar.lunarDate(of: try day("2026-02-16")) == .init(year: 2025, month: 12, day: 29))
        #expect(LunarCalendar.solarDate(lunarYear: 2025, lunarMonth: 12, lunarDay: 30) == nil)
        #expect(LunarCalendar.solarDate(lunarYear: 2025, lunarMonth: 13, lunarDay: 1) == nil)
        #expect(LunarCalendar.solarDate(lunarYear: 2025, lunarMonth: 1, lunarDay: 31) == nil)
    }

    @Test func roundTripOverManyYears() throws {
        var date = try day("2019-01-01")
        let end = try day("2033-01-01")
        var previous = LunarCalendar.lunarDate(of: date.adding(days: -1))
        while date < end {
            let lunar = LunarCalendar.lunarDate(of: date)
            #expect((1...30).contains(lunar.day) && (1...12).contains(lunar.month))
            // Consecutive days either continue the month or start the next one on day 1.
            #expect(lunar.day == previous.day + 1 || (lunar.day == 1 && previous.day >= 29))
            let back = LunarCalendar.solarDate(
                lunarYear: lunar.year, lunarMonth: lunar.month, lunarDay: lunar.day, isLeapMonth: lunar.isLeapMonth)
            #expect(back == date, "\(date) -> \(lunar)")
            previous = lunar
            date = date.adding(days: 1)
        }
    }
}

// MARK: - Working calendar

@Suite("Working calendar")
struct WorkingCalendarTests {
    static let swap2026: [CalendarRule] = [
        CalendarRule(
            id: "2026-swap-off", kind: .dayOff, date: LocalDate(year: 2026, month: 8, day: 31),
            name: "Nghỉ hoán đổi dịp Quốc khánh"),
        CalendarRule(
            id: "2026-swap-work", kind: .workingDay, date: LocalDate(year: 2026, month: 8, day: 22),
            name: "Làm bù cho ngày 31/8"),
    ]

    @Test func nonWorkingDays2026HaveNames() throws {
        let days = WorkingCalendar(rules: Self.swap2026).nonWorkingDays(year: 2026)
        #expect(days.map(\.date) == days.map(\.date).sorted())
        func entry(_ iso: String) throws -> NonWorkingDay? {
            let date = try day(iso)
            return days.first { $0.date == date }
        }
        #expect(try entry("2026-01-01")?.name == "Tết Dương lịch")
        #expect(try entry("2026-02-16")?.name == "Tết Nguyên đán (29 Tết)")
        #expect(try entry("2026-02-17")?.name == "Tết Nguyên đán (mùng 1)")
        #expect(try entry("2026-02-20")?.name == "Tết Nguyên đán (mùng 4)")
        #expect(try entry("2026-02-20")?.kind == .tet)
        #expect(try entry("2026-04-26")?.name == "Giỗ Tổ Hùng Vương")
        #expect(try entry("2026-04-27")?.name == "Nghỉ bù Giỗ Tổ Hùng Vương")
        #expect(try entry("2026-04-27")?.kind == .compensatory)
        #expect(try entry("2026-04-30")?.name == "Ngày Giải phóng miền Nam")
        #expect(try entry("2026-05-01")?.name == "Quốc tế Lao động")
        #expect(try entry("2026-09-02")?.name == "Quốc khánh")
        #expect(try entry("2026-09-03")?.kind == .statutory)
        #expect(try entry("2026-11-24")?.name == "Ngày Văn hóa Việt Nam")
        #expect(try entry("2026-08-31")?.kind == .announced)
        #expect(try entry("2026-08-31")?.name == "Nghỉ hoán đổi dịp Quốc khánh")
        #expect(try entry("2026-08-22") == nil)
        #expect(try entry("2026-02-21") == nil)  // plain weekend
        #expect(days.count == 14)

        let noCultureDay = WorkingCalendar(cultureDayFromYear: nil).nonWorkingDays(year: 2026)
        #expect(!noCultureDay.contains { $0.date == LocalDate(year: 2026, month: 11, day: 24) })
        let before = WorkingCalendar().nonWorkingDays(year: 2025)
        #expect(!before.contains { $0.date == LocalDate(year: 2025, month: 11, day: 24) })
    }

    @Test func weekendHolidaysAreCompensated() throws {
        let calendar = WorkingCalendar()
        // 1 January 2023 was a Sunday: Monday 2 January is off.
        let jan2 = try #require(calendar.nonWorkingDays(year: 2023).first { $0.date == LocalDate(year: 2023, month: 1, day: 2) })
        #expect(jan2.kind == .compensatory)
        #expect(jan2.name == "Nghỉ bù Tết Dương lịch")
        #expect(!calendar.isWorkingDay(try day("2023-01-02")))
        #expect(calendar.isWorkingDay(try day("2023-01-03")))
        // 2027: 30 April is a Friday, 1 May a Saturday: Monday 3 May is off.
        #expect(try day("2027-05-01").weekday == 6)
        let may3 = try #require(calendar.nonWorkingDays(year: 2027).first { $0.date == LocalDate(year: 2027, month: 5, day: 3) })
        #expect(may3.name == "Nghỉ bù Quốc tế Lao động")
        #expect(!calendar.isWorkingDay(try day("2027-04-30")))
        #expect(calendar.isWorkingDay(try day("2027-05-04")))
        // 2026: Hùng Kings day is a Sunday, compensated on Monday 27 April.
        #expect(!calendar.isWorkingDay(try day("2026-04-27")))
        #expect(calendar.isWorkingDay(try day("2026-04-28")))
    }

    @Test func workingDays() throws {
        let calendar = WorkingCalendar()
        #expect(calendar.isWorkingDay(try day("2026-02-13")))
        #expect(!calendar.isWorkingDay(try day("2026-02-14")))
        #expect(!calendar.isWorkingDay(try day("2026-02-18")))
        #expect(calendar.nextWorkingDay(after: try day("2026-02-13")) == (try day("2026-02-23")))
        #expect(calendar.workingDay(onOrAfter: try day("2026-02-23")) == (try day("2026-02-23")))
        #expect(calendar.workingDay(onOrAfter: try day("2026-02-15")) == (try day("2026-02-23")))
        #expect(calendar.endOfWorkingDay(try day("2026-02-23")) == (try at("2026-02-23T17:00")))
    }

    @Test func workingInstantsAndMinutes() throws {
        let calendar = WorkingCalendar()
        #expect(calendar.isWorkingInstant(try at("2026-03-02T08:00")))
        #expect(calendar.isWorkingInstant(try at("2026-03-02T11:59")))
        #expect(!calendar.isWorkingInstant(try at("2026-03-02T12:30")))
        #expect(!calendar.isWorkingInstant(try at("2026-03-02T17:00")))
        #expect(!calendar.isWorkingInstant(try at("2026-03-07T10:00")))  // Saturday
        #expect(calendar.workingMinutes(from: try at("2026-03-02T08:00"), to: try at("2026-03-02T17:00")) == 480)
        #expect(calendar.workingMinutes(from: try at("2026-03-06T14:00"), to: try at("2026-03-09T14:00")) == 480)
        #expect(calendar.workingMinutes(from: try at("2026-03-02T11:30"), to: try at("2026-03-02T13:30")) == 60)
        #expect(calendar.workingMinutes(from: try at("2026-03-02T17:00"), to: try at("2026-03-02T08:00")) == 0)
        // Tết week 2026 contributes nothing.
        #expect(calendar.workingMinutes(from: try at("2026-02-13T17:00"), to: try at("2026-02-23T08:00")) == 0)
    }

    @Test func addingWorkingMinutes() throws {
        let calendar = WorkingCalendar()
        #expect(calendar.adding(workingMinutes: 480, to: try at("2026-03-02T08:00")) == (try at("2026-03-02T17:00")))
        #expect(calendar.adding(workingMinutes: 240, to: try at("2026-03-02T08:00")) == (try at("2026-03-02T12:00")))
        #expect(calendar.adding(workingMinutes: 60, to: try at("2026-03-02T12:00")) == (try at("2026-03-02T14:00")))
        #expect(calendar.adding(workingMinutes: 60, to: try at("2026-03-02T06:00")) == (try at("2026-03-02T09:00")))
        #expect(calendar.adding(workingMinutes: 60, to: try at("2026-03-06T17:00")) == (try at("2026-03-09T09:00")))
        #expect(calendar.adding(workingMinutes: 60, to: try at("2026-02-13T16:30")) == (try at("2026-02-23T08:30")))
    }

    @Test func withdrawnRulesAreIgnoredAndLaterRulesWin() throws {
        var withdrawn = Self.swap2026
        withdrawn[0].withdrawn = true
        let calendar = WorkingCalendar(rules: withdrawn)
        #expect(calendar.isWorkingDay(try day("2026-08-31")))
        #expect(calendar.isWorkingDay(try day("2026-08-22")))
        #expect(!calendar.nonWorkingDays(year: 2026).contains { $0.date == LocalDate(year: 2026, month: 8, day: 31) })

        let reversal = CalendarRule(
            id: "2026-swap-cancel", kind: .workingDay, date: LocalDate(year: 2026, month: 8, day: 31),
            name: "Huỷ nghỉ hoán đổi", effectiveFrom: try at("2026-08-01T00:00"))
        let dated = CalendarRule(
            id: "2026-swap-off", kind: .dayOff, date: LocalDate(year: 2026, month: 8, day: 31),
            name: "Nghỉ hoán đổi", effectiveFrom: try at("2026-07-01T00:00"))
        #expect(WorkingCalendar(rules: [reversal, dated]).isWorkingDay(try day("2026-08-31")))
        #expect(!WorkingCalendar(rules: [dated]).isWorkingDay(try day("2026-08-31")))
        // A working-day rule can also cancel a default holiday (the government chose 1 September).
        let firstSeptember = WorkingCalendar(rules: [
            CalendarRule(id: "a", kind: .dayOff, date: LocalDate(year: 2026, month: 9, day: 1), name: "Quốc khánh (liền kề)"),
            CalendarRule(id: "b", kind: .workingDay, date: LocalDate(year: 2026, month: 9, day: 3), name: "Đi làm"),
        ])
        #expect(!firstSeptember.isWorkingDay(try day("2026-09-01")))
        #expect(firstSeptember.isWorkingDay(try day("2026-09-03")))
    }

    @Test func rulesDecodeWithDefaults() throws {
        let json = #"{"id":"r1","kind":"day-off","date":"2026-08-31","name":"Nghỉ"}"#
        let rule = try JSONDecoder().decode(CalendarRule.self, from: Data(json.utf8))
        #expect(rule.kind == .dayOff)
        #expect(rule.withdrawn == false)
        #expect(rule.effectiveFrom == nil)
        let again = try JSONDecoder().decode(CalendarRule.self, from: JSONEncoder().encode(rule))
        #expect(again == rule)
    }

    @Test func calendarIsSafeToShareAcrossTasks() async throws {
        let calendar = WorkingCalendar()
        let counts = await withTaskGroup(of: Int.self) { group in
            for year in 2020...2035 {
                group.addTask { calendar.nonWorkingDays(year: year).count }
                group.addTask { calendar.nonWorkingDays(year: year).count }
            }
            var all: [Int] = []
            for await count in group { all.append(count) }
            return all
        }
        #expect(counts.count == 32)
        #expect(counts.allSatisfy { $0 >= 11 })
    }
}

// MARK: - Deadlines

@Suite("Deadlines")
struct DeadlineTests {
    let calculator = DeadlineCalculator(calendar: WorkingCalendar())

    @Test func leadTimeText() throws {
        #expect(LeadTime(parsing: "3d") == .workingDays(3))
        #expect(LeadTime(parsing: "8h") == .workingHours(8))
        #expect(LeadTime(parsing: "0d") == .workingDays(0))
        for bad in ["", "3", "d", "-1d", "3x", "3 d", "1.5h", "３d"] {
            #expect(LeadTime(parsing: bad) == nil, "\(bad)")
        }
        #expect(LeadTime.workingDays(15).description == "15d")
        let data = try JSONEncoder().encode([LeadTime.workingDays(3), .workingHours(8)])
        #expect(String(decoding: data, as: UTF8.self) == #"["3d","8h"]"#)
        #expect(try JSONDecoder().decode([LeadTime].self, from: data) == [.workingDays(3), .workingHours(8)])
    }

    @Test func fridayAfternoonBeforeTet2026() throws {
        let received = try at("2026-02-13T16:00")
        #expect(calculator.dueAt(receivedAt: received, lead: .workingDays(1)) == (try at("2026-02-23T17:00")))
        #expect(calculator.dueAt(receivedAt: received, lead: .workingDays(3)) == (try at("2026-02-25T17:00")))
        // At the close itself, day 0 moves to the next working day.
        #expect(calculator.dueAt(receivedAt: try at("2026-02-13T17:00"), lead: .workingDays(1)) == (try at("2026-02-24T17:00")))
    }

    @Test func sameDayCutoffAt1500() throws {
        // Wednesday 2026-03-04.
        #expect(calculator.dueAt(receivedAt: try at("2026-03-04T14:59"), lead: .workingDays(0)) == (try at("2026-03-04T17:00")))
        #expect(calculator.dueAt(receivedAt: try at("2026-03-04T15:00"), lead: .workingDays(0)) == (try at("2026-03-05T17:00")))
        // Friday 15:30 goes to Monday.
        #expect(calculator.dueAt(receivedAt: try at("2026-03-06T15:30"), lead: .workingDays(0)) == (try at("2026-03-09T17:00")))
        // Received on a Saturday: the close of the first working day after it.
        #expect(calculator.dueAt(receivedAt: try at("2026-03-07T09:00"), lead: .workingDays(0)) == (try at("2026-03-09T17:00")))
    }

    @Test func workingHourLeads() throws {
        #expect(calculator.dueAt(receivedAt: try at("2026-03-03T10:00"), lead: .workingHours(4)) == (try at("2026-03-03T15:00")))
        #expect(calculator.dueAt(receivedAt: try at("2026-03-06T14:00"), lead: .workingHours(8)) == (try at("2026-03-09T14:00")))
        #expect(calculator.dueAt(receivedAt: try at("2026-03-02T08:00"), lead: .workingHours(8)) == (try at("2026-03-02T17:00")))
        #expect(calculator.dueAt(receivedAt: try at("2026-03-02T19:00"), lead: .workingHours(2)) == (try at("2026-03-03T10:00")))
    }

    @Test func pauseAndResumeForSupplement() throws {
        // Day-based: received Monday 09:00 with 3d, due Thursday 17:00.
        let received = try at("2026-03-02T09:00")
        let due = calculator.dueAt(receivedAt: received, lead: .workingDays(3))
        #expect(due == (try at("2026-03-05T17:00")))
        let paused = try at("2026-03-03T10:00")
        let remaining = calculator.remainingWorkingMinutes(dueAt: due, at: paused)
        #expect(remaining == (6 + 8 + 8) * 60)
        let resumed = try at("2026-03-09T10:00")
        let newDue = calculator.resumedDueAt(remainingWorkingMinutes: remaining, resumedAt: resumed, lead: .workingDays(3))
        #expect(newDue == (try at("2026-03-11T17:00")))
        #expect(calculator.remainingWorkingMinutes(dueAt: newDue, at: resumed) == remaining)
        // Resumed mid-afternoon: the exact instant is Thursday 11:00, rounded up to the close.
        let later = calculator.resumedDueAt(remainingWorkingMinutes: remaining, resumedAt: try at("2026-03-09T14:00"), lead: .workingDays(3))
        #expect(later == (try at("2026-03-12T17:00")))

        // Hour-based: exact.
        let hourDue = calculator.dueAt(receivedAt: received, lead: .workingHours(16))
        #expect(hourDue == (try at("2026-03-04T09:00")))
        let hourRemaining = calculator.remainingWorkingMinutes(dueAt: hourDue, at: try at("2026-03-02T11:30"))
        #expect(hourRemaining == (4 * 60 + 30) + 8 * 60 + 60)
        let hourResumed = try at("2026-03-04T14:00")
        let hourNewDue = calculator.resumedDueAt(remainingWorkingMinutes: hourRemaining, resumedAt: hourResumed, lead: .workingHours(16))
        #expect(hourNewDue == (try at("2026-03-06T10:30")))
        #expect(calculator.remainingWorkingMinutes(dueAt: hourNewDue, at: hourResumed) == hourRemaining)

        // Past the due date nothing is left.
        #expect(calculator.remainingWorkingMinutes(dueAt: due, at: try at("2026-03-06T09:00")) == 0)
    }

    @Test func extensionAddsWorkingDays() throws {
        #expect(calculator.extendedDueAt(currentDueAt: try at("2026-03-04T17:00"), byWorkingDays: 2) == (try at("2026-03-06T17:00")))
        #expect(calculator.extendedDueAt(currentDueAt: try at("2026-02-12T17:00"), byWorkingDays: 2) == (try at("2026-02-23T17:00")))
        #expect(calculator.extendedDueAt(currentDueAt: try at("2026-03-04T17:00"), byWorkingDays: 0) == (try at("2026-03-04T17:00")))
    }

    @Test func swapRulesMoveDueDates() throws {
        let plain = calculator
        let swapped = DeadlineCalculator(calendar: WorkingCalendar(rules: WorkingCalendarTests.swap2026))
        // Saturday 22 August 2026 is worked.
        let friday21 = try at("2026-08-21T10:00")
        #expect(plain.dueAt(receivedAt: friday21, lead: .workingDays(1)) == (try at("2026-08-24T17:00")))
        #expect(swapped.dueAt(receivedAt: friday21, lead: .workingDays(1)) == (try at("2026-08-22T17:00")))
        // Monday 31 August is off; 2 and 3 September are Quốc khánh.
        let friday28 = try at("2026-08-28T10:00")
        #expect(plain.dueAt(receivedAt: friday28, lead: .workingDays(1)) == (try at("2026-08-31T17:00")))
        #expect(swapped.dueAt(receivedAt: friday28, lead: .workingDays(1)) == (try at("2026-09-01T17:00")))
        #expect(plain.dueAt(receivedAt: friday28, lead: .workingDays(2)) == (try at("2026-09-01T17:00")))
        #expect(swapped.dueAt(receivedAt: friday28, lead: .workingDays(2)) == (try at("2026-09-04T17:00")))
        // Hour leads see the swap too.
        #expect(swapped.dueAt(receivedAt: try at("2026-08-21T16:00"), lead: .workingHours(2)) == (try at("2026-08-22T09:00")))

        // Withdrawing the day-off rule restores the original due date.
        var rules = WorkingCalendarTests.swap2026
        rules[0].withdrawn = true
        let withdrawn = DeadlineCalculator(calendar: WorkingCalendar(rules: rules))
        #expect(withdrawn.dueAt(receivedAt: friday28, lead: .workingDays(1)) == (try at("2026-08-31T17:00")))
    }
}
