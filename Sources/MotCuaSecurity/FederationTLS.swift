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

    /// The connection that carries TLS for a request's channel: an HTTP/2 stream's parent, or an HTTP/1.1
    /// connection itself. (An accepted connection's own parent is the listening socket, so "the parent if
    /// any" would be wrong for HTTP/1.1.)
    public static func connection(of channel: any Channel) -> any Channel {
        if let parent = channel.parent, parent.parent != nil { return parent }
        return channel
    }

    /// The peer's verified certificate on a request's connection.
    public static func peerCertificate(of channel: any Channel) async throws -> Certificate? {
        let connection = connection(of: channel)
        guard let certificate = try await connection.nioSSL_peerCertificate().get() else { return nil }
        return try Certificate(derEncoded: certificate.toDERBytes())
    }
}

/// The verified peer certificate of each open connection, read from the TLS layer once per connection
/// rather than on every request: asking NIOSSL means a trip to the connection's event loop and parsing
/// the certificate again, which cost a node's replication batch about 0.2 ms. An entry lives as long as
/// its connection and is dropped when the connection closes; revocation and expiry are still checked
/// by the caller on every request.
public final class PeerCertificateCache: Sendable {
    /// A connection's verified certificate with what each request asks of it.
    public struct Peer: Sendable {
        public let certificate: Certificate
        public let identity: FederationIdentity?
        public let serialHex: String
    }

    private let entries = Mutex<[ObjectIdentifier: Peer]>([:])

    public init() {}

    /// The verified certificate of the connection that carries `channel`, nil if the peer presented none.
    public func peer(of channel: any Channel) async throws -> Peer? {
        let connection = FederationTLS.connection(of: channel)
        let key = ObjectIdentifier(connection)
        if let known = entries.withLock({ $0[key] }) { return known }
        guard let certificate = try await FederationTLS.peerCertificate(of: connection) else { return nil }
        let peer = Peer(certificate: certificate, identity: certificate.federationIdentity, serialHex: Certificate.serialHex(certificate.serialNumber))
        // Recorded only while the connection is open, so an entry never outlives it (and a later
        // connection allocated at the same address never finds a stale one).
        guard connection.isActive else { return peer }
        entries.withLock { $0[key] = peer }
        connection.closeFuture.whenComplete { [weak self] _ in _ = self?.entries.withLock { $0.removeValue(forKey: key) } }
        return peer
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
