import Foundation
import MotCuaCore

extension ReplicationBatch {
    /// The batch as wire JSON, written without `JSONEncoder` (the same object shape the Codable
    /// conformance reads and writes; this is the hot path of replication).
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
        public var description: String { "field \(self.field) is missing or has the wrong type" }
        var field: String { if case .missing(let name) = self { name } else { "" } }
    }
}
