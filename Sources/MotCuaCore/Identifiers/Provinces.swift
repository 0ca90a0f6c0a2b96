import Foundation

/// One of Vietnam's 63 pre-2025 provinces and the province it belongs to from 2025-07-01.
///
/// Kept as a plain record because the old code outlives the merger: the 3-digit prefix of every
/// personal ID number (CCCD) is "0" + the old code and never changes, so decoders need the old
/// list forever, while current addressing needs the new one.
public struct ProvinceRecord: Sendable, Hashable, Codable {
    /// The 2-digit administrative code of the pre-2025 province (2004 list), e.g. "01".
    public let oldCode: String
    /// The pre-2025 province name, with Vietnamese diacritics, e.g. "Thừa Thiên Huế".
    public let oldName: String
    /// The code of the province it belongs to from 2025-07-01.
    public let newCode: String
    /// The name of the province it belongs to from 2025-07-01, e.g. "Huế".
    public let newName: String

    /// Creates a record; exists so the table below and tests can spell rows out literally.
    public init(oldCode: String, oldName: String, newCode: String, newName: String) {
        self.oldCode = oldCode
        self.oldName = oldName
        self.newCode = newCode
        self.newName = newName
    }
}

/// The province table, so identifier decoders and address code can map codes to names without I/O.
///
/// Source: Resolution 202/2025/QH15 of the National Assembly (province merger, in force 2025-07-01),
/// with the new codes as collected from Decision 19/2025/QD-TTg, copied from
/// shared/reference/provinces.tsv. The new codes are often the partner province's old code.
/// VERIFY THESE CODES AGAINST THE OFFICIAL TEXTS BEFORE PRODUCTION USE.
public enum Provinces {
    /// Every row of the reference table (63 pre-2025 provinces), in old-code order.
    public static let all: [ProvinceRecord] = [
        ProvinceRecord(oldCode: "01", oldName: "Hà Nội", newCode: "01", newName: "Hà Nội"),
        ProvinceRecord(oldCode: "02", oldName: "Hà Giang", newCode: "08", newName: "Tuyên Quang"),
        ProvinceRecord(oldCode: "04", oldName: "Cao Bằng", newCode: "04", newName: "Cao Bằng"),
        ProvinceRecord(oldCode: "06", oldName: "Bắc Kạn", newCode: "19", newName: "Thái Nguyên"),
        ProvinceRecord(oldCode: "08", oldName: "Tuyên Quang", newCode: "08", newName: "Tuyên Quang"),
        ProvinceRecord(oldCode: "10", oldName: "Lào Cai", newCode: "15", newName: "Lào Cai"),
        ProvinceRecord(oldCode: "11", oldName: "Điện Biên", newCode: "11", newName: "Điện Biên"),
        ProvinceRecord(oldCode: "12", oldName: "Lai Châu", newCode: "12", newName: "Lai Châu"),
        ProvinceRecord(oldCode: "14", oldName: "Sơn La", newCode: "14", newName: "Sơn La"),
        ProvinceRecord(oldCode: "15", oldName: "Yên Bái", newCode: "15", newName: "Lào Cai"),
        ProvinceRecord(oldCode: "17", oldName: "Hòa Bình", newCode: "25", newName: "Phú Thọ"),
        ProvinceRecord(oldCode: "19", oldName: "Thái Nguyên", newCode: "19", newName: "Thái Nguyên"),
        ProvinceRecord(oldCode: "20", oldName: "Lạng Sơn", newCode: "20", newName: "Lạng Sơn"),
        ProvinceRecord(oldCode: "22", oldName: "Quảng Ninh", newCode: "22", newName: "Quảng Ninh"),
        ProvinceRecord(oldCode: "24", oldName: "Bắc Giang", newCode: "24", newName: "Bắc Ninh"),
        ProvinceRecord(oldCode: "25", oldName: "Phú Thọ", newCode: "25", newName: "Phú Thọ"),
        ProvinceRecord(oldCode: "26", oldName: "Vĩnh Phúc", newCode: "25", newName: "Phú Thọ"),
        ProvinceRecord(oldCode: "27", oldName: "Bắc Ninh", newCode: "24", newName: "Bắc Ninh"),
        ProvinceRecord(oldCode: "30", oldName: "Hải Dương", newCode: "31", newName: "Hải Phòng"),
        ProvinceRecord(oldCode: "31", oldName: "Hải Phòng", newCode: "31", newName: "Hải Phòng"),
        ProvinceRecord(oldCode: "33", oldName: "Hưng Yên", newCode: "33", newName: "Hưng Yên"),
        ProvinceRecord(oldCode: "34", oldName: "Thái Bình", newCode: "33", newName: "Hưng Yên"),
        ProvinceRecord(oldCode: "35", oldName: "Hà Nam", newCode: "37", newName: "Ninh Bình"),
        ProvinceRecord(oldCode: "36", oldName: "Nam Định", newCode: "37", newName: "Ninh Bình"),
        ProvinceRecord(oldCode: "37", oldName: "Ninh Bình", newCode: "37", newName: "Ninh Bình"),
        ProvinceRecord(oldCode: "38", oldName: "Thanh Hóa", newCode: "38", newName: "Thanh Hóa"),
        ProvinceRecord(oldCode: "40", oldName: "Nghệ An", newCode: "40", newName: "Nghệ An"),
        ProvinceRecord(oldCode: "42", oldName: "Hà Tĩnh", newCode: "42", newName: "Hà Tĩnh"),
        ProvinceRecord(oldCode: "44", oldName: "Quảng Bình", newCode: "44", newName: "Quảng Trị"),
        ProvinceRecord(oldCode: "45", oldName: "Quảng Trị", newCode: "44", newName: "Quảng Trị"),
        ProvinceRecord(oldCode: "46", oldName: "Thừa Thiên Huế", newCode: "46", newName: "Huế"),
        ProvinceRecord(oldCode: "48", oldName: "Đà Nẵng", newCode: "48", newName: "Đà Nẵng"),
        ProvinceRecord(oldCode: "49", oldName: "Quảng Nam", newCode: "48", newName: "Đà Nẵng"),
        ProvinceRecord(oldCode: "51", oldName: "Quảng Ngãi", newCode: "51", newName: "Quảng Ngãi"),
        ProvinceRecord(oldCode: "52", oldName: "Bình Định", newCode: "52", newName: "Gia Lai"),
        ProvinceRecord(oldCode: "54", oldName: "Phú Yên", newCode: "66", newName: "Đắk Lắk"),
        ProvinceRecord(oldCode: "56", oldName: "Khánh Hòa", newCode: "56", newName: "Khánh Hòa"),
        ProvinceRecord(oldCode: "58", oldName: "Ninh Thuận", newCode: "56", newName: "Khánh Hòa"),
        ProvinceRecord(oldCode: "60", oldName: "Bình Thuận", newCode: "68", newName: "Lâm Đồng"),
        ProvinceRecord(oldCode: "62", oldName: "Kon Tum", newCode: "51", newName: "Quảng Ngãi"),
        ProvinceRecord(oldCode: "64", oldName: "Gia Lai", newCode: "52", newName: "Gia Lai"),
        ProvinceRecord(oldCode: "66", oldName: "Đắk Lắk", newCode: "66", newName: "Đắk Lắk"),
        ProvinceRecord(oldCode: "67", oldName: "Đắk Nông", newCode: "68", newName: "Lâm Đồng"),
        ProvinceRecord(oldCode: "68", oldName: "Lâm Đồng", newCode: "68", newName: "Lâm Đồng"),
        ProvinceRecord(oldCode: "70", oldName: "Bình Phước", newCode: "75", newName: "Đồng Nai"),
        ProvinceRecord(oldCode: "72", oldName: "Tây Ninh", newCode: "80", newName: "Tây Ninh"),
        ProvinceRecord(oldCode: "74", oldName: "Bình Dương", newCode: "79", newName: "Hồ Chí Minh"),
        ProvinceRecord(oldCode: "75", oldName: "Đồng Nai", newCode: "75", newName: "Đồng Nai"),
        ProvinceRecord(oldCode: "77", oldName: "Bà Rịa - Vũng Tàu", newCode: "79", newName: "Hồ Chí Minh"),
        ProvinceRecord(oldCode: "79", oldName: "Hồ Chí Minh", newCode: "79", newName: "Hồ Chí Minh"),
        ProvinceRecord(oldCode: "80", oldName: "Long An", newCode: "80", newName: "Tây Ninh"),
        ProvinceRecord(oldCode: "82", oldName: "Tiền Giang", newCode: "82", newName: "Đồng Tháp"),
        ProvinceRecord(oldCode: "83", oldName: "Bến Tre", newCode: "86", newName: "Vĩnh Long"),
        ProvinceRecord(oldCode: "84", oldName: "Trà Vinh", newCode: "86", newName: "Vĩnh Long"),
        ProvinceRecord(oldCode: "86", oldName: "Vĩnh Long", newCode: "86", newName: "Vĩnh Long"),
        ProvinceRecord(oldCode: "87", oldName: "Đồng Tháp", newCode: "82", newName: "Đồng Tháp"),
        ProvinceRecord(oldCode: "89", oldName: "An Giang", newCode: "91", newName: "An Giang"),
        ProvinceRecord(oldCode: "91", oldName: "Kiên Giang", newCode: "91", newName: "An Giang"),
        ProvinceRecord(oldCode: "92", oldName: "Cần Thơ", newCode: "92", newName: "Cần Thơ"),
        ProvinceRecord(oldCode: "93", oldName: "Hậu Giang", newCode: "92", newName: "Cần Thơ"),
        ProvinceRecord(oldCode: "94", oldName: "Sóc Trăng", newCode: "92", newName: "Cần Thơ"),
        ProvinceRecord(oldCode: "95", oldName: "Bạc Liêu", newCode: "96", newName: "Cà Mau"),
        ProvinceRecord(oldCode: "96", oldName: "Cà Mau", newCode: "96", newName: "Cà Mau"),
    ]

    private static let indexByOldCode: [String: ProvinceRecord] = {
        var index: [String: ProvinceRecord] = [:]
        for record in all { index[record.oldCode] = record }
        return index
    }()

    /// Looks up a pre-2025 province by its 2-digit old code, so a CCCD prefix can be decoded.
    ///
    /// Returns nil for codes that never existed (e.g. "03"); that is how an ID decoder tells
    /// an invalid prefix from a real one.
    public static func byOldCode(_ code: String) -> ProvinceRecord? {
        indexByOldCode[code]
    }

    /// The 34 provinces in force from 2025-07-01, each with the old codes merged into it,
    /// sorted by new code (former codes sorted too), for pickers and reports on the new map.
    public static var merged2025: [(code: String, name: String, formerCodes: [String])] {
        var names: [String: String] = [:]
        var former: [String: [String]] = [:]
        for record in all {
            names[record.newCode] = record.newName
            former[record.newCode, default: []].append(record.oldCode)
        }
        return names.keys.sorted().map { code in
            (code: code, name: names[code] ?? "", formerCodes: (former[code] ?? []).sorted())
        }
    }
}
