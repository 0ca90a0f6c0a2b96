import Crypto
import Foundation

/// A document handed in with a submission, a supplement or a decision, as the API receives it.
public struct ComponentUpload: Sendable, Hashable {
    public var code: String
    public var fileName: String
    public var bytes: [UInt8]
    /// Taken from the data warehouse instead of uploaded (counts for data reuse).
    public var reused: Bool

    public init(code: String, fileName: String, bytes: [UInt8], reused: Bool = false) {
        self.code = code
        self.fileName = fileName
        self.bytes = bytes
        self.reused = reused
    }

    public var sha256: String { hexString(SHA256.hash(data: bytes)) }

    /// Metadata of the stored component.
    public func received(name: String) -> ReceivedComponent {
        ReceivedComponent(code: code, name: name, fileName: fileName, sizeBytes: bytes.count, sha256: sha256, reused: reused)
    }
}

/// How a fee or tax was paid (indicator 3.6 counts the online ones).
public enum PaymentMethod: String, Codable, Sendable, CaseIterable {
    case nationalPortal = "national-portal"
    case localGateway = "local-gateway"
    case cash
    case bankTransfer = "bank-transfer"

    public var isOnline: Bool { self == .nationalPortal || self == .localGateway }
}

/// A transition request with its validated parameters.
public enum DossierCommand: Sendable, Hashable {
    /// Largest amount a single payment or a dossier's payments may reach (10^15 VND), far above any real
    /// fee or land levy and far below integer overflow.
    public static let amountLimitVND = 1_000_000_000_000_000

    case receive(note: String?)
    case refuse(reasons: [String])
    case assign(assignee: String, note: String?)
    case requestSupplement(items: [String], note: String?)
    case supplement(components: [ComponentUpload], note: String?)
    case requestPayment(amountVND: Int, description: String?)
    case recordPayment(amountVND: Int, method: PaymentMethod, reference: String?)
    /// `toUnit` nil: the next stage of the procedure's steps.
    case forward(toUnit: String?, note: String?)
    case extend(reason: String, workingDays: Int?, newDueAt: Date?)
    case decide(outcome: DecisionOutcome, reason: String?, resultSummary: String?, resultDocument: ComponentUpload?)
    case returnResult(note: String?, satisfaction: Int?)
    case requestWithdrawal(reason: String?)
    case stop(reason: String)
    case sendBack(reason: String)

    public var action: DossierAction {
        switch self {
        case .receive: .receive
        case .refuse: .refuse
        case .assign: .assign
        case .requestSupplement: .requestSupplement
        case .supplement: .supplement
        case .requestPayment: .requestPayment
        case .recordPayment: .recordPayment
        case .forward: .forward
        case .extend: .extend
        case .decide: .decide
        case .returnResult: .returnResult
        case .requestWithdrawal: .requestWithdrawal
        case .stop: .stop
        case .sendBack: .sendBack
        }
    }
}
