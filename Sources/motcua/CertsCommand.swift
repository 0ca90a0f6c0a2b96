import ArgumentParser
import Foundation
import MotCuaCore
import MotCuaSecurity
import SwiftASN1
import X509

/// `motcua certs`: the federation PKI (CA, certificates with URI SAN identities, revocation).
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs", abstract: "Federation PKI: make the CA, issue and revoke certificates.",
        subcommands: [Init.self, Issue.self, Revoke.self, List.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the federation CA in a folder (refuses to overwrite one).")
        @Option(help: "PKI folder.") var dir: String = ".motcua/pki"

        func run() throws {
            let ca = try PKIDirectory(path: dir).initialise(now: Date())
            print("federation CA created in \(dir): \(ca.certificate.subject)")
            print("valid until \(ca.certificate.notValidAfter); keep \(dir)/ca-key.pem secret")
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue (or re-issue) a certificate for a node, the hub, an operator or the registry.")
        @Option(help: "PKI folder.") var dir: String = ".motcua/pki"
        @Option(help: "node, hub, operator or registry.") var role: String
        @Option(help: "The node id, operator name or registry id (not for the hub).") var id: String?
        @Option(help: "Validity in days.") var days: Int = 365
        @Option(name: .customLong("dns"), help: "A host name the hub is reached at (repeat; the hub only; default localhost).") var dnsNames: [String] = []
        @Option(name: .customLong("ip"), help: "An IP address the hub is reached at (repeat; the hub only; default 127.0.0.1).") var addresses: [String] = []

        func run() throws {
            guard let role = FederationIdentity.Role(rawValue: role) else {
                throw ValidationError("--role: one of \(FederationIdentity.Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard (1...3650).contains(days) else { throw ValidationError("--days: from 1 to 3650") }
            let pki = PKIDirectory(path: dir)
            let identity = try FederationIdentity(role: role, id: id)
            var names = HostNames()
            for name in dnsNames { try names.add(dns: name) }
            for address in addresses { try names.add(address: address) }
            let issued = try pki.issue(identity, now: Date(), validityDays: days, hostNames: names)
            print("issued \(identity.uri), serial \(issued.serialHex), valid until \(issued.certificate.notValidAfter)")
            if identity == .hub {
                let served = names.isEmpty ? HostNames.loopback : names
                print("  serves      \((served.dns + served.addresses.map(HostNames.text)).joined(separator: ", "))")
            }
            print("  certificate \(pki.certificatePath(for: identity))")
            print("  key         \(pki.keyPath(for: identity))")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a certificate; servers refuse it from their next handshake, without a restart.")
        @Option(help: "PKI folder.") var dir: String = ".motcua/pki"
        @Option(help: "Serial number (hex) to revoke.") var serial: String?
        @Option(help: "Or: the role of the identity whose current certificate is revoked.") var role: String?
        @Option(help: "With --role: its id.") var id: String?
        @Option(help: "Why (kept in the list).") var reason: String = "revoked by operator"

        func run() throws {
            var identity: FederationIdentity?
            if let role {
                guard let parsed = FederationIdentity.Role(rawValue: role) else { throw ValidationError("--role: node, hub, operator or registry") }
                identity = try FederationIdentity(role: parsed, id: id)
            }
            guard serial != nil || identity != nil else { throw ValidationError("give --serial or --role (and --id)") }
            let entry = try PKIDirectory(path: dir).revoke(serialHex: serial, identity: identity, reason: reason, now: Date())
            print("revoked serial \(entry.serial)\(entry.identity.map { " (\($0))" } ?? ""): \(entry.reason)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the issued certificates and the revocation list.")
        @Option(help: "PKI folder.") var dir: String = ".motcua/pki"

        func run() throws {
            let pki = PKIDirectory(path: dir)
            let revoked = try RevocationList.load(from: pki.revocationListPath)
            let now = Date()
            var table = TextTable(headers: ["identity", "serial", "valid until", "days left", "revoked"])
            var warnings: [String] = []
            // The CA first: when it expires, every certificate it signed stops being trusted with it.
            let ca = try? Certificate(pemEncoded: String(contentsOfFile: pki.caCertificatePath, encoding: .utf8))
            let listed = (ca.map { [("federation CA", $0)] } ?? []) + pki.issuedCertificates().map { ($0.federationIdentity?.uri ?? "?", $0) }
            for (name, certificate) in listed {
                let serial = Certificate.serialHex(certificate.serialNumber)
                let isRevoked = revoked.contains(serialHex: serial)
                let days = CertificateExpiry.daysLeft(certificate, now: now)
                table.add([name, serial, VietnamTime.format(certificate.notValidAfter), String(days), isRevoked ? "yes" : ""])
                if !isRevoked, let warning = CertificateExpiry.warning(name, certificate, now: now) { warnings.append(warning) }
            }
            print(table.render())
            if !revoked.entries.isEmpty { print("\(revoked.entries.count) revoked serial(s) in \(pki.revocationListPath)") }
            for warning in warnings { print("WARNING: " + warning) }
        }
    }
}
