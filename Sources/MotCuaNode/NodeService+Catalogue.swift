import Crypto
import Foundation
import HTTPTypes
import Logging
import MotCuaCore
import MotCuaProtocol
import MotCuaStore
import Synchronization

/// The catalogue, the units and the working calendar: the demo seed, and what the portal and desks read.
extension NodeService {
    /// Loads the sample catalogue, a province's units and its demo officers (idempotent).
    public func seedDemo(units: [AdministrativeUnit], password: String) async throws {
        // Demo data and a known password have no place on a node in service.
        let demoNames = Set(SampleUnits.officers(for: units).map(\.username))
        let real = try await database.officers().map(\.username).filter { !demoNames.contains($0) }
        guard real.isEmpty else {
            throw NodeError(.conflict, "seed.real-officers", "this node holds real officers (\(real.prefix(3).joined(separator: ", "))\(real.count > 3 ? ", …" : "")): --seed-demo refuses to add demo officers with a known password to it")
        }
        let problems = UnitDirectory(units).validate()
        guard problems.isEmpty else { throw NodeError(.damaged, "seed.invalid-units", problems.joined(separator: "; ")) }
        try await database.upsertUnits(units)
        try await database.upsertProcedures(SampleCatalogue.procedures)
        let hash = PasswordHasher.hash(password, cost: configuration.passwordCost)
        for officer in SampleUnits.officers(for: units) {
            try await database.upsertOfficer(OfficerRecord(
                username: officer.username, fullName: officer.fullName, passwordHash: hash,
                roles: officer.roles, units: officer.units))
        }
        try await reloadCaches()
    }

    /// Adds or replaces units (an admin's import); the node's whole directory must hold together after it
    /// (known parents, levels in order, unique agency codes), else nothing is stored. Returns how many
    /// units the node has then. A federated node registers them at the hub again at once.
    public func importUnits(_ imported: [AdministrativeUnit], officer: OfficerRecord) async throws -> Int {
        guard !imported.isEmpty else { throw DossierError.invalid(field: "units", reason: "give at least one unit") }
        guard imported.count <= 20_000 else { throw DossierError.invalid(field: "units", reason: "at most 20,000 units at a time") }
        var merged = units.units
        for unit in imported { merged[unit.code] = unit }
        let problems = UnitDirectory(Array(merged.values)).validate()
        guard problems.isEmpty else {
            throw DossierError.invalid(field: "units", reason: problems.prefix(5).joined(separator: "; "))
        }
        try await database.upsertUnits(imported)
        try await reloadCaches()
        transferAgent()?.unitsChanged()
        logger.notice("units imported", metadata: ["count": "\(imported.count)", "officer": "\(officer.username)"])
        return merged.count
    }

    // MARK: - Catalogue

    /// The version of a procedure in force today (the newest effective one).
    public func procedure(_ code: String, version: Int? = nil) -> Procedure? {
        let versions = caches.withLock { $0.procedures[code] } ?? []
        if let version { return versions.first { $0.version == version } }
        let today = VietnamTime.localDate(of: now())
        return versions.last { $0.isEffective(on: today) } ?? versions.last
    }

    /// The catalogue, filtered and paged by code.
    public func procedures(_ filter: ProcedureFilter) -> (items: [Procedure], nextCursor: String?) {
        let all = caches.withLock { $0.procedures.keys.sorted() }
        let text = filter.text?.lowercased().trimmingCharacters(in: .whitespaces)
        var items: [Procedure] = []
        var next: String?
        for code in all where filter.after.map({ code > $0 }) ?? true {
            guard let current = procedure(code) else { continue }
            if let level = filter.level, current.level != level { continue }
            if let mode = filter.onlineMode, current.onlineMode != mode { continue }
            if let text, !text.isEmpty,
               !(current.name.lowercased().contains(text) || current.code.contains(text) || current.field.lowercased().contains(text)) {
                continue
            }
            if items.count == filter.limit {
                next = items.last?.code
                break
            }
            items.append(current)
        }
        return (items, next)
    }

    /// Number of procedures in the catalogue (current versions).
    public var catalogueSize: Int { caches.withLock { $0.procedures.count } }

    public func allUnits() -> [AdministrativeUnit] {
        units.units.values.sorted { $0.code < $1.code }
    }

    /// Adds, replaces or withdraws a calendar rule at the running node; open dossiers keep their dates.
    public func saveCalendarRule(_ rule: CalendarRule, officer: OfficerRecord) async throws {
        try health.checkWritable()
        try await database.saveCalendarRule(rule, actor: "officer:\(officer.username)", at: now())
        try await reloadCaches()
    }

    public func calendarRules() -> [CalendarRule] { caches.withLock { $0.rules } }
}
