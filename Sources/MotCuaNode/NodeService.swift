import Crypto
import Foundation
import HTTPTypes
import Logging
import MotCuaCore
import MotCuaStore
import Synchronization

/// The node's use cases: what the HTTP routes and the command line call. Owns the database and the
/// in-memory copies of the catalogue, the unit tree and the working calendar.
public final class NodeService: Sendable {
    public let configuration: NodeConfiguration
    public let database: NodeDatabase
    let logger: Logger
    let now: @Sendable () -> Date
    private let caches: Mutex<Caches>

    struct Caches: Sendable {
        var procedures: [String: [Procedure]] = [:]
        var units = UnitDirectory([])
        var rules: [CalendarRule] = []
        var deadlines = DeadlineCalculator(calendar: WorkingCalendar())
    }

    /// Opens the node's database (creating the folder and file) and loads its caches.
    public init(configuration: NodeConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) async throws {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        self.configuration = configuration
        self.logger = logger
        self.now = now
        database = try NodeDatabase(path: configuration.databasePath)
        caches = Mutex(Caches())
        try await reloadCaches()
    }

    /// Re-reads catalogue, units and calendar rules after they change.
    public func reloadCaches() async throws {
        let procedures = try await database.allProcedures()
        let units = try await database.units()
        let rules = try await database.calendarRules()
        caches.withLock { caches in
            caches.procedures = Dictionary(grouping: procedures, by: \.code)
            caches.units = UnitDirectory(units)
            caches.rules = rules
            caches.deadlines = DeadlineCalculator(calendar: WorkingCalendar(rules: rules))
        }
    }

    var units: UnitDirectory { caches.withLock { $0.units } }
    var deadlines: DeadlineCalculator { caches.withLock { $0.deadlines } }

    // MARK: - Seeding

    /// Loads the sample catalogue, a province's units and its demo officers (idempotent).
    public func seedDemo(units: [AdministrativeUnit], password: String) async throws {
        let problems = UnitDirectory(units).validate()
        guard problems.isEmpty else { throw Problem(.internalServerError, "seed.invalid-units", problems.joined(separator: "; ")) }
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

    // MARK: - Officers

    /// Checks a password and opens a session; the token is returned once and stored only as a hash.
    public func login(username: String, password: String) async throws -> (token: String, expiresAt: Date, officer: OfficerRecord) {
        let refused = Problem(.unauthorized, "auth.invalid-credentials", "unknown user name or wrong password")
        guard let officer = try await database.officer(username), officer.active else {
            _ = PasswordHasher.verify(password, hash: PasswordHasher.dummyHash)  // same work whether or not the user exists
            throw refused
        }
        guard PasswordHasher.verify(password, hash: officer.passwordHash) else { throw refused }
        var generator = SystemRandomNumberGenerator()
        let tokenBytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token = Data(tokenBytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let issuedAt = now()
        let expiresAt = issuedAt.addingTimeInterval(configuration.tokenLifetimeSeconds)
        try await database.createSession(tokenHash: Self.tokenHash(token), username: officer.username, createdAt: issuedAt, expiresAt: expiresAt)
        return (token, expiresAt, officer)
    }

    /// The officer behind a bearer token, or nil.
    public func officer(forToken token: String) async throws -> OfficerRecord? {
        try await database.officer(forTokenHash: Self.tokenHash(token), at: now())
    }

    static func tokenHash(_ token: String) -> String { hexString(SHA256.hash(data: Data(token.utf8))) }

    static func actor(_ officer: OfficerRecord) -> Actor {
        .officer(username: officer.username, roles: Set(officer.roles), units: officer.units)
    }

    /// Creates or replaces an officer account (admin).
    public func saveOfficer(username: String, fullName: String, password: String, roles: [OfficerRole], units: [String]) async throws {
        for unit in units where self.units[unit] == nil { throw DossierError.unknownUnit(unit) }
        try await database.upsertOfficer(OfficerRecord(
            username: username, fullName: fullName, passwordHash: PasswordHasher.hash(password, cost: configuration.passwordCost),
            roles: roles, units: units))
    }

    // MARK: - Dossiers

    /// Files a dossier: online by the applicant, or at the counter by a receiving officer.
    public func submit(_ submission: DossierSubmission, officer: OfficerRecord?) async throws -> DossierOutcome {
        guard let procedure = procedure(submission.procedureCode) else { throw DossierError.unknownProcedure(submission.procedureCode) }
        let actor: Actor = officer.map(Self.actor) ?? .applicant
        let context = DossierContext(procedure: procedure, units: units, deadlines: deadlines, now: now(), actor: actor)
        let (receiving, competent) = try DossierMachine.route(submission, context: context)
        return try await database.submit(IntakePlan(submission: submission, receiving: receiving, competent: competent, context: context))
    }

    /// Applies an action. Officers act within their units; the applicant proves who they are with their
    /// ID number, and a wrong one answers exactly like an unknown dossier.
    public func act(
        on code: String, command: DossierCommand, officer: OfficerRecord?, applicantIdNumber: String?
    ) async throws -> DossierOutcome {
        let actor: Actor
        if let officer {
            actor = Self.actor(officer)
        } else if applicantIdNumber != nil {
            actor = .applicant
        } else {
            throw Problem.unauthenticated
        }
        let assigneeRecord: OfficerRecord?
        if case .assign(let assignee, _) = command {
            assigneeRecord = try await database.officer(assignee)
        } else {
            assigneeRecord = nil
        }
        let units = self.units
        let deadlines = self.deadlines
        let at = now()
        let catalogue = caches.withLock { $0.procedures }
        return try await database.perform(command, on: code) { dossier in
            if case .applicant = actor, dossier.applicant.idNumber != applicantIdNumber {
                throw StoreError.dossierNotFound(code)
            }
            guard let procedure = catalogue[dossier.procedureCode]?.first(where: { $0.version == dossier.procedureVersion }) else {
                throw DossierError.unknownProcedure(dossier.procedureCode)
            }
            if let row = DossierTransition.row(for: command.action, from: dossier.state) {
                try DossierMachine.authorize(row, actor: actor)
            }
            try DossierMachine.checkScope(action: command.action, dossier: dossier, actor: actor, units: units)
            if case .assign(let assignee, _) = command {
                guard let record = assigneeRecord, record.active,
                      record.roles.contains(.specialist) || record.roles.contains(.leader) else {
                    throw DossierError.invalid(field: "assignee", reason: "\(assignee) is not an active specialist or leader of this node")
                }
                guard record.units.contains(where: { units.isWithin(dossier.holderUnit, ancestor: $0) }) else {
                    throw DossierError.invalid(field: "assignee", reason: "\(assignee) does not work for unit \(dossier.holderUnit)")
                }
            }
            return DossierContext(procedure: procedure, units: units, deadlines: deadlines, now: at, actor: actor)
        }
    }

    /// A dossier for an officer, or for the public when the ID number matches; nil reveals nothing.
    public func dossier(_ code: String, applicantIdNumber: String?) async throws -> Dossier? {
        guard let stored = try await database.dossier(code)?.dossier else { return nil }
        if let applicantIdNumber, stored.applicant.idNumber != applicantIdNumber { return nil }
        return stored
    }

    public func queue(_ filter: DossierFilter) async throws -> DossierPage {
        let units = self.units
        return try await database.dossiers(filter) { roots in
            units.units.keys.filter { code in roots.contains { units.isWithin(code, ancestor: $0) } }.sorted()
        }
    }

    // MARK: - Calendar

    /// Adds, replaces or withdraws a calendar rule at the running node; open dossiers keep their dates.
    public func saveCalendarRule(_ rule: CalendarRule, officer: OfficerRecord) async throws {
        try await database.saveCalendarRule(rule, actor: "officer:\(officer.username)", at: now())
        try await reloadCaches()
    }

    public func calendarRules() -> [CalendarRule] { caches.withLock { $0.rules } }
}
