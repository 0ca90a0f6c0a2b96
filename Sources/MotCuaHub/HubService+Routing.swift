import Foundation
import Logging
import MotCuaCore
import MotCuaProtocol
import MotCuaStore

/// The router's use cases (liên thông between nodes): the routes decode and answer; the decisions are
/// `TransferRouter`'s, the state the mailbox's and the index's.
extension HubService {
    /// Replaces the units a node serves; returns the units refused because another node serves them.
    public func registerUnits(_ units: [FederationUnit], node nodeID: String) async throws -> [String] {
        try await index.registerUnits(units.map { unit in
            var unit = unit
            unit.node = nodeID  // the node is the certificate's, whatever the body says
            return unit
        }, node: nodeID, nowMs: nowMs)
    }

    /// Takes a transfer from a node: routed to the node that serves its unit, stored durably before the
    /// answer, and the destination's long poll woken. A malformed envelope throws `TransferError`.
    public func admitTransfer(_ body: Data, from nodeID: String) async throws -> TransferRouter.Admission {
        let envelope: TransferEnvelope
        do { envelope = try TransferEnvelope.decode(body) } catch { throw TransferError("\(error)") }
        let destination = try await index.nodeServing(unit: envelope.toUnit)
        let decision = try await mailbox.admit(envelope, body: body, from: nodeID, destination: destination, nowMs: nowMs)
        switch decision {
        case .enqueue(let entry), .duplicate(let entry):
            if case .enqueue = decision, let destination = entry.destination { mailboxBell.ring(destination) }
            logger.info("transfer queued", metadata: [
                "transfer.id": "\(entry.transferId)", "dossier": "\(entry.dossierCode)", "from": "\(nodeID)",
                "to": "\(entry.destination ?? "?")", "duplicate": "\(decision.isDuplicate)",
            ])
        case .refuse:
            break
        }
        return decision
    }

    /// What a node may take from its mailbox now, leased to it; with `waitMs` an empty mailbox answers
    /// when mail arrives (or when the time is up).
    public func takeMailbox(for nodeID: String, limit: Int, maxBytes: Int, waitMs: Int) async throws -> [(entry: MailboxEntry, body: Data)] {
        let seen = mailboxBell.generation(nodeID)
        let leased = try await mailbox.lease(for: nodeID, limit: limit, maxBytes: maxBytes, nowMs: nowMs, leaseMs: configuration.deliveryLeaseMs)
        guard leased.isEmpty && waitMs > 0 else { return leased }
        await mailboxBell.wait(nodeID, seen: seen, timeout: .milliseconds(waitMs))
        return try await mailbox.lease(for: nodeID, limit: limit, maxBytes: maxBytes, nowMs: nowMs, leaseMs: configuration.deliveryLeaseMs)
    }

    /// The destination applied these transfers: their envelopes leave the hub.
    public func acknowledgeMailbox(_ transferIds: [String], by nodeID: String) async throws -> [String: TransferRouter.Acknowledgement] {
        try await mailbox.acknowledge(transferIds, by: nodeID, nowMs: nowMs)
    }
}

extension TransferRouter.Admission {
    /// The transfer was already in the mailbox (a retry of the source).
    public var isDuplicate: Bool { if case .duplicate = self { true } else { false } }
}
