import Foundation
import MotCuaCore

extension ReplicationBatch {
    /// The batch as wire JSON, written without `JSONEncoder` (the same object shape the Codable
    /// conformance reads and writes). Nodes send the binary frame (`binaryFrame`); the hub also takes this
    /// JSON form (`parseWire`), for tools such as curl and nghttp.
    public func wireText() -> String {
        JSONValue.object([
            "version": .int(Int64(version)), "nodeID": .string(nodeID), "firstSeq": .int(firstSeq), "prevHash": .string(prevHash),
            "events": .array(events.map { event in
                var fields: [String: JSONValue] = [
                    "seq": .int(event.seq), "kind": .string(event.kind), "actor": .string(event.actor), "timeMs": .int(event.timeMs),
                    "hlc": .int(event.hlc), "payload": .string(event.payload), "prevHash": .string(event.prevHash), "hash": .string(event.hash),
                ]
                if let code = event.dossierCode { fields["dossierCode"] = .string(code) }
                return .object(fields)
            }),
        ]).canonicalText
    }

    /// Reads wire JSON with the fast parser; errors say which field is wrong.
    public static func parseWire(_ text: String) throws -> ReplicationBatch {
        let value = try JSONValue.parse(text)
        func field<T>(_ object: JSONValue, _ key: String, _ extract: (JSONValue) -> T?) throws -> T {
            guard let member = object[key], let result = extract(member) else { throw WireError.missing(key) }
            return result
        }
        let int: (JSONValue) -> Int64? = { if case .int(let number) = $0 { number } else { nil } }
        let string: (JSONValue) -> String? = { $0.stringValue }
        guard case .array(let list)? = value["events"] else { throw WireError.missing("events") }
        var events: [Event] = []
        events.reserveCapacity(list.count)
        for item in list {
            events.append(Event(
                seq: try field(item, "seq", int), dossierCode: item["dossierCode"]?.stringValue, kind: try field(item, "kind", string),
                actor: try field(item, "actor", string), timeMs: try field(item, "timeMs", int), hlc: try field(item, "hlc", int),
                payload: try field(item, "payload", string), prevHash: try field(item, "prevHash", string), hash: try field(item, "hash", string)))
        }
        return ReplicationBatch(
            version: Int(try field(value, "version", int)), nodeID: try field(value, "nodeID", string),
            firstSeq: try field(value, "firstSeq", int), prevHash: try field(value, "prevHash", string), events: events)
    }

    /// What is wrong with a batch on the wire.
    public enum WireError: Error, CustomStringConvertible {
        case missing(String)
        case malformed(String)
        public var description: String {
            switch self {
            case .missing(let field): "field \(field) is missing or has the wrong type"
            case .malformed(let reason): "malformed binary batch: \(reason)"
            }
        }
    }
}

// MARK: - Binary frame

/// The binary form of a batch, which nodes ship by default: the JSON form spends most of a node's
/// replication CPU escaping payloads into strings and most of the hub's parse time undoing it.
///
/// Layout (integers big-endian; a string is a u32 byte length and its UTF-8 bytes):
/// magic `MCB1`, u32 version, string nodeID, i64 firstSeq, string prevHash, u32 event count, then per
/// event: i64 seq, u8 flags (bit 0: has a dossier code), [string dossierCode], string kind, string actor,
/// i64 timeMs, i64 hlc, string payload, string prevHash, string hash. Nothing may follow the last event.
/// The fields are the JSON form's, so both carry exactly the same batch and the same hashes.
extension ReplicationBatch {
    /// The media type of the binary frame; the hub reads JSON for any other.
    public static let binaryContentType = "application/vnd.motcua.batch"
    static let binaryMagic: [UInt8] = Array("MCB1".utf8)
    /// The smallest event on the wire (no dossier code, every string empty): a bound for the count.
    static let minimumBinaryEventSize = 8 + 1 + 4 + 4 + 8 + 8 + 4 + 4 + 4

    public func binaryFrame() -> [UInt8] {
        var writer = FrameWriter()
        writer.bytes.reserveCapacity(64 + events.reduce(0) { $0 + ReplicationLimits.estimatedBytes(of: $1) })
        writer.bytes.append(contentsOf: Self.binaryMagic)
        writer.u32(UInt32(clamping: version))
        writer.string(nodeID)
        writer.int(firstSeq)
        writer.string(prevHash)
        writer.u32(UInt32(clamping: events.count))
        for event in events {
            writer.int(event.seq)
            writer.bytes.append(event.dossierCode == nil ? 0 : 1)
            if let code = event.dossierCode { writer.string(code) }
            writer.string(event.kind)
            writer.string(event.actor)
            writer.int(event.timeMs)
            writer.int(event.hlc)
            writer.string(event.payload)
            writer.string(event.prevHash)
            writer.string(event.hash)
        }
        return writer.bytes
    }

    /// Reads a binary frame; every length is checked against what is left, so a truncated or hostile
    /// frame is an error that names the field, never a crash or a huge allocation.
    public static func parseBinary(_ bytes: UnsafeRawBufferPointer) throws -> ReplicationBatch {
        var reader = FrameReader(bytes: bytes)
        guard bytes.count >= 4, Array(try reader.take(4, "magic")) == binaryMagic else {
            throw WireError.malformed("it does not start with MCB1")
        }
        let version = Int(try reader.u32("version"))
        let nodeID = try reader.string("nodeID")
        let firstSeq = try reader.int("firstSeq")
        let prevHash = try reader.string("prevHash")
        let count = Int(try reader.u32("event count"))
        guard count <= reader.remaining / minimumBinaryEventSize else {
            throw WireError.malformed("\(count) events cannot fit in the \(reader.remaining) bytes left")
        }
        var events: [Event] = []
        events.reserveCapacity(count)
        for index in 0..<count {
            func field(_ name: String) -> String { "events[\(index)].\(name)" }
            let seq = try reader.int(field("seq"))
            let flags = try reader.take(1, field("flags"))[0]
            guard flags & ~1 == 0 else { throw WireError.malformed("\(field("flags")) has unknown bits \(flags)") }
            let dossierCode = flags & 1 == 1 ? try reader.string(field("dossierCode")) : nil
            events.append(Event(
                seq: seq, dossierCode: dossierCode, kind: try reader.string(field("kind")), actor: try reader.string(field("actor")),
                timeMs: try reader.int(field("timeMs")), hlc: try reader.int(field("hlc")), payload: try reader.string(field("payload")),
                prevHash: try reader.string(field("prevHash")), hash: try reader.string(field("hash"))))
        }
        guard reader.remaining == 0 else { throw WireError.malformed("\(reader.remaining) bytes follow the last event") }
        return ReplicationBatch(version: version, nodeID: nodeID, firstSeq: firstSeq, prevHash: prevHash, events: events)
    }
}

private struct FrameWriter {
    var bytes: [UInt8] = []

    mutating func int(_ value: Int64) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
}

private struct FrameReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    var remaining: Int { bytes.count - offset }

    // Field names are autoclosures: they are only built for the error message.
    mutating func take(_ count: Int, _ field: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        guard count <= remaining else { throw ReplicationBatch.WireError.malformed("\(field()) is cut short (\(count) bytes needed, \(remaining) left)") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func int(_ field: @autoclosure () -> String) throws -> Int64 { Int64(bigEndian: try take(8, field()).loadUnaligned(as: Int64.self)) }
    mutating func u32(_ field: @autoclosure () -> String) throws -> UInt32 { UInt32(bigEndian: try take(4, field()).loadUnaligned(as: UInt32.self)) }
    mutating func string(_ field: @autoclosure () -> String) throws -> String {
        let raw = try take(Int(try u32(field())), field())
        guard let text = String(validating: raw, as: UTF8.self) else { throw ReplicationBatch.WireError.malformed("\(field()) is not UTF-8") }
        return text
    }
}
