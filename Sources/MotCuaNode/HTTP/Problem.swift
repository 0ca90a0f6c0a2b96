import Foundation
import Hummingbird
import Logging
import MotCuaCore
import MotCuaStore
import NIOCore
import NIOHTTP1

/// An RFC 9457 problem: a stable `type` code, a title, and a detail a person can act on.
public struct Problem: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// Stable machine code, e.g. `dossier.illegal-transition`; the `type` URI is `urn:motcua:problem:<code>`.
    public var code: String
    public var detail: String
    public var extra: [String: String]
    /// Seconds the client should wait (`Retry-After`), for 429 and 503 answers.
    public var retryAfter: Int?

    /// What the command line prints when a problem ends it.
    public var description: String { "\(detail) [\(code)]" }

    public init(_ status: HTTPResponse.Status, _ code: String, _ detail: String, extra: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: JSONValue] = extra.mapValues(JSONValue.string)
        body["type"] = .string("urn:motcua:problem:\(code)")
        body["title"] = .string(status.reasonPhrase)
        body["status"] = .int(Int64(status.code))
        // A backstop: whatever a message quotes, an answer stays small.
        body["detail"] = .string(capped(detail))
        body["instance"] = .string(String(String.UnicodeScalarView(request.uri.path.unicodeScalars.prefix(200))))
        let text = JSONValue.object(body).canonicalText
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A 429 with how long to wait.
    static func tooManyAttempts(_ code: String, _ detail: String, retryAfter: TimeInterval) -> Problem {
        var problem = Problem(.tooManyRequests, code, detail)
        problem.retryAfter = max(1, Int(retryAfter.rounded(.up)))
        return problem
    }

    static func badJSON(_ detail: String) -> Problem { Problem(.badRequest, "request.malformed-json", detail) }
    static let unauthenticated = Problem(.unauthorized, "auth.required", "log in with POST /v1/auth/token and send 'Authorization: Bearer <token>'")

    /// Maps domain and store errors onto HTTP answers.
    static func from(_ error: any Error) -> Problem? {
        switch error {
        case let problem as Problem:
            return problem
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
        case let error as HTTPParserError:
            return Problem(.badRequest, "request.malformed-http", "the request could not be read as HTTP/1.1 (\(error)); the connection is closed")
        case is NIOTooManyBytesError:
            return Problem(.contentTooLarge, "request.too-large", "the request body is larger than this node accepts")
        case let error as HTTPError:
            let code = error.status == .notFound ? "route.not-found" : "http.\(error.status.code)"
            return Problem(error.status, code, error.body ?? error.status.reasonPhrase)
        default:
            return nil
        }
    }
}

/// Turns every error into problem+json; anything unexpected becomes a logged 500 without internals.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let problem = Problem.from(error) {
                return try problem.response(from: request, context: context)
            }
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return try Problem(.internalServerError, "server.internal", "the node could not complete the request; it has been logged")
                .response(from: request, context: context)
        }
    }
}
