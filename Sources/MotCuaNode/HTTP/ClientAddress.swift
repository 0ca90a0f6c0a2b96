import Foundation

/// Which address a request comes from, behind reverse proxies that are trusted by configuration.
public enum ClientAddress {
    /// Whether `entry` can name a trusted proxy: an IPv4 or IPv6 address, or an IPv4 block (`10.0.0.0/8`).
    public static func isValidTrustedEntry(_ entry: String) -> Bool {
        let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...32).contains(bits) else { return false }
            return ipv4(String(parts[0])) != nil
        }
        return parts.count == 1 && isIPAddress(entry)
    }

    /// The peer, unless it is a trusted proxy: then the forwarding chain (`X-Forwarded-For`, else
    /// `Forwarded: for=`) is walked from the nearest hop outwards and the first address that is not a
    /// trusted proxy is the client. A header that does not hold IP addresses is ignored (the peer counts).
    static func resolve(peer: String?, trusted: [String], forwardedFor: [String], forwarded: [String]) -> String? {
        guard let peer = peer.map(unmapped), !trusted.isEmpty, isTrusted(peer, trusted) else { return peer.map(unmapped) }
        var chain = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        if chain.isEmpty {
            chain = forwarded.flatMap { $0.split(separator: ",") }.compactMap { element in
                element.split(separator: ";").lazy.map { $0.trimmingCharacters(in: .whitespaces) }
                    .first { $0.lowercased().hasPrefix("for=") }
                    .map { stripped(String($0.dropFirst(4))) }
            }
        }
        // From the nearest hop outwards: trusted proxies are passed, the first other address is the client.
        // Only the hops up to it must be addresses; what a client wrote before that is not looked at.
        var client = peer
        for hop in chain.reversed().prefix(32) {
            let address = unmapped(stripped(hop))
            guard isIPAddress(address) else { return client }
            client = address
            if !isTrusted(address, trusted) { return address }
        }
        return client
    }

    /// An IPv4 address seen through an IPv6 socket (`::ffff:10.0.0.7`) as the IPv4 address it is.
    static func unmapped(_ address: String) -> String {
        let prefix = "::ffff:"
        guard address.lowercased().hasPrefix(prefix), ipv4(String(address.dropFirst(prefix.count))) != nil else { return address }
        return String(address.dropFirst(prefix.count))
    }

    /// Without quotes, IPv6 brackets and a port.
    static func stripped(_ value: String) -> String {
        var text = value.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        if text.hasPrefix("[") {
            text = String(text.dropFirst().prefix { $0 != "]" })
        } else if text.filter({ $0 == ":" }).count == 1 {
            text = String(text.prefix { $0 != ":" })
        }
        return text
    }

    static func isIPAddress(_ text: String) -> Bool { ipv4(text) != nil || (text.contains(":") && ipv6(text)) }

    /// Whether `address` equals a trusted entry or falls in a trusted IPv4 block (`10.0.0.0/8`).
    static func isTrusted(_ address: String, _ trusted: [String]) -> Bool {
        trusted.contains { entry in
            if entry == address { return true }
            let parts = entry.split(separator: "/")
            guard parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits),
                  let network = ipv4(String(parts[0])), let value = ipv4(address) else { return false }
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - UInt32(bits))
            return network & mask == value & mask
        }
    }

    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    static func ipv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}
