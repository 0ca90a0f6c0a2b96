import HummingbirdBcrypt
import NIOPosix

/// Officer passwords are stored as bcrypt hashes (salted, deliberately slow), never as digests.
enum PasswordHasher {
    static func hash(_ password: String, cost: UInt8) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    static func verify(_ password: String, hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }

    /// Verified against when the user does not exist, so timing does not reveal user names.
    static let dummyHash = Bcrypt.hash("motcua-no-such-user", cost: 10)

    /// Runs bcrypt on NIO's blocking thread pool, so a burst of logins cannot stall request handling.
    static func verifyOffloaded(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { verify(password, hash: hash) }
    }

    static func hashOffloaded(_ password: String, cost: UInt8) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Self.hash(password, cost: cost) }
    }
}
