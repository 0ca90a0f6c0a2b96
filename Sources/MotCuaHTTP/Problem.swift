import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MotCuaAPI
import MotCuaCore
import NIOCore
import NIOHTTP1

/// An RFC 9457 problem, the one error answer of the node's API and the hub's: a stable `type` code, a
/// title, and a detail a person can act on. Services never build one: they throw domain errors, which
/// each server maps here in one place (`ProblemMiddleware`).
public struct Problem: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// Stable machine code, e.g. `dossier.illegal-transition`; the `type` URI is `urn:motcua:problem:<code>`.
    public var code: String
    public var detail: String
    public var extra: [String: String]
    /// Seconds the client should wait (`Retry-After`), for 429 and 503 answers.
    public var retryAfter: Int?

    public var description: String { "\(detail) [\(code)]" }

    public init(_ status: HTTPResponse.Status, _ code: String, _ detail: String, extra: [String: String] = [:], retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra
        self.retryAfter = retryAfter
    }

    public static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

    /// The problem+json answer; `instance` is the request's path (cut to 200 characters).
    public func response(instance: String?) -> Response {
        var body: [String: JSONValue] = extra.mapValues(JSONValue.string)
        body["type"] = .string("urn:motcua:problem:\(code)")
        body["title"] = .string(status.reasonPhrase)
        body["status"] = .int(Int64(status.code))
        // A backstop: whatever a message quotes, an answer stays small.
        body["detail"] = .string(capped(detail))
        if let instance { body["instance"] = .string(String(String.UnicodeScalarView(instance.unicodeScalars.prefix(200)))) }
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(body).canonicalText)))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(instance: request.uri.path)
    }

    /// The answers of the HTTP layer itself (unknown route, a body too large, bytes that are not HTTP).
    public static func fromHTTP(_ error: any Error, server: String) -> Problem? {
        switch error {
        case let problem as Problem:
            return problem
        case let error as HTTPParserError:
            return Problem(.badRequest, "request.malformed-http", "the request could not be read as HTTP/1.1 (\(error)); the connection is closed")
        case is NIOTooManyBytesError:
            return Problem(.contentTooLarge, "request.too-large", "the request body is larger than the \(server) accepts")
        case let error as HTTPError:
            let code = error.status == .notFound ? "route.not-found" : "http.\(error.status.code)"
            return Problem(error.status, code, error.body ?? error.status.reasonPhrase)
        default:
            return nil
        }
    }
}

/// Turns every error into problem+json: the server's domain errors through `map`, the HTTP layer's
/// own, and anything unexpected into a logged 500 without internals.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let server: String
    let map: @Sendable (any Error) -> Problem?

    /// - Parameters:
    ///   - server: how answers name the server ("node", "hub").
    ///   - map: the server's domain errors as problems (nil: not one of its own).
    public init(server: String, map: @escaping @Sendable (any Error) -> Problem?) {
        self.server = server
        self.map = map
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let problem = Problem.fromHTTP(error, server: server) ?? map(error) {
                return try problem.response(from: request, context: context)
            }
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return try Problem(.internalServerError, "server.internal", "the \(server) could not complete the request; it has been logged")
                .response(from: request, context: context)
        }
    }
}

/// An answer encoded from its type.
public func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try APIJSON.encoder.encode(value))))
}
