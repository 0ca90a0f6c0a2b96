import Foundation
import NIOSSL

/// How a node runs: where its data lives, where it listens, and its limits.
public struct NodeConfiguration: Sendable {
    /// Folder holding `node.sqlite` (created if absent).
    public var dataDirectory: String
    public var host: String
    public var publicPort: Int
    public var nodeID: String
    public var nodeName: String
    /// How long an officer's token stays valid.
    public var tokenLifetimeSeconds: TimeInterval
    /// Largest request body accepted (413 beyond); component files travel base64 inside JSON.
    public var bodyLimitBytes: Int
    /// bcrypt cost for officer passwords (2^cost rounds).
    public var passwordCost: UInt8
    /// Largest page of a list.
    public var pageLimit: Int
    /// Where to ship the event log; nil for a standalone node.
    public var replication: ReplicationConfiguration?
    /// Key of the applicant pseudonym (HMAC-SHA256 of the ID number) that goes to the hub instead of the
    /// number itself; federation-wide so the center can count one person once. Nil: a key of this node's own.
    public var pseudonymKey: [UInt8]?
    /// Addresses of reverse proxies whose `Forwarded` / `X-Forwarded-For` header names the client; from
    /// any other peer those headers are ignored. Exact addresses or CIDR blocks (`10.0.0.0/8`).
    public var trustedProxies: [String] = []
    /// A connection must send a request's whole head within this time (slow-header clients are cut).
    public var headerTimeoutSeconds: Int64 = 30
    /// An idle keep-alive connection is closed after this time.
    public var idleTimeoutSeconds: Int64 = 75
    /// The public API's certificate and key (the province's own, or a public CA's; not the federation's).
    /// Nil: plain HTTP, only when asked for (`--plain-http`: loopback in a local federation and tests).
    public var publicTLS: PublicTLS?

    public init(
        dataDirectory: String, host: String = "127.0.0.1", publicPort: Int = 8080, nodeID: String = "local",
        nodeName: String = "MotCua node", tokenLifetimeSeconds: TimeInterval = 8 * 3600,
        bodyLimitBytes: Int = 16 * 1024 * 1024, passwordCost: UInt8 = 10, pageLimit: Int = 200
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.publicPort = publicPort
        self.nodeID = nodeID
        self.nodeName = nodeName
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.bodyLimitBytes = bodyLimitBytes
        self.passwordCost = passwordCost
        self.pageLimit = pageLimit
    }

    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("node.sqlite") }
    /// The hub's last acknowledged position, kept beside the database (outside it, so that losing the
    /// database's WAL does not lose it too).
    public var replicationPositionPath: String { (dataDirectory as NSString).appendingPathComponent("replication-position") }
}

/// Where the public API's certificate chain and key are; both are re-read when they change.
public struct PublicTLS: Sendable, Hashable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    /// The server context: TLS 1.2 or later, HTTP/2 or HTTP/1.1 by ALPN.
    public func context() throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        guard !chain.isEmpty else { throw PublicTLSError(description: "no PEM certificate in \(certificatePath)") }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2", "http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }
}

public struct PublicTLSError: Error, CustomStringConvertible {
    public var description: String
}
