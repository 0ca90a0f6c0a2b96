import Foundation
import MotCuaAPI
import MotCuaCore

/// What the node makes of the bodies it reads: files from base64, and the command an action's body asks for.
extension ActionBody {
    /// Decodes base64 content with a clear error naming the component. Whitespace (line breaks of a
    /// wrapped encoding) is allowed; any other character outside the base64 alphabet is refused, never
    /// dropped: a file with a stray byte would otherwise be stored silently altered.
    public static func bytes(of upload: UploadBody, field: String) throws(DossierError) -> [UInt8] {
        var text = upload.contentBase64.filter { !$0.isWhitespace }
        if let stray = text.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=")) }) {
            throw .invalid(field: field + ".contentBase64", reason: "'\(quoted(String(stray), limit: 8))' is not a base64 character (A-Z, a-z, 0-9, +, /, = at the end)")
        }
        // Missing padding is tolerated; padding anywhere but the end is not.
        if text.count % 4 == 2 { text += "==" } else if text.count % 4 == 3 { text += "=" }
        guard let data = Data(base64Encoded: text) else {
            throw .invalid(field: field + ".contentBase64", reason: "not valid base64 (padding only at the end, length a multiple of 4)")
        }
        guard !data.isEmpty else { throw .invalid(field: field, reason: "the file \(upload.fileName) is empty") }
        return [UInt8](data)
    }

    /// Validates the fields an action needs and builds the command.
    public func command(for action: DossierAction) throws(DossierError) -> DossierCommand {
        func required(_ value: String?, _ field: String) throws(DossierError) -> String {
            guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .invalid(field: field, reason: "required for '\(action.rawValue)'")
            }
            return value
        }
        func nonEmptyList(_ list: [String]?, _ field: String) throws(DossierError) -> [String] {
            let cleaned = (list ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            guard !cleaned.isEmpty else { throw .invalid(field: field, reason: "give at least one entry for '\(action.rawValue)'") }
            return cleaned
        }
        switch action {
        case .receive:
            return .receive(note: note)
        case .refuse:
            return .refuse(reasons: try nonEmptyList(reasons ?? reason.map { [$0] }, "reasons"))
        case .assign:
            return .assign(assignee: try required(assignee, "assignee"), note: note)
        case .requestSupplement:
            return .requestSupplement(items: try nonEmptyList(items, "items"), note: note)
        case .supplement:
            var uploads: [ComponentUpload] = []
            for (index, upload) in (components ?? []).enumerated() {
                let field = "components[\(index)]"
                let code = try required(upload.code, "\(field).code")
                uploads.append(ComponentUpload(
                    code: code, fileName: upload.fileName, bytes: try Self.bytes(of: upload, field: field),
                    reused: upload.reused ?? false))
            }
            if uploads.isEmpty && (note ?? "").isEmpty {
                throw .invalid(field: "components", reason: "a supplement brings at least one component or a note")
            }
            return .supplement(components: uploads, note: note)
        case .requestPayment:
            guard let amountVND, amountVND > 0, amountVND <= DossierCommand.amountLimitVND else {
                throw .invalid(field: "amountVND", reason: "a positive amount in VND, at most \(DossierCommand.amountLimitVND)")
            }
            return .requestPayment(amountVND: amountVND, description: description)
        case .recordPayment:
            guard let amountVND, amountVND > 0, amountVND <= DossierCommand.amountLimitVND else {
                throw .invalid(field: "amountVND", reason: "a positive amount in VND, at most \(DossierCommand.amountLimitVND)")
            }
            let methodName = try required(method, "method")
            guard let parsed = PaymentMethod(rawValue: methodName) else {
                throw .invalid(field: "method", reason: "one of \(PaymentMethod.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .recordPayment(amountVND: amountVND, method: parsed, reference: reference)
        case .forward:
            let target = toUnit?.trimmingCharacters(in: .whitespacesAndNewlines)
            return .forward(toUnit: target?.isEmpty == false ? target : nil, note: note)
        case .extend:
            let why = try required(reason, "reason")
            var due: Date?
            if let newDueAt {
                guard let parsed = VietnamTime.parseISO8601(newDueAt) else {
                    throw .invalid(field: "newDueAt", reason: "an ISO 8601 time such as 2026-03-02T17:00:00+07:00")
                }
                due = parsed
            }
            switch (workingDays, due) {
            case (nil, nil), (.some, .some):
                throw .invalid(field: "workingDays", reason: "give either workingDays or newDueAt")
            case (.some(let days), nil) where days < 1 || days > 365:
                throw .invalid(field: "workingDays", reason: "between 1 and 365")
            default:
                return .extend(reason: why, workingDays: workingDays, newDueAt: due)
            }
        case .decide:
            let outcomeName = try required(outcome, "outcome")
            guard let parsed = DecisionOutcome(rawValue: outcomeName) else {
                throw .invalid(field: "outcome", reason: "approved or rejected")
            }
            if parsed == .rejected { _ = try required(reason, "reason") }
            var document: ComponentUpload?
            if let resultDocument {
                document = ComponentUpload(
                    code: resultDocument.code ?? "KQ", fileName: resultDocument.fileName,
                    bytes: try Self.bytes(of: resultDocument, field: "resultDocument"))
            }
            return .decide(outcome: parsed, reason: reason, resultSummary: resultSummary, resultDocument: document)
        case .returnResult:
            if let satisfaction, !(1...5).contains(satisfaction) {
                throw .invalid(field: "satisfaction", reason: "from 1 (very dissatisfied) to 5 (very satisfied)")
            }
            return .returnResult(note: note, satisfaction: satisfaction)
        case .requestWithdrawal:
            return .requestWithdrawal(reason: reason)
        case .stop:
            return .stop(reason: try required(reason, "reason"))
        case .sendBack:
            return .sendBack(reason: try required(reason, "reason"))
        }
    }
}
