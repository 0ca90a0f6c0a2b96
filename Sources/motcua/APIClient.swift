import AsyncHTTPClient
import Foundation
import MotCuaCore
import NIOCore
import NIOHTTP1

/// The command line's one JSON-over-HTTP client: a node's public API (`motcua ctl`), or the hub's national
/// API with the operator's mutual-TLS client (`motcua ctl national`, `motcua up`, `motcua status`).
struct APIClient {
    var baseURL: String
    var token: String?
    /// The HTTP client to use; the shared plain one unless a TLS client is given.
    var client: HTTPClient = .shared
    var timeoutSeconds: Int64 = 30

    struct Failure: Error, CustomStringConvertible {
        var status: Int
        var body: JSONValue?
        var description: String {
            let detail = body?["detail"]?.stringValue ?? body.map(\.canonicalText) ?? ""
            let type = body?["type"]?.stringValue.map { " [\($0)]" } ?? ""
            return "HTTP \(status)\(type): \(detail)"
        }
    }

    /// Sends a request and decodes the JSON answer; a non-2xx answer becomes a `Failure` with the problem.
    /// A write a client may retry: sent with a fresh `Idempotency-Key`, and sent again with the same key
    /// (at most `attempts` times in all, 0.5 s, 1 s, 2 s apart) when the connection failed, so that an
    /// answer lost on the way never files a second dossier or acts twice.
    func callIdempotent(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, attempts: Int = 4) async throws -> JSONValue {
        let key = UUID().uuidString.lowercased()
        var delay = 0.5
        for attempt in 1...max(1, attempts) {
            do {
                return try await call(method, path, body: body, idempotencyKey: key)
            } catch let error as Unreachable where attempt < attempts {
                FileHandle.standardError.write(Data("\(error); trying again in \(delay) s with the same Idempotency-Key\n".utf8))
                try await Task.sleep(for: .seconds(delay))
                delay *= 2
            }
        }
        throw CommandFailure("unreachable")  // not reached: the last attempt returns or throws
    }

    /// The connection failed before an answer came (the request may or may not have been carried out).
    struct Unreachable: Error, CustomStringConvertible {
        var description: String
    }

    func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, idempotencyKey: String? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "accept", value: "application/json")
        if let idempotencyKey { request.headers.add(name: "idempotency-key", value: idempotencyKey) }
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.canonicalText))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(timeoutSeconds))
        } catch {
            if idempotencyKey != nil { throw Unreachable(description: "cannot reach \(baseURL): \(error)") }
            throw CommandFailure("cannot reach \(baseURL): \(error). Is it running? (`motcua status`, or --url / --hub-url)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        } catch where idempotencyKey != nil {
            throw Unreachable(description: "the connection to \(baseURL) broke before the answer ended: \(error)")
        }
        let decoded = buffer.readableBytes == 0 ? nil : try? JSONValue.parse(String(buffer: buffer))
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(status: Int(response.status.code), body: decoded)
        }
        return decoded ?? .null
    }

    /// GET that answers nil instead of throwing (readiness and status probes).
    func probe(_ path: String) async -> JSONValue? {
        try? await call(.GET, path)
    }
}

/// Percent-encodes a query value.
func queryEscape(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
}
