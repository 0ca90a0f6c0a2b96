import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MotCuaAPI
import MotCuaCore
import MotCuaHTTP
import MotCuaProtocol
import MotCuaSecurity
import NIOCore

/// The router's endpoints: nodes register their units, hand transfers in, take their mailbox and
/// acknowledge it; operators watch the mailboxes. Every call is authorised by the client certificate.
extension HubRoutes {
    /// A transfer with its files: 24 MiB of documents in base64, plus the dossier.
    static let maximumTransferBytes = 34 << 20
    /// A mailbox page stops growing past this (it always holds at least one transfer).
    static let maximumPageBytes = 40 << 20

    func node(_ context: FederationRequestContext) throws -> String {
        guard case .node(let id)? = context.peer else {
            throw Problem(.forbidden, "federation.identity-not-allowed", "only node certificates may use the router; you are \(context.peer?.uri ?? "nobody")")
        }
        return id
    }

    func registerRouting(on router: Router<FederationRequestContext>) {
        router.put("/v1/federation/units") { request, context in
            let nodeID = try node(context)
            let buffer = try await request.body.collect(upTo: context.maxUploadSize)
            // The node is the certificate's, whatever the body says.
            guard let body = try? JSONDecoder().decode(UnitRegistration.self, from: Data(buffer.readableBytesView)) else {
                throw Problem(.badRequest, "request.malformed", "expected {\"units\": [{\"code\", \"name\", \"level\", \"parentCode\"}]}")
            }
            guard body.units.count <= UnitRegistration.maximumUnits else {
                throw Problem(.contentTooLarge, "request.too-many-units", "at most \(UnitRegistration.maximumUnits) units")
            }
            let units = body.directoryEntries(node: nodeID)
            let conflicts = try await service.registerUnits(units, node: nodeID)
            guard conflicts.isEmpty else {
                throw Problem(.conflict, "federation.unit-taken", "these units are served by other nodes: \(conflicts.prefix(20).joined(separator: ", "))")
            }
            return try json(UnitRegistrationReceipt(node: nodeID, units: units.count))
        }
        router.get("/v1/federation/units") { request, context in
            guard context.peer != nil else { throw Problem(.forbidden, "federation.identity-not-allowed", "a federation certificate is required") }
            // Nodes poll this: an unchanged directory is answered with 304 and no body.
            let version = try await service.federationUnitsVersion()
            if request.uri.queryParameters.get("version") == version { return Response(status: .notModified) }
            return try json(UnitDirectoryPage(version: version, items: try await service.federationUnits()))
        }
        router.post("/v1/federation/transfers") { request, context in
            let nodeID = try node(context)
            let buffer = try await request.body.collect(upTo: Self.maximumTransferBytes)
            let decision: TransferRouter.Admission
            do { decision = try await service.admitTransfer(Data(buffer.readableBytesView), from: nodeID) } catch let error as TransferError {
                throw Problem(.badRequest, "transfer.malformed", error.description)
            }
            switch decision {
            case .enqueue(let entry): return try json(TransferReceipt(entry, result: .queued))
            case .duplicate(let entry): return try json(TransferReceipt(entry, result: .duplicate))
            case .refuse(let reason): throw Problem(.unprocessableContent, "transfer.refused", reason)
            }
        }
        router.get("/v1/federation/mailbox") { request, context in
            let nodeID = try node(context)
            let query = request.uri.queryParameters
            let limit = min(32, max(1, Int(query.get("limit") ?? "") ?? 8))
            // A long poll: with `wait` (ms, at most 25 s) an empty mailbox answers when mail arrives.
            let wait = min(25_000, max(0, Int(query.get("wait") ?? "") ?? 0))
            let leased = try await service.takeMailbox(for: nodeID, limit: limit, maxBytes: Self.maximumPageBytes, waitMs: wait)
            // The envelopes go out as they came in (the hub never re-encodes a dossier).
            var page = ByteBuffer(string: "{\"items\":[")
            for (index, item) in leased.enumerated() {
                page.writeString(index > 0 ? ",{\"attempt\":\(item.entry.attempts),\"envelope\":" : "{\"attempt\":\(item.entry.attempts),\"envelope\":")
                page.writeBytes(item.body)
                page.writeString("}")
            }
            page.writeString("]}")
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: page))
        }
        router.post("/v1/federation/mailbox/ack") { request, context in
            let nodeID = try node(context)
            let buffer = try await request.body.collect(upTo: 1 << 20)
            guard let body = try? JSONDecoder().decode(MailboxAcknowledgement.self, from: Data(buffer.readableBytesView)),
                  body.transferIds.count <= MailboxAcknowledgement.maximumIds else {
                throw Problem(.badRequest, "request.malformed", "expected {\"transferIds\": [...]} with at most 1,000 ids")
            }
            let results = try await service.acknowledgeMailbox(body.transferIds, by: nodeID)
            return try json(MailboxAcknowledgementReceipt(results))
        }
        // The filing node shows its applicant the whole journey, wherever the dossier is now.
        router.get("/v1/federation/dossiers/:code/path") { _, context in
            let nodeID = try node(context)
            let code = context.parameters.get("code") ?? ""
            guard let dossier = try await service.dossier(code),
                  dossier.node == nodeID || dossier.receivingNode == nodeID || dossier.holderNode == nodeID else {
                throw Problem(.notFound, "dossier.not-found", "no dossier \(quoted(code)) of yours in the national index")
            }
            return try json(try await journey(dossier))
        }

        let national = router.group("v1/national").add(middleware: OperatorOnlyMiddleware())
        national.get("mailbox") { _, _ in
            let entries = try await service.mailboxEntries(queuedOnly: true)
            let now = service.nowMs
            return try json(MailboxAnswer(
                destinations: try await service.queuedByDestination().map { .init(node: $0.node, queued: $0.count, oldestAgeMs: now - $0.oldestMs) },
                items: entries.map { MailboxEntryAnswer($0, nowMs: now) }))
        }
    }

    /// A dossier with its journey: every stay (node, unit, level, arrived, left, its step's due time and
    /// whether it overran it) and the transfers between nodes.
    func journey(_ dossier: NationalDossier) async throws -> JourneyAnswer {
        let now = service.nowMs
        let stored = try await service.path(of: dossier.code)
        let path = stored.isEmpty ? (dossier.filingStay.map { [$0] } ?? []) : stored
        let transfers = try await service.mailboxEntries(queuedOnly: false, dossier: dossier.code, limit: 200)
        return JourneyAnswer(
            dossier: NationalDossierAnswer(dossier, nowMs: now), path: path.map { JourneyAnswer.Stay($0, nowMs: now) },
            transfers: transfers.map { MailboxEntryAnswer($0, nowMs: now) })
    }
}
