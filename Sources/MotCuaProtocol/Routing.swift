import Foundation
import MotCuaCore

/// A component file travelling with a transfer: its bytes with their SHA-256, checked on arrival.
public struct TransferFile: Codable, Sendable, Hashable {
    public var code: String
    public var fileName: String
    public var sha256: String
    public var contentBase64: String

    public init(code: String, fileName: String, bytes: [UInt8]) {
        self.code = code
        self.fileName = fileName
        let upload = ComponentUpload(code: code, fileName: fileName, bytes: bytes)
        sha256 = upload.sha256
        contentBase64 = Data(bytes).base64EncodedString()
    }
}

/// Why an envelope cannot be taken as it is.
public struct TransferError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A dossier on its way between nodes (version 1): what the source sends to the hub, what the hub keeps in
/// the destination's mailbox, and what the destination applies once, by transfer id. It carries the
/// applicant's data and documents from node to node; the hub keeps it only until the destination
/// acknowledges it, apart from the national index.
public struct TransferEnvelope: Codable, Sendable, Hashable {
    public static let currentVersion = 1
    /// Files of one transfer: 24 MiB decoded, far above a real dossier's scans, far below memory trouble.
    public static let maximumFileBytes = 24 << 20

    public var version: Int
    public var transferId: String
    public var kind: TransferKind
    public var dossierCode: String
    public var fromNode: String
    public var fromUnit: String
    public var toUnit: String
    /// The destination node as the source believed it; the hub decides from its directory.
    public var toNode: String?
    public var reason: String?
    /// For a result: how it ended at the deciding node (decided, or stopped).
    public var reportedState: DossierState?
    public var sentAt: Date
    public var dossier: Dossier
    public var files: [TransferFile]

    public init(order: TransferOrder, fromNode: String, sentAt: Date, dossier: Dossier, files: [TransferFile]) {
        version = Self.currentVersion
        transferId = order.transferId
        kind = order.kind
        dossierCode = dossier.code
        self.fromNode = fromNode
        fromUnit = order.fromUnit
        toUnit = order.toUnit
        toNode = order.toNode
        reason = order.reason
        reportedState = order.reportedState
        self.sentAt = sentAt
        self.dossier = dossier
        self.files = files
    }

    static var encoder: JSONEncoder { DocumentJSON.encoder }
    static var decoder: JSONDecoder { DocumentJSON.decoder }

    public func encoded() throws -> Data { try Self.encoder.encode(self) }

    /// Decodes and checks an envelope: version, ids, sizes, and every file against its SHA-256.
    public static func decode(_ data: Data) throws -> TransferEnvelope {
        let envelope: TransferEnvelope
        do { envelope = try decoder.decode(TransferEnvelope.self, from: data) } catch {
            throw TransferError("not a transfer envelope: \(error)")
        }
        try envelope.validate()
        return envelope
    }

    /// The page of a mailbox: each envelope decoded on its own, so a broken one does not hide the others.
    public static func decodeMailbox(_ data: Data) throws -> [Result<TransferEnvelope, TransferError>] {
        struct Page: Decodable {
            struct Item: Decodable {
                var envelope: Result<TransferEnvelope, TransferError>
                init(from decoder: any Decoder) throws {
                    enum Keys: String, CodingKey { case envelope }
                    let container = try decoder.container(keyedBy: Keys.self)
                    do {
                        let envelope = try container.decode(TransferEnvelope.self, forKey: .envelope)
                        try envelope.validate()
                        self.envelope = .success(envelope)
                    } catch let error as TransferError {
                        self.envelope = .failure(error)
                    } catch {
                        self.envelope = .failure(TransferError("not a transfer envelope: \(error)"))
                    }
                }
            }
            var items: [Item]
        }
        return try decoder.decode(Page.self, from: data).items.map(\.envelope)
    }

    /// Checks version, ids, sizes, and every file against its SHA-256.
    public func validate() throws {
        let envelope = self  // the checks read as statements about the envelope
        guard envelope.version == Self.currentVersion else { throw TransferError("envelope version \(envelope.version); this build speaks \(Self.currentVersion)") }
        guard (8...64).contains(envelope.transferId.count), envelope.transferId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw TransferError("transferId: 8 to 64 letters, digits or '-'")
        }
        guard envelope.dossier.code == envelope.dossierCode else { throw TransferError("the dossier inside is \(envelope.dossier.code), not \(envelope.dossierCode)") }
        for file in envelope.files {
            guard (1...64).contains(file.code.count) else { throw TransferError("a file's component code must have 1 to 64 characters") }
            do { _ = try DossierMachine.cleanFileName(file.fileName, field: "files.fileName") } catch {
                throw TransferError("file name \(file.fileName.prefix(80)): \(error.description)")
            }
        }
        _ = try envelope.uploads()
    }

    /// The files as uploads, each checked against its SHA-256.
    public func uploads() throws -> [ComponentUpload] {
        var total = 0
        return try files.map { file in
            guard let data = Data(base64Encoded: file.contentBase64) else { throw TransferError("file \(file.fileName): content is not base64") }
            total += data.count
            guard total <= Self.maximumFileBytes else { throw TransferError("files exceed \(Self.maximumFileBytes) bytes") }
            let upload = ComponentUpload(code: file.code, fileName: file.fileName, bytes: [UInt8](data))
            guard upload.sha256 == file.sha256 else {
                throw TransferError("file \(file.fileName): SHA-256 \(upload.sha256) does not match the declared \(file.sha256)")
            }
            return upload
        }
    }

    public var incoming: IncomingTransfer {
        IncomingTransfer(
            transferId: transferId, kind: kind, fromNode: fromNode, fromUnit: fromUnit, toUnit: toUnit, reason: reason, sentAt: sentAt,
            dossier: dossier, reportedState: reportedState)
    }
}

/// One transfer in the hub's router: who sent it, for whom, and where its delivery stands. No personal data.
public struct MailboxEntry: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable {
        /// In the destination's mailbox, waiting for (another) delivery.
        case queued
        /// The destination acknowledged it; the envelope is gone from the hub.
        case acknowledged
        /// The hub could not route it (unknown unit); the source was told at once.
        case refused
    }

    public var transferId: String
    public var dossierCode: String
    public var kind: TransferKind
    public var source: String
    public var destination: String?
    public var toUnit: String
    public var state: State
    public var enqueuedAtMs: Int64
    public var attempts: Int
    /// A delivery is out to the destination until then; after it, the entry is delivered again.
    public var leaseUntilMs: Int64?
    public var acknowledgedAtMs: Int64?
    public var reason: String?

    public init(
        transferId: String, dossierCode: String, kind: TransferKind, source: String, destination: String?, toUnit: String, state: State,
        enqueuedAtMs: Int64, attempts: Int = 0, leaseUntilMs: Int64? = nil, acknowledgedAtMs: Int64? = nil, reason: String? = nil
    ) {
        self.transferId = transferId
        self.dossierCode = dossierCode
        self.kind = kind
        self.source = source
        self.destination = destination
        self.toUnit = toUnit
        self.state = state
        self.enqueuedAtMs = enqueuedAtMs
        self.attempts = attempts
        self.leaseUntilMs = leaseUntilMs
        self.acknowledgedAtMs = acknowledgedAtMs
        self.reason = reason
    }
}

/// The hub's router: pure decisions on transfers (admit, deliver, redeliver, acknowledge) that the hub's
/// store carries out in its transactions, and that tests drive without I/O.
public enum TransferRouter {
    public enum Admission: Sendable, Hashable {
        /// New: keep it in `destination`'s mailbox.
        case enqueue(MailboxEntry)
        /// Seen before (the source retried after a lost answer): nothing changes; answer as before.
        case duplicate(MailboxEntry)
        /// Cannot be routed; the source takes the dossier back with this reason.
        case refuse(String)
    }

    /// Judges an envelope from an authenticated node. `owner` resolves a unit to the node that serves it;
    /// `known` is the entry already recorded under the same transfer id, if any.
    public static func admit(
        _ envelope: TransferEnvelope, from node: String, owner: (String) -> String?, known: MailboxEntry?, nowMs: Int64
    ) -> Admission {
        if let known {
            guard known.source == node, known.dossierCode == envelope.dossierCode else {
                return .refuse("transfer id \(envelope.transferId) is already used by another transfer")
            }
            // The source missed the answer: it gets the same one again (a refusal stays a refusal).
            if known.state == .refused { return .refuse(known.reason ?? "unit \(known.toUnit) is not served by any node of the federation") }
            return .duplicate(known)
        }
        guard envelope.fromNode == node else {
            return .refuse("the envelope says it is from \(envelope.fromNode), but the certificate is node \(node)")
        }
        guard let destination = owner(envelope.toUnit) else {
            return .refuse("unit \(envelope.toUnit) is not served by any node of the federation")
        }
        guard destination != node else {
            return .refuse("unit \(envelope.toUnit) belongs to node \(node) itself: hand it over locally")
        }
        return .enqueue(MailboxEntry(
            transferId: envelope.transferId, dossierCode: envelope.dossierCode, kind: envelope.kind, source: node,
            destination: destination, toUnit: envelope.toUnit, state: .queued, enqueuedAtMs: nowMs))
    }

    /// What to hand a destination now: queued entries whose lease is free or has run out, oldest first,
    /// and per dossier only the oldest (order is kept per dossier: a second transfer of the same dossier
    /// waits until the first is acknowledged).
    public static func deliverable(_ queued: [MailboxEntry], for node: String, nowMs: Int64, limit: Int) -> [MailboxEntry] {
        var seenDossiers = Set<String>()
        var result: [MailboxEntry] = []
        for entry in queued.sorted(by: { ($0.enqueuedAtMs, $0.transferId) < ($1.enqueuedAtMs, $1.transferId) })
        where entry.destination == node && entry.state == .queued {
            guard seenDossiers.insert(entry.dossierCode).inserted else { continue }
            if let lease = entry.leaseUntilMs, lease > nowMs { continue }
            result.append(entry)
            if result.count >= limit { break }
        }
        return result
    }

    /// The entry after it is handed out: one more attempt, out until `nowMs + leaseMs`.
    public static func leased(_ entry: MailboxEntry, nowMs: Int64, leaseMs: Int64) -> MailboxEntry {
        var copy = entry
        copy.attempts += 1
        copy.leaseUntilMs = nowMs + leaseMs
        return copy
    }

    public enum Acknowledgement: Sendable, Hashable {
        /// Remove the envelope; the entry becomes `acknowledged`.
        case remove(MailboxEntry)
        /// Already acknowledged: nothing to do (a repeated acknowledgement is harmless).
        case alreadyDone
        /// Not this node's to acknowledge, or unknown.
        case ignore(String)
    }

    public static func acknowledge(_ entry: MailboxEntry?, by node: String, nowMs: Int64) -> Acknowledgement {
        guard let entry else { return .ignore("unknown transfer") }
        guard entry.destination == node else { return .ignore("transfer \(entry.transferId) is not addressed to \(node)") }
        switch entry.state {
        case .acknowledged: return .alreadyDone
        case .refused: return .ignore("transfer \(entry.transferId) was refused")
        case .queued:
            var done = entry
            done.state = .acknowledged
            done.acknowledgedAtMs = nowMs
            done.leaseUntilMs = nil
            return .remove(done)
        }
    }
}
