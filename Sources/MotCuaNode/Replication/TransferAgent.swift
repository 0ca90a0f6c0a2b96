import Foundation
import Logging
import MotCuaAPI
import MotCuaCore
import MotCuaProtocol
import MotCuaStore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// The node's routing shell (liên thông between nodes): registers the node's units at the hub, keeps the
/// federation directory, ships the outbox of transfers (retrying with back-off while the hub is away),
/// takes in the node's mailbox, applies each transfer once and acknowledges it. The decisions are the
/// node's `TransferCourier` (when, what became of a hand-over, how long to back off), the hub's
/// `TransferRouter` and the node's `DossierMachine`; this shell does the I/O.
public final class TransferAgent: Service, Sendable {
    let service: NodeService
    let configuration: ReplicationConfiguration
    let logger: Logger
    private let snapshot = Mutex(RoutingStatus())
    private let currentLink = Mutex<FederationLink?>(nil)
    private let doorbell: Doorbell
    private let courier: Mutex<TransferCourier>
    /// The directory version last fetched (the hub answers 304 while it is unchanged).
    private let directoryVersion = Mutex<String?>(nil)
    private let mailboxStop: Doorbell
    /// How long the hub may hold a mailbox read open while nothing arrives (the long poll).
    static let mailboxWaitMs = 10_000

    public init(service: NodeService, configuration: ReplicationConfiguration, logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.logger = logger
        doorbell = Doorbell(clock: service.clock)
        mailboxStop = Doorbell(clock: service.clock)
        self.courier = Mutex(TransferCourier(startedAtMs: service.nowMs, seed: service.random()))
    }

    public var status: RoutingStatus { snapshot.withLock { $0 } }

    /// Reads or changes the courier. Its lock is taken and released here, in a synchronous call that is
    /// never inlined into the agent's async loops: inlined there, a release build released the lock from
    /// another thread than the one that took it, and the process trapped ("Call to unlock Mutex on a
    /// thread which hasn't acquired the lock", in `outboxLoop`).
    @inline(never)
    private func withCourier<Result: Sendable>(_ body: (inout TransferCourier) -> Result) -> Result {
        courier.withLock { body(&$0) }
    }

    /// Rings the agent when a transfer was queued (a hand-over, a result, a send-back): it ships at once.
    public func wake() { doorbell.ring() }

    /// The node's units changed: they are registered at the hub again, at once.
    public func unitsChanged() {
        withCourier { $0.unitsChanged() }
        doorbell.ring()
    }

    public func run() async throws {
        // A connection of its own: the long poll must not share one with the replication batches (sharing
        // saved a little memory and cost more CPU per event: docs/PERFORMANCE.md, "Design choices").
        let link = try FederationLink(configuration: configuration, logger: logger, clock: service.clock)
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
        while !Task.isCancelled && !stopping.isSet {
            for chore in withCourier({ $0.due(nowMs: service.nowMs) }) {
                switch chore {
                case .registerUnits:
                    let taken = await registerUnits(link)
                    withCourier { $0.unitsRegistered(taken, nowMs: service.nowMs) }
                case .refreshDirectory:
                    let fetched = await refreshDirectory(link)
                    withCourier { $0.directoryRefreshed(fetched, nowMs: service.nowMs) }
                }
            }
            let busy = await shipOutbox(link)
            link.refreshIfRotated()
            await publish(registered: withCourier { $0.unitsRegistered })
            if stopping.isSet { break }
            // Pending transfers waiting for their back-off are looked at again within a second.
            if !busy { _ = await doorbell.wait(timeout: .milliseconds(withCourier { $0.schedule.idleWaitMs })) }
        }
    }

    func mailboxLoop(_ link: FederationLink, stopping: StopFlag) async {
        while !Task.isCancelled && !stopping.isSet {
            let answered = await takeMailbox(link) != nil
            // The hub is away or the link is cut: try again soon, backing off.
            let delay = withCourier { $0.mailboxRead(answered: answered) }
            if delay > 0 { _ = await mailboxStop.wait(timeout: .milliseconds(delay)) }
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
        let registration = UnitRegistration(units: service.allUnits().map {
            UnitRegistration.Unit(code: $0.code, name: $0.name, level: $0.level, parentCode: $0.parentCode)
        })
        do {
            let (status, data) = try await link.call(.PUT, "/v1/federation/units", body: try JSONEncoder().encode(registration))
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
            guard status == 200, let page = try? JSONDecoder().decode(UnitDirectoryPage.self, from: data) else { return false }
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
            let outcome: TransferCourier.HandOver
            do {
                let files = try await service.database.files(of: item.dossier.code).map { TransferFile(code: $0.code, fileName: $0.fileName, bytes: $0.bytes) }
                let envelope = TransferEnvelope(
                    order: item.order, fromNode: service.configuration.nodeID, sentAt: item.createdAt, dossier: item.dossier, files: files)
                let (status, data) = try await link.call(.POST, "/v1/federation/transfers", body: try envelope.encoded(), timeout: 30)
                let receipt = status == 200 ? try? JSONDecoder().decode(TransferReceipt.self, from: data) : nil
                let detail = status == 200 ? nil : (try? JSONDecoder().decode(JSONValue.self, from: data))?["detail"]?.stringValue
                outcome = withCourier { $0.answered(status: status, receipt: receipt, detail: detail, attempts: item.attempts, nowMs: service.nowMs) }
            } catch {
                // The hub is unreachable: this one waits for its back-off, the others for the next round.
                let retry = withCourier { $0.unanswered(error: "\(error)", attempts: item.attempts, nowMs: service.nowMs) }
                try? await settle(item, retry)
                return false
            }
            do {
                try await settle(item, outcome)
            } catch {
                // Not recorded (the disk, the database): the transfer is still pending and goes again; the
                // hub keeps a transfer it sees twice once.
                logger.error("cannot record a hand-over", metadata: ["transfer.id": "\(item.order.transferId)", "error": "\(error)"])
                note("recording transfer \(item.order.transferId): \(error)")
            }
        }
        return true
    }

    /// Records what became of a hand-over.
    func settle(_ item: OutboxItem, _ outcome: TransferCourier.HandOver) async throws {
        switch outcome {
        case .handedOver(let destination):
            note(nil)
            try await service.database.markHandedOver(item.order.transferId, destination: destination, at: service.now())
            snapshot.withLock { $0.delivered += 1 }
            logger.info("transfer handed to the hub", metadata: [
                "transfer.id": "\(item.order.transferId)", "dossier": "\(item.dossier.code)", "to": "\(item.order.toUnit)",
            ])
        case .sendBack(let reason):
            try await service.refuseOutgoing(item, reason: reason)
            logger.warning("transfer refused by the hub", metadata: ["transfer.id": "\(item.order.transferId)", "reason": "\(reason)"])
        case .retry(let atMs, let error):
            note(error)
            try await service.database.deferTransfer(item.order.transferId, until: Date(timeIntervalSince1970: Double(atMs) / 1000), error: error)
        }
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
            _ = try? await link.call(.POST, "/v1/federation/mailbox/ack", body: try JSONEncoder().encode(MailboxAcknowledgement(transferIds: done)))
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
