import Foundation
import Logging
import MotCuaCore
import MotCuaProtocol
import MotCuaSecurity
import MotCuaStore
import Synchronization

/// How the hub runs: its data, its listener, its certificates.
public struct HubConfiguration: Sendable {
    public var dataDirectory: String
    public var host: String
    /// mTLS port for replication (nodes) and the national API (operators).
    public var federationPort: Int
    public var certificatePath: String
    public var keyPath: String
    public var caPath: String
    public var revocationListPath: String
    public var limits: ReplicationLimits
    /// Nodes made members at start (the topology the hub runs); an operator adds and removes others.
    public var members: [String] = []

    public init(
        dataDirectory: String, host: String = "127.0.0.1", federationPort: Int, certificatePath: String, keyPath: String,
        caPath: String, revocationListPath: String, limits: ReplicationLimits = ReplicationLimits()
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.federationPort = federationPort
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.caPath = caPath
        self.revocationListPath = revocationListPath
        self.limits = limits
    }

    /// The usual layout: the hub's certificate and the CA from a `motcua certs` directory.
    public init(dataDirectory: String, host: String = "127.0.0.1", federationPort: Int, pki: PKIDirectory) {
        self.init(
            dataDirectory: dataDirectory, host: host, federationPort: federationPort,
            certificatePath: pki.certificatePath(for: .hub), keyPath: pki.keyPath(for: .hub), caPath: pki.caCertificatePath,
            revocationListPath: pki.revocationListPath)
    }

    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("hub.sqlite") }
    /// The router's mailboxes (dossiers in transit between nodes), apart from the national index.
    public var mailboxPath: String { (dataDirectory as NSString).appendingPathComponent("mailbox.sqlite") }
    /// How long a delivered transfer stays out before it is delivered again, unacknowledged.
    public var deliveryLeaseMs: Int64 { 30_000 }
}

/// The hub's use cases: apply replication batches, answer national queries.
public final class HubService: Sendable {
    public let configuration: HubConfiguration
    /// The national index (SQLite by default: `HubDatabase` at `databasePath`).
    public let index: any NationalIndex
    public let mailbox: MailboxDatabase
    /// Wakes the destinations' long polls when a transfer for them is admitted.
    let mailboxBell: MailboxBell
    let logger: Logger
    /// The wall clock (stamps, ages, overdue checks).
    let now: @Sendable () -> Date
    /// Replication batches held parsed and planned at once, from parsing to commit (`AdmissionGate`).
    let batchGate = AdmissionGate(permits: HubService.batchesInHand)
    static let batchesInHand = 16
    /// Per node, the lag of the last 10,000 events applied (commit at the node → durable at the hub).
    private let lags = Mutex<[String: LagWindow]>([:])
    /// The federation's members, as stored: a node certificate of any other id is refused everywhere.
    private let memberIDs: Mutex<Set<String>>

    public init(
        configuration: HubConfiguration, logger: Logger, index: (any NationalIndex)? = nil, now: @escaping @Sendable () -> Date = { Date() },
        clock: any Clock<Duration> = ContinuousClock()
    ) throws {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        self.configuration = configuration
        self.logger = logger
        self.now = now
        mailboxBell = MailboxBell(clock: clock)
        self.index = try index ?? HubDatabase(path: configuration.databasePath)
        mailbox = try MailboxDatabase(path: configuration.mailboxPath)
        memberIDs = Mutex(try self.index.members())
    }

    /// Makes the configured members members (at start; a node already a member stays as it is).
    public func admitConfiguredMembers() async throws {
        guard !configuration.members.isEmpty else { return }
        let added = try await admit(configuration.members)
        if !added.isEmpty { logger.notice("nodes admitted from the topology", metadata: ["nodes": "\(added.joined(separator: ","))"]) }
    }

    /// Whether batches and routing calls from this node are accepted.
    public func isMember(_ nodeID: String) -> Bool { memberIDs.withLock { $0.contains(nodeID) } }

    /// Admits nodes; returns those that were not members.
    @discardableResult
    public func admit(_ nodeIDs: [String]) async throws -> [String] {
        let added = try await index.admit(nodeIDs)
        memberIDs.withLock { $0.formUnion(nodeIDs) }
        return added
    }

    /// Ends a node's membership: its certificate is refused from the next request on.
    public func dismiss(_ nodeID: String) async throws -> Bool {
        let removed = try await index.dismiss(nodeID)
        memberIDs.withLock { _ = $0.remove(nodeID) }
        return removed
    }

    /// A service that ends the mailbox long polls when the hub stops (last in the hub's service group).
    public var mailboxCloser: MailboxBellCloser { MailboxBellCloser(bell: mailboxBell) }

    var nowMs: Int64 { now().epochMilliseconds }

    /// Applies (or refuses) a batch from an authenticated node; returns after the commit.
    public func receive(_ batch: ReplicationBatch, from nodeID: String) async throws -> ReplicationReceiver.Decision {
        let decision = try await index.receive(batch, from: nodeID, limits: configuration.limits, nowMs: nowMs)
        switch decision {
        case .quarantine(let seq, let reason):
            logger.error("node quarantined: chain broken", metadata: ["node.id": "\(nodeID)", "repl.seq": "\(seq)", "reason": "\(reason)"])
        case .refuse(let reason):
            logger.warning("replication batch refused", metadata: ["node.id": "\(nodeID)", "reason": "\(reason)"])
        case .apply(let events, let seq, _):
            let appliedMs = nowMs
            lags.withLock { table in
                for event in events {
                    let (lag, overflow) = appliedMs.subtractingReportingOverflow(event.timeMs)
                    table[nodeID, default: LagWindow()].record(overflow ? 0 : max(0, lag))
                }
            }
            logger.debug("batch applied", metadata: ["node.id": "\(nodeID)", "repl.seq": "\(seq)"])
        case .reply:
            break
        }
        return decision
    }

    /// Lag percentiles (p50, p99) in ms over the recent events of a node; nil before any.
    public func lagPercentiles(of nodeID: String) -> (p50: Int64, p99: Int64)? {
        lags.withLock { $0[nodeID]?.percentiles() }
    }
}

/// A ring of recent lag samples.
struct LagWindow: Sendable {
    private var samples: [Int64] = []
    private var next = 0
    static let capacity = 10_000

    mutating func record(_ value: Int64) {
        if samples.count < Self.capacity {
            samples.append(value)
        } else {
            samples[next] = value
            next = (next + 1) % Self.capacity
        }
    }

    func percentiles() -> (p50: Int64, p99: Int64)? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
    }
}
