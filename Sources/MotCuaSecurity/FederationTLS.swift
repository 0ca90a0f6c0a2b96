import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import Synchronization
import X509

/// TLS for federation links: TLS 1.3 only, both sides present certificates from the federation CA.
/// Servers verify the client's chain themselves (swift-certificates' RFC 5280 policy against the
/// federation CA, at the current time) and consult the revocation list on every handshake.
public enum FederationTLS {
    /// A server's TLS configuration: its own certificate and key, clients must present a certificate.
    /// Chain verification happens in `verifyClient` (the custom callback), not in BoringSSL.
    public static func serverConfiguration(certificatePath: String, keyPath: String, caPath: String) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .file(caPath)
        return configuration
    }

    /// A client's TLS configuration (for AsyncHTTPClient): presents its certificate, trusts only the
    /// federation CA, checks the server's name (certificates carry `localhost` and 127.0.0.1).
    public static func clientConfiguration(certificatePath: String, keyPath: String, caPath: String) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) }
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        configuration.trustRoots = .file(caPath)
        configuration.certificateVerification = .fullVerification
        configuration.applicationProtocols = ["h2", "http/1.1"]
        return configuration
    }

    /// The verification a server runs for each client handshake: a chain to the federation CA valid at
    /// the current time (expired certificates fail), a MotCua identity in the leaf, and a serial that is
    /// not revoked.
    public static func verifyClient(
        _ presented: [NIOSSLCertificate], authority: Certificate, revocations: RevocationWatcher
    ) async -> NIOSSLVerificationResult {
        guard let first = presented.first,
              let leaf = try? Certificate(derEncoded: first.toDERBytes()) else { return .failed }
        let intermediates = presented.dropFirst().compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
        var verifier = Verifier(rootCertificates: CertificateStore([authority])) {
            RFC5280Policy()
        }
        guard case .validCertificate = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) else {
            return .failed
        }
        guard leaf.federationIdentity != nil else { return .failed }
        return revocations.isRevoked(serialHex: Certificate.serialHex(leaf.serialNumber)) ? .failed : .certificateVerified
    }

    /// The identity of the peer of a connection, read from its verified certificate. For HTTP/2 the
    /// request runs on a stream channel whose parent holds the TLS handler.
    public static func peerIdentity(of channel: any Channel) async throws -> FederationIdentity? {
        try await peerCertificate(of: channel)?.federationIdentity
    }

    /// The peer's verified certificate on a connection (the parent of an HTTP/2 stream).
    public static func peerCertificate(of channel: any Channel) async throws -> Certificate? {
        let connection = channel.parent ?? channel
        guard let certificate = try await connection.nioSSL_peerCertificate().get() else { return nil }
        return try Certificate(derEncoded: certificate.toDERBytes())
    }
}

/// The revocation list as servers see it: re-read when the file changes (checked at most once a
/// second), so `motcua certs revoke` takes effect on the next handshake without a restart.
public final class RevocationWatcher: Sendable {
    private struct State {
        var modified: Date?
        var checkedAt: Date = .distantPast
        var list = RevocationList()
    }

    public let path: String
    private let state = Mutex(State())

    public init(path: String) {
        self.path = path
        _ = reloadIfChanged(force: true)
    }

    public func isRevoked(serialHex: String) -> Bool {
        reloadIfChanged(force: false).contains(serialHex: serialHex)
    }

    private func reloadIfChanged(force: Bool) -> RevocationList {
        let now = Date()
        return state.withLock { state in
            guard force || now.timeIntervalSince(state.checkedAt) >= 1 else { return state.list }
            state.checkedAt = now
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            if force || modified != state.modified {
                state.modified = modified
                // A list that cannot be read, or has vanished, keeps the previous one: deleting the file
                // must not lift revocations.
                if FileManager.default.fileExists(atPath: path), let list = try? RevocationList.load(from: path) { state.list = list }
            }
            return state.list
        }
    }
}
