import Foundation
import Testing

@testable import MotCuaCore

@Suite("Routing: interconnected procedures, filing anywhere, transfers")
struct DossierRoutingTests {
    static let merit = SampleCatalogue.procedure("1.010801")!
    static let residenceCard = SampleCatalogue.procedure("1.010802")!
    static let judicialRecord = SampleCatalogue.procedure("2.000488")!

    static func submission(_ procedure: Procedure, unit: String?, channel: SubmissionChannel = .online) -> DossierSubmission {
        DossierSubmission(
            procedureCode: procedure.code, channel: channel, applicant: Fixture.applicant,
            components: procedure.components.filter(\.mandatory).map { ComponentUpload(code: $0.code, fileName: "\($0.code).pdf", bytes: [1]) },
            unit: unit)
    }

    static func filed(_ procedure: Procedure, unit: String?, actor: Actor = .applicant, channel: SubmissionChannel = .online) throws -> Dossier {
        let context = Fixture.context(actor, procedure: procedure)
        var submission = submission(procedure, unit: unit, channel: channel)
        let route = try DossierMachine.route(&submission, context: context)
        return DossierMachine.intake(submission, code: "000.01.01.H01-260302-0009", route: route, context: context).dossier
    }

    @Test func theCatalogueHasTheThreeJourneysAndTheBundle() {
        #expect(Self.merit.isInterconnected && Self.merit.receptionLevel == .commune)
        #expect(Self.residenceCard.steps.contains { $0.unit == "M-BCA.C01" })
        let bundle = SampleCatalogue.procedure("1.010804")!
        #expect(bundle.bundle == ["1.001193", "1.004222", "1.010803"])
        #expect(bundle.bundle!.allSatisfy { SampleCatalogue.procedure($0) != nil })
        for procedure in SampleCatalogue.procedures { #expect(procedure.validate().isEmpty, "\(procedure.validate())") }
    }

    @Test func communeReceivesDistrictAppraisesProvinceDecides() throws {
        var dossier = try Self.filed(Self.merit, unit: Fixture.commune)
        #expect(dossier.receivingUnit == Fixture.commune && dossier.holderUnit == Fixture.commune && dossier.competentUnit == "P01")
        #expect(dossier.stepIndex == 0 && dossier.path.count == 1 && dossier.path[0].stepDueAt != nil)
        let receiver = Fixture.context(Fixture.officer(.receiver), procedure: Self.merit)
        dossier = try DossierMachine.apply(.receive(note: nil), to: dossier, context: receiver).dossier
        let toDistrict = try DossierMachine.apply(.forward(toUnit: nil, note: nil), to: dossier, context: receiver)
        #expect(toDistrict.dossier.holderUnit == "P01.D01" && toDistrict.transfer == nil && toDistrict.dossier.stepIndex == 1)
        #expect(toDistrict.event.payload["path"] != nil && toDistrict.event.payload["hop"] == .int(1))
        let toProvince = try DossierMachine.apply(.forward(toUnit: nil, note: nil), to: toDistrict.dossier, context: receiver)
        #expect(toProvince.dossier.holderUnit == "P01" && toProvince.dossier.path.map(\.unit) == [Fixture.commune, "P01.D01", "P01"])
        #expect(toProvince.dossier.path[1].leftAt != nil && toProvince.dossier.path[2].handedOverBy == "officer:receiver")
        // Form 06 lists both hand-overs.
        let sheet = ProcessingControlSheet(dossier: toProvince.dossier, now: Fixture.monday) { _ in nil }
        #expect(sheet.rows.map(\.toUnit) == ["P01.D01", "P01"] && sheet.currentUnit == "P01")
        // Deadlines across hops: the province's stay has its own share; when it overruns it, the province
        // is the unit that owes the apology (Form 04), and Form 06 says so.
        let stepDue = try #require(toProvince.dossier.path.last?.stepDueAt)
        #expect(stepDue < toProvince.dossier.dueAt!)
        let later = stepDue.addingTimeInterval(3600)
        #expect(!toProvince.dossier.currentStayLate(at: Fixture.monday) && toProvince.dossier.currentStayLate(at: later))
        #expect(toProvince.dossier.apologyDue(at: later))
        #expect(ProcessingControlSheet(dossier: toProvince.dossier, now: later) { _ in nil }.lateAtUnit == "P01")
        var leader = Fixture.context(Fixture.officer(.leader), at: later, procedure: Self.merit)
        leader.nodeID = "p01"
        let apologised = try DossierMachine.apply(.extend(reason: "cần xác minh thêm", workingDays: 3, newDueAt: nil), to: toProvince.dossier, context: leader)
        #expect(apologised.form.map { if case .apology = $0 { true } else { false } } == true)
        #expect(!apologised.dossier.apologyDue(at: later))
    }

    @Test func aStepAtAMinistryIsATransferAndTheResultComesBack() throws {
        let receiverActor = Fixture.officer(.receiver)
        let dossier = try Self.filed(Self.residenceCard, unit: "P01", actor: receiverActor, channel: .counter)
        #expect(dossier.competentUnit == "M-BCA.C01" && dossier.competentNode == "m-bca" && dossier.state == .received)
        let sent = try DossierMachine.apply(.forward(toUnit: nil, note: nil), to: dossier, context: Fixture.context(receiverActor, procedure: Self.residenceCard))
        #expect(sent.dossier.state == .transferred && sent.event.kind == .transferSent)
        #expect(sent.transfer == TransferOrder(transferId: "transfer-0001", kind: .handOver, fromUnit: "P01", toUnit: "M-BCA.C01", toNode: "m-bca"))
        #expect(DossierTransition.actions(from: sent.dossier.state).isEmpty, "nothing to do while another node holds it")

        // At the ministry's node: taken in once, decided, and the result goes back to the filing desk.
        var ministry = Fixture.context(Fixture.officer(.leader, units: ["M-BCA"]), procedure: Self.residenceCard)
        ministry.units = UnitDirectory(SampleUnits.ministry(code: "BCA", name: "Bộ Công an"))
        ministry.nodeID = "m-bca"
        ministry.assignee = Fixture.officer(.specialist, units: ["M-BCA"])
        ministry.federation = FederationDirectory([FederationUnit(code: "P01", node: "p01", name: "Hà Nội", level: .province)])
        let incoming = IncomingTransfer(
            transferId: "transfer-0001", kind: .handOver, fromNode: "p01", fromUnit: "P01", toUnit: "M-BCA.C01", reason: nil,
            sentAt: Fixture.monday, dossier: sent.dossier)
        let arrived = try DossierMachine.accept(incoming, existing: nil, context: ministry)
        #expect(arrived.dossier.state == .forwarded && arrived.dossier.holderNode == "m-bca" && arrived.dossier.arrivedFromUnit == "P01")
        #expect(arrived.event.kind == .transferReceived && arrived.dossier.path.last?.receivedAt == Fixture.monday)
        #expect(arrived.dossier.path.last?.stepDueAt != nil, "the ministry's share runs from receipt")
        let assigned = try DossierMachine.apply(.assign(assignee: "leader", note: nil), to: arrived.dossier, context: ministry).dossier
        let decided = try DossierMachine.apply(
            .decide(outcome: .approved, reason: nil, resultSummary: nil, resultDocument: nil), to: assigned, context: ministry)
        #expect(decided.transfer?.kind == .result && decided.transfer?.toUnit == "P01" && decided.transfer?.toNode == "p01")
        #expect(decided.event.payload["status"] == .int(9), "the country sees it decided while the result travels")
        #expect(decided.dossier.state == .transferred)

        // Back at the filing node.
        let back = IncomingTransfer(
            transferId: "transfer-0002", kind: .result, fromNode: "m-bca", fromUnit: "M-BCA.C01", toUnit: "P01", reason: nil, sentAt: Fixture.monday,
            dossier: decided.dossier)
        let home = try DossierMachine.accept(back, existing: sent.dossier, context: Fixture.context(.system, procedure: Self.residenceCard))
        #expect(home.dossier.state == .decided && home.dossier.outcome == .approved && home.dossier.holderUnit == "P01")
        #expect(home.dossier.path.map(\.node) == ["p01", "m-bca", "p01"])
        #expect(DossierTransition.actions(from: home.dossier.state) == [.returnResult])
    }

    @Test func filingAnywhereAndSendBack() throws {
        let receiverActor = Fixture.officer(.receiver)
        let dossier = try Self.filed(Self.judicialRecord, unit: "P79", actor: receiverActor, channel: .counter)
        #expect(dossier.receivingUnit == "P01" && dossier.competentUnit == "P79" && dossier.holderUnit == "P01" && dossier.competentNode == "p79")
        // Online filings for another node's unit belong on that node's portal.
        #expect(throws: DossierError.self) { try Self.filed(Self.judicialRecord, unit: "P79") }
        let sent = try DossierMachine.apply(.forward(toUnit: nil, note: nil), to: dossier, context: Fixture.context(receiverActor, procedure: Self.judicialRecord))
        #expect(sent.transfer?.toUnit == "P79")
        // Without a hub a node cannot hand over to another node.
        var standalone = Fixture.context(receiverActor, procedure: Self.judicialRecord)
        standalone.transferID = ""
        #expect(throws: DossierError.self) { try DossierMachine.apply(.forward(toUnit: nil, note: nil), to: dossier, context: standalone) }
        // A unit of nowhere is refused at once.
        #expect(throws: DossierError.self) {
            try DossierMachine.apply(.forward(toUnit: "P99", note: nil), to: dossier, context: Fixture.context(receiverActor, procedure: Self.judicialRecord))
        }
        // Only a dossier that came from another node can be sent back.
        #expect(throws: DossierError.self) {
            var local = dossier
            local.arrivedFromUnit = nil
            _ = try DossierMachine.apply(.sendBack(reason: "x"), to: local, context: Fixture.context(Fixture.officer(.specialist), procedure: Self.judicialRecord))
        }
        let returned = IncomingTransfer(
            transferId: "transfer-0003", kind: .sendBack, fromNode: "p79", fromUnit: "P79", toUnit: "P01", reason: "không thuộc thẩm quyền",
            sentAt: Fixture.monday, dossier: sent.dossier)
        let home = try DossierMachine.accept(returned, existing: sent.dossier, context: Fixture.context(.system, procedure: Self.judicialRecord))
        #expect(home.dossier.state == .forwarded && home.dossier.holderUnit == "P01" && home.dossier.lastSendBackReason == "không thuộc thẩm quyền")
        #expect(home.event.kind == .transferRefused)
        // A transfer for a unit this node does not serve is refused (the shell sends it back).
        #expect(throws: DossierError.self) {
            _ = try DossierMachine.accept(
                IncomingTransfer(transferId: "t", kind: .handOver, fromNode: "p79", fromUnit: "P79", toUnit: "P48", reason: nil, sentAt: Fixture.monday, dossier: sent.dossier),
                existing: nil, context: Fixture.context(.system, procedure: Self.judicialRecord))
        }
    }
}

@Suite("The under-6 bundle")
struct BundleTests {
    @Test func oneFilingThreeProceduresCommuneThenDistrictThenBackToTheCommuneDesk() throws {
        let bundle = try #require(SampleCatalogue.procedure("1.010804"))
        let components = bundle.components.map { ComponentUpload(code: $0.code, fileName: "\($0.code).pdf", bytes: Array($0.code.utf8)) }
        var submission = DossierSubmission(procedureCode: bundle.code, channel: .online, applicant: Fixture.applicant, components: components, unit: Fixture.commune)
        var context = Fixture.context(.applicant, procedure: bundle)
        let route = try DossierMachine.route(&submission, context: context)
        #expect(route.holder.code == Fixture.commune && route.competent == "P01.D01")
        var dossier = DossierMachine.intake(submission, code: "000.01.01.H01-260302-0042", route: route, context: context).dossier
        context.actor = Fixture.officer(.receiver)
        dossier = try DossierMachine.apply(.receive(note: nil), to: dossier, context: context).dossier
        // Birth and residence registration happen at the commune; the card is issued at the district.
        #expect(throws: DossierError.self) {
            try DossierMachine.apply(.decide(outcome: .approved, reason: nil, resultSummary: nil, resultDocument: nil), to: dossier, context: Fixture.context(Fixture.officer(.leader), procedure: bundle))
        }
        dossier = try DossierMachine.apply(.forward(toUnit: nil, note: nil), to: dossier, context: context).dossier
        #expect(dossier.holderUnit == "P01.D01" && dossier.path.last?.step == "Bảo hiểm xã hội cấp huyện cấp thẻ bảo hiểm y tế")
        let leader = Fixture.context(Fixture.officer(.leader), procedure: bundle)
        dossier = try DossierMachine.apply(.assign(assignee: "leader", note: nil), to: dossier, context: leader).dossier
        let decided = try DossierMachine.apply(
            .decide(outcome: .approved, reason: nil, resultSummary: "Trích lục khai sinh, xác nhận thường trú, thẻ BHYT", resultDocument: nil),
            to: dossier, context: leader)
        #expect(decided.dossier.holderUnit == Fixture.commune && decided.dossier.state == .decided && decided.transfer == nil)
        #expect(decided.dossier.path.map(\.unit) == [Fixture.commune, "P01.D01", Fixture.commune])
    }
}

@Suite("Routing without districts (two-level local government)")
struct TwoLevelRoutingTests {
    @Test func aDistrictStageFallsToTheProvinceAndIsNotRepeated() throws {
        let units = SampleUnits.province(code: "79", name: "Hồ Chí Minh", districts: 0, communesPerDistrict: 0) + [
            AdministrativeUnit(code: "P79.C01", name: "Phường 1", level: .commune, parentCode: "P79", agencyCode: "000.01.00.H79", effectiveFrom: SampleUnits.effectiveFrom),
        ]
        var context = Fixture.context(Fixture.officer(.receiver, units: ["P79"]), procedure: DossierRoutingTests.merit)
        context.units = UnitDirectory(units)
        context.nodeID = "p79"
        let commune = try #require(units.first { $0.level == .commune }?.code)
        var submission = DossierRoutingTests.submission(DossierRoutingTests.merit, unit: commune)
        let route = try DossierMachine.route(&submission, context: context)
        #expect(route.competent == "P79")
        var dossier = DossierMachine.intake(submission, code: "000.00.01.H79-260302-0001", route: route, context: context).dossier
        dossier = try DossierMachine.apply(.receive(note: nil), to: dossier, context: context).dossier
        dossier = try DossierMachine.apply(.forward(toUnit: nil, note: nil), to: dossier, context: context).dossier
        #expect(dossier.holderUnit == "P79")
        // Already at the province, which decides: no further stage to hand over to.
        #expect(throws: DossierError.self) { try DossierMachine.apply(.forward(toUnit: nil, note: nil), to: dossier, context: context) }
    }
}
