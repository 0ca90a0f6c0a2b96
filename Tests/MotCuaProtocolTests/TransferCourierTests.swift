import Foundation
import MotCuaCore
import Testing

@testable import MotCuaProtocol

@Suite("The node's transfer courier")
struct TransferCourierTests {
    let t0: Int64 = 1_772_416_800_000

    @Test func unitsAreRegisteredAtStartRetriedEveryFiveSecondsThenRenewedEveryTenMinutes() {
        var courier = TransferCourier(startedAtMs: t0, seed: 1)
        #expect(courier.due(nowMs: t0) == [.registerUnits, .refreshDirectory])
        // The registration failed: not again within 5 s, again after.
        courier.unitsRegistered(false, nowMs: t0 + 10)
        courier.directoryRefreshed(true, nowMs: t0 + 10)
        #expect(!courier.due(nowMs: t0 + 4_000).contains(.registerUnits))
        #expect(courier.due(nowMs: t0 + 5_001).contains(.registerUnits))
        #expect(!courier.unitsRegistered)
        courier.unitsRegistered(true, nowMs: t0 + 5_050)
        #expect(courier.unitsRegistered)
        #expect(!courier.due(nowMs: t0 + 300_000).contains(.registerUnits))
        #expect(courier.due(nowMs: t0 + 5_050 + 600_001).contains(.registerUnits))
        // A renewal the hub does not take keeps the node registered and is tried again after 5 s, not at
        // every round.
        courier.unitsRegistered(false, nowMs: t0 + 605_100)
        #expect(courier.unitsRegistered)
        #expect(!courier.due(nowMs: t0 + 606_000).contains(.registerUnits))
        #expect(courier.due(nowMs: t0 + 611_200).contains(.registerUnits))
    }

    @Test func theDirectoryIsFetchedOftenWhileTheFederationStartsThenEveryThirtySeconds() {
        var courier = TransferCourier(startedAtMs: t0, seed: 1)
        _ = courier.due(nowMs: t0)
        courier.directoryRefreshed(true, nowMs: t0)
        #expect(!courier.due(nowMs: t0 + 1_500).contains(.refreshDirectory))
        #expect(courier.due(nowMs: t0 + 2_001).contains(.refreshDirectory))
        // A failed fetch is tried again at the next round.
        courier.directoryRefreshed(false, nowMs: t0 + 2_001)
        #expect(courier.due(nowMs: t0 + 2_002).contains(.refreshDirectory))
        courier.directoryRefreshed(true, nowMs: t0 + 70_000)
        #expect(!courier.due(nowMs: t0 + 90_000).contains(.refreshDirectory))
        #expect(courier.due(nowMs: t0 + 100_001).contains(.refreshDirectory))
    }

    @Test func theHubsAnswerDecidesWhatBecomesOfAHandOver() {
        var courier = TransferCourier(startedAtMs: t0, seed: 7)
        let receipt = TransferReceipt(transferId: "t-1", result: .queued, destination: "m-bca")
        #expect(courier.answered(status: 200, receipt: receipt, detail: nil, attempts: 0, nowMs: t0) == .handedOver(destination: "m-bca"))
        #expect(courier.answered(status: 422, receipt: nil, detail: "no node serves unit X", attempts: 0, nowMs: t0) == .sendBack(reason: "no node serves unit X"))
        #expect(courier.answered(status: 409, receipt: nil, detail: nil, attempts: 3, nowMs: t0) == .sendBack(reason: "the hub refused the transfer (HTTP 409)"))
        // Anything else (the hub busy, a body that is not a receipt) is tried again after the back-off.
        for (status, receipt) in [(503, nil), (500, nil), (200, nil as TransferReceipt?)] {
            guard case .retry(let atMs, let error) = courier.answered(status: status, receipt: receipt, detail: "busy", attempts: 0, nowMs: t0) else {
                Issue.record("HTTP \(status) should be retried")
                continue
            }
            #expect(atMs >= t0 + 500 && atMs <= t0 + 1_000)
            #expect(error.contains("\(status)"))
        }
    }

    @Test func anUnansweredHandOverBacksOffToAMinuteAndASeedReplaysIt() {
        func schedule(seed: UInt64) -> [Int64] {
            var courier = TransferCourier(startedAtMs: t0, seed: seed)
            return (0..<12).map { attempts in
                guard case .retry(let atMs, _) = courier.unanswered(error: "connection refused", attempts: attempts, nowMs: t0) else { return -1 }
                return atMs - t0
            }
        }
        let delays = schedule(seed: 3)
        #expect(delays == schedule(seed: 3))
        #expect(delays != schedule(seed: 4))
        for (attempts, delay) in delays.enumerated() {
            let ceiling = min(60_000, Int64(1_000) << Int64(attempts))
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
    }

    @Test func aMailboxThatCannotBeReadIsAskedAgainBackingOffToFiveSeconds() {
        var courier = TransferCourier(startedAtMs: t0, seed: 1)
        #expect((0..<6).map { _ in courier.mailboxRead(answered: false) } == [500, 1_000, 2_000, 4_000, 5_000, 5_000])
        #expect(courier.mailboxFailures == 6)
        #expect(courier.mailboxRead(answered: true) == 0)
        #expect(courier.mailboxRead(answered: false) == 500)
    }

    @Test func theRoutingMessagesReadWhatTheyWrite() throws {
        let receipt = TransferReceipt(transferId: "t-1", result: .duplicate, destination: nil)
        let text = String(decoding: try JSONEncoder().encode(receipt), as: UTF8.self)
        #expect(text.contains("\"destination\":null"))
        #expect(try JSONDecoder().decode(TransferReceipt.self, from: Data(text.utf8)) == receipt)

        let registration = UnitRegistration(units: [.init(code: "P79", name: "TP. Hồ Chí Minh", level: .province, parentCode: nil)])
        let decoded = try JSONDecoder().decode(UnitRegistration.self, from: try JSONEncoder().encode(registration))
        #expect(decoded.directoryEntries(node: "p79") == [FederationUnit(code: "P79", node: "p79", name: "TP. Hồ Chí Minh", level: .province)])

        let entry = MailboxEntry(
            transferId: "t-2", dossierCode: "C", kind: .handOver, source: "p79", destination: "m-bca", toUnit: "M-BCA.C01", state: .queued, enqueuedAtMs: t0)
        let answers = MailboxAcknowledgementReceipt(["t-2": .remove(entry), "t-3": .alreadyDone, "t-4": .ignore("unknown transfer")])
        #expect(answers.results == ["t-2": "acknowledged", "t-3": "already-acknowledged", "t-4": "ignored: unknown transfer"])
    }
}
