import Foundation
import MotCuaCore
import Testing

@testable import MotCuaProtocol

/// A real hash chain of `count` events, sealed with the production rules.
private func chain(_ count: Int, payloadPadding: Int = 0) -> [Event] {
    var events: [Event] = []
    var prev = EventChain.genesisHash
    var hlc: Int64 = 0
    for index in 1...count {
        let draft = EventDraft(
            dossierCode: "HN-260302-\(index)", kind: .submitted, actor: "applicant",
            at: Date(timeIntervalSince1970: 1_772_400_000 + Double(index)),
            payload: .object(["n": .int(Int64(index)), "pad": .string(String(repeating: "x", count: payloadPadding))]))
        let event = EventChain.seal(draft, seq: Int64(index), prevHash: prev, lastHLC: hlc)
        events.append(event)
        prev = event.hash
        hlc = event.hlc
    }
    return events
}

/// The batch a node would send for `events[range]` (1-based seqs).
private func batch(_ events: [Event], _ seqs: ClosedRange<Int>, node: String = "hn") -> ReplicationBatch {
    let slice = Array(events[(seqs.lowerBound - 1)...(seqs.upperBound - 1)])
    return ReplicationBatch(nodeID: node, firstSeq: Int64(seqs.lowerBound), prevHash: slice[0].prevHash, events: slice)
}

private func cursor(_ events: [Event], at seq: Int, node: String = "hn") -> NodeCursor {
    NodeCursor(nodeID: node, appliedSeq: Int64(seq), appliedHash: seq == 0 ? EventChain.genesisHash : events[seq - 1].hash)
}

private let t0 = Date(timeIntervalSince1970: 1_772_400_000)
private let limits = ReplicationLimits()

/// Decides both ways, checking the batch's own links in the decision and beforehand (as the hub does):
/// every receiver test below also shows that the two agree.
private func decide(_ cursor: NodeCursor, _ batch: ReplicationBatch, as node: String = "hn") -> ReplicationReceiver.Decision {
    let inline = ReplicationReceiver.decide(cursor: cursor, batch: batch, authenticatedNodeID: node, limits: limits)
    let beforehand = ReplicationReceiver.decide(
        cursor: cursor, batch: batch, authenticatedNodeID: node, limits: limits, linkCheck: ReplicationReceiver.checkLinks(of: batch))
    #expect(inline == beforehand)
    return inline
}

/// Moves `cursor` as the hub shell would after performing `decision`.
private func perform(_ decision: ReplicationReceiver.Decision, on cursor: inout NodeCursor) {
    switch decision {
    case .apply(_, let seq, let hash):
        cursor.appliedSeq = seq
        cursor.appliedHash = hash
    case .quarantine(_, let reason):
        cursor.quarantined = reason
    case .reply, .refuse:
        break
    }
}

/// The batch of the single `.send` among `actions`.
private func sentBatch(_ actions: [ReplicationSender.Action]) -> ReplicationBatch? {
    for action in actions { if case .send(let batch) = action { return batch } }
    return nil
}

private func scheduledDelayMs(_ actions: [ReplicationSender.Action], from now: Date) -> Int64? {
    for action in actions {
        if case .scheduleTick(let at) = action { return Int64((at.timeIntervalSince(now) * 1000).rounded()) }
    }
    return nil
}

private func hasAlarm(_ actions: [ReplicationSender.Action]) -> Bool {
    actions.contains { if case .raiseAlarm = $0 { true } else { false } }
}

@Suite("Replication receiver")
struct ReplicationReceiverTests {
    let events = chain(10)

    @Test func appliesAContinuingBatch() {
        let decision = decide(cursor(events, at: 0), batch(events, 1...3))
        #expect(decision == .apply(events: Array(events[0..<3]), newSeq: 3, newHash: events[2].hash))
        #expect(decision.reply == .applied(appliedSeq: 3, appliedHash: events[2].hash))
    }

    @Test func duplicateBatchIsAcknowledgedWithoutApplying() {
        #expect(decide(cursor(events, at: 3), batch(events, 1...3)) == .reply(.duplicate(appliedSeq: 3, appliedHash: events[2].hash)))
        // Older than the applied position: still a duplicate, answered with the hub's (newer) position.
        #expect(decide(cursor(events, at: 5), batch(events, 1...2)) == .reply(.duplicate(appliedSeq: 5, appliedHash: events[4].hash)))
    }

    @Test func partiallyAppliedPrefixIsSkipped() {
        let decision = decide(cursor(events, at: 4), batch(events, 2...7))
        #expect(decision == .apply(events: Array(events[4..<7]), newSeq: 7, newHash: events[6].hash))
    }

    @Test func gapAnswersTheExpectedSeq() {
        #expect(decide(cursor(events, at: 2), batch(events, 5...6)) == .reply(.gap(expectedSeq: 3, appliedHash: events[1].hash)))
    }

    @Test func outOfOrderBatchesConvergeInOrder() {
        var hub = cursor(events, at: 0)
        let early = batch(events, 1...3)
        let late = batch(events, 4...6)
        let first = decide(hub, late)
        #expect(first == .reply(.gap(expectedSeq: 1, appliedHash: EventChain.genesisHash)))
        perform(first, on: &hub)
        #expect(hub.appliedSeq == 0)
        let second = decide(hub, early)
        perform(second, on: &hub)
        #expect(hub.appliedSeq == 3)
        let third = decide(hub, late)
        #expect(third == .apply(events: Array(events[3..<6]), newSeq: 6, newHash: events[5].hash))
    }

    @Test func tamperedPayloadQuarantines() {
        var tampered = batch(events, 3...6)
        tampered.events[1].payload = tampered.events[1].payload.replacingOccurrences(of: "4", with: "9")
        guard case .quarantine(let seq, let reason) = decide(cursor(events, at: 2), tampered) else {
            Issue.record("tampering not caught"); return
        }
        #expect(seq == 4)
        #expect(reason.contains("altered"))
    }

    @Test func wrongPrevHashQuarantines() {
        var relinked = batch(events, 3...4)
        relinked.prevHash = String(repeating: "f", count: 64)
        guard case .quarantine(let seq, _) = decide(cursor(events, at: 2), relinked) else {
            Issue.record("wrong batch prevHash not caught"); return
        }
        #expect(seq == 3)

        // An event that links to something else (its own prevHash, inside the batch).
        var inner = batch(events, 3...5)
        inner.events[2].prevHash = String(repeating: "e", count: 64)
        guard case .quarantine(let innerSeq, _) = decide(cursor(events, at: 2), inner) else {
            Issue.record("wrong event prevHash not caught"); return
        }
        #expect(innerSeq == 5)
    }

    @Test func rewrittenAppliedPrefixQuarantines() {
        // The hub applied a different event 3 than the one now sent: the node's log was rewritten.
        let other = chain(5, payloadPadding: 1)
        guard case .quarantine(let seq, _) = decide(cursor(other, at: 3), batch(events, 1...5)) else {
            Issue.record("rewritten prefix not caught"); return
        }
        #expect(seq == 3)
    }

    @Test func alteredAppliedPrefixDoesNotLetMadeUpEventsThrough() {
        // Events 1-4 are applied. The batch re-sends 3-4 with event 3's payload altered (its hash kept),
        // then "fresh" events 5-6 whose prevHash and hash are made up.
        var forged = batch(events, 3...6)
        forged.events[0].payload = forged.events[0].payload.replacingOccurrences(of: "3", with: "8")
        forged.events[2].prevHash = String(repeating: "a", count: 64)
        forged.events[2].hash = String(repeating: "b", count: 64)
        forged.events[3].prevHash = String(repeating: "b", count: 64)
        forged.events[3].hash = String(repeating: "c", count: 64)
        guard case .quarantine(let seq, _) = decide(cursor(events, at: 4), forged) else {
            Issue.record("made-up events after an altered prefix were not quarantined"); return
        }
        #expect(seq == 3)

        // Only the altered prefix, nothing fresh: refused too, not answered as a duplicate.
        var altered = batch(events, 2...4)
        altered.events[0].payload = altered.events[0].payload.replacingOccurrences(of: "2", with: "7")
        guard case .quarantine(let prefixSeq, _) = decide(cursor(events, at: 4), altered) else {
            Issue.record("an altered already-applied event was skipped"); return
        }
        #expect(prefixSeq == 2)
    }

    @Test func firstEventMustCarryTheBatchPrevHash() {
        // The batch says it continues from the applied hash, but its first event links elsewhere (and is
        // sealed consistently with that made-up link).
        let draft = EventDraft(dossierCode: "HN-1", kind: .submitted, actor: "applicant", at: t0, payload: .object([:]))
        let madeUp = EventChain.seal(draft, seq: 3, prevHash: String(repeating: "d", count: 64), lastHLC: 0)
        let relinked = ReplicationBatch(nodeID: "hn", firstSeq: 3, prevHash: events[1].hash, events: [madeUp])
        guard case .quarantine(let seq, _) = decide(cursor(events, at: 2), relinked) else {
            Issue.record("an event linking elsewhere was applied"); return
        }
        #expect(seq == 3)
    }

    /// For random batches with random tampering anywhere, nothing is applied unless every fresh event
    /// chains from the applied head and every hash holds; and a batch with any tampered event is never
    /// applied or acknowledged.
    @Test(arguments: 0..<8)
    func noTamperedEventIsEverApplied(round: Int) {
        let log = chain(40)
        var random = SplitMix64(seed: 0x5EED_0000 + UInt64(round))
        func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }
        for trial in 0..<400 {
            let applied = pick(0...30)
            let first = pick(max(1, applied - 8)...(applied + 1))
            let last = pick(first...min(40, first + 9))
            var sent = batch(log, first...last)
            var tampered = false
            let tamperings = pick(0...2)
            for _ in 0..<tamperings {
                let at = pick(0...(sent.events.count - 1))
                switch pick(0...5) {
                case 0: sent.events[at].payload += " "
                case 1: sent.events[at].hash = String(repeating: "1", count: 64)
                case 2: sent.events[at].prevHash = String(repeating: "2", count: 64)
                case 3: sent.events[at].actor = "officer:mallory"
                case 4: sent.prevHash = String(repeating: "3", count: 64)
                default:
                    // A consistent forgery from `at` on: re-sealed events that link to a made-up hash.
                    var prev = String(repeating: "4", count: 64)
                    for index in at..<sent.events.count {
                        let original = sent.events[index]
                        let draft = EventDraft(
                            dossierCode: original.dossierCode, kind: .submitted, actor: "officer:mallory",
                            at: Date(timeIntervalSince1970: Double(original.timeMs) / 1000), payload: .object(["forged": .int(1)]))
                        sent.events[index] = EventChain.seal(draft, seq: original.seq, prevHash: prev, lastHLC: 0)
                        prev = sent.events[index].hash
                    }
                    if at == 0 { sent.prevHash = sent.events[0].prevHash }
                }
                tampered = tampered || sent != batch(log, first...last)
            }
            let hub = cursor(log, at: applied)
            let decision = decide(hub, sent)
            switch decision {
            case .apply(let fresh, let newSeq, let newHash):
                var verifier = EventChain.Verifier(lastSeq: hub.appliedSeq, lastHash: hub.appliedHash)
                for event in fresh {
                    #expect(verifier.check(event) == nil, "round \(round) trial \(trial): applied an event that does not chain")
                }
                #expect(fresh == Array(log[applied..<last]), "round \(round) trial \(trial): applied something the node never wrote")
                #expect(newSeq == Int64(last) && newHash == log[last - 1].hash)
                #expect(!tampered, "round \(round) trial \(trial): a tampered batch was applied")
            case .reply(.duplicate(let seq, let hash)):
                // Nothing is applied, and the answer is the hub's own position. A batch wholly before the
                // applied head that is consistent in itself (a re-sealed forgery) cannot be told from the
                // original: the hub keeps only the head's hash. Any other tampering is caught.
                #expect(seq == hub.appliedSeq && hash == hub.appliedHash)
                #expect(!tampered || last < applied, "round \(round) trial \(trial): a tampered batch was acknowledged as a duplicate")
            case .reply(.gap), .quarantine:
                break
            default:
                Issue.record("round \(round) trial \(trial): unexpected \(decision)")
            }
        }
    }

    @Test func quarantinedNodeIsAnsweredSo() {
        var hub = cursor(events, at: 2)
        hub.quarantined = "event 4: altered"
        #expect(decide(hub, batch(events, 3...4)) == .reply(.quarantined(reason: "event 4: altered")))
    }

    @Test func wrongIdentityIsRefused() {
        let decision = decide(cursor(events, at: 0, node: "hcm"), batch(events, 1...2, node: "hn"), as: "hcm")
        guard case .refuse(let reason) = decision else { Issue.record("another node's log accepted"); return }
        #expect(reason.contains("hcm"))
        #expect(decision.reply == nil)
    }

    @Test func malformedOrOversizedBatchesAreRefused() {
        var newer = batch(events, 1...2)
        newer.version = 2
        var holes = batch(events, 1...3)
        holes.events.remove(at: 1)
        let empty = ReplicationBatch(nodeID: "hn", firstSeq: 1, prevHash: EventChain.genesisHash, events: [])
        let small = ReplicationLimits(maxEvents: 2, maxBytes: 1 << 20)
        let tiny = ReplicationLimits(maxEvents: 100, maxBytes: 300)
        for (candidate, bounds) in [(newer, limits), (holes, limits), (empty, limits), (batch(events, 1...3), small), (batch(events, 1...2), tiny)] {
            let decision = ReplicationReceiver.decide(cursor: cursor(events, at: 0), batch: candidate, authenticatedNodeID: "hn", limits: bounds)
            guard case .refuse = decision else { Issue.record("accepted: \(decision)"); continue }
        }
        // A single event over the byte limit is still accepted: it could never travel otherwise.
        let decision = ReplicationReceiver.decide(cursor: cursor(events, at: 0), batch: batch(events, 1...1), authenticatedNodeID: "hn", limits: tiny)
        #expect(decision == .apply(events: [events[0]], newSeq: 1, newHash: events[0].hash))
    }

    @Test func replyWireFormatRoundTrips() throws {
        let replies: [ReplicationReply] = [
            .applied(appliedSeq: 7, appliedHash: "ab"), .duplicate(appliedSeq: 3, appliedHash: "cd"),
            .gap(expectedSeq: 4, appliedHash: "ef"), .chainBroken(seq: 9, reason: "altered"), .quarantined(reason: "q"),
        ]
        for reply in replies {
            let data = try JSONEncoder().encode(reply)
            #expect(try JSONDecoder().decode(ReplicationReply.self, from: data) == reply)
        }
        let gap = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ReplicationReply.gap(expectedSeq: 4, appliedHash: "ef"))) as? [String: Any]
        #expect(gap?["result"] as? String == "gap")
        #expect(gap?["expectedSeq"] as? Int == 4)
        #expect(gap?["version"] as? Int == 1)
        let broken = Data(#"{"result":"chain-broken","seq":5,"reason":"x"}"#.utf8)
        #expect(try JSONDecoder().decode(ReplicationReply.self, from: broken) == .chainBroken(seq: 5, reason: "x"))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ReplicationReply.self, from: Data(#"{"result":"maybe"}"#.utf8))
        }

        let sent = batch(events, 1...2)
        #expect(try JSONDecoder().decode(ReplicationBatch.self, from: JSONEncoder().encode(sent)) == sent)
    }
}

@Suite("Replication sender")
struct ReplicationSenderTests {
    let events = chain(12)

    func started(ack: Int = 0, head: Int = 0, seed: UInt64 = 1) -> (ReplicationSender, [ReplicationSender.Action]) {
        var sender = ReplicationSender(nodeID: "hn", seed: seed)
        let hash = ack == 0 ? EventChain.genesisHash : events[ack - 1].hash
        let actions = sender.start(acknowledged: (Int64(ack), hash), localHead: Int64(head), now: t0)
        return (sender, actions)
    }

    /// What the shell's load returns for `.load(afterSeq:limit:maxBytes:)`.
    func read(after seq: Int64, upTo head: Int) -> [Event] {
        Array(events[Int(seq)..<head])
    }

    @Test func idleSenderStaysQuiet() {
        let (sender, actions) = started()
        #expect(actions.isEmpty)
        #expect(sender.phase == .idle)
        #expect(sender.backlog == 0)
    }

    @Test func commitIsSentAtOnceAndAckAdvancesAndPersists() {
        var (sender, _) = started()
        var hub = cursor(events, at: 0)
        #expect(sender.committed(localHead: 3, now: t0) == [.load(afterSeq: 0, limit: 2000, maxBytes: 1 << 20)])
        #expect(sender.backlog == 3)
        let sent = sentBatch(sender.loaded(events: read(after: 0, upTo: 3), now: t0))
        #expect(sent == batch(events, 1...3))
        let decision = decide(hub, sent!)
        perform(decision, on: &hub)
        let later = t0.addingTimeInterval(0.004)
        #expect(sender.lagMs(now: later) == 4)
        #expect(sender.replied(decision.reply!, now: later) == [.persistAcknowledged(seq: 3, hash: events[2].hash)])
        #expect(sender.acknowledgedSeq == 3)
        #expect(sender.acknowledgedHash == events[2].hash)
        #expect(sender.backlog == 0)
        #expect(sender.lagMs(now: later) == 0)
        #expect(sender.phase == .idle)
    }

    @Test func duplicateReplyAdvancesWithoutResending() {
        // The node restarted having lost its last persisted ack; the hub already holds 1...3.
        var (sender, actions) = started(ack: 0, head: 3)
        #expect(actions == [.load(afterSeq: 0, limit: 2000, maxBytes: 1 << 20)])
        let sent = sentBatch(sender.loaded(events: read(after: 0, upTo: 3), now: t0))!
        let decision = decide(cursor(events, at: 3), sent)
        #expect(decision == .reply(.duplicate(appliedSeq: 3, appliedHash: events[2].hash)))
        #expect(sender.replied(decision.reply!, now: t0) == [.persistAcknowledged(seq: 3, hash: events[2].hash)])
        #expect(sender.phase == .idle)
    }

    @Test func hubAheadOfWhatWasSentIsAdoptedWithinTheLocalLog() {
        var (sender, _) = started(ack: 0, head: 8)
        _ = sender.loaded(events: read(after: 0, upTo: 2), now: t0)
        // The hub has 1...6 (our ack was lost): jump there and continue from 6.
        #expect(sender.replied(.duplicate(appliedSeq: 6, appliedHash: events[5].hash), now: t0)
            == [.persistAcknowledged(seq: 6, hash: events[5].hash), .load(afterSeq: 6, limit: 2000, maxBytes: 1 << 20)])

        // A hub position beyond the local log is not adopted: the local log lost events.
        var (other, _) = started(ack: 0, head: 2)
        _ = other.loaded(events: read(after: 0, upTo: 2), now: t0)
        let actions = other.replied(.applied(appliedSeq: 9, appliedHash: events[8].hash), now: t0)
        #expect(hasAlarm(actions))
        #expect(!actions.contains(.persistAcknowledged(seq: 9, hash: events[8].hash)))
        #expect(other.haltReason != nil)
    }

    @Test func gapRewindsToTheHubPosition() {
        // The hub was restored to seq 2 while the node believes 4 was acknowledged.
        var hub = cursor(events, at: 2)
        var (sender, actions) = started(ack: 4, head: 6)
        #expect(actions == [.load(afterSeq: 4, limit: 2000, maxBytes: 1 << 20)])
        let sent = sentBatch(sender.loaded(events: read(after: 4, upTo: 6), now: t0))!
        let decision = decide(hub, sent)
        #expect(decision == .reply(.gap(expectedSeq: 3, appliedHash: events[1].hash)))
        #expect(sender.replied(decision.reply!, now: t0)
            == [.persistAcknowledged(seq: 2, hash: events[1].hash), .load(afterSeq: 2, limit: 2000, maxBytes: 1 << 20)])
        let resent = sentBatch(sender.loaded(events: read(after: 2, upTo: 6), now: t0))!
        #expect(resent.firstSeq == 3)
        let applied = decide(hub, resent)
        perform(applied, on: &hub)
        #expect(hub.appliedSeq == 6)
        #expect(sender.replied(applied.reply!, now: t0) == [.persistAcknowledged(seq: 6, hash: events[5].hash)])
    }

    @Test func chainBreakHaltsWithAnAlarmUntilResumed() {
        var hub = cursor(events, at: 0)
        var (sender, _) = started(ack: 0, head: 4)
        var sent = sentBatch(sender.loaded(events: read(after: 0, upTo: 4), now: t0))!
        sent.events[2].payload = sent.events[2].payload.replacingOccurrences(of: "3", with: "5")
        let decision = decide(hub, sent)
        guard case .quarantine(3, _) = decision else { Issue.record("not quarantined: \(decision)"); return }
        perform(decision, on: &hub)

        let actions = sender.replied(decision.reply!, now: t0)
        #expect(actions.count == 1)
        #expect(hasAlarm(actions))
        #expect(sender.haltReason != nil)
        #expect(sender.committed(localHead: 5, now: t0).isEmpty)
        #expect(sender.tick(now: t0.addingTimeInterval(60)).isEmpty)
        #expect(sender.failed(now: t0).isEmpty)

        // Later requests are answered "quarantined", which also halts.
        #expect(sender.resume() == [.load(afterSeq: 0, limit: 2000, maxBytes: 1 << 20)])
        let again = sentBatch(sender.loaded(events: read(after: 0, upTo: 5), now: t0))!
        let answer = decide(hub, again)
        guard case .reply(.quarantined) = answer else { Issue.record("quarantine not kept: \(answer)"); return }
        #expect(hasAlarm(sender.replied(answer.reply!, now: t0)))
        #expect(sender.haltReason != nil)
    }

    @Test func oneBatchInFlightThenTheNextGoesAtOnce() {
        var hub = cursor(events, at: 0)
        var (sender, _) = started()
        _ = sender.committed(localHead: 2, now: t0)
        let first = sentBatch(sender.loaded(events: read(after: 0, upTo: 2), now: t0))!
        #expect(sender.committed(localHead: 3, now: t0).isEmpty)
        #expect(sender.committed(localHead: 5, now: t0).isEmpty)
        #expect(sender.tick(now: t0).isEmpty)
        #expect(sender.inFlight == first)
        #expect(sender.backlog == 5)

        let decision = decide(hub, first)
        perform(decision, on: &hub)
        #expect(sender.replied(decision.reply!, now: t0)
            == [.persistAcknowledged(seq: 2, hash: events[1].hash), .load(afterSeq: 2, limit: 2000, maxBytes: 1 << 20)])
        // The waiting commits went out together.
        let second = sentBatch(sender.loaded(events: read(after: 2, upTo: 5), now: t0))!
        #expect(second == batch(events, 3...5))
        let next = decide(hub, second)
        #expect(sender.replied(next.reply!, now: t0) == [.persistAcknowledged(seq: 5, hash: events[4].hash)])
        // A stale reply (nothing in flight any more) is ignored.
        #expect(sender.replied(decision.reply!, now: t0).isEmpty)
        #expect(sender.acknowledgedSeq == 5)
    }

    @Test func lagTracksTheOldestUnacknowledgedCommit() {
        var (sender, _) = started()
        _ = sender.committed(localHead: 1, now: t0)
        _ = sender.loaded(events: read(after: 0, upTo: 1), now: t0)
        _ = sender.committed(localHead: 2, now: t0.addingTimeInterval(0.010))
        #expect(sender.lagMs(now: t0.addingTimeInterval(0.015)) == 15)
        _ = sender.replied(.applied(appliedSeq: 1, appliedHash: events[0].hash), now: t0.addingTimeInterval(0.015))
        // Event 1 is acknowledged; event 2, committed at +10 ms, is now the oldest.
        #expect(sender.lagMs(now: t0.addingTimeInterval(0.020)) == 10)
    }

    @Test func backoffGrowsIsBoundedAndReplaysFromASeed() {
        func delays(seed: UInt64) -> [Int64] {
            var (sender, _) = started(ack: 0, head: 3, seed: seed)
            var now = t0
            var result: [Int64] = []
            for _ in 0..<20 {
                // Each attempt: the load succeeds, the send fails, the retry timer fires.
                _ = sender.loaded(events: read(after: 0, upTo: 3), now: now)
                let actions = sender.failed(now: now)
                guard let delay = scheduledDelayMs(actions, from: now) else { Issue.record("no retry scheduled"); break }
                result.append(delay)
                let early = sender.tick(now: now)
                #expect(early == [.scheduleTick(at: sender.retryAt!)])
                now = sender.retryAt!
                #expect(sender.tick(now: now) == [.load(afterSeq: 0, limit: 2000, maxBytes: 1 << 20)])
            }
            return result
        }
        let runA = delays(seed: 42)
        let runB = delays(seed: 42)
        #expect(runA.count == 20)
        #expect(runA == runB)
        #expect(runA != delays(seed: 43))

        let policy = RetryBackoff.replication
        #expect((1...7).map { policy.ceilingMs(failures: $0) } == [100, 200, 400, 800, 1000, 1000, 1000])
        #expect(policy.ceilingMs(failures: 1000) == 1000)
        for (index, delay) in runA.enumerated() {
            #expect(delay >= 10)
            #expect(delay <= policy.ceilingMs(failures: index + 1))
        }

        // Over many draws the delays fill the whole range up to the cap, never past it.
        var generator = SplitMix64(seed: 7)
        let late = (0..<2000).map { _ in policy.delayMs(failures: 30, using: &generator) }
        #expect(late.allSatisfy { $0 >= 10 && $0 <= 1000 })
        #expect(late.max()! > 900)
        #expect(late.min()! < 100)
        let early = (0..<2000).map { _ in policy.delayMs(failures: 1, using: &generator) }
        #expect(early.allSatisfy { $0 >= 10 && $0 <= 100 })
        #expect(early.contains(10))
    }

    @Test func aHubThatIsNotListeningIsTriedAgainWithinATenthOfASecond() {
        let policy = RetryBackoff.replication
        #expect((1...5).map { policy.ceilingMs(failures: $0, listening: false) } == [100, 100, 100, 100, 100])
        // A lower cap than the general one never raises it.
        var lowCap = RetryBackoff.replication
        lowCap.capMs = 80
        #expect(lowCap.ceilingMs(failures: 9, listening: false) == 80)

        var (sender, _) = started(ack: 0, head: 3, seed: 5)
        var now = t0
        var refused: [Int64] = []
        for _ in 0..<200 {
            _ = sender.loaded(events: read(after: 0, upTo: 3), now: now)
            guard let delay = scheduledDelayMs(sender.failed(now: now, hubListening: false), from: now) else {
                Issue.record("no retry scheduled")
                break
            }
            refused.append(delay)
            now = sender.retryAt!
            #expect(sender.tick(now: now) == [.load(afterSeq: 0, limit: 2000, maxBytes: 1 << 20)])
        }
        #expect(refused.allSatisfy { $0 >= 10 && $0 <= 100 })
        #expect(refused.dropFirst(3).max()! > 90)
        // The hub answers again but fails (a 5xx, a time-out): the failure count carries on, and the
        // delays are drawn up to the general cap.
        var answered: [Int64] = []
        for _ in 0..<200 {
            _ = sender.loaded(events: read(after: 0, upTo: 3), now: now)
            guard let delay = scheduledDelayMs(sender.failed(now: now), from: now) else { break }
            answered.append(delay)
            now = sender.retryAt!
            _ = sender.tick(now: now)
        }
        #expect(answered.allSatisfy { $0 >= 10 && $0 <= 1000 })
        #expect(answered.max()! > 500)
        #expect(sender.consecutiveFailures == 400)
    }

    @Test func successResetsTheFailureCount() {
        var (sender, _) = started(ack: 0, head: 4)
        _ = sender.loaded(events: read(after: 0, upTo: 2), now: t0)
        _ = sender.failed(now: t0)
        _ = sender.tick(now: sender.retryAt!)
        _ = sender.loaded(events: read(after: 0, upTo: 2), now: t0)
        _ = sender.failed(now: t0)
        #expect(sender.consecutiveFailures == 2)
        _ = sender.tick(now: sender.retryAt!)
        _ = sender.loaded(events: read(after: 0, upTo: 2), now: t0)
        _ = sender.replied(.applied(appliedSeq: 2, appliedHash: events[1].hash), now: t0)
        #expect(sender.consecutiveFailures == 0)
        #expect(sender.phase == .loading(afterSeq: 2))
    }

    @Test func refusalAlarmsOnceAndBacksOff() {
        var (sender, _) = started(ack: 0, head: 2)
        _ = sender.loaded(events: read(after: 0, upTo: 2), now: t0)
        let first = sender.refused(reason: "identity", now: t0)
        #expect(hasAlarm(first))
        #expect(sender.retryAt != nil)
        _ = sender.tick(now: sender.retryAt!)
        _ = sender.loaded(events: read(after: 0, upTo: 2), now: t0)
        let second = sender.refused(reason: "identity", now: t0)
        #expect(!hasAlarm(second))
        #expect(sender.retryAt != nil)
    }

    @Test func emptyLoadBacksOffInsteadOfSpinning() {
        var (sender, _) = started(ack: 0, head: 2)
        let actions = sender.loaded(events: [], now: t0)
        #expect(scheduledDelayMs(actions, from: t0) != nil)
        #expect(sender.inFlight == nil)
    }

    @Test func cutRespectsCountAndBytesAndKeepsOne() {
        let small = chain(10)
        #expect(ReplicationSender.cut(small, limits: ReplicationLimits(maxEvents: 4)).map(\.seq) == [1, 2, 3, 4])
        #expect(ReplicationSender.cut(small, limits: ReplicationLimits()) == small)
        #expect(ReplicationSender.cut([], limits: ReplicationLimits()).isEmpty)

        let size = ReplicationLimits.estimatedBytes(of: small[0])
        #expect(size == small[0].payload.utf8.count + 200)
        let threeFit = ReplicationLimits(maxEvents: 100, maxBytes: size * 3 + size / 2)
        #expect(ReplicationSender.cut(small, limits: threeFit).count == 3)
        let exact = ReplicationLimits(maxEvents: 100, maxBytes: small.prefix(5).reduce(0) { $0 + ReplicationLimits.estimatedBytes(of: $1) })
        #expect(ReplicationSender.cut(small, limits: exact).count == 5)

        let big = chain(3, payloadPadding: 5000)
        #expect(ReplicationSender.cut(big, limits: ReplicationLimits(maxEvents: 100, maxBytes: 1000)) == [big[0]])
        #expect(ReplicationSender.cut(big, limits: ReplicationLimits(maxEvents: 0, maxBytes: 0)) == [big[0]])
    }
}

@Suite("Replication wire format")
struct ReplicationWireTests {
    @Test func fastWriterAndParserAgreeWithCodable() throws {
        let batch = Self.sampleBatch()
        #expect(try ReplicationBatch.parseWire(batch.wireText()) == batch)
        #expect(try JSONDecoder().decode(ReplicationBatch.self, from: Data(batch.wireText().utf8)) == batch)
        #expect(try ReplicationBatch.parseWire(String(decoding: try JSONEncoder().encode(batch), as: UTF8.self)) == batch)
        #expect(throws: (any Error).self) { try ReplicationBatch.parseWire("{\"version\":1}") }
    }

    static func parseBinary(_ bytes: [UInt8]) throws -> ReplicationBatch {
        try bytes.withUnsafeBytes { try ReplicationBatch.parseBinary($0) }
    }

    @Test func binaryFrameCarriesTheSameBatchAndHashes() throws {
        let batch = Self.sampleBatch()
        let frame = batch.binaryFrame()
        let read = try Self.parseBinary(frame)
        #expect(read == batch)
        #expect(read.events[2].dossierCode == nil)
        for event in read.events { #expect(EventChain.recomputedHash(of: event) == event.hash) }
        // An empty batch (a probe) and a batch of another version still travel; the receiver judges them.
        let empty = ReplicationBatch(version: 7, nodeID: "p01", firstSeq: 6, prevHash: batch.events[4].hash, events: [])
        #expect(try Self.parseBinary(empty.binaryFrame()) == empty)
    }

    @Test func malformedBinaryFramesAreErrorsThatNameTheField() throws {
        let batch = Self.sampleBatch()
        let frame = batch.binaryFrame()
        func reason(_ bytes: [UInt8]) -> String {
            do {
                _ = try Self.parseBinary(bytes)
                return "parsed"
            } catch {
                return "\(error)"
            }
        }
        #expect(reason([]).contains("MCB1"))
        #expect(reason(Array("{\"version\":1}".utf8)).contains("MCB1"))
        // Every strict prefix is refused, never read past its end.
        for length in stride(from: 4, to: frame.count, by: 7) { #expect(reason(Array(frame.prefix(length))) != "parsed") }
        #expect(reason(frame + [0]).contains("1 bytes follow the last event"))
        // A count that cannot fit is refused before anything is allocated for it.
        var huge = Array(frame.prefix(4 + 4 + 4 + 3 + 8 + 4 + 64))
        huge += [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(reason(huge).contains("events cannot fit"))
        // A string length beyond the frame.
        var long = Array(frame.prefix(8))
        long += [0x7F, 0xFF, 0xFF, 0xFF]
        #expect(reason(long).contains("nodeID is cut short"))
        // Invalid UTF-8 in a string and unknown flag bits.
        var bad = frame
        let payload = try #require(frame.firstRange(of: Array(batch.events[0].payload.utf8)))
        bad[payload.lowerBound] = 0xFF
        #expect(reason(bad).contains("events[0].payload is not UTF-8"))
        var flagged = frame
        flagged[4 + 4 + 4 + 3 + 8 + 4 + 64 + 4 + 8] = 0x82
        #expect(reason(flagged).contains("events[0].flags has unknown bits"))
    }

    static func sampleBatch() -> ReplicationBatch {
        var events: [Event] = []
        var prev = EventChain.genesisHash
        for seq in 1...5 {
            let event = EventChain.seal(
                EventDraft(dossierCode: seq == 3 ? nil : "X-1", kind: .submitted, actor: "applicant", at: Date(timeIntervalSince1970: 1_772_000_000 + Double(seq)),
                           payload: .object(["tên": .string("Nguyễn \"An\"\n"), "n": .int(Int64(seq))])),
                seq: Int64(seq), prevHash: prev, lastHLC: 0)
            events.append(event)
            prev = event.hash
        }
        return ReplicationBatch(nodeID: "p01", firstSeq: 1, prevHash: EventChain.genesisHash, events: events)
    }
}

@Suite("Projection payloads")
struct ProjectionPayloadTests {
    /// Every field is found by its member name (the lookup reads the name's bytes), and near misses are not.
    @Test func everyFieldIsReadByItsName() {
        let members = ProjectionPayload.fields.map { "\"\($0.name)\":\($0.rawValue)" }
        let payload = ProjectionPayload("{" + (members + [#""statu":99,"statuss":98,"Status":97,"":96"#]).joined(separator: ",") + "}")
        for field in ProjectionPayload.fields { #expect(payload[field] == .int(Int64(field.rawValue)), "\(field.name)") }
        let empty = ProjectionPayload(#"{"statu":1,"procedureCod":2,"resultDocuments":3}"#)
        #expect(ProjectionPayload.fields.allSatisfy { empty[$0] == nil })
        #expect(ProjectionPayload("not json")[.status] == nil)
    }

    /// The table is the node's payload contract: each field the hub reads is one of the names the node
    /// writes by, and members the projection does not read are never parsed into the payload.
    @Test func theFieldTableIsDerivedFromTheContract() {
        #expect(Set(ProjectionPayload.fields.map(\.name)).count == ProjectionPayload.fields.count)
        #expect(Set(PayloadKey.allCases.map(\.name)).count == PayloadKey.allCases.count)
        let unread = PayloadKey.allCases.filter { !ProjectionPayload.fields.contains($0) }
        #expect(unread.contains(.form) && unread.contains(.note))
        let payload = ProjectionPayload(#"{"form":{"a":1},"note":"x","status":4}"#)
        #expect(payload[.form] == nil && payload[.note] == nil && payload[.status] == .int(4))
    }

    /// A batch's payloads are found by seq; a seq outside the batch, or one a malformed batch does not
    /// hold where its place says, finds none (the event's own payload is parsed instead).
    @Test func payloadsAreFoundBySeq() {
        func event(_ seq: Int64, _ status: Int) -> Event {
            Event(seq: seq, dossierCode: "X", kind: "dossier.assigned", actor: "a", timeMs: 0, hlc: 0, payload: #"{"status":\#(status)}"#,
                  prevHash: EventChain.genesisHash, hash: EventChain.genesisHash)
        }
        let payloads = ProjectionPayloads([event(7, 1), event(8, 2), event(9, 3)])
        #expect(payloads[seq: 7]?[.status] == .int(1))
        #expect(payloads[seq: 9]?[.status] == .int(3))
        #expect(payloads[seq: 6] == nil && payloads[seq: 10] == nil && payloads[seq: .min] == nil)
        let gapped = ProjectionPayloads([event(7, 1), event(9, 3)])
        #expect(gapped[seq: 8] == nil)
        #expect(gapped[seq: 9] == nil)
        #expect(ProjectionPayloads()[seq: 0] == nil)
    }
}
