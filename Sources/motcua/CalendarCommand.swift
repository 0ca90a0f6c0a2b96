import ArgumentParser
import Foundation
import MotCuaCore

/// `motcua calendar`: the default working calendar, from the command line.
struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "Working calendar (statutory holidays plus the announcements known at release): due times and non-working days.",
        subcommands: [Due.self, Holidays.self])

    struct Due: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the due time of a dossier received at a given time.")

        @Option(help: "Reception time, ISO 8601 (e.g. 2026-02-13T16:00:00+07:00; without offset: Vietnam time).")
        var received: String
        @Option(help: "Lead time: <N>d working days or <N>h working hours.")
        var lead: String?
        @Flag(help: "A same-day procedure (received after 15:00: due the next working day).")
        var sameDay = false
        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            guard let receivedAt = VietnamTime.parseISO8601(received) else {
                throw ValidationError("--received: an ISO 8601 time such as 2026-02-13T16:00:00+07:00")
            }
            let leadTime: LeadTime
            if sameDay {
                leadTime = .workingDays(0)
            } else if let lead, let parsed = LeadTime(parsing: lead) {
                leadTime = parsed
            } else {
                throw ValidationError("--lead: a number of working days or hours such as 3d or 8h (or --same-day)")
            }
            let due = DeadlineCalculator(calendar: WorkingCalendar(rules: CalendarRule.knownAnnouncements)).dueAt(receivedAt: receivedAt, lead: leadTime)
            if json {
                print(JSONValue.object([
                    "receivedAt": .string(VietnamTime.format(receivedAt)), "lead": .string(leadTime.description),
                    "dueAt": .string(VietnamTime.format(due)),
                ]).canonicalText)
            } else {
                print("received  \(VietnamTime.format(receivedAt))")
                print("lead      \(leadTime)\(leadTime == .workingDays(0) ? " (same day, 15:00 rule)" : "")")
                print("due       \(VietnamTime.format(due))  (\(weekdayName(VietnamTime.localDate(of: due))))")
            }
        }
    }

    struct Holidays: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the non-working days of a year (weekends aside).")

        @Argument(help: "The year, e.g. 2026.")
        var year: Int
        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            guard (1900...2199).contains(year) else { throw ValidationError("the year must be between 1900 and 2199") }
            let days = WorkingCalendar(rules: CalendarRule.knownAnnouncements).nonWorkingDays(year: year)
            if json {
                print(String(decoding: try JSONEncoder().encode(days), as: UTF8.self))
                return
            }
            var table = TextTable(headers: ["date", "day", "kind", "name"])
            for day in days { table.add([day.date.iso, weekdayName(day.date), day.kind.rawValue, day.name]) }
            print(table.render())
        }
    }
}

func weekdayName(_ date: LocalDate) -> String {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][date.weekday - 1]
}
