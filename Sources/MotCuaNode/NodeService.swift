import Crypto
import Foundation
import HTTPTypes
import Logging
import MotCuaCore
import MotCuaProtocol
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
    /// Failed logins per (user name, client): 3 free, then a wait doubling from 1 s to 15 minutes. No
    /// lock: the right password from a client that has not been failing always works.
    let loginThrottle = AttemptThrottle(freeFailures: 3, baseDelay: 1, maxDelay: 15 * 60, forgetAfter: 3600)
    /// Failed logins per client across user names: 20 free, then the same growing wait.
    let loginClientThrottle = AttemptThrottle(freeFailures: 20, baseDelay: 1, maxDelay: 15 * 60, forgetAfter: 3600)
    /// Wrong ID numbers per (code, client), per client, and per code from everywhere. Only ID-number
    /// lookups are slowed; the receipt's lookup secret always opens the dossier to its applicant.
    let lookupPairThrottle = AttemptThrottle(freeFailures: 3, baseDelay: 2, maxDelay: 3600, forgetAfter: 3600)
    let lookupClientThrottle = AttemptThrottle(freeFailures: 10, baseDelay: 1, maxDelay: 3600, forgetAfter: 3600)
    let lookupCodeThrottle = AttemptThrottle(freeFailures: 10, baseDelay: 1, maxDelay: 600, forgetAfter: 3600)
    /// Wrong lookup secrets per client (about 39.6 random bits each: guessing one is hopeless, trying is slowed).
    let secretClientThrottle = AttemptThrottle(freeFailures: 10, baseDelay: 1, maxDelay: 3600, forgetAfter: 3600)
    /// Whether the node may write now (fail-stop on a log behind the hub or a failed integrity check).
    public let health: NodeHealth
    /// Set while an operator's accept-log-loss runs.
    private let acceptingLoss = Mutex(false)
    /// Ships the log to the hub when the node is part of a federation.
    public let replication: ReplicationAgent?
    let pseudonymKey: SymmetricKey

    struct Caches: Sendable {
        var procedures: [String: [Procedure]] = [:]
        var units = UnitDirectory([])
        var rules: [CalendarRule] = []
        var deadlines = DeadlineCalculator(calendar: WorkingCalendar())
        var federation = FederationDirectory()
    }

    /// Ids (transfers) and jitter (retries) come from here: seeded, so a run can be replayed.
    private let generator: Mutex<SplitMix64>

    /// A fresh random number from the shell's generator.
    func random() -> UInt64 { generator.withLock { $0.next() } }
    /// The node's clock in milliseconds since 1970.
    var nowMs: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// A fresh id in UUID form (version 4 bits set), lowercase.
    func newID() -> String {
        let (high, low) = generator.withLock { ($0.next(), $0.next()) }
        var bytes = withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = hexString(bytes)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            hex.dropFirst(range.lowerBound).prefix(range.count)
        }
        return parts.joined(separator: "-")
    }

    /// Routes dossiers to and from other nodes through the hub, when the node is federated.
    private let routingAgent = Mutex<TransferAgent?>(nil)

    /// Opens the node's database (creating the folder and file) and loads its caches.
    ///
    /// `now` is the wall clock and `seed` the source of the ids and jitter this shell makes (a seed of the
    /// system's by default): a simulation passes its own to replay a run exactly.
    public init(
        configuration: NodeConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }, seed: UInt64? = nil
    ) async throws {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        self.configuration = configuration
        self.logger = logger
        self.now = now
        var generator = SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max))
        let replicationSeed = generator.next()
        self.generator = Mutex(generator)
        let database: NodeDatabase
        do {
            database = try NodeDatabase(path: configuration.databasePath)
        } catch where StorageFailure.isCorrupt(error) {
            throw NodeError(.damaged, "node.database-damaged", Self.damagedAdvice(configuration.databasePath, "\(error)"))
        }
        // Refuse to start on a damaged file rather than serve from it (bounded: the first 20 problems).
        let problems = try await database.fileProblems(limit: 20)
        guard problems.isEmpty else {
            try? database.close()
            throw NodeError(.damaged, "node.database-damaged", Self.damagedAdvice(configuration.databasePath, problems.prefix(5).joined(separator: "; ")))
        }
        self.database = database
        health = NodeHealth(logger: logger)
        caches = Mutex(Caches())
        let health = self.health
        replication = configuration.replication.map {
            ReplicationAgent(
                configuration: $0, database: database, nodeID: configuration.nodeID, logger: logger, now: now,
                positionFile: configuration.replicationPositionPath, health: health, seed: replicationSeed)
        }
        if let key = configuration.pseudonymKey {
            pseudonymKey = SymmetricKey(data: key)
        } else if let stored = try await database.meta("pseudonym.key"), let bytes = hexBytes(stored) {
            pseudonymKey = SymmetricKey(data: bytes)
        } else {
            let key = SymmetricKey(size: .bits256)
            try await database.setMeta("pseudonym.key", key.withUnsafeBytes { hexString($0) })
            pseudonymKey = key
        }
        // A data folder belongs to one node for good: starting p02 on p01's file would mix two logs.
        if let owner = try await database.meta("node.id") {
            guard owner == configuration.nodeID else {
                throw NodeError(.damaged, "node.data-dir-owned",
                              "\(configuration.databasePath) belongs to node \(owner), not \(configuration.nodeID); use --node-id \(owner) or another --data-dir")
            }
        } else {
            try await database.setMeta("node.id", configuration.nodeID)
        }
        // A new node starts with the announcements known at release; from then on operators own the rules.
        if try await database.meta("calendar.seeded") == nil {
            for rule in CalendarRule.knownAnnouncements {
                try await database.saveCalendarRule(rule, actor: "system", at: now())
            }
            try await database.setMeta("calendar.seeded", "1")
        }
        if let stored = try await database.meta(Self.directoryKey),
           let units = try? JSONDecoder().decode([FederationUnit].self, from: Data(stored.utf8)) {
            caches.withLock { $0.federation = FederationDirectory(units) }
        }
        try await reloadCaches()
        // The hub's position as last acknowledged is also kept beside the database: a log that ends before
        // it lost events the hub holds (a lost WAL, an old backup put back), and the node stops writing
        // before it hands out one of their codes again.
        let head = try await database.head()
        if let acknowledged = ReplicationAgent.readPositionFile(configuration.replicationPositionPath), acknowledged.seq > head.seq {
            health.hold(.logBehindHub, "the local log ends at seq \(head.seq) but the hub acknowledged up to seq \(acknowledged.seq)", at: now())
        }
    }

    static func damagedAdvice(_ path: String, _ detail: String) -> String {
        "the database \(path) is damaged (\(detail)). Do not start on it: keep a copy, run `motcua node check --data-dir \((path as NSString).deletingLastPathComponent)` for the details, and restore the file from the latest backup"
    }

    static let directoryKey = "federation.directory"

    /// The routing shell of a federated node (created once; nil for a standalone node).
    public func transferAgent() -> TransferAgent? {
        guard let replication = configuration.replication else { return nil }
        return routingAgent.withLock { agent in
            if let agent { return agent }
            let created = TransferAgent(service: self, configuration: replication, logger: logger)
            agent = created
            return created
        }
    }

    /// A transition's context at this node: its units, calendar, node id and the federation's units.
    func context(procedure: Procedure, actor: Actor, at: Date? = nil) -> DossierContext {
        var context = DossierContext(procedure: procedure, units: units, deadlines: deadlines, now: at ?? now(), actor: actor)
        context.nodeID = configuration.nodeID
        context.federation = federationDirectory
        return context
    }

    /// The name of a unit of this node or of another one (from the directory).
    public func unitName(_ code: String) -> String? { units[code]?.name ?? federationDirectory[code]?.name }

    /// Keeps the hub's directory of other nodes' units (also on disk, for when the hub is away).
    public func setFederationDirectory(_ units: [FederationUnit]) async throws {
        let foreign = units.filter { $0.node != configuration.nodeID }
        guard FederationDirectory(foreign) != federationDirectory else { return }
        try await database.setMeta(Self.directoryKey, String(decoding: try JSONEncoder().encode(foreign), as: UTF8.self))
        caches.withLock { $0.federation = FederationDirectory(foreign) }
    }

    /// The context for applying a transfer or a hub refusal to a dossier: the system acts, with the
    /// procedure version the dossier was filed under (a node without it is not competent).
    func transferContext(for dossier: Dossier) throws -> DossierContext {
        guard let procedure = procedure(dossier.procedureCode, version: dossier.procedureVersion) else {
            throw DossierError.notCompetentHere(
                procedure: dossier.procedureCode, reason: "version \(dossier.procedureVersion) is not in this node's catalogue")
        }
        return context(procedure: procedure, actor: .system)
    }

    /// Applies a transfer that came through the hub (once, by its id).
    public func applyTransfer(_ envelope: TransferEnvelope) async throws -> IncomingResult {
        try health.checkWritable()
        let uploads = try envelope.uploads()
        return try await database.applyIncoming(
            envelope.incoming, uploads: uploads, now: now(), newTransferID: newID()
        ) { dossier in try self.transferContext(for: dossier) }
    }

    /// The hub could not route a transfer: the dossier returns to the unit that sent it.
    public func refuseOutgoing(_ item: OutboxItem, reason: String) async throws {
        try health.checkWritable()
        try await database.refuseOutgoing(item, reason: reason) { dossier in try self.transferContext(for: dossier) }
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
    /// Units of the other nodes, as the hub last listed them.
    public var federationDirectory: FederationDirectory { caches.withLock { $0.federation } }
    var deadlines: DeadlineCalculator { caches.withLock { $0.deadlines } }

    // MARK: - Seeding

    /// Loads the sample catalogue, a province's units and its demo officers (idempotent).
    public func seedDemo(units: [AdministrativeUnit], password: String) async throws {
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
    public func login(username: String, password: String, client: String? = nil) async throws -> (token: String, expiresAt: Date, officer: OfficerRecord) {
        let refused = NodeError(.unauthenticated, "auth.invalid-credentials", "unknown user name or wrong password")
        let clientKey = Self.throttleKey(client: client)
        let pairKey = "login:" + username.lowercased().prefix(64) + "|" + clientKey
        let at = now()
        if let wait = loginThrottle.wait(pairKey, at: at) ?? loginClientThrottle.wait(clientKey, at: at) {
            throw NodeError.tooManyAttempts(
                "auth.too-many-attempts", "too many failed logins from this client; try again in \(Int(wait.rounded(.up))) s", retryAfter: wait)
        }
        // Counted as a failure before the slow check, so that requests sent at once cannot all get through
        // before the first failure is known; a success takes it back.
        loginThrottle.recordFailure(pairKey, at: at)
        loginClientThrottle.recordFailure(clientKey, at: at)
        let officer = try await database.officer(username)
        // bcrypt is deliberately slow: run it off the request executor, on NIO's blocking pool.
        let hash = officer.flatMap { $0.active ? $0.passwordHash : nil } ?? PasswordHasher.dummyHash
        let verified = try await PasswordHasher.verifyOffloaded(password, hash: hash)
        guard let officer, officer.active, verified else { throw refused }
        loginThrottle.recordSuccess(pairKey)
        loginClientThrottle.forgiveOne(clientKey)
        var generator = SystemRandomNumberGenerator()
        let tokenBytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token = Data(tokenBytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let issuedAt = now()
        let expiresAt = issuedAt.addingTimeInterval(configuration.tokenLifetimeSeconds)
        // Only if the password just checked is still the officer's: a change during the check wins.
        guard try await database.createSession(
            tokenHash: Self.tokenHash(token), username: officer.username, passwordHash: officer.passwordHash, createdAt: issuedAt,
            expiresAt: expiresAt) else { throw refused }
        return (token, expiresAt, officer)
    }

    /// The officer behind a bearer token, or nil.
    public func officer(forToken token: String) async throws -> OfficerRecord? {
        try await database.officer(forTokenHash: Self.tokenHash(token), at: now())
    }

    /// Whether an officer may see a dossier: admins all; others when the receiving, competent or holding
    /// unit is one of theirs. Outside that, a dossier is answered as unknown.
    func isVisible(_ dossier: Dossier, to officer: OfficerRecord, units: UnitDirectory) -> Bool {
        if officer.roles.contains(.admin) { return true }
        return [dossier.receivingUnit, dossier.competentUnit, dossier.holderUnit].contains { unit in
            officer.units.contains { units.isWithin(unit, ancestor: $0) }
        }
    }

    /// Refuses an ID-number lookup while this client, this code from this client, or this code from
    /// everywhere must still wait after wrong numbers. Never blocks the lookup secret.
    func checkLookupAllowed(code: String, client: String?) throws {
        let at = now()
        // A code is short; a long one is no dossier and is not remembered (the throttles' keys stay small).
        guard code.utf8.count <= Self.longestCode else { return }
        let clientKey = Self.throttleKey(client: client)
        let wait = lookupPairThrottle.wait(code + "|" + clientKey, at: at) ?? lookupClientThrottle.wait(clientKey, at: at)
            ?? lookupCodeThrottle.wait(code, at: at)
        if let wait {
            throw NodeError.tooManyAttempts(
                "lookup.too-many-attempts",
                "too many wrong ID numbers; try again in \(Int(wait.rounded(.up))) s, or use the lookup secret printed on your receipt", retryAfter: wait)
        }
    }

    func recordLookupFailure(code: String, client: String?) {
        guard code.utf8.count <= Self.longestCode else { return }
        let at = now()
        let clientKey = Self.throttleKey(client: client)
        lookupPairThrottle.recordFailure(code + "|" + clientKey, at: at)
        lookupClientThrottle.recordFailure(clientKey, at: at)
        lookupCodeThrottle.recordFailure(code, at: at)
    }

    /// A dossier for whoever holds the lookup secret of its receipt; nil (and a strike against the client)
    /// otherwise. Wrong secrets slow this client only: the code stays open to its applicant.
    public func dossier(_ code: String, lookupSecret: String, client: String?) async throws -> Dossier? {
        guard code.utf8.count <= Self.longestCode else { return nil }
        let clientKey = Self.throttleKey(client: client)
        if let wait = secretClientThrottle.wait(clientKey, at: now()) {
            throw NodeError.tooManyAttempts("lookup.too-many-attempts", "too many wrong lookup secrets; try again in \(Int(wait.rounded(.up))) s", retryAfter: wait)
        }
        // Counted before the read (parallel guesses all count), taken back on a match.
        secretClientThrottle.recordFailure(clientKey, at: now())
        let normalized = LookupSecret.normalize(lookupSecret)
        guard LookupSecret.isWellFormed(normalized), try await database.lookupSecretMatches(code: code, secret: normalized),
              let stored = try await database.dossier(code)?.dossier else {
            return nil
        }
        secretClientThrottle.forgiveOne(clientKey)
        return stored
    }

    /// The throttles' key for a client address (one key for requests whose address is unknown).
    static func throttleKey(client: String?) -> String { "client:" + (client ?? "unknown") }

    /// Longer than any dossier code (agency e-code, date, number).
    static let longestCode = 64

    static func tokenHash(_ token: String) -> String { hexString(SHA256.hash(data: Data(token.utf8))) }

    /// The keyed pseudonym of an applicant that replaces the ID number in everything the hub sees.
    func applicantReference(_ idNumber: String) -> String {
        hexString(HMAC<SHA256>.authenticationCode(for: Data(idNumber.utf8), using: pseudonymKey))
    }

    static func actor(_ officer: OfficerRecord) -> Actor {
        .officer(username: officer.username, roles: Set(officer.roles), units: officer.units)
    }

    /// Creates or replaces an officer account (admin).
    public func saveOfficer(
        username: String, fullName: String, password: String, roles: [OfficerRole], units: [String], active: Bool = true
    ) async throws {
        for unit in units where self.units[unit] == nil { throw DossierError.unknownUnit(unit) }
        guard username.wholeMatch(of: /[a-z0-9][a-z0-9._-]{0,63}/) != nil else {
            throw DossierError.invalid(field: "username", reason: "1-64 lower-case letters, digits, '.', '_' or '-'")
        }
        guard password.count >= 10 else { throw DossierError.invalid(field: "password", reason: "at least 10 characters") }
        guard !roles.isEmpty, !units.isEmpty else { throw DossierError.invalid(field: "roles", reason: "give at least one role and one unit") }
        let hash = try await PasswordHasher.hashOffloaded(password, cost: configuration.passwordCost)
        // A new password or a deactivation ends the officer's sessions in the same transaction.
        try await database.upsertOfficer(
            OfficerRecord(username: username, fullName: fullName, passwordHash: hash, roles: roles, units: units, active: active))
    }

    // MARK: - Dossiers

    /// Files a dossier: online by the applicant, or at the counter by a receiving officer.
    public func submit(
        _ submission: DossierSubmission, officer: OfficerRecord?, idempotency: IdempotencyClaim? = nil
    ) async throws -> (outcome: DossierOutcome, lookupSecret: String) {
        try health.checkWritable()
        guard let procedure = procedure(submission.procedureCode) else { throw DossierError.unknownProcedure(submission.procedureCode) }
        let actor: Actor = officer.map(Self.actor) ?? .applicant
        let context = context(procedure: procedure, actor: actor)
        var submission = submission
        let route = try DossierMachine.route(&submission, context: context)
        submission.applicantRef = applicantReference(submission.applicant.idNumber)
        let secret = LookupSecret.generate()
        let outcome = try await database.submit(
            IntakePlan(submission: submission, route: route, context: context), idempotency: idempotency, lookupSecret: secret)
        return (outcome, secret)
    }

    /// Applies an action. Officers act within their units; the applicant proves who they are with their
    /// ID number, and a wrong one answers exactly like an unknown dossier.
    public func act(
        on code: String, command: DossierCommand, officer: OfficerRecord?, applicantIdNumber: String?, client: String? = nil,
        idempotency: IdempotencyClaim? = nil
    ) async throws -> DossierOutcome {
        try health.checkWritable()
        let actor: Actor
        if let officer {
            actor = Self.actor(officer)
        } else if let applicantIdNumber {
            actor = .applicant
            // Prove the ID number with a read first: a wrong guess never takes a slot in the writer.
            guard try await dossier(code, applicantIdNumber: applicantIdNumber, client: client) != nil else {
                throw StoreError.dossierNotFound(code)
            }
        } else {
            throw NodeError.unauthenticated
        }
        let normalizedID = applicantIdNumber?.trimmingCharacters(in: .whitespaces)
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
        let federation = federationDirectory
        let nodeID = configuration.nodeID
        // Transfers need a hub; a standalone node refuses hand-overs to other nodes' units.
        let transferID = configuration.replication == nil ? "" : newID()
        let outcome = try await database.perform(command, on: code, idempotency: idempotency) { dossier in
            if case .applicant = actor, dossier.applicant.idNumber != normalizedID {
                throw StoreError.dossierNotFound(code)
            }
            if let officer, !self.isVisible(dossier, to: officer, units: units) {
                throw StoreError.dossierNotFound(code)
            }
            guard let procedure = catalogue[dossier.procedureCode]?.first(where: { $0.version == dossier.procedureVersion }) else {
                throw DossierError.unknownProcedure(dossier.procedureCode)
            }
            var context = DossierContext(procedure: procedure, units: units, deadlines: deadlines, now: at, actor: actor)
            context.nodeID = nodeID
            context.federation = federation
            context.transferID = transferID
            context.assignee = assigneeRecord.flatMap { $0.active ? Self.actor($0) : nil }
            // Checks in the documented order: legal move (409), role (403), scope (403), then the machine's
            // parameters (422).
            guard let row = DossierTransition.row(for: command.action, from: dossier.state) else { return context }
            try DossierMachine.authorize(row, actor: actor)
            try DossierMachine.checkScope(action: command.action, dossier: dossier, actor: actor, units: units)
            return context
        }
        // A hand-over to another node ships at once.
        if outcome.transfer != nil { transferAgent()?.wake() }
        return outcome
    }

    /// A dossier for the public when the ID number matches; nil (and a strike against the code and the
    /// client) otherwise, so an unknown code and a wrong number look the same.
    public func dossier(_ code: String, applicantIdNumber: String, client: String?) async throws -> Dossier? {
        try checkLookupAllowed(code: code, client: client)
        // Counted before the read, so that guesses sent at once all count; a match takes it back.
        recordLookupFailure(code: code, client: client)
        guard code.utf8.count <= Self.longestCode, let stored = try await database.dossier(code)?.dossier,
              stored.applicant.idNumber == applicantIdNumber.trimmingCharacters(in: .whitespaces) else {
            return nil
        }
        let clientKey = Self.throttleKey(client: client)
        lookupPairThrottle.recordSuccess(code + "|" + clientKey)
        lookupClientThrottle.forgiveOne(clientKey)
        lookupCodeThrottle.forgiveOne(code)
        return stored
    }

    /// A dossier for an officer; nil when it does not exist or is outside the officer's units.
    public func dossier(_ code: String, officer: OfficerRecord) async throws -> Dossier? {
        guard let stored = try await database.dossier(code)?.dossier, isVisible(stored, to: officer, units: units) else { return nil }
        return stored
    }

    public func queue(_ filter: DossierFilter) async throws -> DossierPage {
        let units = self.units
        return try await database.dossiers(filter) { roots in
            units.units.keys.filter { code in roots.contains { units.isWithin(code, ancestor: $0) } }.sorted()
        }
    }

    // MARK: - Recovery

    /// An operator accepts that the node lost the end of its log (events the hub holds, which cannot be
    /// recovered here: the hub keeps no payloads). Asks the hub where it is now, appends
    /// `node.log-loss-accepted` after the hub's position, raises the daily numbers past every code the hub
    /// holds for this node, and resumes writes and replication. Refused when the log is not behind, when the
    /// hub cannot be reached, or when the log differs from the hub's at the hub's position (then only a
    /// restore can help).
    public func acceptLogLoss(reason: String, officer: OfficerRecord) async throws -> (seq: Int64, lostFrom: Int64, lostTo: Int64) {
        guard health.isHeld(.logBehindHub) else {
            throw NodeError(.conflict, "node.log-not-behind", "this node's log is not behind the hub; there is no loss to accept")
        }
        // One at a time: a second operator's call waits for nothing and is told so.
        guard acceptingLoss.withLock({ busy in defer { busy = true }; return !busy }) else {
            throw NodeError(.conflict, "node.recovery-in-progress", "another accept-log-loss is running at this node")
        }
        defer { acceptingLoss.withLock { $0 = false } }
        guard let agent = replication else {
            throw NodeError(.conflict, "node.standalone", "a standalone node has no hub to resume from")
        }
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count >= 10 else { throw DossierError.invalid(field: "reason", reason: "say in a sentence what was lost and why (at least 10 characters)") }
        let position: NodeDatabase.HubPosition
        do { position = try await agent.askHub() } catch {
            throw NodeError(.unavailable, "hub.unreachable", "the hub must answer to resume after a loss (its position and the codes it holds): \(error)")
        }
        let head = try await database.head()
        let seq: Int64
        do {
            seq = try await database.acceptLogLoss(
                hub: position, actor: "officer:\(officer.username)", reason: trimmed, at: now(),
                acknowledgedKeys: (ReplicationAgent.acknowledgedSeqKey, ReplicationAgent.acknowledgedHashKey))
        } catch StoreError.logNotBehind {
            throw NodeError(.conflict, "node.log-diverged",
                          "the hub holds another event at seq \(position.appliedSeq) than this log does: accepting cannot reconcile two versions of the log; restore the database from a backup")
        }
        try? ReplicationAgent.writePositionFile(configuration.replicationPositionPath, seq: position.appliedSeq, hash: position.appliedHash)
        logger.critical("log loss accepted", metadata: [
            "lost.from": "\(head.seq + 1)", "lost.to": "\(position.appliedSeq)", "by": "\(officer.username)", "event.seq": "\(seq)",
        ])
        health.lift(.logBehindHub)
        agent.resynchronise()
        return (seq, head.seq + 1, position.appliedSeq)
    }

    /// Re-walks the chain; a break stops writes (fail-stop) until the node is repaired.
    public func verifyChain() async throws -> ChainReport {
        let report = try await database.verifyChain()
        if !report.intact {
            health.hold(.integrityFailure, "the event log's chain is broken at seq \(report.firstBreakSeq ?? 0): \(report.firstBreak ?? "")", at: now())
        }
        return report
    }

    // MARK: - Calendar

    /// Adds, replaces or withdraws a calendar rule at the running node; open dossiers keep their dates.
    public func saveCalendarRule(_ rule: CalendarRule, officer: OfficerRecord) async throws {
        try health.checkWritable()
        try await database.saveCalendarRule(rule, actor: "officer:\(officer.username)", at: now())
        try await reloadCaches()
    }

    public func calendarRules() -> [CalendarRule] { caches.withLock { $0.rules } }
}
