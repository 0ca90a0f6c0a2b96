import Crypto
import Foundation
import HTTPTypes
import Logging
import MotCuaCore
import MotCuaProtocol
import MotCuaStore
import Synchronization

/// Officers' accounts and sessions, and the throttled public lookups.
extension NodeService {
    /// Checks a password and opens a session; the token is returned once and stored only as a hash.
    public func login(username: String, password: String, client: String? = nil) async throws -> (token: String, expiresAt: Date, officer: OfficerRecord) {
        let refused = NodeError(.unauthenticated, "auth.invalid-credentials", "unknown user name or wrong password")
        let clientKey = Self.throttleKey(client: client)
        let pairKey = "login:" + username.lowercased().prefix(64) + "|" + clientKey
        let at = now()
        if let wait = loginThrottle.wait(pairKey, at: at) ?? loginClientThrottle.wait(clientKey, at: at) {
            throw NodeError.tooManyAttempts(
                "auth.too-many-attempts", "too many failed logins from this client; try again in \(Int(wait.rounded(.up))) s", retryAfter: wait)
        }
        // Counted as a failure before the slow check, so that requests sent at once cannot all get through
        // before the first failure is known; a success takes it back.
        loginThrottle.recordFailure(pairKey, at: at)
        loginClientThrottle.recordFailure(clientKey, at: at)
        let officer = try await database.officer(username)
        // bcrypt is deliberately slow: run it off the request executor, on NIO's blocking pool.
        let hash = officer.flatMap { $0.active ? $0.passwordHash : nil } ?? PasswordHasher.dummyHash
        let verified = try await PasswordHasher.verifyOffloaded(password, hash: hash)
        guard let officer, officer.active, verified else { throw refused }
        loginThrottle.recordSuccess(pairKey)
        loginClientThrottle.forgiveOne(clientKey)
        var generator = SystemRandomNumberGenerator()
        let tokenBytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token = Data(tokenBytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let issuedAt = now()
        let expiresAt = issuedAt.addingTimeInterval(configuration.tokenLifetimeSeconds)
        // Only if the password just checked is still the officer's: a change during the check wins.
        guard try await database.createSession(
            tokenHash: Self.tokenHash(token), username: officer.username, passwordHash: officer.passwordHash, createdAt: issuedAt,
            expiresAt: expiresAt) else { throw refused }
        return (token, expiresAt, officer)
    }

    /// The officer behind a bearer token, or nil.
    public func officer(forToken token: String) async throws -> OfficerRecord? {
        try await database.officer(forTokenHash: Self.tokenHash(token), at: now())
    }

    /// Whether an officer may see a dossier: admins all; others when the receiving, competent or holding
    /// unit is one of theirs. Outside that, a dossier is answered as unknown.
    func isVisible(_ dossier: Dossier, to officer: OfficerRecord, units: UnitDirectory) -> Bool {
        if officer.roles.contains(.admin) { return true }
        return [dossier.receivingUnit, dossier.competentUnit, dossier.holderUnit].contains { unit in
            officer.units.contains { units.isWithin(unit, ancestor: $0) }
        }
    }

    /// Refuses an ID-number lookup while this client, this code from this client, or this code from
    /// everywhere must still wait after wrong numbers. Never blocks the lookup secret.
    func checkLookupAllowed(code: String, client: String?) throws {
        let at = now()
        // A code is short; a long one is no dossier and is not remembered (the throttles' keys stay small).
        guard code.utf8.count <= Self.longestCode else { return }
        let clientKey = Self.throttleKey(client: client)
        let wait = lookupPairThrottle.wait(code + "|" + clientKey, at: at) ?? lookupClientThrottle.wait(clientKey, at: at)
            ?? lookupCodeThrottle.wait(code, at: at)
        if let wait {
            throw NodeError.tooManyAttempts(
                "lookup.too-many-attempts",
                "too many wrong ID numbers; try again in \(Int(wait.rounded(.up))) s, or use the lookup secret printed on your receipt", retryAfter: wait)
        }
    }

    func recordLookupFailure(code: String, client: String?) {
        guard code.utf8.count <= Self.longestCode else { return }
        let at = now()
        let clientKey = Self.throttleKey(client: client)
        lookupPairThrottle.recordFailure(code + "|" + clientKey, at: at)
        lookupClientThrottle.recordFailure(clientKey, at: at)
        lookupCodeThrottle.recordFailure(code, at: at)
    }

    /// A dossier for whoever holds the lookup secret of its receipt; nil (and a strike against the client)
    /// otherwise. Wrong secrets slow this client only: the code stays open to its applicant.
    public func dossier(_ code: String, lookupSecret: String, client: String?) async throws -> Dossier? {
        guard code.utf8.count <= Self.longestCode else { return nil }
        let clientKey = Self.throttleKey(client: client)
        if let wait = secretClientThrottle.wait(clientKey, at: now()) {
            throw NodeError.tooManyAttempts("lookup.too-many-attempts", "too many wrong lookup secrets; try again in \(Int(wait.rounded(.up))) s", retryAfter: wait)
        }
        // Counted before the read (parallel guesses all count), taken back on a match.
        secretClientThrottle.recordFailure(clientKey, at: now())
        let normalized = LookupSecret.normalize(lookupSecret)
        guard LookupSecret.isWellFormed(normalized), try await database.lookupSecretMatches(code: code, secret: normalized),
              let stored = try await database.dossier(code)?.dossier else {
            return nil
        }
        secretClientThrottle.forgiveOne(clientKey)
        return stored
    }

    /// The throttles' key for a client address (one key for requests whose address is unknown).
    static func throttleKey(client: String?) -> String { "client:" + (client ?? "unknown") }

    /// Longer than any dossier code (agency e-code, date, number).
    static let longestCode = 64

    static func tokenHash(_ token: String) -> String { hexString(SHA256.hash(data: Data(token.utf8))) }

    /// The keyed pseudonym of an applicant that replaces the ID number in everything the hub sees.
    func applicantReference(_ idNumber: String) -> String {
        hexString(HMAC<SHA256>.authenticationCode(for: Data(idNumber.utf8), using: pseudonymKey))
    }

    static func actor(_ officer: OfficerRecord) -> Actor {
        .officer(username: officer.username, roles: Set(officer.roles), units: officer.units)
    }

    /// Creates or replaces an officer account (admin).
    public func saveOfficer(
        username: String, fullName: String, password: String, roles: [OfficerRole], units: [String], active: Bool = true
    ) async throws {
        try checkAccount(username: username, fullName: fullName, roles: roles, units: units)
        try Self.checkPassword(password)
        let hash = try await PasswordHasher.hashOffloaded(password, cost: configuration.passwordCost)
        let officer = OfficerRecord(username: username, fullName: fullName, passwordHash: hash, roles: roles, units: units, active: active)
        // A new password or a deactivation ends the officer's sessions in the same transaction.
        try await keepingAnAdmin { try await database.upsertOfficer(officer, keepAnAdmin: true) }
    }

    /// Changes an existing account: only what is given changes (a new password, roles, units, the name,
    /// active or not). A new password or a deactivation ends the officer's sessions.
    public func updateOfficer(
        _ username: String, fullName: String? = nil, password: String? = nil, roles: [OfficerRole]? = nil, units: [String]? = nil,
        active: Bool? = nil
    ) async throws -> OfficerRecord {
        // The slow hash first; the read, the change, the checks and the write in one transaction.
        var hash: String?
        if let password {
            try Self.checkPassword(password)
            hash = try await PasswordHasher.hashOffloaded(password, cost: configuration.passwordCost)
        }
        let updated = try await keepingAnAdmin {
            try await database.updateOfficer(username, keepAnAdmin: true) { [self, hash] officer in
                officer.fullName = fullName ?? officer.fullName
                officer.roles = roles ?? officer.roles
                officer.units = units ?? officer.units
                officer.active = active ?? officer.active
                officer.passwordHash = hash ?? officer.passwordHash
                try checkAccount(username: username, fullName: officer.fullName, roles: officer.roles, units: officer.units)
            }
        }
        guard let updated else { throw NodeError(.notFound, "officer.not-found", "no officer \(quoted(username)) at this node") }
        return updated
    }

    func checkAccount(username: String, fullName: String, roles: [OfficerRole], units: [String]) throws {
        for unit in units where self.units[unit] == nil { throw DossierError.unknownUnit(unit) }
        guard username.wholeMatch(of: /[a-z0-9][a-z0-9._-]{0,63}/) != nil else {
            throw DossierError.invalid(field: "username", reason: "1-64 lower-case letters, digits, '.', '_' or '-'")
        }
        guard !fullName.trimmingCharacters(in: .whitespaces).isEmpty, fullName.unicodeScalars.count <= 200 else {
            throw DossierError.invalid(field: "fullName", reason: "the officer's name, 1-200 characters")
        }
        // An admin administers the whole node; everyone else works in named units.
        guard !roles.isEmpty, !units.isEmpty || roles == [.admin] else {
            throw DossierError.invalid(field: "roles", reason: "give at least one role and one unit (only an admin alone may have none)")
        }
    }

    static func checkPassword(_ password: String) throws {
        guard password.count >= 10, password.utf8.count <= 72 else {
            throw DossierError.invalid(field: "password", reason: "10 to 72 bytes (bcrypt reads no further)")
        }
    }

    /// Runs a change the store refuses when it would leave no active admin (the node could no longer be
    /// administered), and says so.
    func keepingAnAdmin<T>(_ change: () async throws -> T) async throws -> T {
        do {
            return try await change()
        } catch is LastAdminRefused {
            throw NodeError(.conflict, "officer.last-admin", "the change would leave the node without an active admin: give another officer the admin role first")
        }
    }

    // MARK: - The first admin

    /// On a node without officers: the one-time token that creates the first admin, from `tokenFile` when
    /// given, else the one kept in `<data-dir>/bootstrap-token` since an earlier start, else a new one
    /// written there (mode 0600). Returns the token while it is pending (nil once the node has officers,
    /// when the kept file is removed).
    public func prepareBootstrap(tokenFile: String? = nil) async throws -> String? {
        let kept = (configuration.dataDirectory as NSString).appendingPathComponent("bootstrap-token")
        guard try await database.officers().isEmpty else {
            try? FileManager.default.removeItem(atPath: kept)
            pendingBootstrap.withLock { $0 = nil }
            return nil
        }
        let token: String
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw NodeError(.damaged, "bootstrap.token-unreadable", "cannot read the bootstrap token file \(tokenFile)")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 32 else {
                throw NodeError(.damaged, "bootstrap.token-too-short", "the bootstrap token in \(tokenFile) must be at least 32 characters")
            }
        } else if let text = try? String(contentsOfFile: kept, encoding: .utf8), text.trimmingCharacters(in: .whitespacesAndNewlines).count >= 32 {
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            var generator = SystemRandomNumberGenerator()
            token = hexString((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
            // Created readable by the node's user only (never, even for a moment, by others), then renamed in.
            let temporary = kept + ".new"
            unlink(temporary)
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            let bytes = Array((token + "\n").utf8)
            let written = descriptor >= 0 ? write(descriptor, bytes, bytes.count) : -1
            if descriptor >= 0 { fsync(descriptor); close(descriptor) }
            guard written == bytes.count, rename(temporary, kept) == 0 else {
                unlink(temporary)
                throw NodeError(.damaged, "bootstrap.token-unwritable", "cannot write the bootstrap token to \(kept)")
            }
        }
        pendingBootstrap.withLock { $0 = (token, Self.tokenHash(token)) }
        return token
    }

    /// Whether the node waits for its first admin (its bootstrap token is pending).
    public var awaitsFirstAdmin: Bool { pendingBootstrap.withLock { $0 != nil } }

    /// Creates the node's first officer, an admin (over the node's top units, when it has any), with the
    /// one-time token.
    public func bootstrap(token: String, username: String, fullName: String, password: String) async throws -> OfficerRecord {
        guard let expected = pendingBootstrap.withLock({ $0?.hash }) else {
            throw NodeError(.conflict, "node.already-bootstrapped", "this node already has officers: an admin adds more with POST /v1/officers")
        }
        // Compared as digests of equal length, in constant time.
        let given = Array(Self.tokenHash(token).utf8), wanted = Array(expected.utf8)
        guard given.count == wanted.count, zip(given, wanted).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw NodeError(.unauthenticated, "auth.invalid-bootstrap-token", "that is not this node's bootstrap token (printed at its first start, kept in <data-dir>/bootstrap-token)")
        }
        // The node's top units, when it has units already (none before the first import).
        let top = units.units.values.filter { $0.parentCode.map { units[$0] == nil } ?? true }.map(\.code).sorted()
        try checkAccount(username: username, fullName: fullName, roles: [.admin], units: top)
        try Self.checkPassword(password)
        let hash = try await PasswordHasher.hashOffloaded(password, cost: configuration.passwordCost)
        let officer = OfficerRecord(username: username, fullName: fullName, passwordHash: hash, roles: [.admin], units: top)
        guard try await database.insertFirstOfficer(officer) else {
            throw NodeError(.conflict, "node.already-bootstrapped", "this node already has officers: an admin adds more with POST /v1/officers")
        }
        pendingBootstrap.withLock { $0 = nil }
        try? FileManager.default.removeItem(atPath: (configuration.dataDirectory as NSString).appendingPathComponent("bootstrap-token"))
        logger.notice("first admin created with the bootstrap token", metadata: ["officer": "\(username)"])
        return officer
    }
}
