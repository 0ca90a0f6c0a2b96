import Foundation
import Hummingbird
import MotCuaCore
import MotCuaHTTP
import MotCuaStore

/// The node's errors as problem+json: the one place where domain and store errors become HTTP answers.
extension Problem {
    /// An unknown dossier, or one the caller may not see: the same answer either way.
    static func dossierNotFound(_ code: String) -> Problem { Problem.from(StoreError.dossierNotFound(code))! }

    static func badJSON(_ detail: String) -> Problem { Problem(.badRequest, "request.malformed-json", detail) }
    static let unauthenticated = Problem.from(NodeError.unauthenticated)!

    /// Maps domain and store errors onto HTTP answers.
    static func from(_ error: any Error) -> Problem? {
        switch error {
        case let problem as Problem:
            return problem
        case let error as NodeError:
            return switch error.kind {
            case .unauthenticated: Problem(.unauthorized, error.code, error.detail)
            case .throttled(let wait): Problem(.tooManyRequests, error.code, error.detail, retryAfter: max(1, Int(wait.rounded(.up))))
            case .conflict: Problem(.conflict, error.code, error.detail)
            case .unavailable: Problem(.serviceUnavailable, error.code, error.detail)
            case .upstream: Problem(.badGateway, error.code, error.detail)
            case .damaged: Problem(.internalServerError, error.code, error.detail)
            case .notFound: Problem(.notFound, error.code, error.detail)
            }
        case let error as DossierError:
            let status: HTTPResponse.Status = switch error.category {
            case .forbidden: .forbidden
            case .conflict: .conflict
            case .unprocessable: .unprocessableContent
            case .notFound: .notFound
            }
            return Problem(status, error.code, error.description)
        case let error as StoreError:
            switch error {
            case .dossierNotFound: return Problem(.notFound, "dossier.not-found", error.description)
            case .sequenceExhausted: return Problem(.serviceUnavailable, "dossier.sequence-exhausted", error.description)
            case .invalidAgencyCode: return Problem(.internalServerError, "unit.invalid-agency-code", error.description)
            case .corrupt: return Problem(.internalServerError, "storage.corrupt", error.description + "; the node stops accepting changes until it is repaired")
            case .logNotBehind: return Problem(.conflict, "node.log-not-behind", error.description)
            }
        default:
            return Problem.fromHTTP(error, server: "node")
        }
    }
}
