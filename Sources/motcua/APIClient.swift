import AsyncHTTPClient
import Foundation
import MotCuaCore
import NIOCore
import NIOHTTP1

/// A small JSON client of a node's public API, for `motcua ctl`.
struct APIClient {
    var baseURL: String
    var token: String?

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
    func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "accept", value: "application/json")
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.canonicalText))
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        } catch {
            throw CommandFailure("cannot reach \(baseURL): \(error). Is the node running? (motcua node --data-dir ... or --url)")
        }
        let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let data = Data(buffer.readableBytesView)
        let decoded = data.isEmpty ? nil : try? JSONDecoder().decode(JSONValue.self, from: data)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(status: Int(response.status.code), body: decoded)
        }
        return decoded ?? .null
    }
}

/// Percent-encodes a query value.
func queryEscape(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
}
