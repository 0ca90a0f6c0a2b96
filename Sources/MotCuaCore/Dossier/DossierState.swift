import Foundation

/// Internal states of a dossier. Each maps onto one of the ten national statuses; several internal
/// states refine status 4 ("being processed").
public enum DossierState: String, Codable, Sendable, CaseIterable {
    /// 1: submitted online, not yet received.
    case submitted
    /// 5 before reception: an online dossier is incomplete; the applicant completes it (clock not started).
    case incompleteOnline = "incomplete-online"
    /// 2: received at the one-stop desk, receipt issued, awaiting assignment.
    case received
    /// 3: refused at reception (Form 03). Terminal.
    case refused
    /// 4: a specialist processes it.
    case assigned
    /// 4: handed over to another unit or level of this node, which has not taken it up yet.
    case forwarded
    /// 5: supplement requested (Form 02); the clock is paused.
    case supplementRequested = "supplement-requested"
    /// 4: the supplement arrived; awaiting re-check.
    case supplemented
    /// 6: waiting for fees or taxes to be paid.
    case paymentRequested = "payment-requested"
    /// 4: paid; processing continues.
    case paid
    /// 7: the applicant asked to withdraw; an officer reviews.
    case withdrawalRequested = "withdrawal-requested"
    /// 8: processing stopped (Form 05). Terminal.
    case stopped
    /// 9: decided; the result is at the one-stop desk.
    case decided
    /// 10: result returned to the applicant. Terminal.
    case returned
    /// 4 (or 9 for a result on its way back): handed to a unit of another node through the hub; this node
    /// does not hold the dossier now and takes no action on it until it comes back.
    case transferred

    public var nationalStatus: Int {
        switch self {
        case .submitted: 1
        case .received: 2
        case .refused: 3
        case .assigned, .forwarded, .supplemented, .paid, .transferred: 4
        case .incompleteOnline, .supplementRequested: 5
        case .paymentRequested: 6
        case .withdrawalRequested: 7
        case .stopped: 8
        case .decided: 9
        case .returned: 10
        }
    }

    public var national: NationalStatus { NationalStatus(rawValue: nationalStatus) }

    /// Refused, stopped or returned: the national status is terminal.
    public var isTerminal: Bool { national.isTerminal }

    /// The Vietnamese name of a national status, as the portal shows it.
    public static func statusName(_ code: Int) -> String {
        switch code {
        case 1: "Mới đăng ký"
        case 2: "Được tiếp nhận"
        case 3: "Không được tiếp nhận"
        case 4: "Đang xử lý"
        case 5: "Yêu cầu bổ sung giấy tờ"
        case 6: "Yêu cầu thực hiện nghĩa vụ tài chính"
        case 7: "Công dân yêu cầu rút hồ sơ"
        case 8: "Dừng xử lý"
        case 9: "Đã xử lý xong"
        case 10: "Đã trả kết quả"
        default: "Không xác định"
        }
    }

    public var statusName: String { Self.statusName(nationalStatus) }
}
