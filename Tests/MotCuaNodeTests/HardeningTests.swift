import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MotCuaCore
import MotCuaStore
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import MotCuaNode

private let keyHeader = HTTPField.Name("Idempotency-Key")!
private let forwardedFor = HTTPField.Name("X-Forwarded-For")!

private func key(_ value: String) -> HTTPFields { [keyHeader: value] }
private func from(_ address: String) -> HTTPFields { [forwardedFor: address] }

@Suite("Node hardening: retries, throttles, input", .timeLimit(.minutes(3)))
struct HardeningTests {
    @Test func aRetriedSubmissionOrActionWithItsKeyHappensOnce() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        let firstCode = Mutex<String?>(nil)
        try await node.run { api in
            let first = try await api.call(.post, "/v1/dossiers", json: submission(), headers: key("k-1"))
            #expect(first.status == .created)
            let code = try #require(first.json["code"]?.stringValue)
            firstCode.withLock { $0 = code }
            // The client lost the answer and sends the same request again: the same dossier, not a second one.
            let again = try await api.call(.post, "/v1/dossiers", json: submission(), headers: key("k-1"))
            #expect(again.status == .created)
            #expect(again.json["code"]?.stringValue == code)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            // The same key with another body is a client bug, refused.
            let other = try await api.call(.post, "/v1/dossiers", json: submission(idNumber: "001095099999"), headers: key("k-1"))
            #expect(other.status == .unprocessableContent)
            #expect(other.json["type"] == "urn:motcua:problem:request.idempotency-key-reused")
            #expect(try await api.call(.post, "/v1/dossiers", json: submission(), headers: key(String(repeating: "x", count: 200))).status == .badRequest)

            let receiver = try await api.login("receiver")
            let received = try await api.call(.post, "/v1/dossiers/\(code)/actions/receive", json: [:], token: receiver, headers: key("r-1"))
            #expect(received.status == .ok)
            // Without the key a second receive is an illegal move; with it, the first answer again.
            let retried = try await api.call(.post, "/v1/dossiers/\(code)/actions/receive", json: [:], token: receiver, headers: key("r-1"))
            #expect(retried.status == .ok)
            #expect(retried.json["status"] == .int(2))
            #expect(try await api.call(.post, "/v1/dossiers/\(code)/actions/receive", json: [:], token: receiver).status == .conflict)
        }
        #expect(try await node.service.database.dossierCount() == 1)
        // Kept across a restart: the answer is the one given before.
        try? await Task.sleep(for: .milliseconds(300))
        try node.service.database.close()
        let reopened = try await NodeHarness(directory: node.directory, seed: false)
        try await reopened.run { api in
            let after = try await api.call(.post, "/v1/dossiers", json: submission(), headers: key("k-1"))
            #expect(after.status == .created)
            #expect(after.json["code"]?.stringValue == firstCode.withLock { $0 })
        }
        #expect(try await reopened.service.database.dossierCount() == 1)
    }

    @Test func concurrentRequestsWithOneKeyFileOneDossier() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            let codes = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await api.call(.post, "/v1/dossiers", json: submission(), headers: key("same")).json["code"]?.stringValue }
                }
                var all: [String?] = []
                for try await code in group { all.append(code) }
                return all
            }
            #expect(Set(codes.compactMap { $0 }).count == 1, "\(codes)")
            #expect(codes.allSatisfy { $0 != nil })
        }
        #expect(try await node.service.database.dossierCount() == 1)
    }

    @Test func aPasswordChangeOrADeactivationEndsTheOfficersSessions() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            let admin = try await api.login("admin")
            let old = try await api.login("receiver")
            #expect(try await api.call(.get, "/v1/dossiers", token: old).status == .ok)
            let officer: JSONValue = [
                "username": "receiver", "fullName": "Cán bộ tiếp nhận", "password": "a-new-password-1", "roles": .array(["receiver"]),
                "units": .array(["P01.D01.C01"]),
            ]
            #expect(try await api.call(.post, "/v1/officers", json: officer, token: admin).status == .created)
            #expect(try await api.call(.get, "/v1/dossiers", token: old).status == .unauthorized, "a token outlived the password change")
            let fresh = try await api.login("receiver", password: "a-new-password-1")
            guard case .object(var fields) = officer else { return }
            fields["active"] = .bool(false)
            #expect(try await api.call(.post, "/v1/officers", json: .object(fields), token: admin).status == .created)
            #expect(try await api.call(.get, "/v1/dossiers", token: fresh).status == .unauthorized, "a token outlived the deactivation")
        }
    }

    @Test func wrongPasswordsSlowTheirClientButNeverLockTheOfficerOut() async throws {
        let node = try await NodeHarness { $0.trustedProxies = ["127.0.0.1"] }
        defer { node.remove() }
        try await node.run(.live) { api in
            let wrong: JSONValue = ["username": "admin", "password": "not-the-password"]
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<8 { statuses.append(try await api.call(.post, "/v1/auth/token", json: wrong, headers: from("203.0.113.7")).status) }
            #expect(statuses.prefix(3).allSatisfy { $0 == .unauthorized })
            #expect(statuses.contains(.tooManyRequests), "the guesser is slowed: \(statuses)")
            let slowed = try await api.call(.post, "/v1/auth/token", json: wrong, headers: from("203.0.113.7"))
            #expect(slowed.status == .tooManyRequests)
            #expect(slowed.headers[.retryAfter] != nil)
            // The admin, from a client that has not been failing, logs in at once.
            _ = try await api.login("admin", headers: from("198.51.100.20"))
            // One client trying many user names is slowed across them.
            var spread: [HTTPResponse.Status] = []
            for index in 0..<24 {
                spread.append(try await api.call(.post, "/v1/auth/token", json: ["username": .string("user\(index)"), "password": "x"], headers: from("203.0.113.8")).status)
            }
            #expect(spread.last == .tooManyRequests, "\(spread)")
        }
    }

    @Test func guessersCannotLockTheApplicantOutOfTheirDossier() async throws {
        let node = try await NodeHarness { $0.trustedProxies = ["127.0.0.1"] }
        defer { node.remove() }
        try await node.run(.live) { api in
            let filed = try await api.call(.post, "/v1/dossiers", json: submission())
            let code = try #require(filed.json["code"]?.stringValue)
            let secret = try #require(filed.json["lookupSecret"]?.stringValue)
            #expect(secret.count == 8)
            // Many wrong ID numbers on this code, from one client and from several.
            for attempt in 0..<12 {
                _ = try await api.call(.post, "/v1/dossiers/\(code)/lookup", json: ["idNumber": .string(String(format: "0010950%05d", attempt))], headers: from("203.0.113.9"))
            }
            for client in 0..<12 {
                _ = try await api.call(.post, "/v1/dossiers/\(code)/lookup", json: ["idNumber": "001095000000"], headers: from("198.51.100.\(client)"))
            }
            #expect(try await api.call(.post, "/v1/dossiers/\(code)/lookup", json: ["idNumber": "001095000001"], headers: from("203.0.113.9")).status == .tooManyRequests)
            // The applicant, with the secret from their receipt, from the guesser's own address or another.
            for client in ["203.0.113.9", "192.0.2.44"] {
                let opened = try await api.call(.post, "/v1/dossiers/\(code)/lookup", json: ["lookupSecret": .string(secret)], headers: from(client))
                #expect(opened.status == .ok, "\(client): \(opened.json)")
                #expect(opened.json["code"]?.stringValue == code)
            }
            // A wrong secret is an unknown code; the receipt printed at reception carries the secret too.
            #expect(try await api.call(.post, "/v1/dossiers/\(code)/lookup", json: ["lookupSecret": "ZZZZZZZZ"], headers: from("192.0.2.45")).status == .notFound)
            let receiver = try await api.login("receiver")
            let received = try await api.act(code, "receive", token: receiver)
            #expect(received.json["form"]?["lookupSecret"]?.stringValue == secret)
        }
    }

    @Test func guessesSentAtOnceAreCountedAtOnce() async throws {
        let node = try await NodeHarness { $0.trustedProxies = ["127.0.0.1"] }
        defer { node.remove() }
        try await node.run(.live) { api in
            let wrong: JSONValue = ["username": "admin", "password": "not-the-password"]
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<12 { group.addTask { try await api.call(.post, "/v1/auth/token", json: wrong, headers: from("203.0.113.50")).status } }
                var all: [HTTPResponse.Status] = []
                for try await status in group { all.append(status) }
                return all
            }
            // Counted before the password check, not after it: the free three (and a race or so) get an answer.
            #expect(statuses.filter { $0 == .unauthorized }.count <= 5, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count >= 7, "\(statuses)")
        }
    }

    @Test func longCodesAreNotRemembered() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            for index in 0..<50 {
                let code = String(repeating: "X", count: 4_096) + String(index)
                let byNumber = try await api.call(.post, "/v1/dossiers/\(code)/lookup", json: ["idNumber": .string(idNumber)])
                let bySecret = try await api.call(.post, "/v1/dossiers/\(code)/lookup", json: ["lookupSecret": "ABCDEFGH"])
                #expect(byNumber.status == .notFound)
                #expect(bySecret.status == .notFound)
            }
        }
        #expect(node.service.lookupCodeThrottle.keyCount == 0)
        #expect(node.service.lookupPairThrottle.keyCount == 0)
    }

    @Test func forwardedHeadersCountOnlyFromTrustedProxies() {
        let trusted = ["10.0.0.0/8", "192.0.2.1"]
        #expect(ClientAddress.resolve(peer: "10.1.2.3", trusted: trusted, forwardedFor: ["198.51.100.7, 10.9.9.9"], forwarded: []) == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "192.0.2.1", trusted: trusted, forwardedFor: [], forwarded: ["for=\"[2001:db8::1]:4711\";proto=https"]) == "2001:db8::1")
        // A client that writes the header itself, not through the proxy, is still the peer.
        #expect(ClientAddress.resolve(peer: "203.0.113.5", trusted: trusted, forwardedFor: ["198.51.100.7"], forwarded: []) == "203.0.113.5")
        // A forged entry before the proxy's own is not taken: the nearest untrusted hop is.
        #expect(ClientAddress.resolve(peer: "10.1.2.3", trusted: trusted, forwardedFor: ["1.2.3.4, 203.0.113.6"], forwarded: []) == "203.0.113.6")
        #expect(ClientAddress.resolve(peer: "10.1.2.3", trusted: trusted, forwardedFor: ["not-an-address"], forwarded: []) == "10.1.2.3")
        #expect(ClientAddress.resolve(peer: "10.1.2.3", trusted: [], forwardedFor: ["198.51.100.7"], forwarded: []) == "10.1.2.3")
        // Through an IPv6 socket the proxy is ::ffff:10.1.2.3; and what the client wrote before its own
        // address does not matter.
        #expect(ClientAddress.resolve(peer: "::ffff:10.1.2.3", trusted: trusted, forwardedFor: ["198.51.100.7"], forwarded: []) == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "10.1.2.3", trusted: trusted, forwardedFor: ["garbage, 198.51.100.8"], forwarded: []) == "198.51.100.8")
    }

    @Test func untrustedForwardedHeadersDoNotLetAGuesserDodgeTheThrottle() async throws {
        let node = try await NodeHarness()  // no trusted proxy
        defer { node.remove() }
        try await node.run(.live) { api in
            let wrong: JSONValue = ["username": "admin", "password": "not-the-password"]
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<8 {
                statuses.append(try await api.call(.post, "/v1/auth/token", json: wrong, headers: from("198.51.100.\(index)")).status)
            }
            #expect(statuses.last == .tooManyRequests, "each forged address counted as a new client: \(statuses)")
        }
    }

    @Test func theIDNumberTravelsInTheBody() async throws {
        let node = try await NodeHarness()
        defer { node.remove() }
        try await node.run { api in
            let code = try #require(try await api.call(.post, "/v1/dossiers", json: submission()).json["code"]?.stringValue)
            let looked = try await api.call(.post, "/v1/dossiers/\(code)/lookup", json: ["idNumber": .string(idNumber)])
            #expect(looked.status == .ok)
            #expect(looked.json["code"]?.stringValue == code)
            #expect(try await api.call(.post, "/v1/dossiers/\(code)/lookup", json: [:]).status == .unprocessableContent)
            // Old clients keep working.
            #expect(try await api.call(.get, "/v1/dossiers/\(code)?idNumber=\(idNumber)").status == .ok)
            // An applicant's action with the number in the body.
            let withdrawn = try await api.call(.post, "/v1/dossiers/\(code)/actions/request-withdrawal", json: ["idNumber": .string(idNumber), "reason": "nộp nhầm"])
            #expect(withdrawn.status == .ok, "\(withdrawn.json)")
        }
    }

    @Test func badInputIsAnsweredClearlyAndBriefly() async throws {
        let node = try await NodeHarness(bodyLimitBytes: 20 << 20)
        defer { node.remove() }
        try await node.run { api in
            // A huge code is quoted, not echoed.
            let huge = String(repeating: "9", count: 2 << 20)
            let missing = try await api.call(.get, "/v1/procedures/\(huge)")
            #expect(missing.status == .notFound)
            #expect(missing.bytes < 3_000, "a \(missing.bytes)-byte answer")
            var body = submission()
            if case .object(var fields) = body { fields["procedureCode"] = .string(huge); body = .object(fields) }
            let unknown = try await api.call(.post, "/v1/dossiers", json: body)
            #expect(unknown.bytes < 3_000)

            // Base64 with a character outside the alphabet is refused, naming the component.
            var stray = submission()
            if case .object(var fields) = stray {
                fields["components"] = .array([
                    ["code": "TP1", "fileName": "a.pdf", "contentBase64": "dOG7nSBraGFp!!"], ["code": "TP2", "fileName": "b.pdf", "contentBase64": "YQ=="],
                ])
                stray = .object(fields)
            }
            let refused = try await api.call(.post, "/v1/dossiers", json: stray)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.json["detail"]?.stringValue?.contains("components[0]") == true, "\(refused.json)")
            // Wrapped base64 (line breaks) is fine.
            var wrapped = submission()
            if case .object(var fields) = wrapped {
                fields["components"] = .array([
                    ["code": "TP1", "fileName": "a.pdf", "contentBase64": "dOG7nSBr\r\naGFp"], ["code": "TP2", "fileName": "b.pdf", "contentBase64": "YQ"],
                ])
                wrapped = .object(fields)
            }
            #expect(try await api.call(.post, "/v1/dossiers", json: wrapped).status == .created)

            // A body that does not say it is JSON.
            for type in ["text/plain", "application/json; charset=latin1", "application/x-www-form-urlencoded"] {
                let answer = try await api.call(.post, "/v1/dossiers", json: submission(), headers: [.contentType: type])
                #expect(answer.status == .unsupportedMediaType, "\(type)")
            }
            #expect(try await api.call(.post, "/v1/dossiers", json: submission(), headers: [.contentType: "application/json; charset=UTF-8"]).status == .created)
        }
    }

    @Test func aMalformedChunkIsA400AndSlowHeadersAreCut() async throws {
        let node = try await NodeHarness { $0.headerTimeoutSeconds = 1 }
        defer { node.remove() }
        try await node.run(.live) { api in
            guard let port = api.client.port else { Issue.record("no port"); return }
            let answer = try await RawConnection.exchange(
                port: port,
                "POST /v1/dossiers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")

            // Half a head, then nothing: the connection is closed after the header time-out (1 s here).
            let started = Date()
            let cut = try await RawConnection.exchange(port: port, "GET /v1/procedures HTTP/1.1\r\nHost: x\r\n", waitForClose: 10)
            let waited = Date().timeIntervalSince(started)
            #expect(cut.isEmpty)
            #expect(waited >= 0.9 && waited < 5, "closed after \(waited) s")
        }
    }
}

/// One plain TCP connection on loopback: writes the bytes, then reads until the server closes it (or
/// `waitForClose` seconds pass) and returns what came back.
enum RawConnection {
    static func exchange(port: Int, _ request: String, waitForClose: TimeInterval = 10) async throws -> String {
        try await Task.detached {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EMFILE) }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: Int(waitForClose), tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let bytes = Array(request.utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                received += chunk.prefix(count)
            }
            return String(decoding: received, as: UTF8.self)
        }.value
    }
}
