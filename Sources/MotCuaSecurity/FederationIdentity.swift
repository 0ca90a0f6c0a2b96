import Foundation

/// Who a federation party is, as written in its certificate's URI SAN. Identity comes from the verified
/// certificate, never from a header or a body.
public enum FederationIdentity: Hashable, Sendable, CustomStringConvertible {
    case node(String)
    case hub
    case `operator`(String)
    case registry(String)

    /// The role names of `motcua certs issue --role`.
    public enum Role: String, CaseIterable, Sendable {
        case node, hub, `operator`, registry
    }

    /// Builds an identity from a role and an id (the hub needs none).
    public init(role: Role, id: String?) throws {
        switch role {
        case .hub: self = .hub
        case .node, .operator, .registry:
            guard let id, id.wholeMatch(of: /[a-z0-9][a-z0-9._-]{0,63}/) != nil else {
                throw PKIError.invalidIdentity("--id: 1-64 lower-case letters, digits, '.', '_' or '-' (got \(id ?? "nothing"))")
            }
            switch role {
            case .node: self = .node(id)
            case .operator: self = .operator(id)
            default: self = .registry(id)
            }
        }
    }

    /// `urn:motcua:node:<id>`, `urn:motcua:hub`, `urn:motcua:operator:<name>`, `urn:motcua:registry:<id>`.
    public var uri: String {
        switch self {
        case .node(let id): "urn:motcua:node:\(id)"
        case .hub: "urn:motcua:hub"
        case .operator(let name): "urn:motcua:operator:\(name)"
        case .registry(let id): "urn:motcua:registry:\(id)"
        }
    }

    /// Parses a URI SAN; nil for anything that is not a MotCua identity.
    public init?(uri: String) {
        let parts = uri.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] == "urn", parts[1] == "motcua" else { return nil }
        switch (parts[2], parts.count) {
        case ("hub", 3): self = .hub
        case ("node", 4) where !parts[3].isEmpty: self = .node(parts[3])
        case ("operator", 4) where !parts[3].isEmpty: self = .operator(parts[3])
        case ("registry", 4) where !parts[3].isEmpty: self = .registry(parts[3])
        default: return nil
        }
    }

    /// A file-name-safe name: `node-p01`, `hub`, `operator-alice`.
    public var fileStem: String {
        switch self {
        case .node(let id): "node-\(id)"
        case .hub: "hub"
        case .operator(let name): "operator-\(name)"
        case .registry(let id): "registry-\(id)"
        }
    }

    public var description: String { uri }
}

/// Errors of the PKI, with what to do about them.
public enum PKIError: Error, CustomStringConvertible, Sendable {
    case invalidIdentity(String)
    case notInitialised(String)
    case alreadyInitialised(String)
    case unreadable(String, String)
    case unknownCertificate(String)
    case invalidHostName(String)
    case namesNotServed(String)

    public var description: String {
        switch self {
        case .invalidIdentity(let detail): detail
        case .notInitialised(let dir): "no federation CA in \(dir); run `motcua certs init --dir \(dir)` first"
        case .alreadyInitialised(let dir): "\(dir) already holds a federation CA; refusing to overwrite it"
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .invalidHostName(let name): "'\(name.prefix(80))' is neither a DNS name (letters, digits, '-' and dots; `*.` for a wildcard) nor an IPv4 or IPv6 address"
        case .namesNotServed(let uri): "\(uri) serves no TLS of the federation (it is a client of the hub), so its certificate names no host: only the hub's takes --dns and --ip. A node's public API is served with the province's own certificate (`motcua node --tls-certificate`)"
        case .unknownCertificate(let what): "no issued certificate matches \(what)"
        }
    }
}
