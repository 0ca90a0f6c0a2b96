import Crypto
import Foundation
import HTTPTypes
import Logging
import MotCuaCore
import MotCuaProtocol
import MotCuaStore
import Synchronization

/// Filing, acting on dossiers, and reading them: by an officer in scope, or by the applicant.
extension NodeService {
    /// Files a dossier: online by the applicant, or at the counter by a receiving officer.
    public func submit(
        _ submission: DossierSubmission, officer: OfficerRecord?, idempotency: IdempotencyClaim? = nil
    ) async throws -> (outcome: DossierOutcome, lookupSecret: String) {
        try health.checkWritable()
        guard let procedure = procedure(submission.procedureCode) else { throw DossierError.unknownProcedure(submission.procedureCode) }
        let actor: Actor = officer.map(Self.actor) ?? .applicant
        let context = context(procedure: procedure, actor: actor)
        var submission = submission
        let route = try DossierMachine.route(&submission, context: context)
        submission.applicantRef = applicantReference(submission.applicant.idNumber)
        let secret = LookupSecret.generate()
        let outcome = try await database.submit(
            IntakePlan(submission: submission, route: route, context: context), idempotency: idempotency, lookupSecret: secret)
        return (outcome, secret)
    }

    /// Applies an action. Officers act within their units; the applicant proves who they are with their
    /// ID number, and a wrong one answers exactly like an unknown dossier.
    public func act(
        on code: String, command: DossierCommand, officer: OfficerRecord?, applicantIdNumber: String?, client: String? = nil,
        idempotency: IdempotencyClaim? = nil
    ) async throws -> DossierOutcome {
        try health.checkWritable()
        let actor: Actor
        if let officer {
            actor = Self.actor(officer)
        } else if let applicantIdNumber {
            actor = .applicant
            // Prove the ID number with a read first: a wrong guess never takes a slot in the writer.
            guard try await dossier(code, applicantIdNumber: applicantIdNumber, client: client) != nil else {
                throw StoreError.dossierNotFound(code)
            }
        } else {
            throw NodeError.unauthenticated
        }
        let normalizedID = applicantIdNumber?.trimmingCharacters(in: .whitespaces)
        let assigneeRecord: OfficerRecord?
        if case .assign(let assignee, _) = command {
            assigneeRecord = try await database.officer(assignee)
        } else {
            assigneeRecord = nil
        }
        let units = self.units
        let deadlines = self.deadlines
        let at = now()
        let catalogue = caches.withLock { $0.procedures }
        let federation = federationDirectory
        let nodeID = configuration.nodeID
        // Transfers need a hub; a standalone node refuses hand-overs to other nodes' units.
        let transferID = configuration.replication == nil ? "" : newID()
        let outcome = try await database.perform(command, on: code, idempotency: idempotency) { dossier in
            if case .applicant = actor, dossier.applicant.idNumber != normalizedID {
                throw StoreError.dossierNotFound(code)
            }
            if let officer, !self.isVisible(dossier, to: officer, units: units) {
                throw StoreError.dossierNotFound(code)
            }
            guard let procedure = catalogue[dossier.procedureCode]?.first(where: { $0.version == dossier.procedureVersion }) else {
                throw DossierError.unknownProcedure(dossier.procedureCode)
            }
            var context = DossierContext(procedure: procedure, units: units, deadlines: deadlines, now: at, actor: actor)
            context.nodeID = nodeID
            context.federation = federation
            context.transferID = transferID
            context.assignee = assigneeRecord.flatMap { $0.active ? Self.actor($0) : nil }
            // Checks in the documented order: legal move (409), role (403), scope (403), then the machine's
            // parameters (422).
            guard let row = DossierTransition.row(for: command.action, from: dossier.state) else { return context }
            try DossierMachine.authorize(row, actor: actor)
            try DossierMachine.checkScope(action: command.action, dossier: dossier, actor: actor, units: units)
            return context
        }
        // A hand-over to another node ships at once.
        if outcome.transfer != nil { transferAgent()?.wake() }
        return outcome
    }

    /// A dossier for the public when the ID number matches; nil (and a strike against the code and the
    /// client) otherwise, so an unknown code and a wrong number look the same.
    public func dossier(_ code: String, applicantIdNumber: String, client: String?) async throws -> Dossier? {
        try checkLookupAllowed(code: code, client: client)
        // Counted before the read, so that guesses sent at once all count; a match takes it back.
        recordLookupFailure(code: code, client: client)
        guard code.utf8.count <= Self.longestCode, let stored = try await database.dossier(code)?.dossier,
              stored.applicant.idNumber == applicantIdNumber.trimmingCharacters(in: .whitespaces) else {
            return nil
        }
        let clientKey = Self.throttleKey(client: client)
        lookupPairThrottle.recordSuccess(code + "|" + clientKey)
        lookupClientThrottle.forgiveOne(clientKey)
        lookupCodeThrottle.forgiveOne(code)
        return stored
    }

    /// A dossier for an officer; nil when it does not exist or is outside the officer's units.
    public func dossier(_ code: String, officer: OfficerRecord) async throws -> Dossier? {
        guard let stored = try await database.dossier(code)?.dossier, isVisible(stored, to: officer, units: units) else { return nil }
        return stored
    }

    public func queue(_ filter: DossierFilter) async throws -> DossierPage {
        let units = self.units
        return try await database.dossiers(filter) { roots in
            units.units.keys.filter { code in roots.contains { units.isWithin(code, ancestor: $0) } }.sorted()
        }
    }
}
