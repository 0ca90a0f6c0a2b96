// SAMPLE DATA. Administrative units, ministries and demo officers for development, tests and demonstrations.
// Names of Hà Nội's districts and wards and of the ministries are real; agency codes follow the observed
// `000.xx.yy.Hnn` shape but are generated, not copied from the national agency-code list; addresses are
// illustrative. Nothing here may be used to route or decide real dossiers.

import Foundation

/// Demo administrative units for a federation: a generator for any province, a hand-written Hà Nội, ministries
/// with two departments each, and the demo officers of a node.
///
/// Codes and agency codes are unique across the whole federation: unit codes are `P<province>`,
/// `P<province>.D<dd>`, `P<province>.D<dd>.C<cc>` and `M-<ministry>`; agency codes are `000.00.00.H<province>`
/// (province), `000.00.<dd>.H<province>` (district), `000.<cc>.<dd>.H<province>` (commune) and
/// `000.00.<nn>.G<ministry>` (ministry `nn` = 00, departments 01 and 02).
public enum SampleUnits {
    /// The first day of every sample unit: Hà Nội took its present extent (with Hà Tây) on 2008-08-01; the other
    /// generated units use the same date so that every demo dossier falls after it.
    public static let effectiveFrom = LocalDate(year: 2008, month: 8, day: 1)

    /// Centrally-run cities (thành phố trực thuộc trung ương), named with "thành phố" and divided into quarters
    /// (quận) and wards (phường) in the generator; every other name is a province (tỉnh) of districts (huyện)
    /// and communes (xã).
    static let centrallyRunCities: Set<String> = ["Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế"]

    // MARK: - Provinces

    /// A generic province for a federation node: the province unit (its public-administration service centre),
    /// `districts` districts and `communesPerDistrict` communes under each, all effective from 2008-08-01 with no
    /// end.
    ///
    /// - Parameters:
    ///   - code: the province code, e.g. "01" (digits; other characters are dropped from agency codes).
    ///   - name: the province name, e.g. "Hà Nội" or "Thừa Thiên Huế"; a leading "Tỉnh"/"Thành phố" is accepted.
    /// - Returns: the province first, then each district followed by its communes.
    public static func province(
        code: String, name: String, districts: Int = 3, communesPerDistrict: Int = 3
    ) -> [AdministrativeUnit] {
        let style = ProvinceStyle(name)
        let districtCount = max(0, districts)
        let communeCount = max(0, communesPerDistrict)
        let plan = (0..<districtCount).map { districtIndex in
            let d = districtIndex + 1
            let districtName = style.isCity ? "Quận \(d)" : "Huyện \(d)"
            return DistrictPlan(
                name: districtName,
                address: "Bộ phận Một cửa, Ủy ban nhân dân \(districtName), \(style.fullName)",
                communes: (0..<communeCount).map { communeIndex in
                    let c = communeIndex + 1
                    let communeName = style.isCity ? "Phường \(c)" : "Xã \(c)"
                    return CommunePlan(
                        name: communeName,
                        address: "Bộ phận Một cửa, Ủy ban nhân dân \(communeName), \(districtName), \(style.fullName)")
                })
        }
        return build(
            provinceCode: code,
            provinceName: "Trung tâm Phục vụ hành chính công \(style.fullName)",
            provinceAddress: "Trụ sở Trung tâm Phục vụ hành chính công \(style.fullName)",
            districts: plan)
    }

    /// Hà Nội (province code "01") with real names: the city's public-administration service centre, four
    /// districts (Ba Đình, Hoàn Kiếm, Cầu Giấy, Đông Anh) and three wards or communes under each, with the same
    /// code scheme as `province(code:name:)`.
    ///
    /// The district level was abolished on 2025-07-01 by the two-level local government reform, and many of these
    /// wards were merged into larger ones. The sample deliberately keeps the pre-reform tree to exercise
    /// commune → district → province hand-overs, so its districts and wards carry no end date and no successor:
    /// that is a simplification, not the current map.
    public static let hanoi: [AdministrativeUnit] = build(
        provinceCode: "01",
        provinceName: "Trung tâm Phục vụ hành chính công thành phố Hà Nội",
        // Branch no. 1 of the centre, as reported in the press in 2025; illustrative.
        provinceAddress: "Tòa nhà liên cơ, số 258 Võ Chí Công, Tây Hồ, Hà Nội",
        districts: [
            DistrictPlan(
                name: "Quận Ba Đình", address: "Bộ phận Một cửa, Ủy ban nhân dân quận Ba Đình, Hà Nội",
                communes: [
                    CommunePlan(name: "Phường Phúc Xá", address: "Ủy ban nhân dân phường Phúc Xá, quận Ba Đình, Hà Nội"),
                    CommunePlan(name: "Phường Trúc Bạch", address: "Ủy ban nhân dân phường Trúc Bạch, quận Ba Đình, Hà Nội"),
                    CommunePlan(name: "Phường Điện Biên", address: "Ủy ban nhân dân phường Điện Biên, quận Ba Đình, Hà Nội"),
                ]),
            DistrictPlan(
                name: "Quận Hoàn Kiếm", address: "Bộ phận Một cửa, Ủy ban nhân dân quận Hoàn Kiếm, Hà Nội",
                communes: [
                    CommunePlan(name: "Phường Hàng Bạc", address: "Ủy ban nhân dân phường Hàng Bạc, quận Hoàn Kiếm, Hà Nội"),
                    CommunePlan(name: "Phường Hàng Trống", address: "Ủy ban nhân dân phường Hàng Trống, quận Hoàn Kiếm, Hà Nội"),
                    CommunePlan(name: "Phường Tràng Tiền", address: "Ủy ban nhân dân phường Tràng Tiền, quận Hoàn Kiếm, Hà Nội"),
                ]),
            DistrictPlan(
                name: "Quận Cầu Giấy", address: "Bộ phận Một cửa, Ủy ban nhân dân quận Cầu Giấy, Hà Nội",
                communes: [
                    CommunePlan(name: "Phường Dịch Vọng", address: "Ủy ban nhân dân phường Dịch Vọng, quận Cầu Giấy, Hà Nội"),
                    CommunePlan(name: "Phường Nghĩa Đô", address: "Ủy ban nhân dân phường Nghĩa Đô, quận Cầu Giấy, Hà Nội"),
                    CommunePlan(name: "Phường Quan Hoa", address: "Ủy ban nhân dân phường Quan Hoa, quận Cầu Giấy, Hà Nội"),
                ]),
            DistrictPlan(
                name: "Huyện Đông Anh", address: "Bộ phận Một cửa, Ủy ban nhân dân huyện Đông Anh, Hà Nội",
                communes: [
                    CommunePlan(name: "Xã Uy Nỗ", address: "Ủy ban nhân dân xã Uy Nỗ, huyện Đông Anh, Hà Nội"),
                    CommunePlan(name: "Xã Cổ Loa", address: "Ủy ban nhân dân xã Cổ Loa, huyện Đông Anh, Hà Nội"),
                    CommunePlan(name: "Xã Vân Nội", address: "Ủy ban nhân dân xã Vân Nội, huyện Đông Anh, Hà Nội"),
                ]),
        ])

    // MARK: - Ministries

    /// The sample ministries, each of which runs its own node: (code, name).
    public static let ministries: [(code: String, name: String)] = [
        ("BCA", "Bộ Công an"),
        ("BTP", "Bộ Tư pháp"),
        ("BCT", "Bộ Công Thương"),
        ("BYT", "Bộ Y tế"),
        ("BNV", "Bộ Nội vụ"),
    ]

    /// A ministry unit (`M-<code>`, level `.ministry`) and two of its departments (level `.ministry`, parent the
    /// ministry), e.g. for "BCA" the Immigration Department. Unknown codes get generic departments.
    ///
    /// The agency code is `000.00.00.G<code>` with the code reduced to ASCII digits and capital letters (a code
    /// with none of them becomes "X"), departments `000.00.01.G<code>` and `000.00.02.G<code>`.
    public static func ministry(code: String, name: String) -> [AdministrativeUnit] {
        let key = agencySuffix(code, fallback: "X")
        let unitCode = "M-\(code)"
        let known = ministryDetails[key]
        let address = known?.address
        let departments = known?.departments ?? ["Văn phòng", "Vụ Pháp chế"]
        var units = [
            AdministrativeUnit(
                code: unitCode, name: name, level: .ministry, agencyCode: "000.00.00.G\(key)",
                effectiveFrom: effectiveFrom, address: address)
        ]
        for (index, department) in departments.enumerated() {
            let number = index + 1
            units.append(
                AdministrativeUnit(
                    code: "\(unitCode).C\(twoDigits(number))", name: "\(department) - \(name)", level: .ministry,
                    parentCode: unitCode, agencyCode: "000.00.\(twoDigits(number)).G\(key)",
                    effectiveFrom: effectiveFrom,
                    address: known?.departmentAddresses[index] ?? address))
        }
        return units
    }

    /// Real departments (and illustrative head-office addresses) of the sample ministries, keyed by code.
    private static let ministryDetails:
        [String: (address: String, departments: [String], departmentAddresses: [String?])] = [
            "BCA": (
                "Số 44 Yết Kiêu, Hoàn Kiếm, Hà Nội",
                ["Cục Quản lý xuất nhập cảnh", "Cục Cảnh sát quản lý hành chính về trật tự xã hội"],
                ["Số 44-46 Trần Phú, Ba Đình, Hà Nội", nil]
            ),
            "BTP": (
                "Số 58-60 Trần Phú, Ba Đình, Hà Nội",
                ["Cục Hộ tịch, quốc tịch, chứng thực", "Cục Con nuôi"],
                [nil, nil]
            ),
            "BCT": (
                "Số 54 Hai Bà Trưng, Hoàn Kiếm, Hà Nội",
                ["Cục Xuất nhập khẩu", "Cục Hóa chất"],
                [nil, nil]
            ),
            "BYT": (
                "Số 138A Giảng Võ, Ba Đình, Hà Nội",
                ["Cục Quản lý Dược", "Cục An toàn thực phẩm"],
                [nil, nil]
            ),
            "BNV": (
                "Số 8 Tôn Thất Thuyết, Nam Từ Liêm, Hà Nội",
                ["Cục Việc làm", "Ban Thi đua - Khen thưởng Trung ương"],
                [nil, nil]
            ),
        ]

    // MARK: - Officers

    /// The demo officers of a node holding `units` (a province tree or a ministry):
    /// `receiver`, `specialist`, `leader` and `admin` scoped to the top unit (the province or the ministry), which
    /// is what `motcua node --seed-demo` logs people in with; for each district (in code order, numbered from 01)
    /// `receiver.dNN` and `leader.dNN` scoped to it; and for the first commune of each district `receiver.cNN01`.
    ///
    /// Returns an empty list when `units` has no top unit (a unit without parent).
    public static func officers(
        for units: [AdministrativeUnit]
    ) -> [(username: String, fullName: String, roles: [OfficerRole], units: [String])] {
        let ordered = units.sorted { $0.code < $1.code }
        guard let top = ordered.first(where: { $0.parentCode == nil && ($0.level == .province || $0.level == .ministry) })
            ?? ordered.first(where: { $0.parentCode == nil })
        else { return [] }
        var result: [(username: String, fullName: String, roles: [OfficerRole], units: [String])] = [
            ("receiver", "Nguyễn Thị Lan", [.receiver], [top.code]),
            ("specialist", "Trần Văn Minh", [.specialist], [top.code]),
            ("leader", "Lê Thị Hương", [.leader], [top.code]),
            ("admin", "Phạm Quốc Bảo", [.admin], [top.code]),
        ]
        let districts = ordered.filter { $0.level == .district }
        var nameIndex = 0
        func nextName() -> String {
            defer { nameIndex += 1 }
            return officerNames[nameIndex % officerNames.count]
        }
        for (index, district) in districts.enumerated() {
            let dd = twoDigits(index + 1)
            result.append(("receiver.d\(dd)", nextName(), [.receiver], [district.code]))
            result.append(("leader.d\(dd)", nextName(), [.leader], [district.code]))
            if let commune = ordered.first(where: { $0.level == .commune && $0.parentCode == district.code }) {
                result.append(("receiver.c\(dd)01", nextName(), [.receiver], [commune.code]))
            }
        }
        return result
    }

    /// Vietnamese full names handed out, in order, to the district and commune officers.
    private static let officerNames = [
        "Hoàng Văn Nam", "Vũ Thị Mai", "Đặng Minh Tuấn", "Bùi Thị Thu Hà", "Đỗ Quang Huy", "Ngô Thị Ngọc Anh",
        "Phan Văn Đức", "Dương Thị Hồng", "Lý Minh Khoa", "Trịnh Thị Yến", "Võ Thanh Sơn", "Huỳnh Thị Kim Ngân",
        "Nguyễn Văn Hải", "Trần Thị Phương", "Lê Hoàng Long", "Phạm Thị Thảo", "Đinh Công Thành", "Hồ Thị Vân",
        "Mai Xuân Trường", "Tạ Thị Bích", "Cao Văn Lực", "Lương Thị Diệu Linh", "Kiều Quốc Việt", "Chu Thị Hạnh",
    ]

    // MARK: - Building blocks

    /// A district to build, with its communes in order.
    struct DistrictPlan {
        var name: String
        var address: String
        var communes: [CommunePlan]
    }

    /// A commune (or ward) to build.
    struct CommunePlan {
        var name: String
        var address: String
    }

    /// How a province is named: "thành phố Hà Nội" or "tỉnh Thừa Thiên Huế".
    struct ProvinceStyle {
        var isCity: Bool
        var fullName: String

        init(_ raw: String) {
            var bare = raw.trimmingCharacters(in: .whitespaces)
            var city: Bool?
            for (prefix, isCity) in [("Thành phố ", true), ("thành phố ", true), ("Tỉnh ", false), ("tỉnh ", false)]
            where bare.hasPrefix(prefix) {
                bare = String(bare.dropFirst(prefix.count))
                city = isCity
                break
            }
            let isCity = city ?? SampleUnits.centrallyRunCities.contains(bare)
            self.isCity = isCity
            self.fullName = (isCity ? "thành phố " : "tỉnh ") + bare
        }
    }

    /// Builds a province tree with the federation-wide code scheme.
    static func build(
        provinceCode: String, provinceName: String, provinceAddress: String, districts: [DistrictPlan]
    ) -> [AdministrativeUnit] {
        let key = agencySuffix(provinceCode, fallback: "00")
        let root = "P\(provinceCode)"
        var units = [
            AdministrativeUnit(
                code: root, name: provinceName, level: .province, agencyCode: "000.00.00.H\(key)",
                effectiveFrom: effectiveFrom, address: provinceAddress)
        ]
        for (districtIndex, district) in districts.enumerated() {
            let dd = twoDigits(districtIndex + 1)
            let districtCode = "\(root).D\(dd)"
            units.append(
                AdministrativeUnit(
                    code: districtCode, name: district.name, level: .district, parentCode: root,
                    agencyCode: "000.00.\(dd).H\(key)", effectiveFrom: effectiveFrom, address: district.address))
            for (communeIndex, commune) in district.communes.enumerated() {
                let cc = twoDigits(communeIndex + 1)
                units.append(
                    AdministrativeUnit(
                        code: "\(districtCode).C\(cc)", name: commune.name, level: .commune, parentCode: districtCode,
                        agencyCode: "000.\(cc).\(dd).H\(key)", effectiveFrom: effectiveFrom, address: commune.address))
            }
        }
        return units
    }

    /// The part of a code that may appear in an agency code: ASCII digits and letters, uppercased.
    static func agencySuffix(_ code: String, fallback: String) -> String {
        let kept = code.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
        let text = String(String.UnicodeScalarView(kept)).uppercased()
        return text.isEmpty ? fallback : text
    }

    /// A number printed with at least two digits ("01", "12", "100").
    static func twoDigits(_ number: Int) -> String {
        number < 10 ? "0\(number)" : "\(number)"
    }
}
