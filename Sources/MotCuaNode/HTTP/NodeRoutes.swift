import Foundation
import HTTPTypes
import Hummingbird
import MotCuaAPI
import MotCuaCore
import MotCuaHTTP
import MotCuaProtocol
import NIOCore

/// The public API of a node under `/v1`, plus health probes.
struct NodeRoutes {
    let service: NodeService

    func register(on router: Router<NodeRequestContext>) {
        router.get("/healthz") { _, _ in try json(StatusAnswer(status: "ok")) }
        router.get("/readyz") { _, _ in try await ready() }

        let v1 = router.group("v1")
        v1.post("auth/token") { request, context in try await login(request, context) }
        v1.get("procedures") { request, _ in try procedures(request) }
        v1.get("procedures/:code") { _, context in try procedure(context) }
        v1.get("units") { _, _ in
            try json(Page(items: service.allUnits(), nextCursor: nil))
        }
        // Units of the other nodes (from the hub): where a desk can send a dossier filed here for them.
        v1.get("federation/units") { _, _ in
            try json(Page(items: service.federationDirectory.units.values.sorted { $0.code < $1.code }, nextCursor: nil))
        }
        v1.post("dossiers") { request, context in try await submit(request, context) }
        v1.get("dossiers") { request, _ in try await queue(request) }
        v1.get("dossiers/:code") { request, context in try await dossier(request, context) }
        v1.post("dossiers/:code/lookup") { request, context in try await lookup(request, context) }
        v1.post("dossiers/:code/actions/:action") { request, context in try await act(request, context) }
        v1.get("dossiers/:code/events") { request, context in try await events(request, context) }
        v1.get("dossiers/:code/components") { request, context in try await components(request, context) }
        v1.get("dossiers/:code/control-sheet") { request, context in try await controlSheet(request, context) }
        v1.get("transfers") { request, _ in try await transfers(request) }
        v1.get("log/verify") { request, _ in
            _ = try await officer(request, roles: [.admin, .leader])
            return try json(try await service.verifyChain())
        }
        // An operator accepts that the node lost the end of its log (see `NodeService.acceptLogLoss`).
        v1.post("admin/log/accept-loss") { request, context in
            let admin = try await officer(request, roles: [.admin])
            let body = try await decode(AcceptLossBody.self, request, context).value
            let result = try await service.acceptLogLoss(reason: body.reason, officer: admin)
            return try json(LogLossAnswer(seq: result.seq, lostFromSeq: result.lostFrom, lostToSeq: result.lostTo))
        }
        v1.get("officers") { request, _ in
            _ = try await officer(request, roles: [.admin])
            return try json(ItemsAnswer(items: try await service.officers().map(OfficerAnswer.init)))
        }
        v1.post("officers") { request, context in
            _ = try await officer(request, roles: [.admin])
            let body = try await decode(OfficerBody.self, request, context).value
            try await service.saveOfficer(
                username: body.username, fullName: body.fullName, password: body.password, roles: body.roles, units: body.units,
                active: body.active ?? true)
            return try json(UsernameAnswer(username: body.username), status: .created)
        }
        v1.patch("officers/:username") { request, context in
            _ = try await officer(request, roles: [.admin])
            let body = try await decode(OfficerPatchBody.self, request, context).value
            let updated = try await service.updateOfficer(
                context.parameters.get("username") ?? "", fullName: body.fullName, password: body.password, roles: body.roles,
                units: body.units, active: body.active)
            return try json(OfficerAnswer(updated))
        }
        // The first admin of a node without officers (the token printed at its first start).
        v1.post("admin/bootstrap") { request, context in
            let body = try await decode(BootstrapBody.self, request, context).value
            let created = try await service.bootstrap(token: body.token, username: body.username, fullName: body.fullName, password: body.password)
            return try json(OfficerAnswer(created), status: .created)
        }
        v1.post("admin/units") { request, context in
            let admin = try await officer(request, roles: [.admin])
            let body = try await decode(UnitsImportBody.self, request, context).value
            let total = try await service.importUnits(body.units, officer: admin)
            return try json(UnitsImportAnswer(imported: body.units.count, units: total))
        }
        v1.get("calendar/rules") { _, _ in try json(Page(items: service.calendarRules(), nextCursor: nil)) }
        v1.post("calendar/rules") { request, context in
            let admin = try await officer(request, roles: [.admin])
            let rule = try await decode(CalendarRule.self, request, context).value
            try await service.saveCalendarRule(rule, officer: admin)
            return try json(rule, status: .created)
        }
        v1.get("calendar/holidays/:year") { _, context in
            guard let text = context.parameters.get("year"), let year = Int(text), (1900...2199).contains(year) else {
                throw Problem(.badRequest, "request.invalid-parameter", "year: a four-digit year between 1900 and 2199")
            }
            return try json(Page(items: WorkingCalendar(rules: service.calendarRules()).nonWorkingDays(year: year), nextCursor: nil))
        }
    }

    // MARK: - Probes

    func ready() async throws -> Response {
        // While the disk was full, the node is ready again once a write succeeds or enough space is free.
        if service.health.storageFull, let free = Self.freeBytes(service.configuration.dataDirectory), free >= Self.readyFreeBytes {
            service.health.noteWriteSucceeded()
        }
        let conditions = service.health.conditions
        let head = try await service.logHead()
        let answer = ReadyAnswer(
            status: conditions.isEmpty ? "ready" : "not-ready", nodeId: service.configuration.nodeID, logHead: head.seq,
            procedures: service.catalogueSize, units: service.allUnits().count, replication: service.replication?.status,
            routing: service.transferAgent()?.status,
            problems: conditions.isEmpty ? nil : conditions.map { .init(code: $0.code, detail: $0.detail, since: $0.since) })
        return try json(answer, status: conditions.isEmpty ? .ok : .serviceUnavailable)
    }

    /// After a full disk, the node counts as ready again once this much is free (or a write succeeds).
    static let readyFreeBytes: UInt64 = 4 << 20

    /// Bytes free to the node in the folder, or nil when the file system does not say.
    static func freeBytes(_ path: String) -> UInt64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }

    // MARK: - Requests

    func bearerToken(_ request: Request) throws -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw Problem(.unauthorized, "auth.malformed-header", "send 'Authorization: Bearer <token>'")
        }
        return String(parts[1])
    }

    func optionalOfficer(_ request: Request) async throws -> OfficerRecord? {
        guard let token = try bearerToken(request) else { return nil }
        guard let officer = try await service.officer(forToken: token) else {
            throw Problem(.unauthorized, "auth.invalid-token", "the token is unknown or has expired; log in again with POST /v1/auth/token")
        }
        return officer
    }

    func officer(_ request: Request, roles: Set<OfficerRole>) async throws -> OfficerRecord {
        guard let officer = try await optionalOfficer(request) else { throw Problem.unauthenticated }
        guard officer.roles.contains(where: roles.contains) else {
            throw Problem(.forbidden, "auth.role-required", "this needs one of the roles: \(roles.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        return officer
    }

    func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 50 }
        guard let value = Int(text), value >= 1, value <= service.configuration.pageLimit else {
            throw Problem(.badRequest, "request.invalid-parameter", "limit: from 1 to \(service.configuration.pageLimit)")
        }
        return value
    }

    /// Reads a bounded body and decodes it, turning every decoding failure into a 400 that says where; a
    /// body must say it is JSON (`application/json`, charset UTF-8 or none), else 415. Returns the value and
    /// the bytes it came from.
    func decode<T: Decodable>(
        _ type: T.Type, _ request: Request, _ context: NodeRequestContext, emptyAs empty: String? = nil
    ) async throws -> (value: T, raw: Data) {
        let buffer = try await request.body.collect(upTo: service.configuration.bodyLimitBytes)
        var data = Data(buffer.readableBytesView)
        if !data.isEmpty { try Self.requireJSON(request.headers[.contentType]) }
        let raw = data
        if data.isEmpty, let empty { data = Data(empty.utf8) }
        do {
            return (try APIJSON.decoder.decode(T.self, from: data), raw)
        } catch let error as DecodingError {
            throw Problem.badJSON(Self.describe(error))
        }
    }

    /// `application/json`, with no parameter but `charset=utf-8`.
    static func requireJSON(_ contentType: String?) throws {
        let refused = Problem(
            .unsupportedMediaType, "request.unsupported-media-type",
            "send the body as JSON with 'Content-Type: application/json' (charset utf-8 or none); got \(contentType.map { "'\(quoted($0))'" } ?? "none")")
        guard let contentType else { throw refused }
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard parts.first == "application/json" else { throw refused }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0] == "charset", ["utf-8", "\"utf-8\"", "utf8"].contains(pair[1]) else { throw refused }
        }
    }

    /// The client's address: the connection's peer, or, when that peer is a trusted reverse proxy, the
    /// nearest untrusted address its `X-Forwarded-For` / `Forwarded` header names. From any other peer
    /// these headers are ignored: anyone can write them.
    func client(_ request: Request, _ context: NodeRequestContext) -> String? {
        ClientAddress.resolve(
            peer: context.clientAddress, trusted: service.configuration.trustedProxies,
            forwardedFor: request.headers[values: HTTPField.Name("X-Forwarded-For")!],
            forwarded: request.headers[values: HTTPField.Name("Forwarded")!])
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the body" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) must not be null (expected \(type))"
        @unknown default:
            return "the body could not be read"
        }
    }
}

/// An answer whose JSON is already encoded, with any further headers.
func jsonResponse(_ body: some Sequence<UInt8>, status: HTTPResponse.Status, headers extra: HTTPFields = [:]) -> Response {
    var headers = extra
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
}
