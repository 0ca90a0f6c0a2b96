import Foundation
import Testing

@testable import MotCuaCore

/// Shared fixtures: Hà Nội's sample units, a plain procedure, a fixed clock (Monday 2026-03-02 09:00).
enum Fixture {
    static let units = UnitDirectory(SampleUnits.hanoi)
    static let deadlines = DeadlineCalculator(calendar: WorkingCalendar())
    static let monday = VietnamTime.parseISO8601("2026-03-02T09:00:00+07:00")!
    static let commune = "P01.D01.C01"
    static let procedure = Procedure(
        code: "1.999001", name: "Test procedure", level: .commune, competentAgency: "UBND cấp xã",
        leadTime: .workingDays(3), feeVND: 0, onlineMode: .fullProcess,
        components: [ProcedureComponent(code: "TP1", name: "Tờ khai", mandatory: true), ProcedureComponent(code: "TP2", name: "Phụ lục", mandatory: false)],
        field: "Thử nghiệm")
    static let applicant = Applicant(idNumber: "001095012345", fullName: "Nguyễn Văn An")

    static func officer(_ role: OfficerRole, units: [String] = ["P01"]) -> Actor {
        .officer(username: role.rawValue, roles: [role], units: units)
    }

    static func context(_ actor: Actor, at now: Date = monday, procedure: Procedure = procedure) -> DossierContext {
        var context = DossierContext(procedure: procedure, units: units, deadlines: deadlines, now: now, actor: actor)
        context.nodeID = "p01"
        context.transferID = "transfer-0001"
        context.federation = federation
        context.assignee = officer(.specialist)
        return context
    }

    /// Units of other nodes, as the hub would list them.
    static let federation = FederationDirectory([
        FederationUnit(code: "P79", node: "p79", name: "Trung tâm Phục vụ hành chính công thành phố Hồ Chí Minh", level: .province),
        FederationUnit(code: "P79.C01", node: "p79", name: "Phường 1", level: .commune, parentCode: "P79"),
        FederationUnit(code: "M-BCA", node: "m-bca", name: "Bộ Công an", level: .ministry),
        FederationUnit(code: "M-BCA.C01", node: "m-bca", name: "Cục Quản lý xuất nhập cảnh - Bộ Công an", level: .ministry, parentCode: "M-BCA"),
    ])

    /// A dossier of the given state, with the clock fields that state implies.
    static func dossier(in state: DossierState) -> Dossier {
        var dossier = Dossier(
            code: "000.01.01.H01-260302-0001", procedureCode: procedure.code, procedureVersion: 1, applicant: applicant,
            channel: .online, receivingUnit: commune, competentUnit: commune, holderUnit: commune, state: state,
            submittedAt: monday.addingTimeInterval(-3600), feeVND: 0,
            components: [ReceivedComponent(code: "TP1", name: "Tờ khai", fileName: "a.pdf", sizeBytes: 1, sha256: String(repeating: "a", count: 64))])
        if ![.submitted, .incompleteOnline, .refused].contains(state) {
            dossier.receivedAt = monday.addingTimeInterval(-1800)
            dossier.dueAt = deadlines.dueAt(receivedAt: dossier.receivedAt!, lead: procedure.leadTime)
        }
        // It came from another node, so it can be sent back.
        dossier.arrivedFromUnit = "P79"
        if state == .supplementRequested {
            dossier.pauses = [ClockPause(from: monday.addingTimeInterval(-600), remainingWorkingMinutes: 600)]
        }
        return dossier
    }

    static let upload = ComponentUpload(code: "TP2", fileName: "phu-luc.pdf", bytes: Array("phụ lục".utf8))

    /// A valid command for each action.
    static func command(_ action: DossierAction) -> DossierCommand {
        switch action {
        case .receive: .receive(note: nil)
        case .refuse: .refuse(reasons: ["hồ sơ không thuộc thẩm quyền"])
        case .assign: .assign(assignee: "specialist", note: nil)
        case .requestSupplement: .requestSupplement(items: ["Bản sao giấy khai sinh"], note: nil)
        case .supplement: .supplement(components: [upload], note: nil)
        case .requestPayment: .requestPayment(amountVND: 50_000, description: "Lệ phí")
        case .recordPayment: .recordPayment(amountVND: 50_000, method: .nationalPortal, reference: "PAY-1")
        case .forward: .forward(toUnit: "P01.D01", note: "chuyển huyện thẩm định")
        case .extend: .extend(reason: "cần xác minh thêm", workingDays: 2, newDueAt: nil)
        case .decide: .decide(outcome: .approved, reason: nil, resultSummary: "Cấp giấy", resultDocument: nil)
        case .returnResult: .returnResult(note: nil, satisfaction: 5)
        case .requestWithdrawal: .requestWithdrawal(reason: "không còn nhu cầu")
        case .stop: .stop(reason: "công dân rút hồ sơ")
        case .sendBack: .sendBack(reason: "không thuộc thẩm quyền")
        }
    }

    static let parties: [(Party, Actor)] = [
        (.applicant, .applicant), (.system, .system),
    ] + OfficerRole.allCases.map { (.officer($0), officer($0)) }
}

@Suite("Dossier state machine")
struct DossierMachineTests {
    /// Every state × action × party: legal moves land where the table says; illegal ones are refused
    /// with the right typed error.
    @Test func everyTransitionWithEveryRole() throws {
        var legal = 0
        var refused = 0
        for state in DossierState.allCases {
            for action in DossierAction.allCases {
                for (party, actor) in Fixture.parties {
                    let dossier = Fixture.dossier(in: state)
                    let row = DossierTransition.row(for: action, from: state)
                    do {
                        let outcome = try DossierMachine.apply(Fixture.command(action), to: dossier, context: Fixture.context(actor))
                        let row = try #require(row, "\(action) from \(state) should be illegal")
                        #expect(row.allowed.contains(party), "\(party) must not \(action) from \(state)")
                        #expect(outcome.dossier.state == (row.to ?? state))
                        #expect(outcome.event.kind == row.event)
                        #expect(outcome.event.dossierCode == dossier.code)
                        legal += 1
                    } catch let error as DossierError {
                        refused += 1
                        switch error {
                        case .illegalTransition(let failedAction, let failedState):
                            #expect(row == nil, "\(action) from \(state) is in the table but was refused as illegal")
                            #expect(failedAction == action && failedState == state)
                        case .notPermitted:
                            let row = try #require(row)
                            #expect(!row.allowed.contains(party), "\(party) may \(action) from \(state) but was refused")
                        default:
                            Issue.record("unexpected refusal of \(action) from \(state) by \(party): \(error)")
                        }
                    }
                }
            }
        }
        // Every row of the table was exercised by at least one allowed party.
        let reachable = DossierTransition.table.reduce(0) { $0 + $1.from.count * $1.allowed.count }
        #expect(legal == reachable)
        #expect(refused == DossierState.allCases.count * DossierAction.allCases.count * Fixture.parties.count - legal)
    }

    @Test func terminalStatesAllowNothing() {
        for state in DossierState.allCases where state.isTerminal {
            #expect(DossierTransition.actions(from: state).isEmpty, "\(state) is terminal")
        }
    }

    @Test func nationalStatusCodesCoverOneToTen() {
        #expect(Set(DossierState.allCases.map(\.nationalStatus)) == Set(1...10))
        #expect(DossierState.statusName(10) == "Đã trả kết quả")
    }

    @Test func officerOutsideTheUnitIsOutOfScope() throws {
        let dossier = Fixture.dossier(in: .received)
        let otherDistrict = Fixture.officer(.leader, units: ["P01.D02"])
        #expect(throws: DossierError.outOfScope(action: .assign, unit: Fixture.commune)) {
            try DossierMachine.checkScope(action: .assign, dossier: dossier, actor: otherDistrict, units: Fixture.units)
        }
        // The district that contains the commune covers it.
        try DossierMachine.checkScope(action: .assign, dossier: dossier, actor: Fixture.officer(.leader, units: ["P01.D01"]), units: Fixture.units)
    }

    @Test func extensionOnlyOnceWithApology() throws {
        let leader = Fixture.context(Fixture.officer(.leader))
        let first = try DossierMachine.apply(Fixture.command(.extend), to: Fixture.dossier(in: .assigned), context: leader)
        #expect(first.dossier.extensionCount == 1)
        #expect(first.dossier.dueAt! > first.dossier.originalDueAt!)
        guard case .apology(let form)? = first.form else { Issue.record("no Form 04"); return }
        #expect(form.newAppointmentAt == first.dossier.dueAt)
        #expect(form.previousAppointmentAt == first.dossier.originalDueAt)
        #expect(throws: DossierError.extensionAlreadyUsed) {
            try DossierMachine.apply(Fixture.command(.extend), to: first.dossier, context: leader)
        }
    }

    @Test func supplementPausesAndResumesTheClock() throws {
        let specialist = Fixture.context(Fixture.officer(.specialist))
        let assigned = Fixture.dossier(in: .assigned)
        let paused = try DossierMachine.apply(Fixture.command(.requestSupplement), to: assigned, context: specialist)
        #expect(paused.dossier.state == .supplementRequested)
        #expect(paused.dossier.supplementCount == 1)
        let pause = try #require(paused.dossier.pauses.last)
        #expect(pause.remainingWorkingMinutes == Fixture.deadlines.remainingWorkingMinutes(dueAt: assigned.dueAt!, at: Fixture.monday))
        #expect(!paused.dossier.isOverdue(at: Fixture.monday.addingTimeInterval(30 * 86400)), "a paused clock is never overdue")

        // The applicant supplements a week later: the remaining time starts again from then.
        let later = Fixture.monday.addingTimeInterval(7 * 86400)
        let resumed = try DossierMachine.apply(Fixture.command(.supplement), to: paused.dossier, context: Fixture.context(.applicant, at: later))
        #expect(resumed.dossier.state == .supplemented)
        #expect(resumed.dossier.pauses.last?.until == later)
        #expect(resumed.dossier.dueAt! > assigned.dueAt!.addingTimeInterval(6 * 86400))
        #expect(resumed.dossier.components.contains { $0.code == "TP2" })
        #expect(resumed.uploads == [Fixture.upload])
    }

    /// A dossier already late when the supplement is requested stays late after the supplement arrives.
    @Test func aSupplementDoesNotWashAwayLateness() throws {
        let assigned = Fixture.dossier(in: .assigned)
        let afterDue = assigned.dueAt!.addingTimeInterval(2 * 86_400)
        let paused = try DossierMachine.apply(
            Fixture.command(.requestSupplement), to: assigned, context: Fixture.context(Fixture.officer(.specialist), at: afterDue))
        #expect(paused.dossier.pauses.last?.lateAtPause == true)
        #expect(paused.dossier.isOverdue(at: afterDue), "late while waiting, too")
        let resumed = try DossierMachine.apply(
            Fixture.command(.supplement), to: paused.dossier, context: Fixture.context(.applicant, at: afterDue.addingTimeInterval(86_400)))
        #expect(resumed.dossier.dueAt == assigned.dueAt)
        #expect(resumed.dossier.isOverdue(at: afterDue.addingTimeInterval(86_400)))
        // A withdrawal request while waiting keeps the clock stopped.
        let onTime = try DossierMachine.apply(
            Fixture.command(.requestSupplement), to: assigned, context: Fixture.context(Fixture.officer(.specialist)))
        let withdrawing = try DossierMachine.apply(Fixture.command(.requestWithdrawal), to: onTime.dossier, context: Fixture.context(.applicant))
        #expect(withdrawing.dossier.clockPaused)
        #expect(!withdrawing.dossier.isOverdue(at: Fixture.monday.addingTimeInterval(60 * 86_400)))
    }

    @Test func amountsAndExtensionsAreBounded() throws {
        var paid = Fixture.dossier(in: .paymentRequested)
        paid.amountPaidVND = DossierCommand.amountLimitVND
        #expect(throws: DossierError.self) {
            try DossierMachine.apply(.recordPayment(amountVND: 1, method: .cash, reference: nil), to: paid, context: Fixture.context(Fixture.officer(.receiver)))
        }
        let assigned = Fixture.dossier(in: .assigned)
        let farAway = assigned.dueAt!.addingTimeInterval(400 * 86_400)
        #expect(throws: DossierError.self) {
            try DossierMachine.apply(.extend(reason: "x", workingDays: nil, newDueAt: farAway), to: assigned, context: Fixture.context(Fixture.officer(.leader)))
        }
        #expect(throws: DossierError.self) {
            try DossierMachine.apply(.decide(outcome: .approved, reason: nil, resultSummary: nil,
                                             resultDocument: ComponentUpload(code: "KQ", fileName: " ../x\n", bytes: [1])),
                                     to: assigned, context: Fixture.context(Fixture.officer(.leader)))
        }
    }

    @Test func forwardMovesTheHolderAndDecisionReturnsToTheDesk() throws {
        let forwarded = try DossierMachine.apply(
            Fixture.command(.forward), to: Fixture.dossier(in: .assigned), context: Fixture.context(Fixture.officer(.specialist)))
        #expect(forwarded.dossier.holderUnit == "P01.D01")
        #expect(forwarded.event.payload["fromUnit"] == .string(Fixture.commune))
        #expect(forwarded.event.payload["toUnit"] == .string("P01.D01"))
        let assigned = try DossierMachine.apply(
            Fixture.command(.assign), to: forwarded.dossier, context: Fixture.context(Fixture.officer(.leader)))
        let decided = try DossierMachine.apply(
            Fixture.command(.decide), to: assigned.dossier, context: Fixture.context(Fixture.officer(.leader)))
        #expect(decided.dossier.state == .decided)
        #expect(decided.dossier.finishedAt == Fixture.monday)
        #expect(decided.dossier.holderUnit == Fixture.commune, "the result goes back to the desk that received it")
        #expect(throws: DossierError.unknownUnit("P99")) {
            try DossierMachine.apply(.forward(toUnit: "P99", note: nil), to: Fixture.dossier(in: .assigned), context: Fixture.context(Fixture.officer(.leader)))
        }
    }

    @Test func approvalNeedsPaymentWhenThereIsAFinancialObligation() throws {
        var procedure = Fixture.procedure
        procedure.financialObligation = true
        let leader = Fixture.context(Fixture.officer(.leader), procedure: procedure)
        #expect(throws: DossierError.paymentOutstanding) {
            try DossierMachine.apply(Fixture.command(.decide), to: Fixture.dossier(in: .assigned), context: leader)
        }
        var paid = Fixture.dossier(in: .paid)
        paid.amountPaidVND = 50_000
        #expect(try DossierMachine.apply(Fixture.command(.decide), to: paid, context: leader).dossier.outcome == .approved)
        // Rejection needs no payment.
        let rejected = try DossierMachine.apply(
            .decide(outcome: .rejected, reason: "không đủ điều kiện", resultSummary: nil, resultDocument: nil),
            to: Fixture.dossier(in: .assigned), context: leader)
        #expect(rejected.dossier.outcome == .rejected)
    }

    @Test func counterIntakeStartsTheClockAndIssuesAReceipt() throws {
        let receiver = Fixture.context(Fixture.officer(.receiver, units: [Fixture.commune]))
        var submission = DossierSubmission(
            procedureCode: Fixture.procedure.code, channel: .counter, applicant: Fixture.applicant,
            components: [ComponentUpload(code: "TP1", fileName: "to-khai.pdf", bytes: [1, 2, 3])], unit: Fixture.commune)
        let route = try DossierMachine.route(&submission, context: receiver)
        #expect(route.receiving.code == Fixture.commune && route.competent == Fixture.commune)
        let outcome = DossierMachine.intake(submission, code: "000.01.01.H01-260302-0001", route: route, context: receiver)
        #expect(outcome.dossier.state == .received)
        #expect(outcome.dossier.status == 2)
        #expect(outcome.dossier.receivedAt == Fixture.monday)
        // Monday 09:00 + 3 working days → Thursday 17:00.
        #expect(outcome.dossier.dueAt == VietnamTime.parseISO8601("2026-03-05T17:00:00+07:00"))
        guard case .receipt(let receipt)? = outcome.form else { Issue.record("no Form 01"); return }
        #expect(receipt.appointmentAt == outcome.dossier.dueAt)
        #expect(receipt.componentsReceived == ["Tờ khai"])
        #expect(receipt.applicantIdNumber == Fixture.applicant.idNumber)
        #expect(outcome.event.kind == .received)
    }

    @Test func onlineIntakeValidatesEverything() throws {
        let context = Fixture.context(.applicant)
        func submit(_ change: (inout DossierSubmission) -> Void, procedure: Procedure = Fixture.procedure) throws {
            var submission = DossierSubmission(
                procedureCode: procedure.code, channel: .online, applicant: Fixture.applicant,
                components: [ComponentUpload(code: "TP1", fileName: "to-khai.pdf", bytes: [1])], unit: Fixture.commune)
            change(&submission)
            _ = try DossierMachine.route(&submission, context: Fixture.context(.applicant, procedure: procedure))
        }
        try submit { _ in }
        // Identifiers and names are stored in canonical form.
        var padded = DossierSubmission(
            procedureCode: Fixture.procedure.code, channel: .online,
            applicant: Applicant(idNumber: " 001095012345 ", fullName: "  Nguyễn Văn An ", taxCode: "0314409058002"),
            components: [ComponentUpload(code: "TP1", fileName: "  to-khai.pdf ", bytes: [1])], unit: Fixture.commune)
        _ = try DossierMachine.route(&padded, context: context)
        #expect(padded.applicant.idNumber == "001095012345")
        #expect(padded.applicant.fullName == "Nguyễn Văn An")
        #expect(padded.applicant.taxCode == "0314409058-002")
        #expect(padded.components.first?.fileName == "to-khai.pdf")
        #expect(throws: DossierError.self) { try submit { $0.components[0].fileName = "a" + String(repeating: "\u{301}", count: 300) } }
        #expect(throws: DossierError.self) { try submit { $0.components = [] } }
        #expect(throws: DossierError.unknownComponent("TP9")) {
            try submit { $0.components.append(ComponentUpload(code: "TP9", fileName: "x.pdf", bytes: [1])) }
        }
        #expect(throws: DossierError.self) { try submit { $0.applicant.idNumber = "12345" } }
        #expect(throws: DossierError.self) { try submit { $0.applicant.taxCode = "0100233487" } }
        #expect(throws: DossierError.unknownUnit("P77")) { try submit { $0.unit = "P77" } }
        #expect(throws: DossierError.self) { try submit { $0.unit = "P01.D01" } }  // a district for a commune procedure
        #expect(throws: DossierError.self) { try submit { $0.unit = nil } }  // several communes: must choose
        var offline = Fixture.procedure
        offline.onlineMode = .none
        #expect(throws: DossierError.notOnline(offline.code)) { try submit({ _ in }, procedure: offline) }
        #expect(throws: DossierError.self) { try submit { $0.channel = .counter } }  // counter filing needs an officer
        _ = context
    }

    @Test func eventPayloadCarriesTheForm() throws {
        let refused = try DossierMachine.apply(
            Fixture.command(.refuse), to: Fixture.dossier(in: .submitted), context: Fixture.context(Fixture.officer(.receiver)))
        #expect(refused.event.payload["form"]?["form"] == .string("03"))
        #expect(refused.dossier.finishedAt == Fixture.monday)
        #expect(refused.dossier.status == 3)
    }
}
