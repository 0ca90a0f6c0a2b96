import Foundation
import Logging
import MotCuaCore
import MotCuaProtocol
import MotCuaStore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// What the routing shell reports to `/readyz` and to operators.
public struct RoutingStatus: Sendable, Codable {
    public var outboxPending: Int = 0
    public var oldestPendingAgeMs: Int64?
    public var delivered: Int = 0
    public var received: Int = 0
    public var directoryUnits: Int = 0
    public var unitsRegistered: Bool = false
    public var lastError: String?
}

/// The node's routing shell (liên thông between nodes): registers the node's units at the hub, keeps the
/// federation directory, ships the outbox of transfers (retrying with back-off while the hub is away),
/// takes in the node's mailbox, applies each transfer once and acknowledges it. The decisions are the
/// hub's `TransferRouter`, the node's `DossierMachine.accept` and `TransferOutboxPolicy`.
public final class TransferAgent: Service, Sendable {
    let service: NodeService
    let configuration: ReplicationConfiguration
    let logger: Logger
    private let snapshot = Mutex(RoutingStatus())
    private let currentLink = Mutex<FederationLink?>(nil)
    /// How often the mailbox is read while nothing else wakes the agent.
    static let pollInterval: Duration = .milliseconds(300)
    static let directoryRefreshSeconds: TimeInterval = 30

    public init(service: NodeService, configuration: ReplicationConfiguration, logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.logger = logger
    }

    public var status: RoutingStatus { snapshot.withLock { $0 } }

    public func run() async throws {
        let link = try FederationLink(configuration: configuration, logger: logger)
        currentLink.withLock { $0 = link }
        defer {
            currentLink.withLock { $0 = nil }
            Task { await link.shutdown() }
        }
        let doorbell = Doorbell()
        let wakeUps = service.database.commits.wakeUps()
        let listener = Task { for await _ in wakeUps { doorbell.ring() } }
        defer { listener.cancel() }
        let stopping = StopFlag()
        var directoryAt = Date.distantPast
        let startedAt = service.now()
        var registered = false
        var mailboxAt = ContinuousClock.now - Self.pollInterval
        var mailboxBusy = false

        await withGracefulShutdownHandler {
            while !Task.isCancelled && !stopping.isSet {
                var busy = false
                if !registered { registered = await registerUnits(link) }
                // Often while the federation starts (nodes register one by one), then every 30 s.
                let interval = service.now().timeIntervalSince(startedAt) < 60 ? 2 : Self.directoryRefreshSeconds
                if service.now().timeIntervalSince(directoryAt) > interval, await refreshDirectory(link) {
                    directoryAt = service.now()
                }
                busy = await shipOutbox(link) || busy
                // Commits wake the agent for its outbox; the mailbox is read on its own beat.
                if mailboxBusy || ContinuousClock.now - mailboxAt >= Self.pollInterval {
                    mailboxAt = ContinuousClock.now
                    mailboxBusy = await takeMailbox(link)
                    busy = busy || mailboxBusy
                }
                link.refreshIfRotated()
                await publish(registered: registered)
                if stopping.isSet { break }
                if !busy { _ = await doorbell.wait(timeout: Self.pollInterval) }
            }
        } onGracefulShutdown: {
            stopping.set()
            doorbell.ring()
        }
    }

    /// The dossier's journey as the national index knows it (all nodes), or nil when the hub does not
    /// answer within two seconds: the public lookup then shows what this node knows.
    public func nationalJourney(of code: String) async -> [NationalHop]? {
        guard let link = currentLink.withLock({ $0 }),
              let (status, data) = try? await link.call(.GET, "/v1/federation/dossiers/\(code)/path", timeout: 2), status == 200,
              let answer = try? JSONDecoder().decode(JSONValue.self, from: data) else { return nil }
        return NationalHop.path(in: answer)
    }

    func note(_ error: String?) { snapshot.withLock { $0.lastError = error } }

    /// Tells the hub which units this node serves (so others can route to them).
    func registerUnits(_ link: FederationLink) async -> Bool {
        let units = service.allUnits().map { FederationUnit(code: $0.code, node: service.configuration.nodeID, name: $0.name, level: $0.level, parentCode: $0.parentCode) }
        do {
            let body = try JSONEncoder().encode(["units": units])
            let (status, data) = try await link.call(.PUT, "/v1/federation/units", body: body)
            guard status == 200 else {
                note("registering units: HTTP \(status) \(String(decoding: data.prefix(300), as: UTF8.self))")
                return false
            }
            return true
        } catch {
            note("registering units: hub unreachable: \(error)")
            return false
        }
    }

    func refreshDirectory(_ link: FederationLink) async -> Bool {
        do {
            let (status, data) = try await link.call(.GET, "/v1/federation/units", limit: 64 << 20)
            struct Page: Decodable { var items: [FederationUnit] }
            guard status == 200, let page = try? JSONDecoder().decode(Page.self, from: data) else { return false }
            try await service.setFederationDirectory(page.items)
            return true
        } catch {
            return false
        }
    }

    /// Hands pending transfers to the hub; true when there was something to do.
    func shipOutbox(_ link: FederationLink) async -> Bool {
        guard let due = try? await service.database.dueTransfers(at: service.now()), !due.isEmpty else { return false }
        for item in due {
            do {
                let files = try await service.database.files(of: item.dossier.code).map { TransferFile(code: $0.code, fileName: $0.fileName, bytes: $0.bytes) }
                let envelope = TransferEnvelope(
                    order: item.order, fromNode: service.configuration.nodeID, sentAt: item.createdAt, dossier: item.dossier, files: files)
                let (status, data) = try await link.call(.POST, "/v1/federation/transfers", body: try envelope.encoded(), timeout: 60)
                let answer = (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .null
                switch status {
                case 200:
                    try await service.database.markHandedOver(item.order.transferId, destination: answer["destination"]?.stringValue, at: service.now())
                    snapshot.withLock { $0.delivered += 1 }
                    logger.info("transfer handed to the hub", metadata: [
                        "transfer.id": "\(item.order.transferId)", "dossier": "\(item.dossier.code)", "to": "\(item.order.toUnit)",
                    ])
                case 400, 404, 409, 413, 422:
                    // The hub cannot route it: the dossier comes back to the unit that sent it, with the reason.
                    let reason = answer["detail"]?.stringValue ?? "the hub refused the transfer (HTTP \(status))"
                    try await service.refuseOutgoing(item, reason: reason)
                    logger.warning("transfer refused by the hub", metadata: ["transfer.id": "\(item.order.transferId)", "reason": "\(reason)"])
                default:
                    try await retry(item, error: "hub answered HTTP \(status)")
                }
            } catch {
                try? await retry(item, error: "hub unreachable: \(error)")
            }
        }
        return true
    }

    func retry(_ item: OutboxItem, error: String) async throws {
        note(error)
        let next = TransferOutboxPolicy.nextAttemptMs(
            afterFailures: item.attempts + 1, nowMs: Int64(service.now().timeIntervalSince1970 * 1000), unitRandom: Double.random(in: 0...1))
        try await service.database.deferTransfer(item.order.transferId, until: Date(timeIntervalSince1970: Double(next) / 1000), error: error)
    }

    /// Takes in what waits in this node's mailbox; true when something came.
    func takeMailbox(_ link: FederationLink) async -> Bool {
        do {
            let (status, data) = try await link.call(.GET, "/v1/federation/mailbox?limit=8", timeout: 60, limit: 8 * (34 << 20))
            guard status == 200 else {
                note("reading the mailbox: HTTP \(status)")
                return false
            }
            let items = try TransferEnvelope.decodeMailbox(data)
            guard !items.isEmpty else { return false }
            var done: [String] = []
            for item in items {
                let envelope: TransferEnvelope
                switch item {
                case .success(let decoded):
                    envelope = decoded
                case .failure(let error):
                    // Left unacknowledged: operators see its attempts grow in the hub's mailbox.
                    logger.error("undecodable transfer in the mailbox", metadata: ["error": "\(error)"])
                    note("undecodable transfer: \(error)")
                    continue
                }
                switch try await service.applyTransfer(envelope) {
                case .applied:
                    snapshot.withLock { $0.received += 1 }
                    logger.info("transfer taken in", metadata: ["transfer.id": "\(envelope.transferId)", "dossier": "\(envelope.dossierCode)"])
                case .alreadyApplied:
                    break
                case .refused(let reason):
                    logger.warning("transfer sent back", metadata: ["transfer.id": "\(envelope.transferId)", "reason": "\(reason)"])
                }
                done.append(envelope.transferId)
            }
            if !done.isEmpty {
                _ = try await link.call(.POST, "/v1/federation/mailbox/ack", body: try JSONEncoder().encode(["transferIds": done]))
            }
            return true
        } catch {
            note("reading the mailbox: \(error)")
            return false
        }
    }

    func publish(registered: Bool) async {
        let pending = try? await service.database.pendingTransferCount()
        let now = service.now()
        let units = service.federationDirectory.units.count
        snapshot.withLock { status in
            status.outboxPending = pending?.count ?? status.outboxPending
            status.oldestPendingAgeMs = pending?.oldest.map { Int64(now.timeIntervalSince($0) * 1000) }
            status.directoryUnits = units
            status.unitsRegistered = registered
        }
    }
}
