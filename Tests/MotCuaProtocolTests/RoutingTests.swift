import Foundation
import MotCuaCore
import Testing

@testable import MotCuaProtocol

private let filedAt = Date(timeIntervalSince1970: 1_772_416_800)

private func envelope(_ id: String = "transfer-0001", code: String = "000.00.00.H79-260302-0001", from: String = "p79", to unit: String = "M-BCA.C01", files: [TransferFile]? = nil) -> TransferEnvelope {
    let dossier = Dossier(
        code: code, procedureCode: "1.010802", procedureVersion: 1, applicant: Applicant(idNumber: "079301000123", fullName: "John Smith"),
        channel: .counter, receivingUnit: "P79", competentUnit: "M-BCA.C01", holderUnit: unit, state: .transferred, submittedAt: filedAt,
        feeVND: 0, components: [])
    return TransferEnvelope(
        order: TransferOrder(transferId: id, kind: .handOver, fromUnit: "P79", toUnit: unit, toNode: "m-bca"), fromNode: from, sentAt: filedAt,
        dossier: dossier, files: files ?? [TransferFile(code: "TP1", fileName: "don.pdf", bytes: Array("đơn".utf8))])
}

private let owners = ["M-BCA.C01": "m-bca", "P79": "p79", "P01": "p01"]
private func owner(_ unit: String) -> String? { owners[unit] }

@Suite("Transfer router (pure)")
struct TransferRouterTests {
    @Test func deliverAcknowledgeAndTheDuplicateHandIn() throws {
        let admitted = TransferRouter.admit(envelope(), from: "p79", owner: owner, known: nil, nowMs: 1_000)
        guard case .enqueue(let entry) = admitted else { Issue.record("\(admitted)"); return }
        #expect(entry.destination == "m-bca" && entry.state == .queued && entry.attempts == 0)
        // The source retries after a lost answer: same id, nothing new.
        #expect(TransferRouter.admit(envelope(), from: "p79", owner: owner, known: entry, nowMs: 2_000) == .duplicate(entry))
        // The destination takes it: one attempt, leased.
        let out = TransferRouter.deliverable([entry], for: "m-bca", nowMs: 3_000, limit: 8)
        #expect(out == [entry])
        let leased = TransferRouter.leased(entry, nowMs: 3_000, leaseMs: 30_000)
        #expect(leased.attempts == 1 && leased.leaseUntilMs == 33_000)
        // While leased it is not handed out again; after the lease it is (redelivery).
        #expect(TransferRouter.deliverable([leased], for: "m-bca", nowMs: 10_000, limit: 8).isEmpty)
        #expect(TransferRouter.deliverable([leased], for: "m-bca", nowMs: 33_001, limit: 8) == [leased])
        // Acknowledged once; a repeated acknowledgement is harmless; another node cannot acknowledge it.
        guard case .remove(let done) = TransferRouter.acknowledge(leased, by: "m-bca", nowMs: 4_000) else { Issue.record("not removed"); return }
        #expect(done.state == .acknowledged && done.acknowledgedAtMs == 4_000)
        #expect(TransferRouter.acknowledge(done, by: "m-bca", nowMs: 5_000) == .alreadyDone)
        #expect(TransferRouter.acknowledge(leased, by: "p01", nowMs: 5_000) == .ignore("transfer transfer-0001 is not addressed to p01"))
        #expect(TransferRouter.acknowledge(nil, by: "m-bca", nowMs: 5_000) == .ignore("unknown transfer"))
        #expect(TransferRouter.deliverable([done], for: "m-bca", nowMs: 40_000, limit: 8).isEmpty)
    }

    @Test func refusals() {
        func reason(_ admission: TransferRouter.Admission) -> String? {
            if case .refuse(let reason) = admission { return reason }
            return nil
        }
        #expect(reason(TransferRouter.admit(envelope(to: "M-XYZ.C09"), from: "p79", owner: owner, known: nil, nowMs: 0))?.contains("not served by any node") == true)
        #expect(reason(TransferRouter.admit(envelope(to: "P79"), from: "p79", owner: owner, known: nil, nowMs: 0))?.contains("hand it over locally") == true)
        #expect(reason(TransferRouter.admit(envelope(from: "p01"), from: "p79", owner: owner, known: nil, nowMs: 0))?.contains("certificate is node p79") == true)
        // A transfer id taken by another source's transfer is not silently merged.
        guard case .enqueue(let entry) = TransferRouter.admit(envelope(), from: "p79", owner: owner, known: nil, nowMs: 0) else { return }
        #expect(reason(TransferRouter.admit(envelope(from: "p01"), from: "p01", owner: owner, known: entry, nowMs: 0))?.contains("already used") == true)
    }

    @Test func orderIsKeptPerDossier() {
        func entry(_ id: String, _ code: String, at ms: Int64) -> MailboxEntry {
            MailboxEntry(transferId: id, dossierCode: code, kind: .handOver, source: "p79", destination: "m-bca", toUnit: "M-BCA.C01", state: .queued, enqueuedAtMs: ms)
        }
        let queued = [entry("t3", "B", at: 3), entry("t2", "A", at: 2), entry("t1", "A", at: 1), entry("t4", "C", at: 4)]
        // The second transfer of dossier A waits until the first is acknowledged.
        #expect(TransferRouter.deliverable(queued, for: "m-bca", nowMs: 10, limit: 8).map(\.transferId) == ["t1", "t3", "t4"])
        #expect(TransferRouter.deliverable(queued, for: "m-bca", nowMs: 10, limit: 2).map(\.transferId) == ["t1", "t3"])
        #expect(TransferRouter.deliverable(queued, for: "p01", nowMs: 10, limit: 8).isEmpty)
    }

    @Test func envelopesAreCheckedFileByFile() throws {
        let good = envelope()
        let decoded = try TransferEnvelope.decode(try good.encoded())
        #expect(decoded == good)
        #expect(try decoded.uploads().map(\.bytes) == [Array("đơn".utf8)])
        var tampered = good
        tampered.files[0].contentBase64 = Data("đơn giả".utf8).base64EncodedString()
        #expect(throws: TransferError.self) { try TransferEnvelope.decode(try tampered.encoded()) }
        var badID = good
        badID.transferId = "x"
        #expect(throws: TransferError.self) { try TransferEnvelope.decode(try badID.encoded()) }
        // A mailbox page with one broken envelope still yields the good one.
        let page = "{\"items\":[{\"envelope\":\(String(decoding: try good.encoded(), as: UTF8.self))},{\"envelope\":\(String(decoding: try tampered.encoded(), as: UTF8.self))}]}"
        let items = try TransferEnvelope.decodeMailbox(Data(page.utf8))
        #expect(items.count == 2)
        if case .success(let first) = items[0] { #expect(first == good) } else { Issue.record("first should decode") }
        if case .failure = items[1] {} else { Issue.record("second should fail its SHA-256 check") }
    }

    @Test func outboxBackOffGrowsAndIsCapped() {
        let outbox = RetryBackoff.transferOutbox
        #expect(outbox.delayMs(failures: 1, unitRandom: 1) == 1_000)
        #expect(outbox.delayMs(failures: 1, unitRandom: 0) == 500)
        #expect(outbox.delayMs(failures: 4, unitRandom: 1) == 8_000)
        #expect(100 + outbox.delayMs(failures: 40, unitRandom: 1) == 60_100)
    }

    @Test func theMailboxPollBacksOffWithoutJitterToFiveSeconds() {
        let poll = RetryBackoff.mailboxPoll
        #expect((1...7).map { poll.delayMs(failures: $0, unitRandom: 0) } == [500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000])
        #expect(poll.delayMs(failures: 3, unitRandom: 0.3) == poll.delayMs(failures: 3, unitRandom: 0.9))
        // Half jitter stays in the upper half of the ceiling; full jitter reaches down to the floor.
        var generator = SplitMix64(seed: 11)
        let half = (0..<500).map { _ in RetryBackoff.transferOutbox.delayMs(failures: 2, using: &generator) }
        #expect(half.allSatisfy { $0 >= 1_000 && $0 <= 2_000 })
        #expect(half.min()! < 1_100 && half.max()! > 1_900)
        #expect(RetryBackoff.replication.delayMs(failures: 3, unitRandom: 0) == 10)
        #expect(RetryBackoff.replication.delayMs(failures: 3, unitRandom: 1) == 400)
        #expect(RetryBackoff.replication.delayMs(failures: 3, unitRandom: .nan) == 400)
    }
}

@Suite("National journey projection")
struct NationalJourneyTests {
    private func event(_ seq: Int64, _ kind: EventKind, _ payload: [String: JSONValue], at ms: Int64) -> Event {
        EventChain.seal(
            EventDraft(dossierCode: "D1", kind: kind, actor: "system", at: Date(timeIntervalSince1970: Double(ms) / 1000), payload: .object(payload)),
            seq: seq, prevHash: EventChain.genesisHash, lastHLC: 0)
    }

    @Test func theNewestStaySpeaksWhateverOrderTheNodesReplicateIn() {
        let filed = event(1, .received, ["status": .int(2), "state": .string("received"), "holderUnit": .string("P79"), "hop": .int(0),
                                         "holderNode": .string("p79"), "receivingNode": .string("p79"), "receivingUnit": .string("P79")], at: 1_000)
        let left = event(2, .transferSent, ["status": .int(4), "state": .string("transferred"), "holderUnit": .string("M-BCA.C01"), "hop": .int(1),
                                            "transferId": .string("t1"), "toNode": .string("m-bca"), "holderNode": .string("m-bca")], at: 2_000)
        let arrived = event(1, .transferReceived, ["status": .int(4), "state": .string("forwarded"), "holderUnit": .string("M-BCA.C01"), "hop": .int(1),
                                                   "transferId": .string("t1"), "holderNode": .string("m-bca"), "receivingNode": .string("p79")], at: 3_000)
        let assigned = event(2, .assigned, ["status": .int(4), "state": .string("assigned"), "holderUnit": .string("M-BCA.C01"), "hop": .int(1),
                                            "holderNode": .string("m-bca")], at: 4_000)
        // The ministry's events reach the hub before the province's departure.
        var row = NationalProjection.apply(filed, node: "p79", to: nil)
        row = NationalProjection.apply(arrived, node: "m-bca", to: row)
        row = NationalProjection.apply(assigned, node: "m-bca", to: row)
        row = NationalProjection.apply(left, node: "p79", to: row)
        #expect(row?.state == "assigned" && row?.holderNode == "m-bca" && row?.node == "p79" && row?.crossNode == true)
        // In the other order the departure speaks first, then the arrival.
        var other = NationalProjection.apply(filed, node: "p79", to: nil)
        other = NationalProjection.apply(left, node: "p79", to: other)
        #expect(other?.state == "transferred" && other?.holderNode == "m-bca")
        other = NationalProjection.apply(arrived, node: "m-bca", to: other)
        #expect(other?.state == "forwarded")
        // A node that neither filed nor holds the dossier cannot move it.
        let intruder = event(9, .decided, ["status": .int(9), "state": .string("decided"), "hop": .int(5), "holderNode": .string("p01")], at: 5_000)
        #expect(NationalProjection.apply(intruder, node: "p48", to: other) == nil)
    }

    /// Events written before times were integers (version 1: ISO 8601 texts, the stay index as `i`) fold
    /// into the same row and stays as the same events written now (version 2).
    @Test func versionOneAndVersionTwoPayloadsProjectAlike() throws {
        let arrived = VietnamTime.parseISO8601("2026-03-02T08:00:00+07:00")!
        let due = VietnamTime.parseISO8601("2026-03-09T17:00:00+07:00")!
        var stay = DossierHop(node: "p01", unit: "P01.D01.C01", level: .commune, arrivedAt: arrived)
        stay.receivedAt = arrived.addingTimeInterval(3600)
        var current = EventPayload()
        current[.status] = .int(2)
        current[.holderUnit] = "P01.D01.C01"
        current[.hop] = .int(0)
        current.set(.dueAt, time: due)
        current[.path] = .array([stay.json(index: 0)])
        #expect(current[.version] == .int(2))
        let legacy: [String: JSONValue] = [
            "status": .int(2), "holderUnit": .string("P01.D01.C01"), "hop": .int(0), "dueAt": .string("2026-03-09T17:00:00+07:00"),
            "path": .array([.object([
                "i": .int(0), "node": .string("p01"), "unit": .string("P01.D01.C01"), "level": .string("commune"),
                "arrivedAt": .string("2026-03-02T08:00:00+07:00"), "receivedAt": .string("2026-03-02T09:00:00+07:00"),
            ])]),
        ]
        guard case .object(let members) = current.json else { Issue.record("not an object"); return }
        let new = NationalProjection.fold([event(1, .received, members, at: 1_000)], node: "p01", from: [:])
        let old = NationalProjection.fold([event(1, .received, legacy, at: 1_000)], node: "p01", from: [:])
        #expect(new.rows["D1"] == old.rows["D1"])
        #expect(new.rows["D1"]?.dueAtMs == Int64(due.timeIntervalSince1970 * 1000))
        #expect(new.hops == old.hops && new.hops["D1"]?[0]?.receivedAtMs == Int64(stay.receivedAt!.timeIntervalSince1970 * 1000))
    }
}
