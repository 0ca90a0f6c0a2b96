import Foundation
import Testing
@testable import MotCuaCore

@Suite("Personal ID number (CCCD)")
struct PersonalIDNumberTests {
    @Test func decodesHanoiMale1995() throws {
        let id = try PersonalIDNumber.parse("001095012345")
        #expect(id.digits == "001095012345")
        #expect(id.birthRegistrationProvince?.oldName == "Hà Nội")
        #expect(id.birthRegistrationProvince?.newCode == "01")
        #expect(id.bornAbroad == false)
        #expect(id.sex == .male)
        #expect(id.birthCentury == 1900)
        #expect(id.birthYear == 1995)
        #expect(id.description == "001095012345")
    }

    @Test func decodesHoChiMinhFemale2001() throws {
        let id = try PersonalIDNumber.parse("079301000123")
        #expect(id.birthRegistrationProvince?.oldName == "Hồ Chí Minh")
        #expect(id.sex == .female)
        #expect(id.birthCentury == 2000)
        #expect(id.birthYear == 2001)
    }

    @Test func keepsOldProvinceAfterMerger() throws {
        let id = try PersonalIDNumber.parse("046088004567")
        #expect(id.birthRegistrationProvince?.oldName == "Thừa Thiên Huế")
        #expect(id.birthRegistrationProvince?.newName == "Huế")
        #expect(id.sex == .male)
        #expect(id.birthYear == 1988)

        let quangNam = try PersonalIDNumber.parse("049199000001")
        #expect(quangNam.birthRegistrationProvince?.oldName == "Quảng Nam")
        #expect(quangNam.birthRegistrationProvince?.newName == "Đà Nẵng")
        #expect(quangNam.sex == .female)
        #expect(quangNam.birthYear == 1999)
    }

    @Test func trimsWhitespace() throws {
        let id = try PersonalIDNumber.parse("  001095012345\n")
        #expect(id.digits == "001095012345")
    }

    @Test(arguments: [
        ("001095012345", PersonalIDNumber.Sex.male, 1995),
        ("001195012345", .female, 1995),
        ("001205012345", .male, 2005),
        ("001305012345", .female, 2005),
        ("001405012345", .male, 2105),
        ("001505012345", .female, 2105),
        ("001605012345", .male, 2205),
        ("001705012345", .female, 2205),
        ("001805012345", .male, 2305),
        ("001905012345", .female, 2305),
    ])
    func centuryAndSexDigit(digits: String, sex: PersonalIDNumber.Sex, year: Int) throws {
        let id = try PersonalIDNumber.parse(digits)
        #expect(id.sex == sex)
        #expect(id.birthYear == year)
    }

    @Test func firstDigitNonZeroMeansBornAbroad() throws {
        let id = try PersonalIDNumber.parse("300090001234")
        #expect(id.bornAbroad)
        #expect(id.birthRegistrationProvince == nil)
        #expect(id.birthYear == 1990)
    }

    @Test func rejectsWrongLength() {
        #expect(throws: IdentifierError.wrongLength(expected: "12 digits", got: 11)) {
            try PersonalIDNumber.parse("00109501234")
        }
        #expect(throws: IdentifierError.wrongLength(expected: "12 digits", got: 13)) {
            try PersonalIDNumber.parse("0010950123456")
        }
        #expect(throws: IdentifierError.wrongLength(expected: "12 digits", got: 0)) {
            try PersonalIDNumber.parse("   ")
        }
    }

    @Test func rejectsLetters() {
        #expect(throws: IdentifierError.notDigits) { try PersonalIDNumber.parse("00109501234A") }
        #expect(throws: IdentifierError.notDigits) { try PersonalIDNumber.parse("001 095 012345") }
        #expect(throws: IdentifierError.notDigits) { try PersonalIDNumber.parse("٠٠١٠٩٥٠١٢٣٤٥") }
    }

    @Test func rejectsUnknownProvince() {
        #expect(throws: IdentifierError.unknownProvince("003")) { try PersonalIDNumber.parse("003095012345") }
        #expect(throws: IdentifierError.unknownProvince("000")) { try PersonalIDNumber.parse("000095012345") }
        #expect(throws: IdentifierError.unknownProvince("097")) { try PersonalIDNumber.parse("097095012345") }
    }

    @Test func plausibility() throws {
        let id = try PersonalIDNumber.parse("079301000123")
        #expect(id.plausible(asOf: 2025))
        #expect(id.plausible(asOf: 2001))
        #expect(!id.plausible(asOf: 2000))
        let future = try PersonalIDNumber.parse("001430000001")
        #expect(future.birthYear == 2130)
        #expect(!future.plausible(asOf: 2025))
    }

    @Test func codableAsDigitString() throws {
        let id = try PersonalIDNumber.parse("001095012345")
        let data = try JSONEncoder().encode([id])
        #expect(String(decoding: data, as: UTF8.self) == #"["001095012345"]"#)
        #expect(try JSONDecoder().decode([PersonalIDNumber].self, from: data) == [id])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([PersonalIDNumber].self, from: Data(#"["003095012345"]"#.utf8))
        }
    }

    @Test func errorsHaveStableCodes() {
        #expect(IdentifierError.notDigits.code == "id.not-digits")
        #expect(IdentifierError.wrongLength(expected: "12 digits", got: 3).code == "id.wrong-length")
        #expect(IdentifierError.unknownProvince("003").description.contains("003"))
    }
}

@Suite("Tax code (MST)")
struct TaxCodeTests {
    @Test func checkDigitFormula() {
        #expect(TaxCode.checkDigit(forFirstNine: "010023348") == 8)
        #expect(TaxCode.checkDigit(forFirstNine: "031440905") == 8)
        // 0*31 + 1*29 + 0*23 + ... = 29, 29 mod 11 = 7, 10 - 7 = 3
        #expect(TaxCode.checkDigit(forFirstNine: "010000000") == 3)
        // 7 + 5 = 12, 12 mod 11 = 1, 10 - 1 = 9
        #expect(TaxCode.checkDigit(forFirstNine: "000000110") == 9)
        // Sums divisible by 11 would need a check digit of 10: none is valid.
        // 29 + 23 + 3 = 55 = 5 * 11
        #expect(TaxCode.checkDigit(forFirstNine: "011000001") == nil)
        #expect(TaxCode.checkDigit(forFirstNine: "000000000") == nil)
        #expect(TaxCode.checkDigit(forFirstNine: "01002334") == nil)
        #expect(TaxCode.checkDigit(forFirstNine: "01002334A") == nil)
    }

    @Test func validEnterpriseCodes() throws {
        let a = try TaxCode.parse("0100233488")
        #expect(a.kind == .enterprise)
        #expect(a.normalized == "0100233488")
        #expect(a.base == "0100233488")
        #expect(a.branch == nil)
        #expect(a.provinceCode == "01")

        let b = try TaxCode.parse(" 0314409058 ")
        #expect(b.kind == .enterprise)
        #expect(b.provinceCode == "03")
        #expect(b.description == "0314409058")
    }

    @Test func validBranchCodesBothSpellings() throws {
        let dashed = try TaxCode.parse("0314409058-002")
        let plain = try TaxCode.parse("0314409058002")
        #expect(dashed.kind == .branch)
        #expect(dashed.normalized == "0314409058-002")
        #expect(dashed.base == "0314409058")
        #expect(dashed.branch == "002")
        #expect(dashed.provinceCode == "03")
        #expect(dashed == plain)
    }

    @Test func personalTaxCode() throws {
        let code = try TaxCode.parse("079301000123")
        #expect(code.kind == .personal)
        #expect(code.normalized == "079301000123")
        #expect(code.provinceCode == nil)
        #expect(code.branch == nil)
        #expect(code.personalIDNumber?.birthYear == 2001)
        #expect(throws: IdentifierError.unknownProvince("003")) { try TaxCode.parse("003095012345") }
    }

    @Test func rejectsInvalidCodes() {
        #expect(throws: IdentifierError.zeroBranch) { try TaxCode.parse("0314409058-000") }
        #expect(throws: IdentifierError.zeroBranch) { try TaxCode.parse("0314409058000") }
        #expect(throws: IdentifierError.badCheckDigit(expected: 8, got: 7)) { try TaxCode.parse("0100233487") }
        #expect(throws: IdentifierError.badCheckDigit(expected: 8, got: 7)) { try TaxCode.parse("0100233487-001") }
        #expect(throws: IdentifierError.zeroSequence) { try TaxCode.parse("0000000000") }
        // A zero sequence is rejected even with a matching check digit.
        #expect(throws: IdentifierError.zeroSequence) { try TaxCode.parse("0100000003") }
        // Sum divisible by 11: no check digit is valid.
        #expect(throws: IdentifierError.badCheckDigit(expected: nil, got: 0)) { try TaxCode.parse("0110000010") }
        #expect(throws: IdentifierError.wrongLength(expected: "10, 12 or 13 digits", got: 9)) {
            try TaxCode.parse("010023348")
        }
        #expect(throws: IdentifierError.notDigits) { try TaxCode.parse("01002334B8") }
        #expect(throws: IdentifierError.notDigits) { try TaxCode.parse("0314409058-0A2") }
        #expect(throws: IdentifierError.self) { try TaxCode.parse("0314409058-02") }
        #expect(throws: IdentifierError.self) { try TaxCode.parse("031440905-8002") }
        #expect(throws: IdentifierError.self) { try TaxCode.parse("0314409058-002-1") }
    }

    @Test func codableAsNormalized() throws {
        let code = try TaxCode.parse("0314409058002")
        let data = try JSONEncoder().encode([code])
        #expect(String(decoding: data, as: UTF8.self) == #"["0314409058-002"]"#)
        #expect(try JSONDecoder().decode([TaxCode].self, from: data) == [code])
    }
}

@Suite("Dossier code")
struct DossierCodeTests {
    @Test func parsesAndRoundTrips() throws {
        let code = try DossierCode.parse("000.00.12.H62-201105-0004")
        #expect(code.agencyCode == "000.00.12.H62")
        #expect(code.year == 2020)
        #expect(code.month == 11)
        #expect(code.day == 5)
        #expect(code.sequence == 4)
        #expect(code.value == "000.00.12.H62-201105-0004")
        #expect(code.description == code.value)
        #expect(try DossierCode.parse(code.value) == code)
    }

    @Test func buildsFromParts() throws {
        let code = try DossierCode(agencyCode: "000.00.12.H62", date: (year: 2025, month: 7, day: 1), sequence: 123)
        #expect(code.value == "000.00.12.H62-250701-0123")
        #expect(try DossierCode.parse("000.00.12.h62-250701-0123") == code)
        let leap = try DossierCode(agencyCode: "H62", date: (year: 2024, month: 2, day: 29), sequence: 9999)
        #expect(leap.value == "H62-240229-9999")
        // A busy agency's 10,000th dossier of the day widens the sequence instead of being refused.
        let busy = try DossierCode(agencyCode: "H62", date: (year: 2024, month: 2, day: 29), sequence: 10_000)
        #expect(busy.value == "H62-240229-10000")
        #expect(try DossierCode.parse(busy.value) == busy)
    }

    @Test func ordersByAgencyDateSequence() throws {
        let a = try DossierCode.parse("000.00.12.H62-201105-0004")
        let b = try DossierCode.parse("000.00.12.H62-201105-0010")
        let c = try DossierCode.parse("000.00.12.H62-201106-0001")
        let d = try DossierCode.parse("000.00.13.H62-190101-0001")
        #expect([d, c, b, a].sorted() == [a, b, c, d])
    }

    @Test func codableAsString() throws {
        let code = try DossierCode.parse("000.00.12.H62-201105-0004")
        let data = try JSONEncoder().encode([code])
        #expect(String(decoding: data, as: UTF8.self) == #"["000.00.12.H62-201105-0004"]"#)
        #expect(try JSONDecoder().decode([DossierCode].self, from: data) == [code])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([DossierCode].self, from: Data(#"["000.00.12.H62-201131-0004"]"#.utf8))
        }
    }

    @Test func rejectsInvalidForms() {
        #expect(throws: IdentifierError.self) { try DossierCode.parse("") }
        #expect(throws: IdentifierError.self) { try DossierCode.parse("000.00.12.H62-201105") }
        #expect(throws: IdentifierError.self) { try DossierCode.parse("000.00.12.H62-20110-0004") }
        #expect(throws: IdentifierError.self) { try DossierCode.parse("000.00.12.H62-201105-004") }
        #expect(throws: IdentifierError.self) { try DossierCode.parse("000-00.12.H62-201105-0004") }
        #expect(throws: IdentifierError.notDigits) { try DossierCode.parse("000.00.12.H62-2011O5-0004") }
        #expect(throws: IdentifierError.invalidAgencyCode("000..12.H62")) { try DossierCode.parse("000..12.H62-201105-0004") }
        #expect(throws: IdentifierError.invalidAgencyCode(".H62")) { try DossierCode.parse(".H62-201105-0004") }
        #expect(throws: IdentifierError.invalidAgencyCode("")) { try DossierCode.parse("-201105-0004") }
        #expect(throws: IdentifierError.invalidAgencyCode("000.00.12.H 62")) { try DossierCode.parse("000.00.12.H 62-201105-0004") }
        #expect(throws: IdentifierError.invalidDate(year: 2021, month: 2, day: 29)) { try DossierCode.parse("H62-210229-0001") }
        #expect(throws: IdentifierError.invalidDate(year: 2020, month: 13, day: 1)) { try DossierCode.parse("H62-201301-0001") }
        #expect(throws: IdentifierError.invalidDate(year: 2020, month: 11, day: 0)) { try DossierCode.parse("H62-201100-0001") }
        #expect(throws: IdentifierError.sequenceOutOfRange(0)) { try DossierCode.parse("H62-201105-0000") }
        #expect(throws: IdentifierError.sequenceOutOfRange(1_000_000)) {
            try DossierCode(agencyCode: "H62", date: (year: 2020, month: 11, day: 5), sequence: 1_000_000)
        }
        #expect(throws: IdentifierError.self) { try DossierCode.parse("000.00.12.H62-201105-0000004") }
        #expect(throws: IdentifierError.invalidDate(year: 1999, month: 12, day: 31)) {
            try DossierCode(agencyCode: "H62", date: (year: 1999, month: 12, day: 31), sequence: 1)
        }
        #expect(throws: IdentifierError.invalidAgencyCode("straße")) {
            try DossierCode(agencyCode: "straße", date: (year: 2020, month: 11, day: 5), sequence: 1)
        }
    }
}

@Suite("Provinces")
struct ProvincesTests {
    @Test func tableHas63OldProvinces() {
        #expect(Provinces.all.count == 63)
        #expect(Set(Provinces.all.map(\.oldCode)).count == 63)
        #expect(Provinces.all.first == ProvinceRecord(oldCode: "01", oldName: "Hà Nội", newCode: "01", newName: "Hà Nội"))
        #expect(Provinces.all.last == ProvinceRecord(oldCode: "96", oldName: "Cà Mau", newCode: "96", newName: "Cà Mau"))
        #expect(Provinces.byOldCode("77")?.oldName == "Bà Rịa - Vũng Tàu")
        #expect(Provinces.byOldCode("77")?.newName == "Hồ Chí Minh")
        #expect(Provinces.byOldCode("03") == nil)
    }

    @Test func has34ProvincesAfterMerger() throws {
        let merged = Provinces.merged2025
        #expect(merged.count == 34)
        #expect(merged.map(\.code) == merged.map(\.code).sorted())
        #expect(merged.flatMap(\.formerCodes).sorted() == Provinces.all.map(\.oldCode).sorted())
        let hcm = try #require(merged.first { $0.code == "79" })
        #expect(hcm.name == "Hồ Chí Minh")
        #expect(hcm.formerCodes == ["74", "77", "79"])
        let canTho = try #require(merged.first { $0.code == "92" })
        #expect(canTho.formerCodes == ["92", "93", "94"])
        let hue = try #require(merged.first { $0.code == "46" })
        #expect(hue.name == "Huế")
        #expect(hue.formerCodes == ["46"])
    }

    @Test func idPrefixIsZeroPlusOldCode() throws {
        for record in Provinces.all {
            let id = try PersonalIDNumber.parse("0" + record.oldCode + "095012345")
            #expect(id.birthRegistrationProvince == record)
            #expect(!id.bornAbroad)
        }
    }
}
