import Foundation
import MotCuaCore

// The router's messages besides the transfer envelope, declared once for the node that sends them and
// the hub that reads them (`PUT /v1/federation/units`, `GET /v1/federation/units`,
// `POST /v1/federation/transfers`, `POST /v1/federation/mailbox/ack`).

/// A node's units as it registers them. The node they belong to is the one the client certificate names,
/// whatever a body says, so it is not part of the message.
public struct UnitRegistration: Codable, Sendable, Hashable {
    public struct Unit: Codable, Sendable, Hashable {
        public var code: String
        public var name: String
        public var level: AdministrativeLevel
        public var parentCode: String?

        public init(code: String, name: String, level: AdministrativeLevel, parentCode: String?) {
            self.code = code
            self.name = name
            self.level = level
            self.parentCode = parentCode
        }
    }

    /// At most this many units in one registration.
    public static let maximumUnits = 100_000

    public var units: [Unit]

    public init(units: [Unit]) { self.units = units }

    /// The units as the directory holds them, served by `node`.
    public func directoryEntries(node: String) -> [FederationUnit] {
        units.map { FederationUnit(code: $0.code, node: node, name: $0.name, level: $0.level, parentCode: $0.parentCode) }
    }
}

/// The hub's answer to a registration.
public struct UnitRegistrationReceipt: Codable, Sendable, Hashable {
    public var node: String
    public var units: Int

    public init(node: String, units: Int) {
        self.node = node
        self.units = units
    }
}

/// The federation's unit directory, with the version a node sends back to be told "unchanged" (304).
public struct UnitDirectoryPage: Codable, Sendable, Hashable {
    public var version: String?
    public var items: [FederationUnit]

    public init(version: String?, items: [FederationUnit]) {
        self.version = version
        self.items = items
    }
}

/// The hub's answer to a transfer handed in: queued for its destination, or a duplicate of one it holds.
public struct TransferReceipt: Codable, Sendable, Hashable {
    public enum Result: String, Codable, Sendable {
        case queued, duplicate
    }

    public var transferId: String
    public var result: Result
    /// The node the transfer is queued for (nil: none serves its unit yet).
    public var destination: String?

    public init(transferId: String, result: Result, destination: String?) {
        self.transferId = transferId
        self.result = result
        self.destination = destination
    }

    /// The answer for a transfer the router holds.
    public init(_ entry: MailboxEntry, result: Result) {
        self.init(transferId: entry.transferId, result: result, destination: entry.destination)
    }

    // The destination is written as null when unknown, not left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(transferId, forKey: .transferId)
        try container.encode(result, forKey: .result)
        try container.encode(destination, forKey: .destination)
    }
}

/// A node acknowledging the transfers it took in from its mailbox.
public struct MailboxAcknowledgement: Codable, Sendable, Hashable {
    /// At most this many ids in one acknowledgement.
    public static let maximumIds = 1_000

    public var transferIds: [String]

    public init(transferIds: [String]) { self.transferIds = transferIds }
}

/// The hub's answer to an acknowledgement, per transfer id.
public struct MailboxAcknowledgementReceipt: Codable, Sendable, Hashable {
    /// `acknowledged`, `already-acknowledged` or `ignored: <reason>`.
    public var results: [String: String]

    public init(results: [String: String]) { self.results = results }

    public init(_ outcomes: [String: TransferRouter.Acknowledgement]) {
        var results: [String: String] = [:]
        for (id, outcome) in outcomes {
            switch outcome {
            case .remove: results[id] = "acknowledged"
            case .alreadyDone: results[id] = "already-acknowledged"
            case .ignore(let reason): results[id] = "ignored: \(reason)"
            }
        }
        self.results = results
    }
}
