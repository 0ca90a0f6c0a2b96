import Foundation

extension CalendarRule {
    /// Announced days off and swapped working days known when this release was made
    /// (shared/reference/DOMAIN.md: "Announced swaps for 2026 include Monday 31 August off, worked on
    /// Saturday 22 August"). A new node starts with them; later decisions are added by an operator at the
    /// running node (`POST /v1/calendar/rules`).
    public static let knownAnnouncements: [CalendarRule] = [
        CalendarRule(
            id: "2026-swap-08-31", kind: .dayOff, date: LocalDate(year: 2026, month: 8, day: 31),
            name: "Nghỉ hoán đổi dịp Quốc khánh (làm bù thứ Bảy 22/8/2026)"),
        CalendarRule(
            id: "2026-swap-08-22", kind: .workingDay, date: LocalDate(year: 2026, month: 8, day: 22),
            name: "Làm bù cho ngày nghỉ 31/8/2026"),
    ]
}
