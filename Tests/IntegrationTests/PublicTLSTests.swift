import AsyncHTTPClient
import Crypto
import Foundation
import MotCuaAPI
import MotCuaLauncher
import MotCuaTestSupport
import NIOCore
import NIOHTTP1
import NIOSSL
import SwiftASN1
import Testing
import X509

/// A certificate authority of the province's own (not the federation's) and a server certificate from it.
struct ProvinceCA {
    let certificate: Certificate
    let key: P256.Signing.PrivateKey

    init(name: String) throws {
        key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(86_400), issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(key))
    }

    /// Writes a certificate for localhost and 127.0.0.1 and its key (each renamed into place).
    func issueServer(certificatePath: String, keyPath: String) throws {
        let leaf = P256.Signing.PrivateKey()
        let server = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leaf.publicKey), notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(86_400), issuer: certificate.subject,
            subject: try DistinguishedName { CommonName("localhost") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: .init(key))
        try Certificate.PrivateKey(leaf).serializeAsPEM().pemString.write(toFile: keyPath + ".new", atomically: true, encoding: .utf8)
        try server.serializeAsPEM().pemString.write(toFile: certificatePath + ".new", atomically: true, encoding: .utf8)
        _ = rename(keyPath + ".new", keyPath)
        _ = rename(certificatePath + ".new", certificatePath)
    }

    /// A client that trusts only this CA.
    func client(http1Only: Bool = false) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(certificate.serializeAsPEM().pemString.utf8), format: .pem)])
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = http1Only ? .http1Only : .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

@Suite("The public API over HTTPS (real processes)", .timeLimit(.minutes(3)))
struct PublicTLSTests {
    @Test func aNodeServesHTTPSAndPicksUpANewCertificateWithoutARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-https-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (certificate, key) = (directory + "/public.pem", directory + "/public-key.pem")
        let first = try ProvinceCA(name: "Sở TT&TT Hà Nội CA")
        try first.issueServer(certificatePath: certificate, keyPath: key)
        let port = try freePort()
        let log = directory + "/node.log"
        let process = try LocalFederation.spawn(
            ["node", "--data-dir", directory + "/node", "--public-port", String(port), "--seed-demo", "--tls-certificate", certificate, "--tls-key", key],
            log: log, executable: MotCuaBinary.path)
        defer { process.terminate(); process.waitUntilExit() }
        let url = "https://localhost:\(port)"

        let trustsFirst = try first.client(), http1 = try first.client(http1Only: true)
        defer { Task { try? await trustsFirst.shutdown(); try? await http1.shutdown() } }
        try await waitFor(seconds: 30, "the node to listen over HTTPS") {
            (try? await APIClient(baseURL: url, http: trustsFirst).send(NodeAPI.ready()))?.isReady == true
        }
        // HTTP/2 by ALPN; HTTP/1.1 for a client that offers only that; the typed client works over both.
        let answer = try await trustsFirst.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(10))
        #expect(answer.status == .ok && answer.version == .http2)
        let old = try await http1.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(10))
        #expect(old.status == .ok && old.version == .http1_1)
        let filed = try await APIClient(baseURL: url, http: trustsFirst).send(NodeAPI.file(onlineSubmission(1)))
        #expect(filed.status == 1)
        // Plain HTTP is not served on that port.
        #expect((try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(5))) == nil)

        // The province renews with another CA: new connections get the new certificate, with no restart.
        let second = try ProvinceCA(name: "Renewed CA")
        try second.issueServer(certificatePath: certificate, keyPath: key)
        let trustsSecond = try second.client()
        defer { Task { try? await trustsSecond.shutdown() } }
        try await waitFor(seconds: 10, "the renewed certificate") {
            (try? await trustsSecond.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(5)))?.status == .ok
        }
        let stale = try first.client()
        defer { Task { try? await stale.shutdown() } }
        #expect((try? await stale.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(5))) == nil, "the old certificate is still served")

        // A broken key file keeps the last good pair in force, and says so in the log.
        try "not a key".write(toFile: key, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(1500))
        let again = try second.client()
        defer { Task { try? await again.shutdown() } }
        #expect(try await again.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(5)).status == .ok)
        try await waitFor(seconds: 10, "the log to name the bad files") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("do not load")
        }
        #expect(process.isRunning)
    }

    @Test func aNodeWithoutCertificateOrPlainHTTPDoesNotStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("motcua-nocert-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let refused = try await runMotCua(["node", "--data-dir", directory, "--public-port", String(try freePort())], limit: 30)
        #expect(refused.status != 0 && refused.output.contains("--tls-certificate") && refused.output.contains("--plain-http"), "\(refused.output)")
        let missing = try await runMotCua(["node", "--data-dir", directory, "--tls-certificate", directory + "/none.pem", "--tls-key", directory + "/none-key.pem"], limit: 30)
        #expect(missing.status != 0 && missing.output.contains("do not load"), "\(missing.output)")
        let typo = try await runMotCua(["node", "--data-dir", directory, "--plain-http", "--log-level", "verbose"], limit: 30)
        #expect(typo.status != 0 && typo.output.contains("--log-level") && typo.output.contains("warning"), "\(typo.output)")
    }
}
