import Foundation
import SwiftASN1
import X509

/// A federation PKI on disk:
/// `ca.pem`, `ca-key.pem` (0600), `issued/<stem>.pem` and `issued/<stem>-key.pem` (0600) per identity,
/// and `revoked.json`, the revocation list servers re-read when it changes.
public struct PKIDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var caCertificatePath: String { file("ca.pem") }
    var caKeyPath: String { file("ca-key.pem") }
    public var revocationListPath: String { file("revoked.json") }
    /// The federation-wide key of applicant pseudonyms (hex), shared by the nodes, never by the hub.
    public var pseudonymKeyPath: String { file("pseudonym.key") }

    /// Creates the pseudonym key if absent (32 random bytes, hex, 0600).
    public func ensurePseudonymKey() throws {
        guard !FileManager.default.fileExists(atPath: pseudonymKeyPath) else { return }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try write(bytes.map { String(format: "%02x", $0) }.joined(), to: pseudonymKeyPath, secret: true)
    }

    public func certificatePath(for identity: FederationIdentity) -> String { file("issued/\(identity.fileStem).pem") }
    public func keyPath(for identity: FederationIdentity) -> String { file("issued/\(identity.fileStem)-key.pem") }

    public var isInitialised: Bool { FileManager.default.fileExists(atPath: caCertificatePath) }

    /// Creates the CA (refuses to overwrite one), an empty revocation list and the federation's
    /// pseudonym key (for the nodes; never give it to the hub).
    @discardableResult
    public func initialise(now: Date, name: String = "MotCua federation CA") throws -> CertificateAuthority {
        guard !isInitialised else { throw PKIError.alreadyInitialised(path) }
        try FileManager.default.createDirectory(atPath: file("issued"), withIntermediateDirectories: true)
        _ = chmod(path, 0o700)
        let ca = try CertificateAuthority.create(name: name, now: now)
        try write(ca.keyPEM(), to: caKeyPath, secret: true)
        try write(ca.certificatePEM(), to: caCertificatePath, secret: false)
        try RevocationList().save(to: revocationListPath)
        try ensurePseudonymKey()
        return ca
    }

    public func authority() throws -> CertificateAuthority {
        guard isInitialised else { throw PKIError.notInitialised(path) }
        return try CertificateAuthority(certificatePEM: read(caCertificatePath), keyPEM: read(caKeyPath))
    }

    /// Issues (or re-issues: a new key and serial; the old files are replaced) a certificate.
    @discardableResult
    /// Issues (or re-issues) the certificate of an identity; the hub's names `hostNames` (else localhost).
    public func issue(_ identity: FederationIdentity, now: Date, validityDays: Int = 365, hostNames: HostNames = HostNames()) throws -> IssuedCertificate {
        if !hostNames.isEmpty && identity != .hub { throw PKIError.namesNotServed(identity.uri) }
        let issued = try authority().issue(identity, now: now, validityDays: validityDays, hostNames: hostNames)
        try FileManager.default.createDirectory(atPath: file("issued"), withIntermediateDirectories: true)
        // Key first, then certificate, each renamed into place atomically: a server re-reading the pair
        // never sees a half-written file.
        for (text, target, secret) in [(try issued.keyPEM(), keyPath(for: identity), true), (try issued.certificatePEM(), certificatePath(for: identity), false)] {
            let temporary = target + ".new"
            try write(text, to: temporary, secret: secret)
            guard rename(temporary, target) == 0 else { throw PKIError.unreadable(target, "cannot replace it (errno \(errno))") }
        }
        return issued
    }

    /// The certificate currently on disk for an identity.
    public func certificate(for identity: FederationIdentity) throws -> Certificate {
        try Certificate(pemEncoded: read(certificatePath(for: identity)))
    }

    /// Every certificate in `issued/`, by file name.
    public func issuedCertificates() -> [Certificate] {
        let folder = file("issued")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted().filter { $0.hasSuffix(".pem") && !$0.hasSuffix("-key.pem") }.compactMap { name in
            (try? read((folder as NSString).appendingPathComponent(name))).flatMap { try? Certificate(pemEncoded: $0) }
        }
    }

    /// Adds a serial (or the current certificate of an identity) to the revocation list.
    public func revoke(serialHex: String? = nil, identity: FederationIdentity? = nil, reason: String, now: Date) throws -> RevocationList.Entry {
        var serial = serialHex?.lowercased()
        if serial == nil, let identity {
            serial = Certificate.serialHex(try certificate(for: identity).serialNumber)
        }
        guard let serial, !serial.isEmpty else { throw PKIError.unknownCertificate("(give --serial or --role/--id)") }
        var list = try RevocationList.load(from: revocationListPath)
        let entry = RevocationList.Entry(serial: serial, identity: identity?.uri, reason: reason, revokedAt: now)
        list.entries.removeAll { $0.serial == serial }
        list.entries.append(entry)
        try list.save(to: revocationListPath)
        return entry
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func read(_ path: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw PKIError.unreadable(path, "\(error.localizedDescription)")
        }
    }

    /// Writes a file; secrets are created 0600 from the start (never briefly readable by others) and
    /// renamed into place.
    func write(_ text: String, to path: String, secret: Bool) throws {
        guard secret else {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            return
        }
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw PKIError.unreadable(temporary, "cannot create it (errno \(errno))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw PKIError.unreadable(path, "cannot write it (errno \(errno))")
        }
    }
}

/// Revoked certificate serials. Servers consult it on every new connection and re-read the file when
/// its modification time changes, so revoking needs no restart.
public struct RevocationList: Codable, Sendable {
    public struct Entry: Codable, Sendable, Hashable {
        public var serial: String
        public var identity: String?
        public var reason: String
        public var revokedAt: Date
    }

    public var entries: [Entry] = []

    public init(entries: [Entry] = []) { self.entries = entries }

    public func contains(serialHex: String) -> Bool { entries.contains { $0.serial == serialHex } }

    public static func load(from path: String) throws -> RevocationList {
        guard let data = FileManager.default.contents(atPath: path) else { return RevocationList() }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(RevocationList.self, from: data)
    }

    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
