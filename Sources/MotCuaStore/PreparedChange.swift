import Foundation
import GRDB
import MotCuaCore

/// A decided dossier change with its documents already rendered (dossier JSON, canonical event
/// payload), so that the serial part of a commit only positions the event, hashes it and inserts rows.
struct PreparedChange: Sendable {
    let outcome: DossierOutcome
    let document: String
    let documentSHA256: String
    let payloadText: String
    /// The retry key the request came with, claimed in the same transaction.
    let idempotency: IdempotencyClaim?

    init(_ outcome: DossierOutcome, idempotency: IdempotencyClaim? = nil) throws {
        self.outcome = outcome
        document = try NodeDatabase.encode(outcome.dossier)
        documentSHA256 = NodeDatabase.sha256(document)
        payloadText = outcome.event.payload.canonicalText
        self.idempotency = idempotency
    }

    /// Appends the event and inserts or updates the dossier row and its new files; returns the event's seq.
    func write(db: Database, insert: Bool) throws -> Int64 {
        let seq = try NodeDatabase.append(outcome.event, payloadText: payloadText, db: db)
        let dossier = outcome.dossier
        var arguments: StatementArguments = [
            dossier.code, dossier.procedureCode, dossier.procedureVersion, dossier.state.rawValue, dossier.status,
            dossier.channel.rawValue, dossier.receivingUnit, dossier.competentUnit, dossier.holderUnit,
            dossier.applicant.idNumber, dossier.assignee, NodeDatabase.ms(dossier.submittedAt), NodeDatabase.ms(dossier.receivedAt),
            // The due column holds the running deadline: none while the clock is paused.
            NodeDatabase.ms(dossier.clockPaused ? nil : dossier.dueAt), NodeDatabase.ms(dossier.finishedAt),
            NodeDatabase.ms(dossier.returnedAt), seq, document, documentSHA256,
        ]
        if insert {
            try db.cachedStatement(sql: NodeDatabase.insertDossierSQL).execute(arguments: arguments)
        } else {
            arguments += [dossier.code]
            try db.cachedStatement(sql: NodeDatabase.updateDossierSQL).execute(arguments: arguments)
        }
        let files = try db.cachedStatement(sql: NodeDatabase.insertComponentSQL)
        for upload in outcome.uploads {
            try files.execute(arguments: [dossier.code, upload.code, upload.fileName, upload.bytes.count, upload.sha256, Data(upload.bytes), seq])
        }
        if let idempotency {
            try idempotency.claim(dossierCode: dossier.code, db: db)
        }
        if let transfer = outcome.transfer {
            try NodeDatabase.queueTransfer(transfer, dossier: dossier, document: document, eventSeq: seq, atMs: outcome.event.at, db: db)
        }
        return seq
    }
}

extension IdempotencyClaim {
    /// Inside the change's transaction; a key already claimed fails the transaction (a unique constraint),
    /// so of two racing requests with one key only one changes anything.
    func claim(dossierCode: String, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO idempotency_keys(scope, key, request_sha256, dossier_code, created_at_ms) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [scope, key, requestSHA256, dossierCode, atMs])
    }
}
