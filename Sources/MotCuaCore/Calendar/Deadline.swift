// Due dates of dossiers: lead times and the project's documented way of counting them.

import Foundation

/// How long a procedure may take, as published in the procedure catalogue (thời hạn giải quyết).
///
/// Most procedures are counted in working days; short ones in working hours. The compact text form
/// ("3d", "8h", "0d" for same-day) is what catalogues, fixtures and the wire carry.
public enum LeadTime: Codable, Sendable, Hashable, CustomStringConvertible {
    /// N working days; 0 means a same-day procedure (subject to the 15:00 rule).
    case workingDays(Int)
    /// N working hours, counted minute by minute through office hours.
    case workingHours(Int)

    /// The number of days or hours.
    public var amount: Int {
        switch self {
        case .workingDays(let days): days
        case .workingHours(let hours): hours
        }
    }

    /// The same unit (days or hours) with another amount.
    public func with(amount: Int) -> LeadTime {
        switch self {
        case .workingDays: .workingDays(amount)
        case .workingHours: .workingHours(amount)
        }
    }

    /// Upper bounds that keep arithmetic far from overflow while allowing any real procedure.
    static let maximumDays = 10_000
    static let maximumHours = 100_000

    /// Parses "3d", "8h" or "0d" (same-day); upper-case units are accepted, anything else is nil.
    public init?(parsing text: String) {
        guard let unit = text.last, text.count >= 2 else { return nil }
        let digits = text.dropLast()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count <= 6, let value = Int(digits) else {
            return nil
        }
        switch unit {
        case "d", "D":
            guard value <= LeadTime.maximumDays else { return nil }
            self = .workingDays(value)
        case "h", "H":
            guard value <= LeadTime.maximumHours else { return nil }
            self = .workingHours(value)
        default:
            return nil
        }
    }

    /// "3d" or "8h", the same form `init?(parsing:)` reads.
    public var description: String {
        switch self {
        case .workingDays(let days): return "\(days)d"
        case .workingHours(let hours): return "\(hours)h"
        }
    }

    /// True for leads counted in days, whose due time is always the close of a working day.
    public var isDayBased: Bool {
        if case .workingDays = self { return true }
        return false
    }

    /// Decodes the compact string form ("3d", "8h").
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let lead = LeadTime(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "Expected a lead time such as \"3d\" or \"8h\", got \"\(text)\"")
        }
        self = lead
    }

    /// Encodes the compact string form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Computes due dates from a lead time and a node's working calendar.
///
/// Deadlines are computed, never typed in, so every node and the hub must count them the same way.
/// The project's documented interpretation (all times are Vietnamese local time, UTC+7):
///
/// - **Working days, N >= 1.** Day 0 is the local date of receipt when that is a working day and the
///   dossier arrived before the afternoon close (17:00); otherwise day 0 is the next working day.
///   The dossier is due at the close of the N-th working day after day 0. Example: received Friday
///   2026-02-13 16:00 with 1d is due Monday 2026-02-23 17:00 (Tết 16-20 February, weekend 21-22).
/// - **Same day, 0d.** Received on a working day before 15:00 (the cutoff), due at 17:00 that day.
///   Received at or after 15:00, or on a non-working day, due at the close of the next working day.
/// - **Working hours, N.** N × 60 working minutes are added to the receipt time, skipping lunch,
///   nights, weekends and holidays; a start outside office hours begins at the next opening, and a
///   result at the end of a session stays there (8h from Monday 08:00 is Monday 17:00).
/// - **Pause for a supplement.** The working minutes left until the due date are kept
///   (`remainingWorkingMinutes`); on resumption they are added to the resume time
///   (`resumedDueAt`), rounded up to the close of that day for day-based leads.
/// - **Extension.** N more working days after the current due date's day, due at the close.
public struct DeadlineCalculator: Sendable {
    public let calendar: WorkingCalendar

    /// Creates a calculator over a node's calendar.
    public init(calendar: WorkingCalendar) {
        self.calendar = calendar
    }

    /// When a dossier received at `receivedAt` with lead time `lead` is due (see the type's rules).
    public func dueAt(receivedAt: Date, lead: LeadTime) -> Date {
        let hours = calendar.hours
        let day = VietnamTime.localDate(of: receivedAt)
        let second = VietnamTime.split(receivedAt).secondOfDay
        switch lead {
        case .workingDays(let count) where count >= 1:
            let receivedBeforeClose = second < Double(hours.closingMinute * 60)
            var dueDay = calendar.isWorkingDay(day) && receivedBeforeClose ? day : calendar.nextWorkingDay(after: day)
            for _ in 0..<count {
                dueDay = calendar.nextWorkingDay(after: dueDay)
            }
            return calendar.endOfWorkingDay(dueDay)
        case .workingDays:
            let beforeCutoff = second < Double(hours.sameDayCutoffMinute * 60)
            if calendar.isWorkingDay(day) && beforeCutoff {
                return calendar.endOfWorkingDay(day)
            }
            return calendar.endOfWorkingDay(calendar.nextWorkingDay(after: day))
        case .workingHours(let count):
            return calendar.adding(workingMinutes: max(0, count) * 60, to: receivedAt)
        }
    }

    /// Working minutes left until `dueAt` as seen at `instant`, kept when the clock pauses for a
    /// supplement; 0 when the due date has already passed (lateness is judged elsewhere).
    public func remainingWorkingMinutes(dueAt: Date, at instant: Date) -> Int {
        max(0, calendar.workingMinutes(from: instant, to: dueAt))
    }

    /// The new due date when the clock restarts after a supplement: the remaining working minutes are
    /// added to the resume time. For day-based leads the result is rounded up to the close of that
    /// working day, because such deadlines are always stated as whole days; hour-based leads are exact.
    public func resumedDueAt(remainingWorkingMinutes minutes: Int, resumedAt: Date, lead: LeadTime) -> Date {
        let due = calendar.adding(workingMinutes: max(0, minutes), to: resumedAt)
        guard lead.isDayBased else { return due }
        let day = VietnamTime.localDate(of: due)
        let second = VietnamTime.split(due).secondOfDay
        if calendar.isWorkingDay(day) && second <= Double(calendar.hours.closingMinute * 60) {
            return calendar.endOfWorkingDay(day)
        }
        return calendar.endOfWorkingDay(calendar.nextWorkingDay(after: day))
    }

    /// The due date after an extension by `byWorkingDays` working days: the close of the N-th working
    /// day after the current due date's day. Zero or negative leaves the due date unchanged.
    public func extendedDueAt(currentDueAt: Date, byWorkingDays days: Int) -> Date {
        guard days > 0 else { return currentDueAt }
        var day = VietnamTime.localDate(of: currentDueAt)
        for _ in 0..<days {
            day = calendar.nextWorkingDay(after: day)
        }
        return calendar.endOfWorkingDay(day)
    }
}
