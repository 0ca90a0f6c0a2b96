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

    /// Issues a certificate for an identity: a fresh P-256 key, the identity as a URI SAN, usable for
    /// both TLS server and client authentication, valid from `now` for `validityDays`.
    public func issue(
        _ identity: FederationIdentity, now: Date, validityDays: Int = 365, hostnames: [String] = ["localhost"]
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
            names += hostnames.map { GeneralName.dnsName($0) }
            names.append(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])))
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
