import Foundation
import Hummingbird
import MotCuaCore
import MotCuaHTTP

/// Officers' sessions and accounts.
extension NodeRoutes {
    struct OfficerBody: Decodable {
        var username: String
        var fullName: String
        var password: String
        var roles: [OfficerRole]
        var units: [String]
        /// False deactivates the account (its sessions end at once).
        var active: Bool?
    }

    struct LoginBody: Decodable {
        var username: String
        var password: String
    }

    func login(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let body = try await decode(LoginBody.self, request, context).value
        let session = try await service.login(username: body.username, password: body.password, client: client(request, context))
        return try json(SessionAnswer(
            token: session.token, expiresAt: session.expiresAt, username: session.officer.username, roles: session.officer.roles,
            units: session.officer.units))
    }
}
