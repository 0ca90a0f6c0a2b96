import Foundation
import MotCuaCore
import MotCuaStore

/// The node's records as its API shows them: officers, the log, a dossier's events and files, the outbox,
/// and the stored answers of retried requests. The routes ask here; only the service holds the store.
extension NodeService {
    public func officers() async throws -> [OfficerRecord] { try await database.officers() }

    /// The last position and hash of the log.
    public func logHead() async throws -> (seq: Int64, hash: String) { try await database.head() }

    /// The lookup secret printed on a dossier's receipt.
    public func lookupSecret(of code: String) async throws -> String? { try await database.lookupSecret(of: code) }

    public func events(ofDossier code: String) async throws -> [Event] { try await database.events(ofDossier: code) }

    public func components(of code: String) async throws -> [StoredComponent] { try await database.components(of: code) }

    public func outbox(limit: Int) async throws -> [OutboxItem] { try await database.outbox(limit: limit) }

    /// What a request with this retry key did the first time, if it came before.
    public func idempotencyRecord(of claim: IdempotencyClaim) async throws -> IdempotencyRecord? {
        try await database.idempotencyRecord(scope: claim.scope, key: claim.key)
    }

    /// A dossier as stored, for answering a retried request whose first answer was not kept.
    public func storedDossier(_ code: String) async throws -> Dossier? { try await database.dossier(code)?.dossier }

    /// Keeps the answer given to a request with a retry key (in the background: the answer does not wait).
    public func keepAnswer(_ text: String, status: Int, for claim: IdempotencyClaim) {
        let database = database
        Task { try? await database.storeIdempotentResponse(scope: claim.scope, key: claim.key, status: status, response: text) }
    }
}
