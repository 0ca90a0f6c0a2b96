import Foundation
import MotCuaCore

// The bodies the node's API reads, sent by `NodeAPI`'s clients. Every member a request may leave out is
// optional; the node checks what each request needs and answers 400/422 naming the member.

/// `POST /v1/auth/token`.
public struct LoginBody: Codable, Sendable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// `POST /v1/officers`: creates or replaces an account.
public struct OfficerBody: Codable, Sendable {
    public var username: String
    public var fullName: String
    public var password: String
    public var roles: [OfficerRole]
    public var units: [String]
    /// False deactivates the account (its sessions end at once).
    public var active: Bool?

    public init(username: String, fullName: String, password: String, roles: [OfficerRole], units: [String], active: Bool? = nil) {
        self.username = username
        self.fullName = fullName
        self.password = password
        self.roles = roles
        self.units = units
        self.active = active
    }
}

/// `PATCH /v1/officers/{username}`: what changes; a member left out stays as it is.
public struct OfficerPatchBody: Codable, Sendable {
    public var fullName: String?
    public var password: String?
    public var roles: [OfficerRole]?
    public var units: [String]?
    /// False deactivates the account (its sessions end at once).
    public var active: Bool?

    public init(fullName: String? = nil, password: String? = nil, roles: [OfficerRole]? = nil, units: [String]? = nil, active: Bool? = nil) {
        self.fullName = fullName
        self.password = password
        self.roles = roles
        self.units = units
        self.active = active
    }
}

/// `POST /v1/admin/bootstrap`: the first admin of a node without officers, with its one-time token.
public struct BootstrapBody: Codable, Sendable {
    public var token: String
    public var username: String
    public var fullName: String
    public var password: String

    public init(token: String, username: String, fullName: String, password: String) {
        self.token = token
        self.username = username
        self.fullName = fullName
        self.password = password
    }
}

/// `POST /v1/admin/units`: units to add or replace (the node's directory must hold together afterwards).
public struct UnitsImportBody: Codable, Sendable {
    public var units: [AdministrativeUnit]

    public init(units: [AdministrativeUnit]) { self.units = units }
}

/// A file sent with a filing or an action, base64-encoded.
public struct UploadBody: Codable, Sendable {
    public var code: String?
    public var fileName: String
    public var contentBase64: String
    public var reused: Bool?

    public init(code: String?, fileName: String, contentBase64: String, reused: Bool? = nil) {
        self.code = code
        self.fileName = fileName
        self.contentBase64 = contentBase64
        self.reused = reused
    }

    public init(code: String?, fileName: String, bytes: some Sequence<UInt8>, reused: Bool? = nil) {
        self.init(code: code, fileName: fileName, contentBase64: Data(bytes).base64EncodedString(), reused: reused)
    }
}

/// `POST /v1/dossiers`: a filing, online by the applicant or at a desk by an officer.
public struct SubmissionBody: Codable, Sendable {
    public var procedureCode: String
    public var channel: SubmissionChannel?
    public var applicant: Applicant
    public var components: [UploadBody]?
    /// The competent unit, when the procedure's level has several.
    public var unit: String?

    public init(procedureCode: String, channel: SubmissionChannel? = nil, applicant: Applicant, components: [UploadBody]? = nil, unit: String? = nil) {
        self.procedureCode = procedureCode
        self.channel = channel
        self.applicant = applicant
        self.components = components
        self.unit = unit
    }
}

/// `POST /v1/dossiers/{code}/lookup`: the public lookup with the receipt's secret or the applicant's ID number.
public struct LookupBody: Codable, Sendable {
    public var idNumber: String?
    public var lookupSecret: String?

    public init(idNumber: String? = nil, lookupSecret: String? = nil) {
        self.idNumber = idNumber
        self.lookupSecret = lookupSecret
    }
}

/// `POST /v1/admin/log/accept-loss`.
public struct AcceptLossBody: Codable, Sendable {
    public var reason: String

    public init(reason: String) { self.reason = reason }
}

/// `POST /v1/dossiers/{code}/actions/{action}`: every member optional; the node checks what each action needs.
public struct ActionBody: Codable, Sendable {
    public var note: String?
    public var reasons: [String]?
    public var reason: String?
    public var assignee: String?
    public var items: [String]?
    public var components: [UploadBody]?
    public var amountVND: Int?
    public var description: String?
    public var method: String?
    public var reference: String?
    public var toUnit: String?
    public var workingDays: Int?
    public var newDueAt: String?
    public var outcome: String?
    public var resultSummary: String?
    public var resultDocument: UploadBody?
    public var satisfaction: Int?
    /// The applicant's ID number, for the actions an applicant takes without a session (never in the URL).
    public var idNumber: String?

    public init(
        note: String? = nil, reasons: [String]? = nil, reason: String? = nil, assignee: String? = nil, items: [String]? = nil,
        components: [UploadBody]? = nil, amountVND: Int? = nil, description: String? = nil, method: String? = nil,
        reference: String? = nil, toUnit: String? = nil, workingDays: Int? = nil, newDueAt: String? = nil, outcome: String? = nil,
        resultSummary: String? = nil, resultDocument: UploadBody? = nil, satisfaction: Int? = nil, idNumber: String? = nil
    ) {
        self.note = note
        self.reasons = reasons
        self.reason = reason
        self.assignee = assignee
        self.items = items
        self.components = components
        self.amountVND = amountVND
        self.description = description
        self.method = method
        self.reference = reference
        self.toUnit = toUnit
        self.workingDays = workingDays
        self.newDueAt = newDueAt
        self.outcome = outcome
        self.resultSummary = resultSummary
        self.resultDocument = resultDocument
        self.satisfaction = satisfaction
        self.idNumber = idNumber
    }
}
