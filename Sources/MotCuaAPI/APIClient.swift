import AsyncHTTPClient
import Foundation
import MotCuaCore
import NIOCore
import NIOHTTP1

/// One request of the API with the type of its answer, built by `NodeAPI` and `NationalAPI` (the one place
/// each route's method, path, query and body are spelled on the client side).
public struct APIRequest<Answer: Decodable & Sendable>: Sendable {
    public var method: HTTPMethod
    /// The path, its variable parts already escaped.
    public var path: String
    public var query: [(name: String, value: String)]
    public var body: Data?
    public var contentType: String?
    /// A write a client may send again: it carries an `Idempotency-Key`, and `APIClient` retries it with the
    /// same key when the connection fails.
    public var idempotent: Bool
    public var headers: [(name: String, value: String)] = []

    public init(
        _ method: HTTPMethod, _ path: String, query: [(name: String, value: String)] = [], body: Data? = nil,
        contentType: String? = nil, idempotent: Bool = false
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.contentType = contentType ?? (body == nil ? nil : "application/json")
        self.idempotent = idempotent
    }

    /// A request with a JSON body.
    public init(_ method: HTTPMethod, _ path: String, json: some Encodable, idempotent: Bool = false) {
        // Encoding the API's own body types cannot fail (no floats out of range, no throwing members).
        self.init(method, path, body: try! APIJSON.encoder.encode(json), idempotent: idempotent)
    }

    /// The path with its query, as sent.
    public var target: String {
        guard !query.isEmpty else { return path }
        return path + "?" + query.map { "\(Self.escape($0.name))=\(Self.escape($0.value))" }.joined(separator: "&")
    }

    /// Percent-encodes a path segment or a query value.
    public static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }

    /// The same request read as any JSON (to print an answer as it came, or to look at members no type has yet).
    public var untyped: APIRequest<JSONValue> {
        var request = APIRequest<JSONValue>(method, path, query: query, body: body, contentType: contentType, idempotent: idempotent)
        request.headers = headers
        return request
    }

    /// Adds a header (a test's forwarded-for chain, a conditional GET).
    public func adding(header name: String, _ value: String) -> Self {
        var copy = self
        copy.headers.append((name, value))
        return copy
    }
}

/// An answer as it came: status, headers and body, whatever the status.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    /// The body as JSON (nil when it is empty or not JSON).
    public var json: JSONValue? { body.isEmpty ? nil : try? JSONValue.parse(String(decoding: body, as: UTF8.self)) }

    /// The body as the API's type for it (an answer, or the answer a 503 carries).
    public func decoded<Answer: Decodable>(_ type: Answer.Type) throws -> Answer {
        try APIJSON.decoder.decode(type, from: body)
    }
}

/// Why a request of the API failed.
public enum APIError: Error, CustomStringConvertible, Sendable {
    /// The server answered with a problem (RFC 9457): its status, `type` code (without the URN prefix) and
    /// detail; `body` is the whole problem as it came.
    case problem(status: Int, code: String, detail: String, body: JSONValue?)
    /// No answer came: the connection failed or broke (the request may or may not have been carried out).
    case unreachable(String)
    /// An answer came that is not what the API documents for the request.
    case undecodable(status: Int, String)

    public var description: String {
        switch self {
        case .problem(let status, let code, let detail, _):
            return "HTTP \(status)\(code.isEmpty ? "" : " [urn:motcua:problem:\(code)]"): \(detail)"
        case .unreachable(let reason): return reason
        case .undecodable(let status, let reason): return "HTTP \(status): an answer the client cannot read: \(reason)"
        }
    }

    /// The problem's status, for a server's answer.
    public var status: Int? {
        switch self {
        case .problem(let status, _, _, _), .undecodable(let status, _): return status
        case .unreachable: return nil
        }
    }

    /// The problem's stable code (`dossier.illegal-transition`), for a server's answer.
    public var code: String? {
        if case .problem(_, let code, _, _) = self { return code }
        return nil
    }
}

/// The one JSON-over-HTTP client of a node's public API and of the hub's national API, for the command
/// line, the benchmarks and the tests: a base URL, an officer's bearer token, and the HTTP client to use
/// (the shared plain one, or one with the operator's mutual-TLS certificate for the hub).
public struct APIClient: Sendable {
    public var baseURL: String
    public var token: String?
    public var http: HTTPClient
    public var timeout: TimeAmount
    /// How many times in all an idempotent write is sent while the connection fails (0.5 s, 1 s, 2 s apart).
    public var attempts: Int = 4
    /// Told of each retry of an idempotent write (the command line prints it).
    public var onRetry: (@Sendable (String) -> Void)?
    /// Appended to the reason when the server cannot be reached (the command line's "is it running?").
    public var unreachableHint: String = ""

    public init(baseURL: String, token: String? = nil, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)) {
        self.baseURL = baseURL
        self.token = token
        self.http = http
        self.timeout = timeout
    }

    /// The same client with an officer's session.
    public func authorized(_ token: String?) -> APIClient {
        var copy = self
        copy.token = token
        return copy
    }

    /// Sends a request and decodes its answer; any non-2xx answer throws `APIError.problem`. An idempotent
    /// write goes with a fresh `Idempotency-Key` (or the one given) and is sent again with the same key
    /// when the connection failed, so that an answer lost on the way never files a second dossier or acts
    /// twice.
    public func send<Answer>(_ request: APIRequest<Answer>, idempotencyKey: String? = nil) async throws -> Answer {
        let response = try await deliver(request, idempotencyKey: idempotencyKey)
        guard (200..<300).contains(response.status) else { throw Self.problem(response) }
        if Answer.self == JSONValue.self { return (response.json ?? .null) as! Answer }
        do {
            return try APIJSON.decoder.decode(Answer.self, from: response.body.isEmpty ? Data("null".utf8) : response.body)
        } catch {
            throw APIError.undecodable(status: response.status, "\(error)")
        }
    }

    /// The answer as it came, whatever its status (a test of the API's errors, a readiness probe that
    /// reads the body of a 503); throws only when no answer came.
    public func response<Answer>(_ request: APIRequest<Answer>, idempotencyKey: String? = nil) async throws -> APIResponse {
        try await deliver(request, idempotencyKey: idempotencyKey)
    }

    /// The answer decoded whatever its status, or nil when none came or it is not the documented type.
    public func probe<Answer>(_ request: APIRequest<Answer>) async -> Answer? {
        guard let response = try? await deliver(request, idempotencyKey: nil) else { return nil }
        return try? APIJSON.decoder.decode(Answer.self, from: response.body)
    }

    func deliver<Answer>(_ request: APIRequest<Answer>, idempotencyKey: String?) async throws -> APIResponse {
        guard request.idempotent || idempotencyKey != nil else { return try await exchange(request, idempotencyKey: nil) }
        let key = idempotencyKey ?? UUID().uuidString.lowercased()
        var delay = 0.5
        for attempt in 1...max(1, attempts) {
            do {
                return try await exchange(request, idempotencyKey: key)
            } catch APIError.unreachable(let reason) where attempt < attempts {
                onRetry?("\(reason); trying again in \(delay) s with the same Idempotency-Key")
                try await Task.sleep(for: .seconds(delay))
                delay *= 2
            }
        }
        throw APIError.unreachable("cannot reach \(baseURL)")  // not reached: the last attempt returns or throws
    }

    func exchange<Answer>(_ request: APIRequest<Answer>, idempotencyKey: String?) async throws -> APIResponse {
        var outgoing = HTTPClientRequest(url: baseURL + request.target)
        outgoing.method = request.method
        outgoing.headers.add(name: "accept", value: "application/json")
        if let idempotencyKey { outgoing.headers.add(name: "idempotency-key", value: idempotencyKey) }
        if let token { outgoing.headers.add(name: "authorization", value: "Bearer \(token)") }
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if let body = request.body {
            if let contentType = request.contentType { outgoing.headers.add(name: "content-type", value: contentType) }
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        let answer: HTTPClientResponse
        do {
            answer = try await http.execute(outgoing, timeout: timeout)
        } catch {
            throw APIError.unreachable("cannot reach \(baseURL): \(error)\(unreachableHint)")
        }
        do {
            let buffer = try await answer.body.collect(upTo: 64 * 1024 * 1024)
            return APIResponse(status: Int(answer.status.code), headers: answer.headers, body: Data(buffer.readableBytesView))
        } catch {
            throw APIError.unreachable("the connection to \(baseURL) broke before the answer ended: \(error)")
        }
    }

    static func problem(_ response: APIResponse) -> APIError {
        let body = response.json
        let type = body?["type"]?.stringValue ?? ""
        let code = type.hasPrefix("urn:motcua:problem:") ? String(type.dropFirst("urn:motcua:problem:".count)) : type
        let detail = body?["detail"]?.stringValue ?? body.map(\.canonicalText) ?? String(decoding: response.body.prefix(300), as: UTF8.self)
        return .problem(status: response.status, code: code, detail: detail, body: body)
    }
}
