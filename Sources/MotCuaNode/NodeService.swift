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
    let caches: Mutex<Caches>
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
    let acceptingLoss = Mutex(false)
    /// The one-time token that creates the first admin, and its SHA-256, while the node has no officer.
    let pendingBootstrap = Mutex<(token: String, hash: String)?>(nil)
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

    /// What the node's shells wait on (agents, doorbells, maintenance); `now` is the wall clock they stamp with.
    public let clock: any Clock<Duration>

    /// A fresh random number from the shell's generator.
    func random() -> UInt64 { generator.withLock { $0.next() } }
    /// The node's clock in milliseconds since 1970.
    var nowMs: Int64 { now().epochMilliseconds }

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
    /// `now` is the wall clock, `clock` what the background shells wait on and `seed` the source of the ids
    /// and jitter this shell makes (a seed of the system's by default): a simulation or a test passes its
    /// own to replay a run exactly or to move time by hand.
    public init(
        configuration: NodeConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        clock: any Clock<Duration> = ContinuousClock(), seed: UInt64? = nil
    ) async throws {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.clock = clock
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
                configuration: $0, database: database, nodeID: configuration.nodeID, logger: logger, now: now, clock: clock,
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
}
