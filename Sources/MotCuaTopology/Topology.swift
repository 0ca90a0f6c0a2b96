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
