// SAMPLE DATA. This catalogue is plausible demo data for development, tests and demonstrations. It is NOT an
// authoritative copy of the National Database on Administrative Procedures (Cơ sở dữ liệu quốc gia về thủ tục
// hành chính) and must not be used to decide real dossiers: lead times, fees, components and competent agencies
// are simplified, and they change by decision.
//
// Codes: where a national code was known (from public listings, not re-verified against the national database)
// it is used: 1.001193 birth, 1.000894 marriage, 1.000656 death, 2.000815 certification of copies, 1.004873
// marital status, 1.004222 permanent and 1.004194 temporary residence, 1.004884 re-registration of birth,
// 1.001612 household business, 2.000748 change/correction of civil status at district level, 2.000806 marriage
// with a foreign element, 1.001456 passport at provincial level, 1.002804 driving licence exchange. Every other
// code is a plausible, unique stand-in and is marked `sample code` below.
//
// Era: like `SampleUnits`, which keeps districts to exercise commune → district → province hand-overs, the
// catalogue describes the arrangement before the 2025 reorganisation (district level; Sở Kế hoạch và Đầu tư,
// Sở Giao thông vận tải, Sở Tài nguyên và Môi trường, Sở Lao động - Thương binh và Xã hội; judicial records at
// Sở Tư pháp). In 2025 several of these moved (for example judicial records and driving licences to the police,
// district procedures to communes or provincial departments); the sample does not model those moves.

import Foundation

/// A demo catalogue of real-world administrative procedures at every level (commune, district, province,
/// ministry), all flagged `sample: true`: plausible data for seeding nodes and tests, not an authoritative copy
/// of the national database.
public enum SampleCatalogue {
    /// Looks a procedure up by its national-style code (e.g. `1.001193`); nil when the sample has no such code.
    public static func procedure(_ code: String) -> Procedure? {
        byCode[code]
    }

    /// Index of `procedures` by code; codes are unique in the sample (the first entry wins if one ever repeats).
    private static let byCode: [String: Procedure] = Dictionary(
        procedures.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })

    // MARK: - Builders

    /// A component of a dossier; `digitisable` for citizen documents that can be reused from digitised data.
    private static func doc(
        _ code: String, _ name: String, mandatory: Bool = true, digitisable: Bool = false
    ) -> ProcedureComponent {
        ProcedureComponent(code: code, name: name, mandatory: mandatory, digitisable: digitisable)
    }

    /// One processing step; `unit` fixes the agency (a ministry's department) instead of the level above the desk.
    private static func step(
        _ name: String, _ level: AdministrativeLevel, _ role: OfficerRole, _ share: Int, unit: String? = nil
    ) -> ProcessingStep {
        ProcessingStep(name: name, level: level, role: role, share: share, unit: unit)
    }

    /// The usual one-unit flow: the one-stop desk receives, a specialist appraises, the leader signs, the desk
    /// returns the result. Shares are in the lead time's unit and sum to it.
    private static func deskFlow(
        _ level: AdministrativeLevel, receive: Int = 0, appraise: Int, sign: Int, handBack: Int = 0
    ) -> [ProcessingStep] {
        [
            step("Tiếp nhận hồ sơ", level, .receiver, receive),
            step("Thẩm định hồ sơ, đề xuất kết quả", level, .specialist, appraise),
            step("Phê duyệt, ký kết quả", level, .leader, sign),
            step("Trả kết quả", level, .receiver, handBack),
        ]
    }

    /// A same-day flow: every step shares the single day (all shares 0).
    private static func sameDayFlow(_ level: AdministrativeLevel) -> [ProcessingStep] {
        deskFlow(level, appraise: 0, sign: 0)
    }

    // MARK: - Catalogue

    /// The demo procedures (33): 9 commune, 6 district, 8 province and 6 ministry procedures, and 4
    /// interconnected ones (liên thông) whose steps run at several levels or agencies.
    public static let procedures: [Procedure] = [
        // MARK: Commune level

        Procedure(
            code: "1.001193", name: "Thủ tục đăng ký khai sinh", level: .commune,
            competentAgency: "Ủy ban nhân dân cấp xã", leadTime: .workingDays(0), feeVND: 0,
            feeNote: "Miễn lệ phí khi đăng ký đúng hạn; đăng ký quá hạn theo mức Hội đồng nhân dân cấp tỉnh quy định",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Tờ khai đăng ký khai sinh"),
                doc("TP2", "Giấy chứng sinh hoặc văn bản của người làm chứng xác nhận về việc sinh", digitisable: true),
                doc("TP3", "Giấy tờ tùy thân của người đi đăng ký (thẻ Căn cước, hộ chiếu)", digitisable: true),
                doc("TP4", "Giấy chứng nhận kết hôn của cha, mẹ", mandatory: false, digitisable: true),
                doc("TP5", "Văn bản ủy quyền (khi đăng ký thay)", mandatory: false),
            ],
            steps: sameDayFlow(.commune), field: "Hộ tịch"),

        Procedure(
            code: "1.000894", name: "Thủ tục đăng ký kết hôn", level: .commune,
            competentAgency: "Ủy ban nhân dân cấp xã",
            // Usually decided the same day; up to 5 working days when facts must be verified.
            leadTime: .workingDays(5), feeVND: 0,
            feeNote: "Miễn lệ phí đăng ký kết hôn giữa công dân Việt Nam cư trú ở trong nước",
            onlineMode: .partial,
            components: [
                doc("TP1", "Tờ khai đăng ký kết hôn"),
                doc("TP2", "Giấy tờ tùy thân của hai bên nam, nữ (thẻ Căn cước, hộ chiếu)", digitisable: true),
                doc("TP3", "Giấy xác nhận tình trạng hôn nhân (khi đăng ký ở nơi không thường trú)",
                    mandatory: false, digitisable: true),
                doc("TP4", "Bản án, quyết định ly hôn đã có hiệu lực (nếu đã từng kết hôn)", mandatory: false),
            ],
            steps: [
                step("Tiếp nhận hồ sơ", .commune, .receiver, 0),
                step("Kiểm tra, xác minh điều kiện kết hôn", .commune, .specialist, 3),
                step("Chủ tịch Ủy ban nhân dân cấp xã ký Giấy chứng nhận kết hôn", .commune, .leader, 1),
                step("Tổ chức trao Giấy chứng nhận kết hôn", .commune, .receiver, 1),
            ],
            field: "Hộ tịch"),

        Procedure(
            code: "1.000656", name: "Thủ tục đăng ký khai tử", level: .commune,
            competentAgency: "Ủy ban nhân dân cấp xã", leadTime: .workingDays(0), feeVND: 0,
            feeNote: "Miễn lệ phí khi đăng ký đúng hạn",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Tờ khai đăng ký khai tử"),
                doc("TP2", "Giấy báo tử hoặc giấy tờ thay thế Giấy báo tử", digitisable: true),
                doc("TP3", "Giấy tờ tùy thân của người đi đăng ký", digitisable: true),
                doc("TP4", "Văn bản ủy quyền (khi đăng ký thay)", mandatory: false),
            ],
            steps: sameDayFlow(.commune), field: "Hộ tịch"),

        Procedure(
            code: "2.000815",
            name: "Thủ tục chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền của Việt Nam cấp hoặc chứng nhận",
            level: .commune, competentAgency: "Ủy ban nhân dân cấp xã", leadTime: .workingDays(0), feeVND: 2_000,
            feeNote: "2.000 đồng/trang; từ trang thứ ba 1.000 đồng/trang, tối đa 200.000 đồng/bản",
            onlineMode: .partial,
            components: [
                doc("TP1", "Bản chính giấy tờ, văn bản làm cơ sở để chứng thực bản sao"),
                doc("TP2", "Bản sao cần chứng thực (khi người yêu cầu tự chuẩn bị)", mandatory: false),
            ],
            steps: [
                step("Tiếp nhận, đối chiếu bản chính", .commune, .receiver, 0),
                step("Kiểm tra bản sao với bản chính", .commune, .specialist, 0),
                step("Ký chứng thực, đóng dấu", .commune, .leader, 0),
                step("Trả bản sao đã chứng thực", .commune, .receiver, 0),
            ],
            field: "Chứng thực"),

        Procedure(
            code: "1.004873", name: "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân", level: .commune,
            competentAgency: "Ủy ban nhân dân cấp xã", leadTime: .workingDays(3), feeVND: 3_000,
            feeNote: "Mức lệ phí do Hội đồng nhân dân cấp tỉnh quy định; nhiều địa phương miễn khi nộp trực tuyến",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân"),
                doc("TP2", "Giấy tờ tùy thân của người yêu cầu", digitisable: true),
                doc("TP3", "Giấy tờ chứng minh việc ly hôn hoặc người kia đã chết (nếu có)", mandatory: false,
                    digitisable: true),
                doc("TP4", "Giấy xác nhận tình trạng hôn nhân đã cấp trước đây (khi xin cấp lại)", mandatory: false),
            ],
            steps: deskFlow(.commune, appraise: 2, sign: 1), field: "Hộ tịch"),

        Procedure(
            code: "1.004222", name: "Đăng ký thường trú", level: .commune,
            competentAgency: "Công an cấp xã", leadTime: .workingDays(7), feeVND: 20_000,
            feeNote: "20.000 đồng khi nộp trực tiếp; 10.000 đồng khi nộp trực tuyến; miễn cho một số đối tượng",
            onlineMode: .partial,
            components: [
                doc("TP1", "Tờ khai thay đổi thông tin cư trú (mẫu CT01)"),
                doc("TP2", "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp", digitisable: true),
                doc("TP3", "Ý kiến đồng ý của chủ hộ, chủ sở hữu chỗ ở hợp pháp (nếu ở nhờ, thuê, mượn)",
                    mandatory: false),
                doc("TP4", "Giấy tờ chứng minh quan hệ nhân thân với chủ hộ (khi nhập vào hộ gia đình)",
                    mandatory: false, digitisable: true),
            ],
            steps: [
                step("Tiếp nhận hồ sơ, cấp phiếu tiếp nhận", .commune, .receiver, 0),
                step("Kiểm tra, xác minh chỗ ở hợp pháp, cập nhật Cơ sở dữ liệu về cư trú", .commune, .specialist, 5),
                step("Trưởng Công an cấp xã phê duyệt", .commune, .leader, 2),
                step("Thông báo kết quả đăng ký thường trú", .commune, .receiver, 0),
            ],
            field: "Cư trú"),

        Procedure(
            code: "1.004194", name: "Đăng ký tạm trú", level: .commune,
            competentAgency: "Công an cấp xã", leadTime: .workingDays(3), feeVND: 15_000,
            feeNote: "15.000 đồng khi nộp trực tiếp; 7.000 đồng khi nộp trực tuyến",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Tờ khai thay đổi thông tin cư trú (mẫu CT01)"),
                doc("TP2", "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp", digitisable: true),
                doc("TP3", "Ý kiến đồng ý của chủ hộ, chủ sở hữu chỗ ở (nếu ở nhờ, thuê, mượn)", mandatory: false),
            ],
            steps: [
                step("Tiếp nhận hồ sơ", .commune, .receiver, 0),
                step("Kiểm tra hồ sơ, cập nhật Cơ sở dữ liệu về cư trú", .commune, .specialist, 2),
                step("Trưởng Công an cấp xã phê duyệt", .commune, .leader, 1),
                step("Thông báo kết quả đăng ký tạm trú", .commune, .receiver, 0),
            ],
            field: "Cư trú"),

        Procedure(
            code: "1.010035",  // sample code
            name: "Xác nhận thông tin về cư trú", level: .commune,
            competentAgency: "Công an cấp xã",
            // Half a working day when the data is in the residence database (up to 3 days when it must be checked).
            leadTime: .workingHours(4), feeVND: 0,
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Tờ khai thay đổi thông tin cư trú (mẫu CT01) ghi nội dung đề nghị xác nhận"),
                doc("TP2", "Giấy tờ tùy thân của người yêu cầu", digitisable: true),
            ],
            steps: [
                step("Tiếp nhận yêu cầu", .commune, .receiver, 0),
                step("Tra cứu Cơ sở dữ liệu về cư trú, lập giấy xác nhận", .commune, .specialist, 2),
                step("Trưởng Công an cấp xã ký xác nhận", .commune, .leader, 1),
                step("Trả kết quả", .commune, .receiver, 1),
            ],
            field: "Cư trú"),

        Procedure(
            code: "1.004884", name: "Thủ tục đăng ký lại khai sinh", level: .commune,
            competentAgency: "Ủy ban nhân dân cấp xã", leadTime: .workingDays(5), feeVND: 5_000,
            feeNote: "Mức lệ phí do Hội đồng nhân dân cấp tỉnh quy định",
            onlineMode: .partial,
            components: [
                doc("TP1", "Tờ khai đăng ký lại khai sinh"),
                doc("TP2", "Bản sao giấy tờ, tài liệu có nội dung khai sinh trước đây", digitisable: true),
                doc("TP3", "Giấy tờ tùy thân của người yêu cầu", digitisable: true),
                doc("TP4", "Văn bản cam đoan về việc đã đăng ký khai sinh nhưng sổ hộ tịch không còn lưu giữ",
                    mandatory: false),
            ],
            steps: [
                step("Tiếp nhận hồ sơ", .commune, .receiver, 0),
                step("Kiểm tra, xác minh việc đăng ký khai sinh trước đây", .commune, .specialist, 4),
                step("Chủ tịch Ủy ban nhân dân cấp xã ký Giấy khai sinh", .commune, .leader, 1),
                step("Trả kết quả", .commune, .receiver, 0),
            ],
            field: "Hộ tịch"),

        // MARK: District level

        Procedure(
            code: "1.001612", name: "Đăng ký thành lập hộ kinh doanh", level: .district,
            competentAgency: "Phòng Tài chính - Kế hoạch thuộc Ủy ban nhân dân cấp huyện",
            leadTime: .workingDays(3), feeVND: 100_000,
            feeNote: "Mức lệ phí do Hội đồng nhân dân cấp tỉnh quy định; nhiều địa phương miễn khi nộp trực tuyến",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Giấy đề nghị đăng ký hộ kinh doanh"),
                doc("TP2", "Giấy tờ pháp lý của cá nhân chủ hộ kinh doanh (thẻ Căn cước)", digitisable: true),
                doc("TP3", "Biên bản họp thành viên hộ gia đình về việc thành lập hộ kinh doanh", mandatory: false),
                doc("TP4", "Văn bản ủy quyền cho thành viên làm chủ hộ kinh doanh", mandatory: false),
            ],
            steps: deskFlow(.district, appraise: 2, sign: 1), field: "Đăng ký kinh doanh"),

        Procedure(
            code: "1.009122",  // sample code
            name: "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", level: .district,
            competentAgency: "Ủy ban nhân dân cấp huyện", leadTime: .workingDays(15), feeVND: 75_000,
            feeNote: "Mức lệ phí do Hội đồng nhân dân cấp tỉnh quy định (thường 50.000 - 75.000 đồng/giấy phép)",
            onlineMode: .partial,
            components: [
                doc("TP1", "Đơn đề nghị cấp giấy phép xây dựng"),
                doc("TP2", "Giấy tờ chứng minh quyền sử dụng đất (Giấy chứng nhận quyền sử dụng đất)",
                    digitisable: true),
                doc("TP3", "Hai bộ bản vẽ thiết kế xây dựng"),
                doc("TP4", "Bản cam kết bảo đảm an toàn đối với công trình liền kề", mandatory: false),
            ],
            steps: [
                step("Tiếp nhận hồ sơ", .district, .receiver, 1),
                step("Thẩm định hồ sơ, kiểm tra thực địa", .district, .specialist, 10),
                step("Chủ tịch Ủy ban nhân dân cấp huyện ký giấy phép", .district, .leader, 3),
                step("Trả giấy phép xây dựng", .district, .receiver, 1),
            ],
            field: "Xây dựng"),

        Procedure(
            code: "1.012787",  // sample code
            name: "Đăng ký đất đai, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất lần đầu cho hộ gia đình, cá nhân",
            level: .district, competentAgency: "Ủy ban nhân dân cấp huyện",
            // Excludes the time the applicant takes to pay the land levy and registration fee.
            leadTime: .workingDays(30), feeVND: 100_000,
            feeNote: "Lệ phí cấp Giấy chứng nhận do Hội đồng nhân dân cấp tỉnh quy định; chưa gồm tiền sử dụng đất, lệ phí trước bạ theo thông báo của cơ quan thuế",
            onlineMode: .partial,
            components: [
                doc("TP1", "Đơn đăng ký đất đai, tài sản gắn liền với đất"),
                doc("TP2", "Giấy tờ về quyền sử dụng đất (nếu có)", mandatory: false, digitisable: true),
                doc("TP3", "Mảnh trích đo bản đồ địa chính thửa đất (nếu có)", mandatory: false),
                doc("TP4", "Chứng từ thực hiện nghĩa vụ tài chính hoặc giấy tờ về miễn, giảm", mandatory: false),
                doc("TP5", "Giấy tờ tùy thân của người sử dụng đất", digitisable: true),
            ],
            financialObligation: true,
            steps: [
                step("Tiếp nhận hồ sơ tại Bộ phận Một cửa cấp xã", .commune, .receiver, 0),
                step("Kiểm tra hiện trạng, xác nhận nguồn gốc và thời điểm sử dụng đất, niêm yết công khai",
                     .commune, .specialist, 10),
                step("Chủ tịch Ủy ban nhân dân cấp xã xác nhận, chuyển hồ sơ lên cấp huyện", .commune, .leader, 2),
                step("Thẩm định hồ sơ, chuyển thông tin xác định nghĩa vụ tài chính cho cơ quan thuế",
                     .district, .specialist, 10),
                step("Ký Giấy chứng nhận", .district, .leader, 5),
                step("Trao Giấy chứng nhận sau khi hoàn thành nghĩa vụ tài chính", .district, .receiver, 3),
            ],
            field: "Đất đai"),

        Procedure(
            code: "2.000748",
            name: "Thủ tục đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc",
            level: .district, competentAgency: "Ủy ban nhân dân cấp huyện", leadTime: .workingDays(3),
            feeVND: 25_000, feeNote: "Mức lệ phí do Hội đồng nhân dân cấp tỉnh quy định",
            onlineMode: .partial,
            components: [
                doc("TP1", "Tờ khai đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch"),
                doc("TP2", "Giấy khai sinh hoặc giấy tờ hộ tịch cần thay đổi, cải chính", digitisable: true),
                doc("TP3", "Giấy tờ làm căn cứ cho việc thay đổi, cải chính, bổ sung"),
                doc("TP4", "Giấy tờ tùy thân của người yêu cầu", digitisable: true),
            ],
            steps: deskFlow(.district, appraise: 2, sign: 1), field: "Hộ tịch"),

        Procedure(
            code: "2.000806", name: "Thủ tục đăng ký kết hôn có yếu tố nước ngoài", level: .district,
            competentAgency: "Ủy ban nhân dân cấp huyện", leadTime: .workingDays(15), feeVND: 1_000_000,
            feeNote: "Mức lệ phí do Hội đồng nhân dân cấp tỉnh quy định",
            onlineMode: .partial,
            components: [
                doc("TP1", "Tờ khai đăng ký kết hôn"),
                doc("TP2", "Giấy xác nhận tình trạng hôn nhân hoặc giấy tờ tương đương của người nước ngoài"),
                doc("TP3",
                    "Giấy xác nhận của tổ chức y tế về việc không mắc bệnh tâm thần hoặc bệnh khác làm mất khả năng nhận thức"),
                doc("TP4", "Hộ chiếu hoặc giấy tờ có giá trị thay hộ chiếu của người nước ngoài"),
                doc("TP5", "Giấy tờ tùy thân của công dân Việt Nam", digitisable: true),
            ],
            steps: [
                step("Tiếp nhận hồ sơ", .district, .receiver, 0),
                step("Nghiên cứu, thẩm tra hồ sơ, xác minh (nếu cần)", .district, .specialist, 10),
                step("Chủ tịch Ủy ban nhân dân cấp huyện ký Giấy chứng nhận kết hôn", .district, .leader, 3),
                step("Tổ chức trao Giấy chứng nhận kết hôn", .district, .receiver, 2),
            ],
            field: "Hộ tịch"),

        Procedure(
            code: "2.000620",  // sample code
            name: "Cấp Giấy phép bán lẻ sản phẩm rượu", level: .district,
            competentAgency: "Phòng Kinh tế (Kinh tế - Hạ tầng) thuộc Ủy ban nhân dân cấp huyện",
            leadTime: .workingDays(10), feeVND: 1_100_000,
            feeNote: "1.100.000 đồng tại thành phố trực thuộc trung ương, thành phố, thị xã thuộc tỉnh; 550.000 đồng tại khu vực khác",
            onlineMode: .none,
            components: [
                doc("TP1", "Đơn đề nghị cấp Giấy phép bán lẻ sản phẩm rượu"),
                doc("TP2", "Giấy chứng nhận đăng ký doanh nghiệp hoặc hộ kinh doanh", digitisable: true),
                doc("TP3", "Giấy tờ chứng minh quyền sử dụng hợp pháp cơ sở dự kiến làm điểm bán"),
                doc("TP4", "Bản cam kết bảo đảm tuân thủ điều kiện phòng cháy, chữa cháy, bảo vệ môi trường"),
            ],
            steps: deskFlow(.district, receive: 1, appraise: 6, sign: 2, handBack: 1),
            field: "Lưu thông hàng hóa trong nước"),

        // MARK: Province level

        Procedure(
            code: "2.001610",  // sample code
            name: "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên", level: .province,
            competentAgency: "Phòng Đăng ký kinh doanh - Sở Kế hoạch và Đầu tư", leadTime: .workingDays(3),
            feeVND: 50_000,
            feeNote: "Lệ phí đăng ký doanh nghiệp 50.000 đồng, miễn khi đăng ký qua mạng; phí công bố nội dung đăng ký 100.000 đồng",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Giấy đề nghị đăng ký doanh nghiệp"),
                doc("TP2", "Điều lệ công ty"),
                doc("TP3", "Giấy tờ pháp lý của cá nhân là chủ sở hữu công ty (thẻ Căn cước, hộ chiếu)",
                    digitisable: true),
                doc("TP4", "Danh sách người đại diện theo ủy quyền (nếu chủ sở hữu là tổ chức)", mandatory: false),
                doc("TP5", "Văn bản ủy quyền cho người nộp hồ sơ", mandatory: false),
            ],
            steps: deskFlow(.province, appraise: 2, sign: 1), field: "Đăng ký kinh doanh"),

        Procedure(
            code: "2.000488",  // sample code (issued by Sở Tư pháp until 2025)
            name: "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",
            level: .province, competentAgency: "Sở Tư pháp", leadTime: .workingDays(10), feeVND: 200_000,
            feeNote: "200.000 đồng/lần; 100.000 đồng cho sinh viên, người có công với cách mạng; miễn cho trẻ em và một số đối tượng; từ phiếu thứ ba thu thêm 5.000 đồng/phiếu",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"),
                doc("TP2", "Giấy tờ tùy thân của người yêu cầu (thẻ Căn cước, hộ chiếu)", digitisable: true),
                doc("TP3", "Giấy tờ chứng minh thuộc đối tượng miễn, giảm phí", mandatory: false),
                doc("TP4", "Văn bản ủy quyền (khi ủy quyền làm thủ tục)", mandatory: false),
            ],
            steps: [
                step("Tiếp nhận hồ sơ", .province, .receiver, 0),
                step("Tra cứu thông tin lý lịch tư pháp, phối hợp Công an cấp tỉnh xác minh", .province, .specialist, 7),
                step("Lãnh đạo Sở Tư pháp ký Phiếu lý lịch tư pháp", .province, .leader, 2),
                step("Trả Phiếu lý lịch tư pháp", .province, .receiver, 1),
            ],
            field: "Lý lịch tư pháp"),

        Procedure(
            code: "1.002804", name: "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", level: .province,
            competentAgency: "Sở Giao thông vận tải", leadTime: .workingDays(5), feeVND: 135_000,
            feeNote: "135.000 đồng; 115.000 đồng khi nộp trực tuyến",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Đơn đề nghị đổi giấy phép lái xe"),
                doc("TP2", "Giấy khám sức khỏe của người lái xe (đã liên thông điện tử)", digitisable: true),
                doc("TP3", "Giấy phép lái xe đang sử dụng", digitisable: true),
                doc("TP4", "Giấy tờ tùy thân (thẻ Căn cước)", digitisable: true),
            ],
            steps: deskFlow(.province, appraise: 3, sign: 1, handBack: 1), field: "Đường bộ"),

        Procedure(
            code: "1.001456", name: "Cấp hộ chiếu phổ thông ở trong nước (thực hiện tại cấp tỉnh)",
            level: .province, competentAgency: "Phòng Quản lý xuất nhập cảnh - Công an cấp tỉnh",
            leadTime: .workingDays(8), feeVND: 200_000,
            feeNote: "200.000 đồng/lần cấp; cấp lại do bị mất hoặc hư hỏng 400.000 đồng",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Tờ khai đề nghị cấp hộ chiếu (mẫu TK01)"),
                doc("TP2", "Ảnh chân dung"),
                doc("TP3", "Thẻ Căn cước của người đề nghị", digitisable: true),
                doc("TP4", "Hộ chiếu đã cấp lần gần nhất (nếu còn giá trị)", mandatory: false, digitisable: true),
                doc("TP5", "Giấy tờ chứng minh người đại diện hợp pháp (người chưa đủ 14 tuổi)", mandatory: false),
            ],
            steps: [
                step("Tiếp nhận hồ sơ, thu nhận vân tay và ảnh", .province, .receiver, 0),
                step("Kiểm tra, xác minh nhân thân, đề xuất cấp", .province, .specialist, 6),
                step("Lãnh đạo Phòng Quản lý xuất nhập cảnh duyệt cấp", .province, .leader, 2),
                step("Trả hộ chiếu", .province, .receiver, 0),
            ],
            field: "Xuất nhập cảnh"),

        Procedure(
            code: "1.009797",  // sample code
            name: "Cấp giấy phép xây dựng mới đối với công trình cấp đặc biệt, cấp I, cấp II",
            level: .province, competentAgency: "Sở Xây dựng", leadTime: .workingDays(20), feeVND: 150_000,
            feeNote: "Mức lệ phí do Hội đồng nhân dân cấp tỉnh quy định",
            onlineMode: .none,
            components: [
                doc("TP1", "Đơn đề nghị cấp giấy phép xây dựng"),
                doc("TP2", "Giấy tờ chứng minh quyền sử dụng đất", digitisable: true),
                doc("TP3", "Quyết định phê duyệt dự án, văn bản thông báo kết quả thẩm định thiết kế"),
                doc("TP4", "Hai bộ bản vẽ thiết kế xây dựng"),
                doc("TP5", "Văn bản thẩm duyệt thiết kế về phòng cháy và chữa cháy (nếu có)", mandatory: false),
                doc("TP6", "Bản kê khai năng lực, kinh nghiệm của tổ chức thiết kế", mandatory: false),
            ],
            steps: deskFlow(.province, receive: 1, appraise: 14, sign: 4, handBack: 1), field: "Xây dựng"),

        Procedure(
            code: "1.012795",  // sample code
            name: "Đăng ký đất đai, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất lần đầu cho tổ chức",
            level: .province, competentAgency: "Sở Tài nguyên và Môi trường",
            leadTime: .workingDays(30), feeVND: 500_000,
            feeNote: "Lệ phí cấp Giấy chứng nhận do Hội đồng nhân dân cấp tỉnh quy định; chưa gồm tiền sử dụng đất, tiền thuê đất, lệ phí trước bạ",
            onlineMode: .none,
            components: [
                doc("TP1", "Đơn đăng ký đất đai, tài sản gắn liền với đất"),
                doc("TP2", "Quyết định giao đất, cho thuê đất hoặc giấy tờ về quyền sử dụng đất"),
                doc("TP3", "Giấy chứng nhận đăng ký doanh nghiệp hoặc quyết định thành lập tổ chức", digitisable: true),
                doc("TP4", "Báo cáo kết quả rà soát hiện trạng sử dụng đất"),
                doc("TP5", "Chứng từ thực hiện nghĩa vụ tài chính", mandatory: false),
            ],
            financialObligation: true,
            steps: [
                step("Tiếp nhận hồ sơ", .province, .receiver, 0),
                step("Kiểm tra hồ sơ, trích đo, xác định nghĩa vụ tài chính với cơ quan thuế",
                     .province, .specialist, 22),
                step("Giám đốc Sở ký Giấy chứng nhận", .province, .leader, 5),
                step("Trao Giấy chứng nhận sau khi hoàn thành nghĩa vụ tài chính", .province, .receiver, 3),
            ],
            field: "Đất đai"),

        Procedure(
            code: "1.000105",  // sample code
            name: "Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam",
            level: .province, competentAgency: "Sở Lao động - Thương binh và Xã hội", leadTime: .workingDays(5),
            feeVND: 600_000, feeNote: "Mức phí do Hội đồng nhân dân cấp tỉnh quy định (thường 400.000 - 600.000 đồng/giấy phép)",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Văn bản đề nghị cấp giấy phép lao động của người sử dụng lao động"),
                doc("TP2", "Giấy chứng nhận sức khỏe"),
                doc("TP3", "Phiếu lý lịch tư pháp hoặc văn bản xác nhận không phải là người phạm tội"),
                doc("TP4", "Văn bản chứng minh là nhà quản lý, giám đốc điều hành, chuyên gia hoặc lao động kỹ thuật"),
                doc("TP5", "Bản sao hộ chiếu còn giá trị"),
                doc("TP6", "Hai ảnh màu 4x6 cm", mandatory: false),
            ],
            steps: deskFlow(.province, appraise: 3, sign: 1, handBack: 1), field: "Việc làm"),

        Procedure(
            code: "1.003011",  // sample code
            name: "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đối với cơ sở kinh doanh dịch vụ ăn uống",
            level: .province, competentAgency: "Sở Y tế", leadTime: .workingDays(20), feeVND: 700_000,
            feeNote: "700.000 đồng (phục vụ dưới 200 suất ăn); 1.000.000 đồng (từ 200 suất ăn trở lên)",
            onlineMode: .none,
            components: [
                doc("TP1", "Đơn đề nghị cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm"),
                doc("TP2", "Bản thuyết minh về cơ sở vật chất, trang thiết bị, dụng cụ"),
                doc("TP3", "Giấy xác nhận đủ sức khỏe của chủ cơ sở và người trực tiếp chế biến"),
                doc("TP4", "Giấy xác nhận đã được tập huấn kiến thức an toàn thực phẩm"),
            ],
            steps: [
                step("Tiếp nhận hồ sơ", .province, .receiver, 0),
                step("Thẩm định hồ sơ, thẩm định thực tế tại cơ sở", .province, .specialist, 15),
                step("Lãnh đạo Sở ký Giấy chứng nhận", .province, .leader, 4),
                step("Trả Giấy chứng nhận", .province, .receiver, 1),
            ],
            field: "An toàn thực phẩm"),

        // MARK: Ministry level

        Procedure(
            code: "1.001491",  // sample code
            name: "Cấp hộ chiếu phổ thông ở trong nước (thực hiện tại cấp trung ương)", level: .ministry,
            competentAgency: "Cục Quản lý xuất nhập cảnh - Bộ Công an", leadTime: .workingDays(8), feeVND: 200_000,
            feeNote: "200.000 đồng/lần cấp; cấp lại do bị mất hoặc hư hỏng 400.000 đồng",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Tờ khai đề nghị cấp hộ chiếu (mẫu TK01)"),
                doc("TP2", "Ảnh chân dung"),
                doc("TP3", "Thẻ Căn cước của người đề nghị", digitisable: true),
                doc("TP4", "Hộ chiếu đã cấp lần gần nhất (nếu còn giá trị)", mandatory: false, digitisable: true),
            ],
            steps: [
                step("Tiếp nhận hồ sơ, thu nhận vân tay và ảnh", .ministry, .receiver, 0),
                step("Kiểm tra, xác minh nhân thân, đề xuất cấp", .ministry, .specialist, 6),
                step("Lãnh đạo Cục Quản lý xuất nhập cảnh duyệt cấp", .ministry, .leader, 2),
                step("Trả hộ chiếu", .ministry, .receiver, 0),
            ],
            field: "Xuất nhập cảnh"),

        Procedure(
            code: "2.001895",  // sample code
            name: "Thủ tục nhập quốc tịch Việt Nam", level: .ministry,
            competentAgency: "Chủ tịch nước (Bộ Tư pháp thẩm định, trình)",
            // The ministry stage only; the provincial Department of Justice has verified the dossier before.
            leadTime: .workingDays(40), feeVND: 3_000_000,
            feeNote: "Lệ phí nhập quốc tịch Việt Nam 3.000.000 đồng; miễn cho một số đối tượng theo quy định",
            onlineMode: .none,
            components: [
                doc("TP1", "Đơn xin nhập quốc tịch Việt Nam"),
                doc("TP2", "Bản khai lý lịch"),
                doc("TP3", "Bản sao giấy khai sinh, hộ chiếu hoặc giấy tờ có giá trị thay thế"),
                doc("TP4", "Phiếu lý lịch tư pháp", digitisable: true),
                doc("TP5", "Giấy tờ chứng minh trình độ tiếng Việt"),
                doc("TP6", "Giấy tờ chứng minh về chỗ ở, thời gian thường trú ở Việt Nam"),
            ],
            steps: [
                step("Tiếp nhận hồ sơ do Ủy ban nhân dân cấp tỉnh chuyển đến", .ministry, .receiver, 0),
                step("Kiểm tra, thẩm định hồ sơ, báo cáo Bộ trưởng", .ministry, .specialist, 20),
                step("Bộ trưởng Bộ Tư pháp trình Chủ tịch nước xem xét, quyết định", .ministry, .leader, 18),
                step("Gửi Quyết định cho người được nhập quốc tịch", .ministry, .receiver, 2),
            ],
            field: "Quốc tịch"),

        Procedure(
            code: "2.001902",  // sample code
            name: "Thủ tục thôi quốc tịch Việt Nam ở trong nước", level: .ministry,
            competentAgency: "Chủ tịch nước (Bộ Tư pháp thẩm định, trình)",
            leadTime: .workingDays(30), feeVND: 2_500_000,
            feeNote: "Lệ phí thôi quốc tịch Việt Nam 2.500.000 đồng",
            onlineMode: .none,
            components: [
                doc("TP1", "Đơn xin thôi quốc tịch Việt Nam"),
                doc("TP2", "Bản khai lý lịch"),
                doc("TP3", "Bản sao hộ chiếu Việt Nam, thẻ Căn cước hoặc giấy tờ chứng minh quốc tịch Việt Nam",
                    digitisable: true),
                doc("TP4", "Phiếu lý lịch tư pháp", digitisable: true),
                doc("TP5", "Giấy tờ xác nhận việc người đó đang làm thủ tục nhập quốc tịch nước ngoài"),
                doc("TP6", "Giấy xác nhận không nợ thuế", mandatory: false),
            ],
            steps: [
                step("Tiếp nhận hồ sơ do Ủy ban nhân dân cấp tỉnh chuyển đến", .ministry, .receiver, 0),
                step("Kiểm tra, thẩm định hồ sơ, báo cáo Bộ trưởng", .ministry, .specialist, 10),
                step("Bộ trưởng Bộ Tư pháp trình Chủ tịch nước xem xét, quyết định", .ministry, .leader, 18),
                step("Gửi Quyết định cho người được thôi quốc tịch", .ministry, .receiver, 2),
            ],
            field: "Quốc tịch"),

        Procedure(
            code: "2.000233",  // sample code
            name: "Cấp Giấy chứng nhận xuất xứ hàng hóa (C/O) ưu đãi", level: .ministry,
            competentAgency: "Cục Xuất nhập khẩu - Bộ Công Thương",
            leadTime: .workingHours(8), feeVND: 0,
            feeNote: "Cơ quan nhà nước không thu lệ phí; tổ chức được ủy quyền cấp C/O có thể thu phí dịch vụ",
            onlineMode: .fullProcess,
            components: [
                doc("TP1", "Đơn đề nghị cấp C/O"),
                doc("TP2", "Mẫu C/O đã khai hoàn chỉnh"),
                doc("TP3", "Tờ khai hải quan xuất khẩu", digitisable: true),
                doc("TP4", "Hóa đơn thương mại"),
                doc("TP5", "Bảng kê khai chi tiết hàng hóa đáp ứng tiêu chí xuất xứ", mandatory: false),
            ],
            steps: [
                step("Tiếp nhận hồ sơ qua Hệ thống eCoSys", .ministry, .receiver, 0),
                step("Kiểm tra hồ sơ, đối chiếu tiêu chí xuất xứ", .ministry, .specialist, 6),
                step("Ký cấp C/O", .ministry, .leader, 2),
                step("Trả C/O", .ministry, .receiver, 0),
            ],
            field: "Xuất nhập khẩu"),

        Procedure(
            code: "1.000370",  // sample code
            name: "Cấp giấy phép xuất khẩu tiền chất công nghiệp", level: .ministry,
            competentAgency: "Cục Hóa chất - Bộ Công Thương", leadTime: .workingDays(5), feeVND: 0,
            onlineMode: .partial,
            components: [
                doc("TP1", "Văn bản đề nghị cấp giấy phép xuất khẩu tiền chất"),
                doc("TP2", "Hợp đồng hoặc văn bản thỏa thuận mua bán tiền chất"),
                doc("TP3", "Báo cáo tình hình xuất khẩu tiền chất của giấy phép đã cấp lần trước", mandatory: false),
            ],
            steps: deskFlow(.ministry, appraise: 3, sign: 2), field: "Hóa chất"),

        Procedure(
            code: "1.004585",  // sample code
            name: "Cấp giấy đăng ký lưu hành thuốc hóa dược", level: .ministry,
            competentAgency: "Cục Quản lý Dược - Bộ Y tế",
            // "Within 12 months" in the law, written here as about 250 working days.
            leadTime: .workingDays(250), feeVND: 11_000_000,
            feeNote: "Phí thẩm định theo quy định của Bộ Tài chính; mức khác nhau theo loại hồ sơ (thuốc mới, thuốc generic, gia hạn)",
            onlineMode: .partial,
            components: [
                doc("TP1", "Đơn đề nghị cấp giấy đăng ký lưu hành thuốc"),
                doc("TP2", "Giấy chứng nhận sản phẩm dược (CPP) hoặc giấy phép sản xuất, kinh doanh dược"),
                doc("TP3", "Hồ sơ chất lượng thuốc"),
                doc("TP4", "Hồ sơ tiền lâm sàng và lâm sàng (đối với thuốc mới)", mandatory: false),
                doc("TP5", "Mẫu nhãn và tờ hướng dẫn sử dụng thuốc"),
            ],
            steps: [
                step("Tiếp nhận hồ sơ", .ministry, .receiver, 0),
                step("Thẩm định hồ sơ chất lượng, an toàn, hiệu quả", .ministry, .specialist, 200),
                step("Họp Hội đồng tư vấn cấp giấy đăng ký lưu hành thuốc", .ministry, .specialist, 40),
                step("Cục trưởng ký quyết định cấp giấy đăng ký lưu hành", .ministry, .leader, 10),
                step("Trả kết quả", .ministry, .receiver, 0),
            ],
            field: "Dược phẩm"),

        // MARK: Interconnected (liên thông): steps at several levels or agencies

        Procedure(
            code: "1.010801",  // sample code
            name: "Giải quyết chế độ ưu đãi đối với người hoạt động kháng chiến bị nhiễm chất độc hóa học",
            level: .province, competentAgency: "Sở Lao động - Thương binh và Xã hội",
            leadTime: .workingDays(20), feeVND: 0, onlineMode: .partial,
            components: [
                doc("TP1", "Bản khai cá nhân đề nghị giải quyết chế độ"),
                doc("TP2", "Giấy tờ chứng minh thời gian hoạt động kháng chiến"),
                doc("TP3", "Biên bản giám định y khoa", mandatory: false),
                doc("TP4", "Thẻ Căn cước của người đề nghị", digitisable: true),
            ],
            steps: [
                // Commune receives and certifies, the district's labour office appraises, the province decides;
                // the result goes back to the commune desk.
                step("Tiếp nhận hồ sơ, xác nhận bản khai", .commune, .receiver, 5),
                step("Phòng Lao động - Thương binh và Xã hội thẩm định, lập danh sách", .district, .specialist, 5),
                step("Sở Lao động - Thương binh và Xã hội kiểm tra, đề xuất", .province, .specialist, 5),
                step("Giám đốc Sở ra quyết định trợ cấp", .province, .leader, 5),
                step("Trả kết quả tại bộ phận một cửa cấp xã", .commune, .receiver, 0),
            ],
            field: "Người có công"),

        Procedure(
            code: "1.010802",  // sample code
            name: "Cấp thẻ thường trú cho người nước ngoài tại Việt Nam",
            level: .ministry, competentAgency: "Cục Quản lý xuất nhập cảnh - Bộ Công an",
            leadTime: .workingDays(15), feeVND: 100_000, feeNote: "Lệ phí cấp thẻ thường trú (mức mẫu)", onlineMode: .none,
            components: [
                doc("TP1", "Đơn đề nghị cấp thẻ thường trú (mẫu NA12)"),
                doc("TP2", "Lý lịch tư pháp do cơ quan có thẩm quyền của nước mà người đó là công dân cấp"),
                doc("TP3", "Bản sao hộ chiếu có chứng thực"),
                doc("TP4", "Giấy tờ chứng minh đủ điều kiện xét cho thường trú"),
            ],
            steps: [
                // The province's immigration office receives; the ministry's Immigration Department decides;
                // the province hands the card back.
                step("Phòng Quản lý xuất nhập cảnh Công an tỉnh tiếp nhận, kiểm tra", .province, .receiver, 2),
                step("Cục Quản lý xuất nhập cảnh thẩm định, xác minh", .ministry, .specialist, 8, unit: "M-BCA.C01"),
                step("Lãnh đạo Cục duyệt cấp thẻ thường trú", .ministry, .leader, 3, unit: "M-BCA.C01"),
                step("Trả thẻ thường trú tại Công an tỉnh", .province, .receiver, 2),
            ],
            field: "Xuất nhập cảnh"),

        Procedure(
            code: "1.010803",  // sample code
            name: "Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi", level: .district,
            competentAgency: "Bảo hiểm xã hội cấp huyện", leadTime: .workingDays(2), feeVND: 0, onlineMode: .fullProcess,
            components: [doc("TP1", "Tờ khai tham gia bảo hiểm y tế (mẫu TK1-TS)")],
            steps: deskFlow(.district, appraise: 1, sign: 1), field: "Bảo hiểm y tế"),

        Procedure(
            code: "1.010804",  // sample code
            name: "Liên thông các thủ tục hành chính về đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
            level: .district, competentAgency: "Ủy ban nhân dân cấp xã; Công an cấp xã; Bảo hiểm xã hội cấp huyện",
            leadTime: .workingDays(5), feeVND: 0, onlineMode: .fullProcess,
            components: [
                doc("TP1", "Tờ khai đăng ký khai sinh"),
                doc("TP2", "Giấy chứng sinh", digitisable: true),
                doc("TP3", "Tờ khai thay đổi thông tin cư trú (mẫu CT01)"),
                doc("TP4", "Tờ khai tham gia bảo hiểm y tế (mẫu TK1-TS)"),
            ],
            steps: [
                step("Tiếp nhận hồ sơ liên thông", .commune, .receiver, 0),
                step("Công chức tư pháp - hộ tịch đăng ký khai sinh", .commune, .specialist, 1),
                step("Công an cấp xã đăng ký thường trú", .commune, .specialist, 2),
                step("Bảo hiểm xã hội cấp huyện cấp thẻ bảo hiểm y tế", .district, .specialist, 1),
                step("Ký, phát hành thẻ bảo hiểm y tế", .district, .leader, 1),
                step("Trả kết quả (trích lục khai sinh, xác nhận thường trú, thẻ BHYT)", .commune, .receiver, 0),
            ],
            field: "Hộ tịch", bundle: ["1.001193", "1.004222", "1.010803"]),
    ]
}
