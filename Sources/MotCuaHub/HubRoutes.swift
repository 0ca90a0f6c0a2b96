import Foundation
import HTTPTypes
import Logging
import Hummingbird
import MotCuaAPI
import MotCuaCore
import MotCuaHTTP
import MotCuaProtocol
import MotCuaSecurity
import NIOCore

/// The hub's endpoints; each is authorised by the identity in the client certificate.
struct HubRoutes {
    let service: HubService

    func register(on router: Router<FederationRequestContext>) {
        router.get("/healthz") { _, _ in try Self.health() }
        router.get("/readyz") { _, _ in try await Self.ready(service) }
        router.get("/v1/whoami") { _, context in
            try json(IdentityAnswer(identity: context.peer?.uri ?? ""))
        }
        router.post("/v1/replication/batches") { request, context in
            guard case .node(let nodeID)? = context.peer else {
                throw Problem(.forbidden, "federation.identity-not-allowed", "only node certificates may ship a log; you are \(context.peer?.uri ?? "nobody")")
            }
            // Received in full before the permit: a node on a slow link must not hold one while its bytes
            // trickle in (a batch is at most about 1 MiB of bytes; parsed and planned it is a few MB).
            let buffer = try await request.body.collect(upTo: context.maxUploadSize)
            let decision = try await service.batchGate.withPermit {
                let batch: ReplicationBatch
                do {
                    // Nodes ship the binary frame; the JSON form stays for tools and old senders.
                    if request.headers[.contentType]?.hasPrefix(ReplicationBatch.binaryContentType) == true {
                        batch = try buffer.withUnsafeReadableBytes { try ReplicationBatch.parseBinary($0) }
                    } else {
                        batch = try ReplicationBatch.parseWire(String(buffer: buffer))
                    }
                } catch {
                    throw Problem(.badRequest, "replication.malformed-batch", "the batch is not a replication batch: \(error)")
                }
                return try await service.receive(batch, from: nodeID)
            }
            switch decision {
            case .refuse(let reason):
                let forbidden = reason.contains("certificate")
                throw Problem(forbidden ? .forbidden : .unprocessableContent, forbidden ? "federation.identity-not-allowed" : "replication.refused", reason)
            default:
                guard let reply = decision.reply else { throw Problem(.internalServerError, "replication.no-reply", "the receiver gave no reply") }
                return try json(reply)
            }
        }

        // A node tells where its own log ends and learns where the hub is: a node whose log went back in
        // time (a lost WAL, a restored backup) finds out before it hands out a code the hub has seen.
        router.post("/v1/replication/head") { request, context in
            guard case .node(let nodeID)? = context.peer else {
                throw Problem(.forbidden, "federation.identity-not-allowed", "only node certificates report a log head")
            }
            let buffer = try await request.body.collect(upTo: 16 * 1024)
            struct Body: Decodable {
                var headSeq: Int64
                /// Days (`yyMMdd`) whose highest dossier numbers the node wants when it is behind.
                var days: [String]?
            }
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView)), body.headSeq >= 0,
                  (body.days?.count ?? 0) <= 31 else {
                throw Problem(.badRequest, "request.malformed", "expected {\"headSeq\": <the last seq of your log>, \"days\": [\"yyMMdd\", …]}")
            }
            let (standing, numbers) = try await service.reportHead(of: nodeID, headSeq: body.headSeq, days: body.days ?? [])
            return try json(HeadAnswer(
                appliedSeq: standing.appliedSeq, appliedHash: standing.appliedHash, logBehindHub: body.headSeq < standing.appliedSeq,
                highestNumbers: numbers))
        }

        registerRouting(on: router)

        let national = router.group("v1/national").add(middleware: OperatorOnlyMiddleware())
        national.get("status") { _, _ in try await status() }
        national.get("nodes") { _, _ in
            try json(ItemsAnswer(items: try await service.standings().map(NodeStandingAnswer.init)))
        }
        national.post("nodes") { request, context in
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            struct Body: Decodable { var id: String }
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView)) else {
                throw Problem(.badRequest, "request.malformed", "expected {\"id\": \"<node id>\"}")
            }
            guard body.id.wholeMatch(of: /[a-z0-9][a-z0-9-]{0,31}/) != nil else {
                throw Problem(.unprocessableContent, "node.invalid-id", "a node id is 1-32 lower-case letters, digits or '-'")
            }
            let added = try await service.admit([body.id])
            context.logger.notice("node admitted", metadata: ["node.id": "\(body.id)", "by": "\(context.peer?.uri ?? "")"])
            return try json(MembershipAnswer(node: body.id, member: true, added: !added.isEmpty), status: added.isEmpty ? .ok : .created)
        }
        national.delete("nodes/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard try await service.dismiss(id) else {
                throw Problem(.notFound, "node.not-member", "node \(id.prefix(64)) is not a member")
            }
            context.logger.notice("node removed", metadata: ["node.id": "\(id)", "by": "\(context.peer?.uri ?? "")"])
            return try json(MembershipAnswer(node: id, member: false))
        }
        national.post("nodes/:id/release") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard try await service.release(id) else {
                throw Problem(.notFound, "node.not-quarantined", "node \(quoted(id)) is not quarantined")
            }
            return try json(ReleaseAnswer(node: id))
        }
        national.get("dossiers/:code") { _, context in
            let code = context.parameters.get("code") ?? ""
            guard let dossier = try await service.dossier(code) else {
                throw Problem(.notFound, "dossier.not-found", "no dossier \(quoted(code)) in the national index")
            }
            return try json(try await journey(dossier))
        }
        national.get("dossiers") { request, _ in
            let query = request.uri.queryParameters
            var filter = NationalFilter()
            filter.node = query.get("node")
            if let status = query.get("status") {
                guard let value = Int(status), (1...10).contains(value) else {
                    throw Problem(.badRequest, "request.invalid-parameter", "status: a national status code from 1 to 10")
                }
                filter.status = value
            }
            filter.procedureCode = query.get("procedure")
            filter.receivingNode = query.get("receivingNode")
            filter.holderNode = query.get("holderNode")
            if let cross = query.get("crossNode") {
                guard cross == "true" || cross == "false" else {
                    throw Problem(.badRequest, "request.invalid-parameter", "crossNode: true or false")
                }
                filter.crossNode = cross == "true"
            }
            if query.get("overdue") == "true" { filter.overdueAtMs = service.nowMs }
            filter.after = query.get("cursor")
            if let limit = query.get("limit") {
                guard let value = Int(limit), (1...500).contains(value) else {
                    throw Problem(.badRequest, "request.invalid-parameter", "limit: from 1 to 500")
                }
                filter.limit = value
            }
            let page = try await service.dossiers(filter)
            let nowMs = service.nowMs
            return try json(DossierPageAnswer(items: page.items.map { NationalDossierAnswer($0, nowMs: nowMs) }, nextCursor: page.nextCursor))
        }
    }

    /// Liveness, on every port of the hub (the probe listener's too).
    static func health() throws -> Response { try json(StatusAnswer(status: "ok")) }

    /// Readiness: 200 while the national index answers, else 503 with the problem.
    static func ready(_ service: HubService) async throws -> Response {
        let answer = await service.readiness()
        return try json(answer, status: answer.isReady ? .ok : .serviceUnavailable)
    }

    func status() async throws -> Response {
        let nowMs = service.nowMs
        let summaries = try await service.summaries()
        var totals: [String: Int] = [:]
        var nodes: [NodeStandingAnswer] = []
        for summary in summaries {
            for (status, count) in summary.byStatus { totals[String(status), default: 0] += count }
            var node = NodeStandingAnswer(summary.standing)
            node.dossiers = summary.dossiers
            node.overdue = summary.overdue
            if let lag = service.lagPercentiles(of: summary.standing.nodeID) {
                node.lagP50Ms = lag.p50
                node.lagP99Ms = lag.p99
            }
            node.byStatus = Dictionary(uniqueKeysWithValues: summary.byStatus.map { (String($0.key), $0.value) })
            nodes.append(node)
        }
        return try json(NationalStatusAnswer(
            nodes: nodes,
            totals: .init(dossiers: summaries.reduce(0) { $0 + $1.dossiers }, overdue: summaries.reduce(0) { $0 + $1.overdue }, byStatus: totals),
            at: Date(timeIntervalSince1970: Double(nowMs) / 1000)))
    }
}

/// The national API answers operators only: a node certificate cannot read the country's index.
struct OperatorOnlyMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: FederationRequestContext,
        next: (Request, FederationRequestContext) async throws -> Response
    ) async throws -> Response {
        guard case .operator? = context.peer else {
            throw Problem(.forbidden, "federation.identity-not-allowed", "the national API needs an operator certificate; you are \(context.peer?.uri ?? "nobody")")
        }
        return try await next(request, context)
    }
}
