import Foundation
import Hummingbird
import MotCuaAPI
import MotCuaCore
import MotCuaHTTP

/// The procedure catalogue, as the public portal reads it.
extension NodeRoutes {
    func procedures(_ request: Request) throws -> Response {
        let query = request.uri.queryParameters
        var filter = ProcedureFilter(limit: try limit(request))
        if let level = query.get("level") {
            guard let parsed = AdministrativeLevel(rawValue: level) else {
                throw Problem(.badRequest, "request.invalid-parameter", "level: one of ministry, province, district, commune")
            }
            filter.level = parsed
        }
        if let mode = query.get("onlineMode") {
            guard let parsed = OnlineMode(rawValue: mode) else {
                throw Problem(.badRequest, "request.invalid-parameter", "onlineMode: one of none, partial, full-process")
            }
            filter.onlineMode = parsed
        }
        filter.text = query.get("q") ?? query.get("text")
        filter.after = query.get("cursor")
        let page = service.procedures(filter)
        return try json(Page(items: page.items.map(ProcedureView.init), nextCursor: page.nextCursor))
    }

    func procedure(_ context: NodeRequestContext) throws -> Response {
        let code = context.parameters.get("code") ?? ""
        guard let procedure = service.procedure(code) else { throw DossierError.unknownProcedure(code) }
        return try json(ProcedureView(procedure))
    }
}
