// MotCuaTopology: which processes make up a federation (one hub, many province and ministry nodes), where they
// listen, where they keep their data and which administrative units each one serves; read from a YAML file.

import Foundation
import MotCuaCore
import Yams

/// A federation layout: one hub and its nodes, as read from a topology file (`topology/dev.yaml`).
///
/// Optional keys may be left out of the file and take their documented defaults; unknown keys are refused so a
/// misspelt key is reported rather than silently ignored. Decoding checks shapes only: call `validate()` (or use
/// `load(path:)`, which does) before starting anything.
public struct Topology: Codable, Sendable, Hashable {
    /// A short name for the layout, e.g. "dev" or "vietnam-2025".
    public var name: String
    /// The hub: the receiver of every node's event log and the national API.
    public var hub: HubSpec
    /// The nodes, one per province or ministry, in the order they are started.
    public var nodes: [NodeSpec]

    /// Creates a topology from its parts.
    public init(name: String, hub: HubSpec, nodes: [NodeSpec]) {
        self.name = name
        self.hub = hub
        self.nodes = nodes
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, hub, nodes
    }

    /// Decodes a topology; `nodes` may be absent (no nodes), `name` and `hub` are required.
    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, known: CodingKeys.self, what: "the topology")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        hub = try container.decode(HubSpec.self, forKey: .hub)
        nodes = try container.decodeIfPresent([NodeSpec].self, forKey: .nodes) ?? []
    }

    /// The node with this id, if any.
    public func node(id: String) -> NodeSpec? {
        nodes.first { $0.id == id }
    }

    /// The administrative units `node` serves, built with the sample generators of `SampleUnits`.
    public func units(for node: NodeSpec) -> [AdministrativeUnit] {
        node.units.units(code: node.code, name: node.name)
    }
}

// MARK: - Hub and nodes

/// Where the hub listens and keeps its data.
public struct HubSpec: Codable, Sendable, Hashable {
    /// The hub's id when the file gives none.
    public static let defaultID = "hub"

    /// The hub's identity (its certificate is `urn:motcua:hub`); "hub" by default. Must not equal a node id.
    public var id: String
    /// The address the hub binds; "127.0.0.1" by default.
    public var host: String
    /// The mutual-TLS port on which nodes ship their event logs.
    public var federationPort: Int
    /// The mutual-TLS port of the national API (operators, `motcua ctl`).
    public var nationalPort: Int
    /// The hub's data folder; nil means `<state-dir>/hub`. A relative path is taken from the state directory.
    public var dataDir: String?

    /// Creates a hub description; the defaults are those of a file that leaves the keys out.
    public init(
        id: String = HubSpec.defaultID, host: String = NodeSpec.defaultHost, federationPort: Int, nationalPort: Int,
        dataDir: String? = nil
    ) {
        self.id = id
        self.host = host
        self.federationPort = federationPort
        self.nationalPort = nationalPort
        self.dataDir = dataDir
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, host, federationPort, nationalPort, dataDir
    }

    /// Decodes the hub; `id`, `host` and `dataDir` may be absent.
    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, known: CodingKeys.self, what: "the hub")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id) ?? Self.defaultID
        host = try container.decodeIfPresent(String.self, forKey: .host) ?? NodeSpec.defaultHost
        federationPort = try container.decode(Int.self, forKey: .federationPort)
        nationalPort = try container.decode(Int.self, forKey: .nationalPort)
        dataDir = try container.decodeIfPresent(String.self, forKey: .dataDir)
    }

    /// The hub's data folder under a state directory: `dataDir` if set (a relative one taken from `stateDir`),
    /// else `<stateDir>/hub`.
    public func dataDirectory(stateDir: String) -> String {
        resolve(dataDir, default: "hub", in: stateDir)
    }
}

/// Whether a node serves a province (its provincial, district and commune units) or a ministry.
public enum NodeKind: String, Codable, Sendable, Hashable, CaseIterable {
    case province
    case ministry
}

/// One node of the federation: a province or a ministry, run as its own process with its own database.
public struct NodeSpec: Codable, Sendable, Hashable {
    /// The address a node or hub binds when the file gives none.
    public static let defaultHost = "127.0.0.1"

    /// The node's identity, e.g. "p01" or "m-bca": lowercase letters, digits and '-', at most 32 characters; it
    /// names the node's certificate (`urn:motcua:node:<id>`) and its data folder.
    public var id: String
    /// Province or ministry.
    public var kind: NodeKind
    /// A province code of `Provinces` ("01", old or new list) or a ministry code of capital letters ("BCA").
    public var code: String
    /// The display name, e.g. "Hà Nội" or "Bộ Công an".
    public var name: String
    /// The address the node binds; "127.0.0.1" by default.
    public var host: String
    /// The port of the node's public API (citizens and officers).
    public var publicPort: Int
    /// The node's own mutual-TLS listener, if it has one; nil (the default) when it only calls out to the hub.
    public var federationPort: Int?
    /// The node's data folder; nil means `<state-dir>/nodes/<id>`. A relative path is taken from the state
    /// directory.
    public var dataDir: String?
    /// Which administrative units the node serves; by default `.province()` for a province and `.ministry` for a
    /// ministry.
    public var units: UnitsSpec

    /// Creates a node description; `units` defaults to the generator matching `kind`.
    public init(
        id: String, kind: NodeKind, code: String, name: String, host: String = NodeSpec.defaultHost,
        publicPort: Int, federationPort: Int? = nil, dataDir: String? = nil, units: UnitsSpec? = nil
    ) {
        self.id = id
        self.kind = kind
        self.code = code
        self.name = name
        self.host = host
        self.publicPort = publicPort
        self.federationPort = federationPort
        self.dataDir = dataDir
        self.units = units ?? UnitsSpec.default(for: kind)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, kind, code, name, host, publicPort, federationPort, dataDir, units
    }

    /// Decodes a node; `host`, `federationPort`, `dataDir` and `units` may be absent.
    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, known: CodingKeys.self, what: "a node")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        let kindName = try container.decode(String.self, forKey: .kind)
        guard let kind = NodeKind(rawValue: kindName) else {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "unknown kind '\(kindName)'; use province or ministry")
        }
        self.kind = kind
        code = try container.decode(String.self, forKey: .code)
        name = try container.decode(String.self, forKey: .name)
        host = try container.decodeIfPresent(String.self, forKey: .host) ?? Self.defaultHost
        publicPort = try container.decode(Int.self, forKey: .publicPort)
        federationPort = try container.decodeIfPresent(Int.self, forKey: .federationPort)
        dataDir = try container.decodeIfPresent(String.self, forKey: .dataDir)
        units = try container.decodeIfPresent(UnitsSpec.self, forKey: .units) ?? UnitsSpec.default(for: kind)
    }

    /// Encodes the node, leaving out the optional keys that are nil.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(code, forKey: .code)
        try container.encode(name, forKey: .name)
        try container.encode(host, forKey: .host)
        try container.encode(publicPort, forKey: .publicPort)
        try container.encodeIfPresent(federationPort, forKey: .federationPort)
        try container.encodeIfPresent(dataDir, forKey: .dataDir)
        try container.encode(units, forKey: .units)
    }

    /// The node's data folder under a state directory: `dataDir` if set (a relative one taken from `stateDir`),
    /// else `<stateDir>/nodes/<id>`.
    public func dataDirectory(stateDir: String) -> String {
        resolve(dataDir, default: "nodes/\(id)", in: stateDir)
    }
}

/// Which sample administrative units a node serves, written in the file as
/// `units: {generator: province, districts: 3, communes: 3}`, `units: {generator: ministry}` or
/// `units: {generator: hanoi}`.
public enum UnitsSpec: Codable, Sendable, Hashable {
    /// The largest number of districts or communes the generator can number with two digits.
    public static let maximumCount = 99

    /// `SampleUnits.province(code:name:districts:communesPerDistrict:)` with the node's code and name: the province,
    /// `districts` districts and `communes` communes under each (3 and 3 when the keys are absent).
    ///
    /// With `districts: 0` the province is two-level, as every province is since the reform of 2025-07-01: its
    /// `communes` communes sit directly under it (`P<code>.C<cc>`, agency code `000.<cc>.00.H<code>`).
    case province(districts: Int = 3, communes: Int = 3)
    /// `SampleUnits.ministry(code:name:)` with the node's code and name: the ministry and two departments.
    case ministry
    /// `SampleUnits.hanoi`: Hà Nội (code "01") with real district and ward names, pre-2025 three-level tree.
    case hanoi

    /// The generator a node of `kind` gets when its file says nothing.
    public static func `default`(for kind: NodeKind) -> UnitsSpec {
        switch kind {
        case .province: .province()
        case .ministry: .ministry
        }
    }

    /// The generator's name in the file: "province", "ministry" or "hanoi".
    public var generator: String {
        switch self {
        case .province: "province"
        case .ministry: "ministry"
        case .hanoi: "hanoi"
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case generator, districts, communes
    }

    /// Decodes `{generator: …}`; `districts` and `communes` are only accepted with the province generator.
    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, known: CodingKeys.self, what: "units")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let generator = try container.decode(String.self, forKey: .generator)
        switch generator {
        case "province":
            self = .province(
                districts: try container.decodeIfPresent(Int.self, forKey: .districts) ?? 3,
                communes: try container.decodeIfPresent(Int.self, forKey: .communes) ?? 3)
        case "ministry", "hanoi":
            for key in [CodingKeys.districts, .communes] where container.contains(key) {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container,
                    debugDescription: "'\(key.stringValue)' only goes with 'generator: province', not '\(generator)'")
            }
            self = generator == "hanoi" ? .hanoi : .ministry
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .generator, in: container,
                debugDescription: "unknown generator '\(generator)'; use province, ministry or hanoi")
        }
    }

    /// Encodes `{generator: …}`, with `districts` and `communes` for the province generator.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(generator, forKey: .generator)
        if case .province(let districts, let communes) = self {
            try container.encode(districts, forKey: .districts)
            try container.encode(communes, forKey: .communes)
        }
    }

    /// Builds the units for a node with this code and name (`.hanoi` ignores both: it is always province "01").
    public func units(code: String, name: String) -> [AdministrativeUnit] {
        switch self {
        case .ministry:
            return SampleUnits.ministry(code: code, name: name)
        case .hanoi:
            return SampleUnits.hanoi
        case .province(let districts, let communes) where districts > 0:
            return SampleUnits.province(code: code, name: name, districts: districts, communesPerDistrict: communes)
        case .province(_, let communes):
            return Self.twoLevelProvince(code: code, name: name, communes: communes)
        }
    }

    /// A province whose communes sit directly under it.
    ///
    /// `SampleUnits.province` hangs communes under districts only (with 0 districts it returns the province
    /// alone), so the tree is derived from its one-district tree: the district is dropped and each commune
    /// `P<code>.D01.C<cc>` / `000.<cc>.01.H<code>` becomes `P<code>.C<cc>` / `000.<cc>.00.H<code>` under the
    /// province, keeping the generator's names and addresses (without the district's name).
    static func twoLevelProvince(code: String, name: String, communes: Int) -> [AdministrativeUnit] {
        let tree = SampleUnits.province(code: code, name: name, districts: 1, communesPerDistrict: max(0, communes))
        guard let root = tree.first(where: { $0.level == .province }) else { return tree }
        let district = tree.first { $0.level == .district }
        let lifted = tree.filter { $0.level == .commune }.map { commune in
            var unit = commune
            let number = commune.code.split(separator: ".").last.map(String.init) ?? commune.code
            unit.code = "\(root.code).\(number)"
            unit.parentCode = root.code
            var groups = commune.agencyCode.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if groups.count == 4 { groups[2] = "00" }
            unit.agencyCode = groups.joined(separator: ".")
            if let district, let address = unit.address {
                unit.address = address.replacingOccurrences(of: ", \(district.name)", with: "")
            }
            return unit
        }
        return [root] + lifted
    }
}

// MARK: - Loading

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

// MARK: - Validation

extension Topology {
    /// Everything wrong with the topology, one sentence each naming the node (empty when it can be started):
    /// bad or duplicate ids, ports outside 1...65535 or used twice on one host, unknown province codes,
    /// malformed ministry codes, duplicate codes, generators that do not fit the node, unit trees that
    /// `UnitDirectory.validate()` rejects, unit codes or agency codes generated by two nodes (dossier codes would
    /// no longer be unique), agency codes that cannot prefix a dossier code, and data folders shared by two
    /// processes.
    ///
    /// Port 0 ("any free port") is not accepted: every process must know the others' ports from the file.
    public func validate() -> [String] {
        var problems: [String] = []
        if name.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("the topology has no name") }

        // Ids.
        if !Self.isValidID(hub.id) {
            problems.append("hub id '\(hub.id)' \(Self.idRule)")
        }
        var firstByID: [String: String] = [hub.id: "the hub"]
        for (index, node) in nodes.enumerated() {
            let label = node.id.isEmpty ? "node #\(index + 1)" : "node \(node.id)"
            if !Self.isValidID(node.id) {
                problems.append("\(label): id '\(node.id)' \(Self.idRule)")
            }
            if let other = firstByID[node.id] {
                problems.append("\(label): id '\(node.id)' is already used by \(other)")
            } else {
                firstByID[node.id] = "node #\(index + 1) (\(node.name))"
            }
            if node.name.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append("\(label): name is empty")
            }
        }

        problems += portProblems()
        problems += codeProblems()
        problems += unitProblems()
        problems += dataDirectoryProblems()
        return problems
    }

    /// `^[a-z0-9][a-z0-9-]{0,31}$`.
    static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...32).contains(bytes.count) else { return false }
        func allowed(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        return allowed(bytes[0]) && bytes.dropFirst().allSatisfy { allowed($0) || $0 == UInt8(ascii: "-") }
    }

    static let idRule = "must be 1 to 32 lowercase letters, digits or '-', starting with a letter or digit"

    /// One or more capital letters or digits, at most 16: the ministry codes that give distinct agency codes.
    static func isValidMinistryCode(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        return (1...16).contains(bytes.count)
            && bytes.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) }
    }

    /// Every code of `Provinces`, old (63) and new (34).
    static let provinceCodes: Set<String> = Set(Provinces.all.flatMap { [$0.oldCode, $0.newCode] })

    private func portProblems() -> [String] {
        var problems: [String] = []
        var endpoints: [(owner: String, host: String, port: Int)] = [
            ("the hub's federationPort", hub.host, hub.federationPort),
            ("the hub's nationalPort", hub.host, hub.nationalPort),
        ]
        for (index, node) in nodes.enumerated() {
            let label = node.id.isEmpty ? "node #\(index + 1)" : "node \(node.id)"
            endpoints.append(("\(label)'s publicPort", node.host, node.publicPort))
            if let port = node.federationPort { endpoints.append(("\(label)'s federationPort", node.host, port)) }
        }
        for endpoint in endpoints where !(1...65535).contains(endpoint.port) {
            problems.append("\(endpoint.owner) \(endpoint.port) is outside 1...65535")
        }
        for endpoint in endpoints where endpoint.host.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append("\(endpoint.owner): host is empty")
        }
        for (index, endpoint) in endpoints.enumerated() {
            for earlier in endpoints[..<index]
            where earlier.port == endpoint.port && Self.hostsOverlap(earlier.host, endpoint.host) {
                problems.append(
                    "\(endpoint.owner) \(endpoint.port) on \(endpoint.host) clashes with \(earlier.owner)"
                        + (earlier.host == endpoint.host ? "" : " on \(earlier.host)"))
                break
            }
        }
        return problems
    }

    /// Whether two bind addresses can clash: the same address ("localhost" counting as 127.0.0.1), or either a
    /// wildcard (0.0.0.0, ::) that takes the port on every address.
    static func hostsOverlap(_ a: String, _ b: String) -> Bool {
        func normal(_ host: String) -> String {
            let trimmed = host.trimmingCharacters(in: .whitespaces).lowercased()
            return trimmed == "localhost" ? "127.0.0.1" : trimmed
        }
        let wildcards: Set<String> = ["0.0.0.0", "::", "[::]", ""]
        let (x, y) = (normal(a), normal(b))
        return x == y || wildcards.contains(x) || wildcards.contains(y)
    }

    private func codeProblems() -> [String] {
        var problems: [String] = []
        var firstByCode: [String: String] = [:]
        for (index, node) in nodes.enumerated() {
            let label = node.id.isEmpty ? "node #\(index + 1)" : "node \(node.id)"
            switch node.kind {
            case .province:
                if !Self.provinceCodes.contains(node.code) {
                    problems.append(
                        "\(label): '\(node.code)' is not a province code (two digits of the 63 old or 34 new codes, "
                            + "e.g. \"01\"; quote it in YAML)")
                }
            case .ministry:
                if !Self.isValidMinistryCode(node.code) {
                    problems.append("\(label): ministry code '\(node.code)' must be 1 to 16 capital letters or digits")
                }
            }
            let key = "\(node.kind.rawValue) \(node.code)"
            if let other = firstByCode[key] {
                problems.append("\(label): \(node.kind.rawValue) code \(node.code) is already used by \(other)")
            } else {
                firstByCode[key] = label
            }
            switch (node.kind, node.units) {
            case (.province, .ministry):
                problems.append("\(label): a province cannot use 'generator: ministry'; use province or hanoi")
            case (.ministry, .province), (.ministry, .hanoi):
                problems.append("\(label): a ministry must use 'generator: ministry', not '\(node.units.generator)'")
            case (.province, .hanoi) where node.code != "01":
                problems.append("\(label): 'generator: hanoi' builds Hà Nội (code 01), not province \(node.code)")
            case (.province, .province(let districts, let communes)):
                for (key, count) in [("districts", districts), ("communes", communes)]
                where !(0...UnitsSpec.maximumCount).contains(count) {
                    problems.append("\(label): \(key) \(count) is outside 0...\(UnitsSpec.maximumCount)")
                }
            default:
                break
            }
        }
        return problems
    }

    private func unitProblems() -> [String] {
        var problems: [String] = []
        var unitOwner: [String: String] = [:]
        var agencyOwner: [String: String] = [:]
        // (earlier node, later node) -> shared codes, reported once per pair.
        var shared: [String: (units: [String], agencies: [String])] = [:]
        var pairOrder: [String] = []
        for (index, node) in nodes.enumerated() {
            let label = node.id.isEmpty ? "node #\(index + 1)" : "node \(node.id)"
            let units = self.units(for: node)
            if case .province(let districts, let communes) = node.units,
               !(0...UnitsSpec.maximumCount).contains(districts) || !(0...UnitsSpec.maximumCount).contains(communes) {
                continue  // reported by codeProblems
            }
            problems += UnitDirectory(units).validate().map { "\(label): \($0)" }
            var ownUnits = Set<String>()
            var ownAgencies = Set<String>()
            for unit in units {
                if !ownUnits.insert(unit.code).inserted {
                    problems.append("\(label) generates unit code \(unit.code) twice")
                }
                if !ownAgencies.insert(unit.agencyCode).inserted {
                    problems.append("\(label) generates agency code \(unit.agencyCode) twice")
                }
                if (try? DossierCode(agencyCode: unit.agencyCode, date: (2025, 1, 1), sequence: 1)) == nil {
                    problems.append("\(label): agency code '\(unit.agencyCode)' of unit \(unit.code) cannot prefix a dossier code")
                }
            }
            for code in ownUnits.sorted() {
                if let other = unitOwner[code] {
                    let pair = "\(other) and \(label)"
                    if shared[pair] == nil { pairOrder.append(pair) }
                    shared[pair, default: ([], [])].units.append(code)
                } else {
                    unitOwner[code] = label
                }
            }
            for code in ownAgencies.sorted() {
                if let other = agencyOwner[code] {
                    let pair = "\(other) and \(label)"
                    if shared[pair] == nil { pairOrder.append(pair) }
                    shared[pair, default: ([], [])].agencies.append(code)
                } else {
                    agencyOwner[code] = label
                }
            }
        }
        func list(_ codes: [String]) -> String {
            codes.count <= 3 ? codes.joined(separator: ", ") : codes.prefix(3).joined(separator: ", ") + ", … (\(codes.count) in all)"
        }
        for pair in pairOrder {
            guard let codes = shared[pair] else { continue }
            var parts: [String] = []
            if !codes.units.isEmpty { parts.append("unit codes \(list(codes.units))") }
            if !codes.agencies.isEmpty { parts.append("agency codes \(list(codes.agencies))") }
            problems.append(
                "\(pair) generate the same \(parts.joined(separator: " and ")); dossier codes would not be unique "
                    + "(give each node its own code)")
        }
        return problems
    }

    private func dataDirectoryProblems() -> [String] {
        // Compared relative to an arbitrary state directory: two processes must never share a folder.
        let stateDir = "/state"
        var owner: [String: String] = [hub.dataDirectory(stateDir: stateDir): "the hub"]
        var problems: [String] = []
        for (index, node) in nodes.enumerated() {
            let label = node.id.isEmpty ? "node #\(index + 1)" : "node \(node.id)"
            let folder = node.dataDirectory(stateDir: stateDir)
            if let other = owner[folder] {
                problems.append("\(label): its data folder \(node.dataDir ?? "<state-dir>/nodes/\(node.id)") is also that of \(other)")
            } else {
                owner[folder] = label
            }
        }
        return problems
    }
}

// MARK: - Helpers

/// `path` if absolute, `stateDir/path` if relative, `stateDir/fallback` if nil; normalised ("a/./b" -> "a/b").
private func resolve(_ path: String?, default fallback: String, in stateDir: String) -> String {
    let chosen = path ?? fallback
    let full = chosen.hasPrefix("/") ? chosen : (stateDir as NSString).appendingPathComponent(chosen)
    return (full as NSString).standardizingPath
}

/// A coding key for any string, to list or look up keys a type does not declare.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Throws when the mapping being decoded has keys `known` does not list, so a misspelt key ("publicport") is
/// reported instead of silently falling back to a default.
func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(
    in decoder: any Decoder, known: Keys.Type, what: String
) throws {
    let container = try decoder.container(keyedBy: AnyKey.self)
    let names = Set(Keys.allCases.map(\.stringValue))
    let unknown = container.allKeys.map(\.stringValue).filter { !names.contains($0) }.sorted()
    guard !unknown.isEmpty else { return }
    let listed = unknown.map { "'\($0)'" }.joined(separator: ", ")
    throw DecodingError.dataCorrupted(
        DecodingError.Context(
            codingPath: decoder.codingPath,
            debugDescription: "unknown key\(unknown.count == 1 ? "" : "s") \(listed) in \(what); the keys are "
                + Keys.allCases.map(\.stringValue).joined(separator: ", ")))
}
