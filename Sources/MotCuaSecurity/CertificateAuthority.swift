import Crypto
import Foundation
import SwiftASN1
import X509

/// The federation's certificate authority: a P-256 key and a self-signed CA certificate that every node,
/// the hub and operators trust, and that signs their certificates.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    let key: Certificate.PrivateKey

    /// Makes a new CA, valid `validityDays` from `now`.
    public static func create(name: String, now: Date, validityDays: Int = 3650) throws -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            CommonName(name)
            OrganizationName("MotCua federation")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Double(validityDays) * 86_400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key))
        return CertificateAuthority(certificate: certificate, key: .init(key))
    }

    public init(certificate: Certificate, key: Certificate.PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    /// Loads a CA from its PEM files.
    public init(certificatePEM: String, keyPEM: String) throws {
        certificate = try Certificate(pemEncoded: certificatePEM)
        key = try Certificate.PrivateKey(pemEncoded: keyPEM)
    }

    /// Issues a certificate for an identity: a fresh P-256 key, the identity as a URI SAN, valid from `now`
    /// for `validityDays`. The hub's also serves TLS: it names the hosts it is reached at (`hostNames`:
    /// `localhost` and 127.0.0.1 when none are given).
    public func issue(
        _ identity: FederationIdentity, now: Date, validityDays: Int = 365, hostNames: HostNames = HostNames()
    ) throws -> IssuedCertificate {
        let leafKey = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            CommonName(identity.uri)
            OrganizationName("MotCua federation")
        }
        // Only the hub serves TLS: only its certificate carries host names and server authentication, so
        // no node's or operator's key can pose as the hub to other nodes.
        let serves = identity == .hub
        var names: [GeneralName] = [.uniformResourceIdentifier(identity.uri)]
        if serves {
            let hosts = hostNames.isEmpty ? HostNames.loopback : hostNames
            names += hosts.dns.map { GeneralName.dnsName($0) }
            names += hosts.addresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Double(validityDays) * 86_400),
            issuer: self.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(serves ? [.serverAuth, .clientAuth] : [.clientAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: key)
        return IssuedCertificate(certificate: certificate, key: .init(leafKey), identity: identity)
    }

    public func certificatePEM() throws -> String { try certificate.serializeAsPEM().pemString }
    public func keyPEM() throws -> String { try key.serializeAsPEM().pemString }
}

/// A certificate the CA issued, with its private key.
public struct IssuedCertificate: Sendable {
    public let certificate: Certificate
    public let key: Certificate.PrivateKey
    public let identity: FederationIdentity

    public var serialHex: String { Certificate.serialHex(certificate.serialNumber) }
    public func certificatePEM() throws -> String { try certificate.serializeAsPEM().pemString }
    public func keyPEM() throws -> String { try key.serializeAsPEM().pemString }
}

extension Certificate {
    /// The serial number as lowercase hex, the key of the revocation list.
    public static func serialHex(_ serial: SerialNumber) -> String {
        serial.bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// The MotCua identity in the certificate's URI SAN, if any.
    public var federationIdentity: FederationIdentity? {
        guard let names = try? extensions.subjectAlternativeNames else { return nil }
        for name in names {
            if case .uniformResourceIdentifier(let uri) = name, let identity = FederationIdentity(uri: uri) { return identity }
        }
        return nil
    }
}

/// The host names and IP addresses a serving certificate names (subject alternative names), checked.
public struct HostNames: Sendable, Hashable {
    public private(set) var dns: [String] = []
    /// Addresses as their bytes (4 for IPv4, 16 for IPv6).
    public private(set) var addresses: [[UInt8]] = []

    public init() {}

    /// `localhost` and 127.0.0.1: what a certificate names when nothing else is asked for.
    public static let loopback: HostNames = {
        var names = HostNames()
        names.dns = ["localhost"]
        names.addresses = [[127, 0, 0, 1]]
        return names
    }()

    public var isEmpty: Bool { dns.isEmpty && addresses.isEmpty }

    /// An address's usual text form.
    public static func text(_ address: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = address.count == 4 ? AF_INET : AF_INET6
        let written = address.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return address.map(String.init).joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Adds a DNS name: labels of letters, digits and '-' (not at either end), at most 63 characters each
    /// and 253 in all; a leading `*.` for a wildcard. Lower-cased.
    public mutating func add(dns name: String) throws {
        let lowered = name.lowercased()
        let labels = lowered.split(separator: ".", omittingEmptySubsequences: false)
        let body = labels.first == "*" ? labels.dropFirst() : labels[...]
        let valid = !body.isEmpty && lowered.count <= 253 && body.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        guard valid else { throw PKIError.invalidHostName(name) }
        if !dns.contains(lowered) { dns.append(lowered) }
    }

    /// Adds an IPv4 or IPv6 address in its usual text form.
    public mutating func add(address text: String) throws {
        var v4 = in_addr()
        var v6 = in6_addr()
        let bytes: [UInt8]
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            throw PKIError.invalidHostName(text)
        }
        if !addresses.contains(bytes) { addresses.append(bytes) }
    }
}

/// When a certificate expires, for `certs list` and the metrics: warned of 30 days ahead.
public enum CertificateExpiry {
    public static let warningDays = 30

    /// Whole days until the certificate expires (negative once it has).
    public static func daysLeft(_ certificate: Certificate, now: Date) -> Int {
        Int((certificate.notValidAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }

    /// A warning when the certificate expires within `warningDays` (or has expired), else nil.
    public static func warning(_ name: String, _ certificate: Certificate, now: Date) -> String? {
        let days = daysLeft(certificate, now: now)
        if certificate.notValidAfter <= now { return "\(name) expired on \(certificate.notValidAfter); re-issue it (`motcua certs issue`)" }
        guard days < warningDays else { return nil }
        return "\(name) expires in \(days) day(s), on \(certificate.notValidAfter); re-issue it (`motcua certs issue`); servers pick the new files up without a restart"
    }
}
