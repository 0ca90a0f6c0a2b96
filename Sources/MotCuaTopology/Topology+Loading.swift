import Foundation
import MotCuaCore
import Yams

// Reading a topology file: YAML in, a validated `Topology` or a `TopologyError` that names the place out.

/// Why a topology could not be loaded, worded for the person who edits the file.
public enum TopologyError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be read (missing, unreadable, not UTF-8).
    case unreadable(path: String, reason: String)
    /// The file is not YAML, or not the shape of a topology; `nodeID` names the node concerned when known,
    /// `location` the key path (e.g. `nodes[2].publicPort`).
    case malformed(path: String, nodeID: String?, location: String, reason: String)
    /// The file decodes but breaks the rules of `Topology.validate()`.
    case invalid(path: String, problems: [String])

    /// The file (or "<string>" for text parsed without one) the error is about.
    public var path: String {
        switch self {
        case .unreadable(let path, _), .malformed(let path, _, _, _), .invalid(let path, _): path
        }
    }

    /// A message naming the file, the node and the key concerned.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read topology file \(path): \(reason)"
        case .malformed(let path, let nodeID, let location, let reason):
            var place = ""
            if let nodeID { place += "node \(nodeID), " }
            if !location.isEmpty { place += "at \(location), " }
            return "topology file \(path) is malformed: \(place.isEmpty ? "" : place)\(reason)"
        case .invalid(let path, let problems):
            let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
            return "topology file \(path) has \(count):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }
}

extension Topology {
    /// Reads, decodes and validates a topology file; throws `TopologyError` naming the file (and the node, when
    /// one is at fault) if it cannot be read, is malformed or fails `validate()`.
    public static func load(path: String) throws(TopologyError) -> Topology {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .unreadable(path: path, reason: "no such file")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        let topology = try parse(yaml: text, source: path)
        let problems = topology.validate()
        guard problems.isEmpty else { throw .invalid(path: path, problems: problems) }
        return topology
    }

    /// Decodes a topology from YAML text without validating it; `source` names the text in errors (the file
    /// path, or "<string>").
    public static func parse(yaml: String, source: String? = nil) throws(TopologyError) -> Topology {
        let path = source ?? "<string>"
        do {
            return try YAMLDecoder().decode(Topology.self, from: yaml)
        } catch let error as DecodingError {
            let (codingPath, reason) = describe(error)
            var nodeID: String?
            if codingPath.count >= 2, codingPath[0].stringValue == CodingKeys.nodes.stringValue,
               let index = codingPath[1].intValue {
                let ids = (try? YAMLDecoder().decode(NodeIDs.self, from: yaml))?.ids ?? []
                nodeID = index < ids.count ? ids[index].id ?? "#\(index + 1)" : "#\(index + 1)"
            }
            throw .malformed(path: path, nodeID: nodeID, location: render(codingPath), reason: reason)
        } catch {
            // Syntax errors (Yams' YamlError) carry the line and column in their description.
            throw .malformed(path: path, nodeID: nil, location: "", reason: "\(error)")
        }
    }

    /// The coding path and a sentence for a decoding error.
    private static func describe(_ error: DecodingError) -> ([any CodingKey], String) {
        switch error {
        case .keyNotFound(let key, let context):
            return (context.codingPath, "the required key '\(key.stringValue)' is missing")
        case .valueNotFound(let type, let context):
            return (context.codingPath, "a value (\(type)) is required here")
        case .typeMismatch(let type, let context):
            return (context.codingPath, "expected a value of type \(type) here")
        case .dataCorrupted(let context):
            var reason = context.debugDescription
            if let underlying = context.underlyingError { reason += " (\(underlying))" }
            return (context.codingPath, reason)
        @unknown default:
            return ([], "\(error)")
        }
    }

    /// `nodes[2].units.generator` for a coding path.
    private static func render(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }
}

/// The node ids of a file that may not decode as a topology, to name the node a decoding error is about.
private struct NodeIDs: Decodable {
    struct Entry: Decodable {
        var id: String?
        init(from decoder: any Decoder) {
            id = (try? decoder.container(keyedBy: AnyKey.self))
                .flatMap { try? $0.decodeIfPresent(String.self, forKey: AnyKey("id")) }
        }
    }

    var ids: [Entry]

    init(from decoder: any Decoder) {
        ids = (try? decoder.container(keyedBy: AnyKey.self))
            .flatMap { try? $0.decodeIfPresent([Entry].self, forKey: AnyKey("nodes")) } ?? []
    }
}
