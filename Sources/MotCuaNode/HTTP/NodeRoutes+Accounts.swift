import Foundation
import Hummingbird
import MotCuaAPI
import MotCuaCore
import MotCuaHTTP

/// Officers' sessions and accounts.
extension NodeRoutes {
    func login(_ request: Request, _ context: NodeRequestContext) async throws -> Response {
        let body = try await decode(LoginBody.self, request, context).value
        let session = try await service.login(username: body.username, password: body.password, client: client(request, context))
        return try json(SessionAnswer(token: session.token, expiresAt: session.expiresAt, officer: session.officer))
    }
}
