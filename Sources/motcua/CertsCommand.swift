import ArgumentParser
import Foundation
import MotCuaSecurity
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

        func run() throws {
            guard let role = FederationIdentity.Role(rawValue: role) else {
                throw ValidationError("--role: one of \(FederationIdentity.Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard (1...3650).contains(days) else { throw ValidationError("--days: from 1 to 3650") }
            let pki = PKIDirectory(path: dir)
            let identity = try FederationIdentity(role: role, id: id)
            let issued = try pki.issue(identity, now: Date(), validityDays: days)
            print("issued \(identity.uri), serial \(issued.serialHex), valid until \(issued.certificate.notValidAfter)")
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
            var table = TextTable(headers: ["identity", "serial", "valid until", "revoked"])
            for certificate in pki.issuedCertificates() {
                let serial = Certificate.serialHex(certificate.serialNumber)
                table.add([certificate.federationIdentity?.uri ?? "?", serial, "\(certificate.notValidAfter)", revoked.contains(serialHex: serial) ? "yes" : ""])
            }
            print(table.render())
            if !revoked.entries.isEmpty { print("\(revoked.entries.count) revoked serial(s) in \(pki.revocationListPath)") }
        }
    }
}
