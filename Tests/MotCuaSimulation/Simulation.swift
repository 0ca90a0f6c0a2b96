import Foundation
import Logging
import MotCuaCore
import MotCuaHub
import MotCuaNode
import MotCuaProtocol
import MotCuaStore
import Synchronization

/// The whole federation in one process, driven step by step from one seed: three nodes (two provinces
/// and a ministry) and the hub, each with its real stores on temporary files and its production services
/// (`NodeService`, `HubService`) and machines (`ReplicationSender`, the receiver inside the index,
/// `TransferRouter` inside the mailbox, `DossierMachine`). Between them a simulated network that drops,
/// delays, duplicates and reorders messages and cuts links; processes crash (all their memory is lost
/// and they start again on their files) and restart. Time is simulated: nothing sleeps.
///
/// A run has a safety phase (workload and faults, checked as it goes) and a liveness phase (faults
/// healed, workload stopped) that must converge; then the checkers run. A failure carries the seed.
public final class Simulation {
    public struct Failure: Error, CustomStringConvertible {
        public let seed: UInt64
        public let step: Int
        public let message: String
        public var description: String {
            "simulation seed \(seed) failed at step \(step): \(message)\n  replay: scripts/simulate --seed \(seed)"
        }
    }

    /// What a run did, for the report.
    public struct Report: Sendable {
        public var filed = 0
        public var actions = 0
        public var transfers = 0
        public var messagesDropped = 0
        public var messagesDuplicated = 0
        public var crashes = 0
        public var partitions = 0
        public var eventsReplicated: Int64 = 0
        public var simulatedSeconds = 0.0

        public init() {}

        /// Adds another run's counts to these.
        public mutating func add(_ other: Report) {
            filed += other.filed
            actions += other.actions
            transfers += other.transfers
            messagesDropped += other.messagesDropped
            messagesDuplicated += other.messagesDuplicated
            crashes += other.crashes
            partitions += other.partitions
            eventsReplicated += other.eventsReplicated
            simulatedSeconds += other.simulatedSeconds
        }
    }

    public let seed: UInt64
    let steps: Int
    private var random: SplitMix64
    private let folder: URL
    private let clock: SimulatedClock
    private let logger: Logger
    private var hub: HubService!
    private var nodes: [SimNode] = []
    private var network: [Message] = []
    private var report = Report()
    private var step = 0
    /// Dossiers whose filing was acknowledged to the applicant: code → filing node.
    private var filed: [String: String] = [:]
    private var faults = true
    private var messageCounter = 0
    /// `MOTCUA_SIM_TRACE=1` prints each step's positions.
    private let trace = ProcessInfo.processInfo.environment["MOTCUA_SIM_TRACE"] == "1"

    static let start = VietnamTime.parseISO8601("2026-03-02T08:00:00+07:00")!
    static let pseudonymKey = [UInt8](repeating: 7, count: 32)
    /// A request unanswered for this long has failed for the client.
    static let requestTimeoutMs: Int64 = 3_000

    public init(seed: UInt64, steps: Int = 240) throws {
        self.seed = seed
        self.steps = steps
        random = SplitMix64(seed: seed)
        // On tmpfs where there is one: the simulation checks logic, not the disk (crash-safety tests do).
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        folder = base.appendingPathComponent("motcua-sim-\(seed)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        clock = SimulatedClock(ms: Int64(Self.start.timeIntervalSince1970 * 1000))
        var logger = Logger(label: "motcua.simulation")
        logger.logLevel = .critical
        self.logger = logger
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    // MARK: - Running

    public func run() async throws -> Report {
        try await startHub()
        for (id, units, roots) in Self.layout {
            let node = SimNode(id: id, units: units, roots: roots, folder: folder.appendingPathComponent(id).path)
            nodes.append(node)
        }
        _ = try await hub.admit(nodes.map(\.id))
        for node in nodes { try await start(node) }
        for node in nodes { try await refreshDirectory(node) }

        // Safety: workload and faults, invariants checked after every step.
        while step < steps {
            step += 1
            if trace { say("step \(step) at \(clock.ms): \(try await progress())") }
            try await workload()
            if chance(0.08) { try await fault() }
            try await advance(ms: Int64(uniform(20, 400)))
            try await checkSafety()
        }
        // Liveness: everything heals; the federation must converge.
        faults = false
        for node in nodes where node.partitionedUntilMs != nil { node.partitionedUntilMs = nil }
        for node in nodes where node.service == nil { try await start(node) }
        var rounds = 0
        while try await !converged() {
            rounds += 1
            if trace { say("liveness \(rounds) at \(clock.ms): \(try await progress())") }
            guard rounds < 3_000 else { throw failure("no convergence after the faults healed: \(try await progress())") }
            try await advance(ms: 200)
            try await checkSafety()
        }
        try await checkFinal()
        report.simulatedSeconds = Double(clock.ms - Int64(Self.start.timeIntervalSince1970 * 1000)) / 1000
        return report
    }

    /// Two provinces and a ministry: the ministry decides the residence card filed in Hà Nội.
    static let layout: [(String, [AdministrativeUnit], [String])] = [
        ("p01", SampleUnits.hanoi, ["P01"]),
        ("p48", SampleUnits.province(code: "48", name: "Đà Nẵng", districts: 2, communesPerDistrict: 2), ["P48"]),
        ("m-bca", SampleUnits.ministry(code: "BCA", name: "Bộ Công an"), ["M-BCA"]),
    ]

    func say(_ text: some StringProtocol) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    func failure(_ message: String) -> Failure { Failure(seed: seed, step: step, message: message) }

    // MARK: - Processes

    func startHub() async throws {
        let configuration = HubConfiguration(
            dataDirectory: folder.appendingPathComponent("hub").path, federationPort: 0, certificatePath: "", keyPath: "", caPath: "",
            revocationListPath: "")
        hub = try HubService(configuration: configuration, logger: logger, now: clock.now)
    }

    func start(_ node: SimNode) async throws {
        var configuration = NodeConfiguration(dataDirectory: node.folder, nodeID: node.id, nodeName: node.id, passwordCost: 4)
        // Federated (transfers get ids); the agents that would use these paths are the simulation's.
        configuration.replication = ReplicationConfiguration(hubURL: "https://hub.invalid", certificatePath: "", keyPath: "", caPath: "")
        configuration.pseudonymKey = Self.pseudonymKey
        let service = try await NodeService(configuration: configuration, logger: logger, now: clock.now, seed: random.next())
        if try await service.database.meta("simulation.seeded") == nil {
            try await service.database.upsertUnits(node.units)
            try await service.database.upsertProcedures(SampleCatalogue.procedures)
            try await service.database.upsertOfficer(node.officer)
            try await service.database.setMeta("simulation.seeded", "1")
            try await service.reloadCaches()
        }
        node.service = service
        node.sender = ReplicationSender(nodeID: node.id, limits: .sending, seed: random.next())
        node.courier = TransferCourier(startedAtMs: clock.ms, seed: random.next())
        node.inFlight = nil
        node.tickAtMs = nil
        let position = try await ReplicationAgent.storedPosition(in: service.database)
        try await perform(node.sender.start(acknowledged: position, localHead: try await service.database.head().seq, now: clock.now()), at: node)
        let units = node.units.map { FederationUnit(code: $0.code, node: node.id, name: $0.name, level: $0.level, parentCode: $0.parentCode) }
        let taken = try await hub.registerUnits(units, node: node.id)
        guard taken.isEmpty else { throw failure("units of \(node.id) taken by another node: \(taken.prefix(3))") }
    }

    func refreshDirectory(_ node: SimNode) async throws {
        try await node.service?.setFederationDirectory(try await hub.index.federationUnits())
    }

    /// A crash: the process's memory is gone (its machine, requests in flight, timers); its files stay,
    /// with what it committed (the databases are let go without the clean stop's checkpoint).
    func crash(_ node: SimNode) async throws {
        node.service = nil
        network.removeAll { $0.node == node.id }
        report.crashes += 1
    }

    func crashHub() async throws {
        hub = nil
        network.removeAll { $0.toHub }
        try await startHub()
        report.crashes += 1
    }

    // MARK: - Workload

    func workload() async throws {
        let roll = uniform(0, 100)
        if trace { say("  workload \(Int(roll))") }
        if roll < 30 {
            try await file()
        } else if roll < 85, let code = filed.keys.sorted().randomElement(using: &random) {
            try await advance(code)
        }
    }

    /// Files a dossier: a residence card at Hà Nội's desk (decided by the ministry), or a commune
    /// procedure online or at a commune desk of either province.
    func file() async throws {
        let choices: [(node: String, procedure: String, unit: String?, counter: Bool)] = [
            ("p01", "1.010802", "P01", true),
            ("p01", "1.004873", "P01.D01.C01", false),
            ("p48", "1.004873", nil, false),
        ]
        let choice = choices[Int(uniform(0, Double(choices.count)))]
        guard let node = node(choice.node), let service = node.service else { return }
        var unit = choice.unit
        if unit == nil { unit = node.units.first { $0.level == .commune }?.code }
        guard let procedure = service.procedure(choice.procedure) else { throw failure("\(choice.procedure) missing at \(node.id)") }
        let submission = DossierSubmission(
            procedureCode: procedure.code, channel: choice.counter ? .counter : .online,
            applicant: Applicant(idNumber: String(format: "0010950%05d", Int(uniform(0, 99_999))), fullName: "Công dân mô phỏng"),
            components: procedure.components.filter(\.mandatory).map { ComponentUpload(code: $0.code, fileName: "\($0.code).pdf", bytes: [UInt8]("\($0.code)".utf8)) },
            unit: choice.counter ? nil : unit)
        do {
            let (outcome, _) = try await service.submit(submission, officer: choice.counter ? node.officer : nil)
            filed[outcome.dossier.code] = node.id
            report.filed += 1
            try await committed(node)
        } catch let error as DossierError {
            throw failure("a valid filing was refused at \(node.id): \(error)")
        }
    }

    /// Moves a dossier on at the node that holds it: the first of the usual next steps the machine allows.
    func advance(_ code: String) async throws {
        for node in nodes {
            guard let service = node.service, let held = try await service.database.dossier(code)?.dossier, held.state != .transferred else { continue }
            let commands: [DossierCommand] = [
                .receive(note: nil), .forward(toUnit: nil, note: nil), .assign(assignee: node.officer.username, note: nil),
                .decide(outcome: .approved, reason: nil, resultSummary: nil, resultDocument: nil), .returnResult(note: nil, satisfaction: 5),
            ]
            for command in commands where DossierTransition.row(for: command.action, from: held.state) != nil {
                do {
                    let outcome = try await service.act(on: code, command: command, officer: node.officer, applicantIdNumber: nil)
                    report.actions += 1
                    if outcome.transfer != nil { report.transfers += 1 }
                    try await committed(node)
                    return
                } catch is DossierError {
                    continue  // not this step here (e.g. the competent unit decides): try the next
                }
            }
        }
    }

    // MARK: - Faults

    func fault() async throws {
        guard faults else { return }
        let node = nodes[Int(uniform(0, Double(nodes.count)))]
        switch uniform(0, 10) {
        case ..<4:
            node.partitionedUntilMs = clock.ms + Int64(uniform(500, 8_000))
            report.partitions += 1
        case ..<7:
            if node.service != nil { try await crash(node) } else { try await start(node) }
        case ..<8:
            try await crashHub()
        default:
            if node.service == nil { try await start(node) }
        }
    }

    func chance(_ p: Double) -> Bool { uniform(0, 1) < p }

    func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * Double(random.next() >> 11) / Double(1 << 53) }

    func node(_ id: String) -> SimNode? { nodes.first { $0.id == id } }

    // MARK: - Time and the network

    /// Moves time on by `ms`, delivering what the network carries and firing the shells' timers in order.
    func advance(ms: Int64) async throws {
        let end = clock.ms + ms
        while true {
            // The next thing to happen: a message, a sender's timer, a request's time-out, or the end.
            let nextMessage = network.map(\.deliverAtMs).min()
            let nextTick = nodes.compactMap { $0.service == nil ? nil : $0.tickAtMs }.min()
            let nextTimeout = nodes.compactMap { $0.service == nil ? nil : $0.inFlight?.timeoutAtMs }.min()
            guard let next = [nextMessage, nextTick, nextTimeout].compactMap({ $0 }).min(), next <= end else { break }
            clock.set(max(clock.ms, next))
            if let index = network.firstIndex(where: { $0.deliverAtMs <= clock.ms }) {
                try await deliver(network.remove(at: index))
                continue
            }
            for node in nodes where node.service != nil {
                if let tick = node.tickAtMs, tick <= clock.ms {
                    node.tickAtMs = nil
                    try await perform(node.sender.tick(now: clock.now()), at: node)
                }
                if let request = node.inFlight, request.timeoutAtMs <= clock.ms {
                    node.inFlight = nil
                    try await perform(node.sender.failed(now: clock.now()), at: node)
                }
            }
        }
        clock.set(end)
        // Each node's routing shell runs once per advance: it ships its outbox and reads its mailbox.
        for node in nodes where node.service != nil { try await route(node) }
        for node in nodes where node.service != nil { node.directoryAge += 1; if node.directoryAge > 20 { node.directoryAge = 0; try await refreshDirectory(node) } }
    }

    func send(_ body: Message.Body, node: SimNode, toHub: Bool) {
        messageCounter += 1
        if faults, let until = node.partitionedUntilMs, until > clock.ms {
            report.messagesDropped += 1
            return
        }
        if faults && chance(0.05) {
            report.messagesDropped += 1
            return
        }
        // Latency between 1 and 150 ms (so messages overtake each other), now and then a long delay.
        var latency = Int64(uniform(1, 150))
        if faults && chance(0.03) { latency += Int64(uniform(1_000, 6_000)) }
        network.append(Message(node: node.id, toHub: toHub, body: body, deliverAtMs: clock.ms + latency, id: messageCounter))
        if faults && chance(0.03) {
            report.messagesDuplicated += 1
            network.append(Message(node: node.id, toHub: toHub, body: body, deliverAtMs: clock.ms + latency + Int64(uniform(1, 300)), id: messageCounter))
        }
    }

    func deliver(_ message: Message) async throws {
        guard let node = node(message.node) else { return }
        if trace { say("  deliver \(message.body) for \(node.id) at \(clock.ms)".prefix(160)) }
        switch message.body {
        case .batch(let batch, let request):
            let decision = try await hub.receive(batch, from: node.id)
            if case .apply(let events, _, _) = decision {
                // Nothing unverified is applied: every event the hub takes is the node's own at that seq.
                if let service = node.service {
                    for event in events {
                        let stored = try await service.database.hash(atSeq: event.seq)
                        if stored != event.hash { throw failure("hub applied \(node.id) seq \(event.seq) with hash \(event.hash.prefix(12)), the node has \(stored?.prefix(12) ?? "none")") }
                    }
                }
                report.eventsReplicated += Int64(events.count)
            }
            guard let reply = decision.reply else { throw failure("hub refused a batch of \(node.id): \(decision)") }
            send(.reply(reply, request: request), node: node, toHub: false)
        case .reply(let reply, let request):
            // A reply belongs to the request it answers; a late one (its request timed out) finds no one.
            guard node.service != nil, node.inFlight?.id == request else { return }
            node.inFlight = nil
            try await perform(node.sender.replied(reply, now: clock.now()), at: node)
        }
    }

    /// Performs a sender's actions the way the replication agent does.
    func perform(_ actions: [ReplicationSender.Action], at node: SimNode) async throws {
        var queue = actions
        while !queue.isEmpty {
            let action = queue.removeFirst()
            guard let service = node.service else { return }
            switch action {
            case .load(let afterSeq, let limit, _):
                let events = try await service.database.events(after: afterSeq, limit: limit)
                queue.append(contentsOf: node.sender.loaded(events: events, now: clock.now()))
            case .send(let batch):
                messageCounter += 1
                let request = messageCounter
                node.inFlight = (request, clock.ms + Self.requestTimeoutMs)
                send(.batch(batch, request: request), node: node, toHub: true)
            case .persistAcknowledged(let seq, let hash):
                try await ReplicationAgent.storePosition(seq: seq, hash: hash, in: service.database, positionFile: nil)
            case .scheduleTick(let at):
                // Never at or before now (a timer that is not due yet is asked again a millisecond on).
                node.tickAtMs = max(clock.ms + 1, Int64((at.timeIntervalSince1970 * 1000).rounded(.up)))
            case .raiseAlarm(let alarm):
                throw failure("\(node.id) raised an alarm: \(alarm)")
            }
        }
    }

    func committed(_ node: SimNode) async throws {
        guard let service = node.service else { return }
        try await perform(node.sender.committed(localHead: try await service.database.head().seq, now: clock.now()), at: node)
    }

    /// The routing shell: ships due transfers to the hub and takes in the mailbox. Its calls are
    /// synchronous here but lose their answer (or their request) as the network would.
    func route(_ node: SimNode) async throws {
        guard let service = node.service else { return }
        if trace { say("  route \(node.id) at \(clock.ms)") }
        let reachable = !(faults && (node.partitionedUntilMs.map { $0 > clock.ms } ?? false))
        for item in try await service.database.dueTransfers(at: clock.now()) {
            // What becomes of each hand-over is the node's `TransferCourier`'s to say, as in the agent.
            let outcome: TransferCourier.HandOver
            if !reachable || (faults && chance(0.1)) {
                outcome = node.courier.unanswered(error: "simulated loss", attempts: item.attempts, nowMs: clock.ms)
            } else {
                let files = try await service.database.files(of: item.dossier.code).map { TransferFile(code: $0.code, fileName: $0.fileName, bytes: $0.bytes) }
                let envelope = TransferEnvelope(order: item.order, fromNode: node.id, sentAt: item.createdAt, dossier: item.dossier, files: files)
                let admission = try await hub.admitTransfer(try envelope.encoded(), from: node.id)
                if faults && chance(0.1) {
                    // The answer is lost on its way back: the transfer is sent again later (a duplicate).
                    outcome = node.courier.unanswered(error: "answer lost", attempts: item.attempts, nowMs: clock.ms)
                } else {
                    // The hub's answers as the routes give them: 200 with a receipt, or 422 with the reason.
                    switch admission {
                    case .enqueue(let entry):
                        outcome = node.courier.answered(status: 200, receipt: TransferReceipt(entry, result: .queued), detail: nil, attempts: item.attempts, nowMs: clock.ms)
                    case .duplicate(let entry):
                        outcome = node.courier.answered(status: 200, receipt: TransferReceipt(entry, result: .duplicate), detail: nil, attempts: item.attempts, nowMs: clock.ms)
                    case .refuse(let reason):
                        outcome = node.courier.answered(status: 422, receipt: nil, detail: reason, attempts: item.attempts, nowMs: clock.ms)
                    }
                }
            }
            switch outcome {
            case .handedOver(let destination):
                try await service.database.markHandedOver(item.order.transferId, destination: destination, at: clock.now())
            case .sendBack(let reason):
                try await service.refuseOutgoing(item, reason: reason)
                try await committed(node)
            case .retry(let atMs, let error):
                try await service.database.deferTransfer(item.order.transferId, until: Date(timeIntervalSince1970: Double(atMs) / 1000), error: error)
            }
        }
        guard reachable else { return }
        let page = try await hub.takeMailbox(for: node.id, limit: 4, maxBytes: 40 << 20, waitMs: 0)
        if faults && chance(0.1) { return }  // the page is lost: its leases run out and it comes again
        var done: [String] = []
        for (_, body) in page {
            let envelope = try TransferEnvelope.decode(body)
            _ = try await service.applyTransfer(envelope)
            try await committed(node)
            done.append(envelope.transferId)
        }
        if !done.isEmpty && !(faults && chance(0.1)) { _ = try await hub.acknowledgeMailbox(done, by: node.id) }
    }

    // MARK: - Checkers

    /// After every step: the hub never holds more of a log than the node, nor anything else at a seq.
    func checkSafety() async throws {
        for node in nodes {
            guard let service = node.service else { continue }
            let standing = try await hub.index.standing(of: node.id)
            if let reason = standing.quarantinedReason { throw failure("hub quarantined \(node.id): \(reason)") }
            let head = try await service.database.head()
            guard standing.appliedSeq <= head.seq else { throw failure("hub applied \(node.id) up to \(standing.appliedSeq), beyond its head \(head.seq)") }
            if standing.appliedSeq > 0, try await service.database.hash(atSeq: standing.appliedSeq) != standing.appliedHash {
                throw failure("hub's position of \(node.id) at \(standing.appliedSeq) is not the node's event")
            }
        }
    }

    /// Every log acknowledged in full, no transfer waiting anywhere.
    func converged() async throws -> Bool {
        for node in nodes {
            guard let service = node.service else { return false }
            let head = try await service.database.head()
            let standing = try await hub.index.standing(of: node.id)
            if standing.appliedSeq != head.seq || node.sender.acknowledgedSeq != head.seq { return false }
            if try await service.database.pendingTransferCount().count > 0 { return false }
        }
        return try await hub.queuedByDestination().isEmpty
    }

    func progress() async throws -> String {
        var parts: [String] = []
        for node in nodes {
            let head = try await node.service?.database.head().seq ?? -1
            let standing = try await hub.index.standing(of: node.id)
            let pending = try await node.service?.database.pendingTransferCount().count ?? -1
            let phase = switch node.sender.phase {
            case .sending(let batch): "sending \(batch.firstSeq)+\(batch.events.count)"
            default: "\(node.sender.phase)"
            }
            parts.append("\(node.id): head \(head), hub \(standing.appliedSeq), acked \(node.sender.acknowledgedSeq), \(phase), outbox \(pending)")
        }
        return parts.joined(separator: "; ") + "; mailbox \(try await hub.queuedByDestination())"
    }

    func checkFinal() async throws {
        for node in nodes {
            guard let service = node.service else { continue }
            let report = try await service.database.verifyChain()
            guard report.intact else { throw failure("\(node.id)'s chain is broken: \(report)") }
            let standing = try await hub.index.standing(of: node.id)
            guard standing.appliedSeq == report.headSeq, standing.appliedHash == report.headHash else {
                throw failure("hub's cursor of \(node.id) is \(standing.appliedSeq) but its head is \(report.headSeq)")
            }
        }
        var transfersSeen: [String: Int] = [:]
        for (code, filingNode) in filed.sorted(by: { $0.key < $1.key }) {
            var holders: [(node: String, dossier: Dossier)] = []
            for node in nodes {
                guard let service = node.service else { continue }
                if let dossier = try await service.database.dossier(code)?.dossier, dossier.state != .transferred { holders.append((node.id, dossier)) }
                for event in try await service.database.events(ofDossier: code)
                where event.kind == EventKind.transferReceived.rawValue || event.kind == EventKind.transferRefused.rawValue {
                    if let id = ProjectionPayload(event.payload)[.transferId]?.stringValue { transfersSeen["\(node.id) \(id)", default: 0] += 1 }
                }
            }
            guard try await node(filingNode)?.service?.database.dossier(code) != nil else { throw failure("\(code) filed at \(filingNode) is gone there") }
            guard holders.count == 1, let holder = holders.first else {
                throw failure("\(code) has \(holders.count) holders: \(holders.map { "\($0.node) \($0.dossier.state)" })")
            }
            guard let row = try await hub.index.dossier(code) else { throw failure("\(code) is not in the hub's index") }
            guard row.status == holder.dossier.status, row.holderNode == holder.node else {
                throw failure("\(code): the hub says status \(row.status) at \(row.holderNode ?? "?"), \(holder.node) holds it at \(holder.dossier.status)")
            }
        }
        if let twice = transfersSeen.first(where: { $0.value != 1 }) { throw failure("transfer \(twice.key) was taken in \(twice.value) times") }
        // Every transfer that left a node arrived exactly once at the node it went to.
        for node in nodes {
            guard let service = node.service else { continue }
            for item in try await service.database.outbox(limit: 10_000) where item.state == "handed-over" {
                guard let destination = item.destination ?? item.order.toNode else { continue }
                guard transfersSeen["\(destination) \(item.order.transferId)"] == 1 else {
                    throw failure("transfer \(item.order.transferId) from \(node.id) never arrived at \(destination)")
                }
            }
        }
    }
}

/// One node of the simulation: its process (nil while crashed) and the shells' state.
final class SimNode {
    let id: String
    let units: [AdministrativeUnit]
    let folder: String
    let officer: OfficerRecord
    var service: NodeService?
    var sender = ReplicationSender(nodeID: "", seed: 0)
    var courier = TransferCourier(startedAtMs: 0, seed: 0)
    var inFlight: (id: Int, timeoutAtMs: Int64)?
    var tickAtMs: Int64?
    var partitionedUntilMs: Int64?
    var directoryAge = 0

    init(id: String, units: [AdministrativeUnit], roots: [String], folder: String) {
        self.id = id
        self.units = units
        self.folder = folder
        // One officer with every role at the node's root unit (the demo's split of roles is not under test).
        officer = OfficerRecord(
            username: "officer", fullName: "Cán bộ mô phỏng", passwordHash: "not-a-login: no password opens this account", roles: [.receiver, .specialist, .leader], units: roots)
    }
}

/// A message on the simulated network.
struct Message {
    enum Body {
        case batch(ReplicationBatch, request: Int)
        case reply(ReplicationReply, request: Int)
    }

    let node: String
    let toHub: Bool
    let body: Body
    let deliverAtMs: Int64
    let id: Int
}

/// The simulation's wall clock, read by the services through `now`.
final class SimulatedClock: Sendable {
    private let value: Mutex<Int64>

    init(ms: Int64) { value = Mutex(ms) }

    var ms: Int64 { value.withLock { $0 } }
    func set(_ ms: Int64) { value.withLock { $0 = ms } }
    var now: @Sendable () -> Date { { [self] in Date(timeIntervalSince1970: Double(ms) / 1000) } }
}
