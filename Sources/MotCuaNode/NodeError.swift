import Foundation

/// What the node's services refuse with, besides the dossier machine's `DossierError` and the store's
/// `StoreError`: a kind (which the HTTP layer turns into a status, in `ProblemMapping`), a stable code and
/// a detail a person can act on. Services never speak HTTP.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Not logged in, or the credentials are wrong.
        case unauthenticated
        /// Too many attempts; try again after this many seconds.
        case throttled(retryAfter: TimeInterval)
        /// Not possible in the node's present state (a recovery that does not apply, one already running).
        case conflict
        /// Not possible now (writes stopped, the hub unreachable); reads may go on.
        case unavailable
        /// Another system answered in a way the node cannot use.
        case upstream
        /// The node's own data or configuration is damaged or wrong; an operator must act.
        case damaged
        /// What the request names does not exist (an officer's account).
        case notFound
    }

    public let kind: Kind
    /// Stable machine code, e.g. `node.log-not-behind`.
    public let code: String
    public let detail: String

    public init(_ kind: Kind, _ code: String, _ detail: String) {
        self.kind = kind
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(detail) [\(code)]" }

    public static let unauthenticated = NodeError(
        .unauthenticated, "auth.required", "log in with POST /v1/auth/token and send 'Authorization: Bearer <token>'")

    static func tooManyAttempts(_ code: String, _ detail: String, retryAfter: TimeInterval) -> NodeError {
        NodeError(.throttled(retryAfter: retryAfter), code, detail)
    }
}
