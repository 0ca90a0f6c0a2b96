import Foundation

/// Form 01: receipt and appointment slip (Giấy tiếp nhận hồ sơ và hẹn trả kết quả).
public struct ReceiptForm: Codable, Sendable, Hashable {
    public var form = "01"
    public var title = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    public var dossierCode: String
    public var applicantName: String
    public var applicantIdNumber: String
    public var procedureCode: String
    public var procedureName: String
    public var componentsReceived: [String]
    public var receivedAt: Date
    public var appointmentAt: Date
    public var collectAt: String
    public var receivingOfficer: String
    public var lookup: String
    /// The short secret that, with the code, always opens the dossier to its applicant (set by the node,
    /// which keeps it; never in the log).
    public var lookupSecret: String? = nil
}

/// Form 02: one complete list of what is missing (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ).
public struct SupplementRequestForm: Codable, Sendable, Hashable {
    public var form = "02"
    public var title = "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
    public var dossierCode: String
    public var applicantName: String
    public var items: [String]
    public var note: String?
    public var requestedBy: String
    public var requestedAt: Date
}

/// Form 03: refusal to receive, with reasons (Phiếu từ chối tiếp nhận).
public struct RefusalForm: Codable, Sendable, Hashable {
    public var form = "03"
    public var title = "Phiếu từ chối tiếp nhận giải quyết hồ sơ"
    public var dossierCode: String
    public var applicantName: String
    public var reasons: [String]
    public var refusedBy: String
    public var refusedAt: Date
}

/// Form 04: apology and new appointment (Phiếu xin lỗi và hẹn lại ngày trả kết quả).
public struct ApologyForm: Codable, Sendable, Hashable {
    public var form = "04"
    public var title = "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    public var dossierCode: String
    public var applicantName: String
    public var unit: String
    public var reason: String
    public var previousAppointmentAt: Date
    public var newAppointmentAt: Date
    public var issuedBy: String
    public var issuedAt: Date
    /// True when the apology came after the appointment had already passed.
    public var issuedAfterDeadline: Bool
}

/// Form 05: notice that processing stopped (Thông báo dừng giải quyết).
public struct StopNoticeForm: Codable, Sendable, Hashable {
    public var form = "05"
    public var title = "Thông báo về việc dừng giải quyết hồ sơ"
    public var dossierCode: String
    public var applicantName: String
    public var reason: String
    public var onApplicantRequest: Bool
    public var stoppedBy: String
    public var stoppedAt: Date
}

/// Whichever form a transition produced; written as the form itself, read back by its `form` number.
public enum DossierForm: Sendable, Hashable, Codable {
    case receipt(ReceiptForm)
    case supplementRequest(SupplementRequestForm)
    case refusal(RefusalForm)
    case apology(ApologyForm)
    case stopNotice(StopNoticeForm)

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .receipt(let form): try form.encode(to: encoder)
        case .supplementRequest(let form): try form.encode(to: encoder)
        case .refusal(let form): try form.encode(to: encoder)
        case .apology(let form): try form.encode(to: encoder)
        case .stopNotice(let form): try form.encode(to: encoder)
        }
    }

    private enum Keys: String, CodingKey { case form }

    public init(from decoder: any Decoder) throws {
        let number = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .form)
        switch number {
        case "01": self = .receipt(try ReceiptForm(from: decoder))
        case "02": self = .supplementRequest(try SupplementRequestForm(from: decoder))
        case "03": self = .refusal(try RefusalForm(from: decoder))
        case "04": self = .apology(try ApologyForm(from: decoder))
        case "05": self = .stopNotice(try StopNoticeForm(from: decoder))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "no dossier form numbered \(number.prefix(8))"))
        }
    }
}

/// Form 06: the processing-control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ): every hand-over of
/// the dossier with its times, the officer who handed it over, and whether each stay kept its share.
public struct ProcessingControlSheet: Codable, Sendable, Hashable {
    public struct Row: Codable, Sendable, Hashable {
        public var fromUnit: String
        public var fromUnitName: String?
        public var toUnit: String
        public var toUnitName: String?
        public var toNode: String?
        public var step: String?
        /// When the sender handed it over, and when the receiving unit's node took it in.
        public var handedOverAt: Date
        public var receivedAt: Date
        public var handedOverBy: String?
        /// The sender's share of the lead time ended at.
        public var senderStepDueAt: Date?
        public var senderOnTime: Bool?
    }

    public var form = "06"
    public var title = "Phiếu kiểm soát quá trình giải quyết hồ sơ"
    public var dossierCode: String
    public var procedureCode: String
    public var receivedAt: Date?
    public var appointmentAt: Date?
    public var rows: [Row]
    /// Where the dossier is now, and since when.
    public var currentUnit: String
    public var currentNode: String?
    public var since: Date?
    /// The stay that is over its share now, if any: the unit that owes the apology (Form 04).
    public var lateAtUnit: String?

    public init(dossier: Dossier, now: Date, unitName: (String) -> String?) {
        dossierCode = dossier.code
        procedureCode = dossier.procedureCode
        receivedAt = dossier.receivedAt
        appointmentAt = dossier.dueAt
        let path = dossier.path
        rows = path.indices.dropFirst().map { index in
            let from = path[index - 1]
            let to = path[index]
            return Row(
                fromUnit: from.unit, fromUnitName: unitName(from.unit), toUnit: to.unit, toUnitName: unitName(to.unit), toNode: to.node,
                step: to.step, handedOverAt: to.arrivedAt, receivedAt: to.receivedAt ?? to.arrivedAt, handedOverBy: to.handedOverBy,
                senderStepDueAt: from.stepDueAt, senderOnTime: from.stepDueAt.map { _ in !from.isLate(at: now) })
        }
        currentUnit = dossier.holderUnit
        currentNode = dossier.holderNode
        since = path.last.map { $0.receivedAt ?? $0.arrivedAt }
        lateAtUnit = dossier.currentStayLate(at: now) ? dossier.holderUnit : nil
    }
}
