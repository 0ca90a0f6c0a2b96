import Foundation
import HTTPTypes
import Hummingbird
import MotCuaAPI
import MotCuaCore
import MotCuaHTTP

/// Retries with an `Idempotency-Key`: the first answer to a key is the answer to every retry of it.
extension NodeRoutes {
    static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!

    /// The request's retry key, if it sent one: 1-128 visible ASCII characters.
    func idempotencyClaim(_ request: Request, scope: String, body: Data) throws -> IdempotencyClaim? {
        guard let key = request.headers[Self.idempotencyHeader] else { return nil }
        guard (1...128).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Problem(.badRequest, "request.invalid-idempotency-key", "Idempotency-Key: 1 to 128 visible ASCII characters (a UUID is usual)")
        }
        var digest = Data("\(request.method.rawValue) \(request.uri.path)\n".utf8)
        digest.append(body)
        return IdempotencyClaim(scope: scope, key: key, requestSHA256: sha256Hex(digest), atMs: service.nowMs)
    }

    /// The first answer to this key, when the key was used: as stored, or (if the node stopped between the
    /// commit and storing it) the dossier as it is now. A key used with another request is refused.
    func replay(_ claim: IdempotencyClaim, officer: OfficerRecord?, status: HTTPResponse.Status) async throws -> Response? {
        guard let record = try await service.idempotencyRecord(of: claim) else { return nil }
        guard record.requestSHA256 == claim.requestSHA256 else {
            throw Problem(.unprocessableContent, "request.idempotency-key-reused",
                          "this Idempotency-Key was used with another request; use a new key for a new request")
        }
        let replayed: HTTPFields = [HTTPField.Name("Idempotent-Replayed")!: "true"]
        if let stored = record.status, let body = record.response {
            return jsonResponse(Array(body.utf8), status: .init(code: stored), headers: replayed)
        }
        guard let dossier = try await service.storedDossier(record.dossierCode) else { throw Problem.dossierNotFound(record.dossierCode) }
        let data = officer == nil ? try APIJSON.encoder.encode(try await publicView(dossier)) : try APIJSON.encoder.encode(view(dossier, form: nil))
        return jsonResponse(data, status: status, headers: replayed)
    }

    /// The answer, stored for the key (behind the answer: a retry before it is stored gets the dossier as
    /// it is, which the change already holds).
    func answer(_ value: some Encodable, status: HTTPResponse.Status, claim: IdempotencyClaim?) async throws -> Response {
        let data = try APIJSON.encoder.encode(value)
        if let claim {
            let text = String(decoding: data, as: UTF8.self)
            service.keepAnswer(text, status: Int(status.code), for: claim)
        }
        return jsonResponse(data, status: status)
    }
}
