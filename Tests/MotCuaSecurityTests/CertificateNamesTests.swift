import Foundation
import MotCuaSecurity
import SwiftASN1
import Testing
import X509

@Suite("Certificates for real hosts")
struct CertificateNamesTests {
    static func pki() throws -> PKIDirectory {
        let pki = PKIDirectory(path: FileManager.default.temporaryDirectory.appendingPathComponent("motcua-pki-\(UUID().uuidString)").path)
        try pki.initialise(now: Date())
        return pki
    }

    static func names(_ certificate: Certificate) throws -> [GeneralName] {
        Array(try #require(try certificate.extensions.subjectAlternativeNames))
    }

    static func addresses(_ names: [GeneralName]) -> [[UInt8]] {
        names.compactMap { name -> [UInt8]? in
            if case .ipAddress(let octets) = name { return Array(octets.bytes) }
            return nil
        }
    }

    @Test func theHubsCertificateNamesTheHostsItIsReachedAt() throws {
        let pki = try Self.pki()
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        var hosts = HostNames()
        try hosts.add(dns: "Hub.MotCua.gov.vn")
        try hosts.add(dns: "*.hub.motcua.gov.vn")
        try hosts.add(address: "10.20.30.40")
        try hosts.add(address: "2001:db8::7")
        try hosts.add(dns: "hub.motcua.gov.vn")  // the same name twice is named once
        let issued = try pki.issue(.hub, now: Date(), hostNames: hosts)
        let names = try Self.names(issued.certificate)
        #expect(names.contains(.uniformResourceIdentifier("urn:motcua:hub")))
        #expect(names.filter { if case .dnsName = $0 { true } else { false } } == [.dnsName("hub.motcua.gov.vn"), .dnsName("*.hub.motcua.gov.vn")])
        #expect(Self.addresses(names).map(HostNames.text) == ["10.20.30.40", "2001:db8::7"])
        // What is on disk is what was issued: the server reads it from there.
        #expect(try pki.certificate(for: .hub) == issued.certificate)

        // Without names: localhost and 127.0.0.1, as before.
        let local = try Self.names(try pki.issue(.hub, now: Date()).certificate)
        #expect(local.contains(.dnsName("localhost")) && Self.addresses(local) == [[127, 0, 0, 1]])
    }

    @Test func badNamesAndNamesForClientsAreRefused() throws {
        var hosts = HostNames()
        for bad in ["", "a..b", "-lead.example", "trail-.example", "under_score.example", "a b", String(repeating: "x", count: 64) + ".vn", "*"] {
            #expect(throws: PKIError.self, "\(bad)") { try hosts.add(dns: bad) }
        }
        for bad in ["10.0.0.256", "10.0.0", "::g", "hub.example"] {
            #expect(throws: PKIError.self, "\(bad)") { try hosts.add(address: bad) }
        }
        #expect(hosts.isEmpty)
        let pki = try Self.pki()
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        try hosts.add(dns: "p01.example.vn")
        // A node is the hub's client: its certificate serves no TLS, so it names no host.
        #expect(throws: PKIError.self) { try pki.issue(.node("p01"), now: Date(), hostNames: hosts) }
        #expect(!FileManager.default.fileExists(atPath: pki.certificatePath(for: .node("p01"))))
    }

    @Test func expiryIsWarnedOfThirtyDaysAhead() throws {
        let pki = try Self.pki()
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let now = Date()
        let soon = try pki.issue(.node("p01"), now: now, validityDays: 20).certificate
        let later = try pki.issue(.node("p02"), now: now, validityDays: 31).certificate
        #expect((19...20).contains(CertificateExpiry.daysLeft(soon, now: now)))
        #expect(CertificateExpiry.warning("node p01", soon, now: now)?.contains("expires in") == true)
        #expect(CertificateExpiry.warning("node p02", later, now: now) == nil)
        #expect(CertificateExpiry.warning("node p01", soon, now: now.addingTimeInterval(21 * 86_400))?.contains("expired") == true)
    }
}
