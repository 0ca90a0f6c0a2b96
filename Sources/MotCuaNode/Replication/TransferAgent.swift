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
    private let doorbell = Doorbell()
    /// The directory version last fetched (the hub answers 304 while it is unchanged).
    private let directoryVersion = Mutex<String?>(nil)
    private let mailboxStop = Doorbell()
    /// How long the hub may hold a mailbox read open while nothing arrives (the long poll).
    static let mailboxWaitMs = 10_000
    static let directoryRefreshSeconds: TimeInterval = 30

    public init(service: NodeService, configuration: ReplicationConfiguration, logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.logger = logger
    }

    public var status: RoutingStatus { snapshot.withLock { $0 } }

    /// Rings the agent when a transfer was queued (a hand-over, a result, a send-back): it ships at once.
    public func wake() { doorbell.ring() }

    public func run() async throws {
        // A connection of its own: the long poll must not share one with the replication batches (sharing
        // saved a little memory and cost more CPU per event: docs/PERFORMANCE.md, "Design choices").
        let link = try FederationLink(configuration: configuration, logger: logger)
        currentLink.withLock { $0 = link }
        defer {
            currentLink.withLock { $0 = nil }
            Task { await link.shutdown() }
        }
        let stopping = StopFlag()
        // Two loops: the outbox and the directory (woken when a transfer is queued, else every second),
        // and the mailbox (a long poll the hub answers when mail arrives).
        let outbox = Task { await self.outboxLoop(link, stopping: stopping) }
        let mailbox = Task { await self.mailboxLoop(link, stopping: stopping) }
        await withGracefulShutdownHandler {
            await outbox.value
            await mailbox.value
        } onGracefulShutdown: {
            // The long poll is cancelled, not waited for: nothing is taken in after shutdown begins.
            stopping.set()
            self.doorbell.ring()
            self.mailboxStop.ring()
            mailbox.cancel()
        }
    }

    func outboxLoop(_ link: FederationLink, stopping: StopFlag) async {
        let startedAt = service.now()
        var directoryAt = Date.distantPast
        var registeredAt: Date?
        var registrationTriedAt = Date.distantPast
        while !Task.isCancelled && !stopping.isSet {
            let now = service.now()
            // Units are registered at start (retried every 5 s until the hub takes them) and again every 10 min.
            if registeredAt.map({ now.timeIntervalSince($0) > 600 }) ?? (now.timeIntervalSince(registrationTriedAt) > 5) {
                registrationTriedAt = now
                if await registerUnits(link) { registeredAt = now }
            }
            // Often while the federation starts (nodes register one by one), then every 30 s.
            let interval = now.timeIntervalSince(startedAt) < 60 ? 2 : Self.directoryRefreshSeconds
            if now.timeIntervalSince(directoryAt) > interval, await refreshDirectory(link) { directoryAt = now }
            let busy = await shipOutbox(link)
            link.refreshIfRotated()
            await publish(registered: registeredAt != nil)
            if stopping.isSet { break }
            // Pending transfers waiting for their back-off are looked at again within a second.
            if !busy { _ = await doorbell.wait(timeout: .seconds(1)) }
        }
    }

    func mailboxLoop(_ link: FederationLink, stopping: StopFlag) async {
        var failures = 0
        while !Task.isCancelled && !stopping.isSet {
            switch await takeMailbox(link) {
            case .some:
                failures = 0
            case .none:
                // The hub is away or the link is cut: try again soon, backing off to 5 s.
                failures += 1
                _ = await mailboxStop.wait(timeout: .milliseconds(Int64(min(5_000, 250 << min(failures, 5)))))
            }
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
            let known = directoryVersion.withLock { $0 }
            let (status, data) = try await link.call(.GET, "/v1/federation/units" + (known.map { "?version=\($0)" } ?? ""), limit: 64 << 20)
            if status == 304 { return true }
            struct Page: Decodable {
                var version: String?
                var items: [FederationUnit]
            }
            guard status == 200, let page = try? JSONDecoder().decode(Page.self, from: data) else { return false }
            try await service.setFederationDirectory(page.items)
            directoryVersion.withLock { $0 = page.version }
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
                let (status, data) = try await link.call(.POST, "/v1/federation/transfers", body: try envelope.encoded(), timeout: 30)
                let answer = (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .null
                switch status {
                case 200:
                    note(nil)
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
                // The hub is unreachable: this one waits for its back-off, the others for the next round.
                try? await retry(item, error: "hub unreachable: \(error)")
                return false
            }
        }
        return true
    }

    func retry(_ item: OutboxItem, error: String) async throws {
        note(error)
        let next = TransferOutboxPolicy.nextAttemptMs(
            afterFailures: item.attempts + 1, nowMs: Int64(service.now().timeIntervalSince1970 * 1000), unitRandom: Double(service.random() >> 11) / Double(1 << 53))
        try await service.database.deferTransfer(item.order.transferId, until: Date(timeIntervalSince1970: Double(next) / 1000), error: error)
    }

    /// Takes in what waits in this node's mailbox (waiting up to 10 s for something to come): true when
    /// something came, false when nothing did, nil when the hub could not be asked.
    func takeMailbox(_ link: FederationLink) async -> Bool? {
        let data: Data
        do {
            let (status, body) = try await link.call(
                .GET, "/v1/federation/mailbox?limit=4&wait=\(Self.mailboxWaitMs)", timeout: Int64(Self.mailboxWaitMs / 1000) + 120,
                limit: 64 << 20)
            guard status == 200 else {
                note("reading the mailbox: HTTP \(status)")
                return nil
            }
            note(nil)
            data = body
        } catch {
            note("reading the mailbox: \(error)")
            return nil
        }
        guard let items = try? TransferEnvelope.decodeMailbox(data) else {
            note("reading the mailbox: not a mailbox page")
            return nil
        }
        var done: [String] = []
        for item in items where !Task.isCancelled {
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
            do {
                switch try await service.applyTransfer(envelope) {
                case .applied:
                    snapshot.withLock { $0.received += 1 }
                    logger.info("transfer taken in", metadata: ["transfer.id": "\(envelope.transferId)", "dossier": "\(envelope.dossierCode)"])
                case .alreadyApplied:
                    break
                case .refused(let reason):
                    logger.warning("transfer sent back", metadata: ["transfer.id": "\(envelope.transferId)", "reason": "\(reason)"])
                    wake()
                }
                done.append(envelope.transferId)
            } catch {
                // Not applied (the disk, the database): it is delivered again after its lease.
                logger.error("cannot apply a transfer", metadata: ["transfer.id": "\(envelope.transferId)", "error": "\(error)"])
                note("applying transfer \(envelope.transferId): \(error)")
            }
        }
        if !done.isEmpty {
            // An acknowledgement that does not arrive is harmless: the transfer comes again and is skipped.
            _ = try? await link.call(.POST, "/v1/federation/mailbox/ack", body: try JSONEncoder().encode(["transferIds": done]))
        }
        return !items.isEmpty
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
