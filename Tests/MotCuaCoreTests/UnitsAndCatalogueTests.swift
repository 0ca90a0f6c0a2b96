import Foundation
import Testing

@testable import MotCuaCore

@Suite("Units and catalogue")
struct UnitsAndCatalogueTests {
    /// The 2025 merger as data: Hà Giang (old code 02) ends on 2025-07-01 and Tuyên Quang (08) carries on.
    @Test func mergerIsExpressedWithEffectiveDatesAndSuccessors() {
        let merger = LocalDate(year: 2025, month: 7, day: 1)
        let haGiang = AdministrativeUnit(
            code: "P02", name: "Tỉnh Hà Giang", level: .province, agencyCode: "000.00.00.H02",
            effectiveUntil: merger, successorCode: "P08")
        let haGiangCommune = AdministrativeUnit(
            code: "P02.C01", name: "Xã mẫu", level: .commune, parentCode: "P02", agencyCode: "000.01.00.H02")
        let tuyenQuang = AdministrativeUnit(code: "P08", name: "Tỉnh Tuyên Quang", level: .province, agencyCode: "000.00.00.H08")
        let directory = UnitDirectory([haGiang, haGiangCommune, tuyenQuang])
        #expect(directory.validate().isEmpty)
        let before = LocalDate(year: 2025, month: 6, day: 30)
        #expect(directory.effectiveUnit(for: "P02", on: before)?.code == "P02")
        #expect(directory.effectiveUnit(for: "P02", on: merger)?.code == "P08")
        #expect(Provinces.byOldCode("02")?.newCode == "08")
        #expect(directory.isWithin("P02.C01", ancestor: "P02"))

        let broken = UnitDirectory([AdministrativeUnit(code: "X", name: "X", level: .commune, parentCode: "Y", agencyCode: "1", successorCode: "Z")])
        #expect(broken.validate().count == 2)
        let cycle = UnitDirectory([
            AdministrativeUnit(code: "A", name: "A", level: .ministry, parentCode: "B", agencyCode: "1"),
            AdministrativeUnit(code: "B", name: "B", level: .ministry, parentCode: "A", agencyCode: "2"),
        ])
        #expect(cycle.validate().contains { $0.contains("cycle") })
    }

    @Test func sampleDataIsConsistent() {
        #expect(SampleCatalogue.procedures.count >= 20)
        for level in AdministrativeLevel.allCases {
            #expect(SampleCatalogue.procedures.contains { $0.level == level }, "no sample procedure at \(level)")
        }
        #expect(SampleCatalogue.procedures.allSatisfy { $0.sample && $0.validate().isEmpty })
        #expect(SampleCatalogue.procedures.contains { $0.financialObligation })
        #expect(Set(SampleCatalogue.procedures.map(\.code)).count == SampleCatalogue.procedures.count)
        #expect(UnitDirectory(SampleUnits.hanoi).validate().isEmpty)
        let agencyCodes = SampleUnits.hanoi.map(\.agencyCode)
        #expect(Set(agencyCodes).count == agencyCodes.count)
        #expect(agencyCodes.allSatisfy { (try? DossierCode(agencyCode: $0, date: (2026, 1, 5), sequence: 1)) != nil })
    }

    @Test func procedureVersionsHaveEffectiveDates() {
        var old = SampleCatalogue.procedure("1.001193")!
        old.effectiveUntil = LocalDate(year: 2026, month: 1, day: 1)
        var new = old
        new.version = 2
        new.effectiveFrom = LocalDate(year: 2026, month: 1, day: 1)
        new.effectiveUntil = nil
        #expect(old.isEffective(on: LocalDate(year: 2025, month: 12, day: 31)))
        #expect(!old.isEffective(on: LocalDate(year: 2026, month: 1, day: 1)))
        #expect(new.isEffective(on: LocalDate(year: 2026, month: 1, day: 1)))
        #expect(Procedure(code: "1001193", name: "", level: .commune, competentAgency: "", leadTime: .workingDays(1), feeVND: -1,
                          onlineMode: .none, components: [], field: "").validate().count == 4)
    }
}
