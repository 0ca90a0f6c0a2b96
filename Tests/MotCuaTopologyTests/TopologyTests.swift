import Foundation
import MotCuaCore
import Testing

@testable import MotCuaTopology

@Suite("Topology")
struct TopologyTests {
    /// The package root: this file is Tests/MotCuaTopologyTests/TopologyTests.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func shippedPath(_ name: String) -> String {
        packageRoot.appendingPathComponent("topology/\(name).yaml").path
    }

    /// A scratch file holding `text`, removed by the caller.
    static func writeTemporary(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("topology-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Shipped files and generator

    @Test(arguments: [("dev", 4), ("vietnam-2025", 39), ("vietnam-2024", 68)])
    func shippedFileLoadsAndValidates(name: String, nodeCount: Int) throws {
        let topology = try Topology.load(path: Self.shippedPath(name))
        #expect(topology.name == name)
        #expect(topology.nodes.count == nodeCount)
        #expect(topology.validate() == [])
    }

    @Test(arguments: TopologyGenerator.names)
    func generatorReproducesShippedFile(name: String) throws {
        let generated = try #require(TopologyGenerator.named(name))
        #expect(generated.validate() == [])
        let shipped = try Topology.load(path: Self.shippedPath(name))
        #expect(shipped == generated)
        // The generator's own YAML decodes back to the same value.
        let text = try TopologyGenerator.yaml(generated)
        #expect(text.hasPrefix("# \(name): "))
        #expect(try Topology.parse(yaml: text) == generated)
    }

    @Test func portPlan() {
        for name in TopologyGenerator.names {
            let topology = TopologyGenerator.named(name)!
            #expect(topology.hub.federationPort == 7443 && topology.hub.nationalPort == 7444)
            let ports = topology.nodes.map(\.publicPort)
            #expect(ports == Array(8101..<(8101 + ports.count)), "\(name)")
            #expect(ports.allSatisfy { $0 < 8200 })
            let provinceCodes = topology.nodes.filter { $0.kind == .province }.map(\.code)
            #expect(provinceCodes == provinceCodes.sorted())
            #expect(topology.nodes.last?.kind == .ministry)
        }
        let dev = TopologyGenerator.dev()
        #expect(dev.nodes.map(\.id) == ["p01", "p48", "p79", "m-bca"])
        #expect(dev.nodes[0].units == .hanoi)
        #expect(TopologyGenerator.vietnam2025().nodes.filter { $0.kind == .province }.count == 34)
        #expect(TopologyGenerator.vietnam2024().nodes.filter { $0.kind == .province }.count == 63)
    }

    @Test func units() throws {
        let dev = TopologyGenerator.dev()
        #expect(dev.units(for: dev.node(id: "p01")!) == SampleUnits.hanoi)
        #expect(dev.units(for: dev.node(id: "p79")!).count == 1 + 3 + 9)
        #expect(dev.units(for: dev.node(id: "m-bca")!).map(\.code) == ["M-BCA", "M-BCA.C01", "M-BCA.C02"])

        // 2025: two-level provinces, communes directly under the province.
        let modern = TopologyGenerator.vietnam2025()
        let hue = try #require(modern.nodes.first { $0.code == "46" })
        #expect(hue.name == "Huế")
        let units = modern.units(for: hue)
        #expect(units.count == 7)
        #expect(!units.contains { $0.level == .district })
        #expect(units.filter { $0.level == .commune }.allSatisfy { $0.parentCode == "P46" })
        #expect(units.map(\.code).contains("P46.C06"))
        #expect(units.map(\.agencyCode).contains("000.06.00.H46"))
        #expect(UnitDirectory(units).validate().isEmpty)
        #expect(units.allSatisfy { !($0.address ?? "").contains("Quận 1") && !($0.address ?? "").contains("Huyện 1") })

        // 2024: three levels, 3 districts x 2 communes.
        let old = TopologyGenerator.vietnam2024()
        let haGiang = try #require(old.nodes.first { $0.code == "02" })
        #expect(haGiang.name == "Hà Giang")
        #expect(old.units(for: haGiang).count == 1 + 3 + 6)
    }

    // MARK: Decoding

    @Test func absentOptionalFieldsTakeTheirDefaults() throws {
        let topology = try Topology.parse(yaml: """
            name: tiny
            hub:
              federationPort: 9443
              nationalPort: 9444
            nodes:
              - id: p01
                kind: province
                code: "01"
                name: Hà Nội
                publicPort: 9001
              - id: m-btp
                kind: ministry
                code: BTP
                name: Bộ Tư pháp
                publicPort: 9002
              - id: p79
                kind: province
                code: "79"
                name: Hồ Chí Minh
                publicPort: 9003
                units: {generator: province, districts: 2}
            """)
        #expect(topology.hub == HubSpec(id: "hub", host: "127.0.0.1", federationPort: 9443, nationalPort: 9444))
        #expect(topology.hub.dataDirectory(stateDir: ".motcua") == ".motcua/hub")
        let hanoi = topology.nodes[0]
        #expect(hanoi.host == "127.0.0.1")
        #expect(hanoi.federationPort == nil)
        #expect(hanoi.dataDir == nil)
        #expect(hanoi.dataDirectory(stateDir: "/var/lib/motcua") == "/var/lib/motcua/nodes/p01")
        #expect(hanoi.units == .province(districts: 3, communes: 3))
        #expect(topology.nodes[1].units == .ministry)
        #expect(topology.nodes[2].units == .province(districts: 2, communes: 3))
        #expect(topology.validate() == [])

        let bare = try Topology.parse(yaml: "name: empty\nhub: {federationPort: 1, nationalPort: 2}\n")
        #expect(bare.nodes.isEmpty)
    }

    @Test func dataDirectories() {
        var node = TopologyGenerator.dev().nodes[0]
        node.dataDir = "/srv/p01"
        #expect(node.dataDirectory(stateDir: ".motcua") == "/srv/p01")
        node.dataDir = "custom/p01"
        #expect(node.dataDirectory(stateDir: "/state") == "/state/custom/p01")
    }

    @Test func malformedYAMLNamesTheFile() throws {
        let path = try Self.writeTemporary("name: broken\nhub: [federationPort: 1\nnodes:\n  - id: p01\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: TopologyError.self) { try Topology.load(path: path) }
        #expect(error?.path == path)
        #expect(error?.description.contains(path) == true)
    }

    @Test func shapeErrorsNameTheNodeAndTheKey() throws {
        let text = """
            name: t
            hub: {federationPort: 7443, nationalPort: 7444}
            nodes:
              - {id: p01, kind: province, code: "01", name: Hà Nội, publicPort: 8101}
              - {id: p79, kind: province, code: "79", name: Hồ Chí Minh, publicPort: eighty}
            """
        let path = try Self.writeTemporary(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: TopologyError.self) { try Topology.load(path: path) }
        guard case .malformed(let errorPath, let nodeID, let location, _)? = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(nodeID == "p79")
        #expect(location == "nodes[1].publicPort")
        #expect(error?.description.contains("node p79") == true)

        let missing = #expect(throws: TopologyError.self) {
            try Topology.parse(yaml: "name: t\nhub: {federationPort: 1, nationalPort: 2}\nnodes:\n  - {id: p01, kind: province, code: \"01\", name: X}\n")
        }
        #expect(missing?.description.contains("publicPort") == true)
        #expect(missing?.description.contains("node p01") == true)

        let typo = #expect(throws: TopologyError.self) {
            try Topology.parse(yaml: "name: t\nhub: {federationPort: 1, nationalPort: 2}\nnodes:\n  - {id: p01, kind: province, code: \"01\", name: X, publicport: 3}\n")
        }
        #expect(typo?.description.contains("'publicport'") == true)

        let generator = #expect(throws: TopologyError.self) {
            try Topology.parse(yaml: "name: t\nhub: {federationPort: 1, nationalPort: 2}\nnodes:\n  - {id: m-x, kind: ministry, code: X, name: X, publicPort: 3, units: {generator: minstry}}\n")
        }
        #expect(generator?.description.contains("unknown generator 'minstry'") == true)

        let kind = #expect(throws: TopologyError.self) {
            try Topology.parse(yaml: "name: t\nhub: {federationPort: 1, nationalPort: 2}\nnodes:\n  - {id: p01, kind: provinc, code: \"01\", name: X, publicPort: 3}\n")
        }
        #expect(kind?.description.contains("unknown kind 'provinc'") == true)
    }

    @Test func missingFileIsUnreadable() {
        let error = #expect(throws: TopologyError.self) { try Topology.load(path: "/nonexistent/topology.yaml") }
        #expect(error == .unreadable(path: "/nonexistent/topology.yaml", reason: "no such file"))
    }

    @Test func invalidFileFailsToLoadWithItsProblems() throws {
        var topology = TopologyGenerator.dev()
        topology.nodes[1].id = "p01"
        let path = try Self.writeTemporary(try TopologyGenerator.yaml(topology))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: TopologyError.self) { try Topology.load(path: path) }
        guard case .invalid(let errorPath, let problems)? = error else {
            Issue.record("expected .invalid, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(problems.contains { $0.contains("node p01") && $0.contains("already used") })
    }

    // MARK: Validation

    /// The problems of the dev topology after `change`.
    func problems(_ change: (inout Topology) -> Void) -> [String] {
        var topology = TopologyGenerator.dev()
        change(&topology)
        return topology.validate()
    }

    @Test func duplicateIds() {
        let found = problems { $0.nodes[2].id = "p48" }
        #expect(found.contains { $0.contains("node p48") && $0.contains("already used by node #2") })
        #expect(problems { $0.nodes[3].id = "hub" }.contains { $0.contains("already used by the hub") })
    }

    @Test func badIds() {
        for bad in ["P01", "-p01", "p_01", "", "p01 ", String(repeating: "a", count: 33)] {
            #expect(problems { $0.nodes[0].id = bad }.contains { $0.contains("must be 1 to 32 lowercase") }, "\(bad)")
        }
        #expect(problems { $0.hub.id = "Hub" }.contains { $0.contains("hub id 'Hub'") })
        #expect(problems { $0.nodes[0].id = String(repeating: "a", count: 32) } == [])
        #expect(Topology.isValidID("m-bca") && Topology.isValidID("9") && !Topology.isValidID("é"))
    }

    @Test func duplicatePorts() {
        let clash = problems { $0.nodes[1].publicPort = 8101 }
        #expect(clash == ["node p48's publicPort 8101 on 127.0.0.1 clashes with node p01's publicPort"])
        #expect(problems { $0.nodes[0].publicPort = 7444 }.contains { $0.contains("the hub's nationalPort") })
        #expect(problems { $0.hub.nationalPort = 7443 }.contains { $0.contains("the hub's federationPort") })
        #expect(problems { $0.nodes[2].federationPort = 8104 }.contains { $0.contains("node m-bca's publicPort") })
        // Different hosts may share a port, but not with a wildcard bind.
        #expect(problems { $0.nodes[1].publicPort = 8101; $0.nodes[1].host = "10.0.0.2" } == [])
        #expect(problems { $0.nodes[1].publicPort = 8101; $0.nodes[1].host = "0.0.0.0" }.count == 1)
        #expect(problems { $0.nodes[1].publicPort = 8101; $0.nodes[1].host = "localhost" }.count == 1)
    }

    @Test func portsOutOfRange() {
        #expect(problems { $0.nodes[0].publicPort = 0 }.contains { $0.contains("publicPort 0 is outside 1...65535") })
        #expect(problems { $0.hub.federationPort = 70000 }.contains { $0.contains("70000 is outside") })
        #expect(problems { $0.nodes[0].federationPort = -1 }.contains { $0.contains("-1 is outside") })
        #expect(problems { $0.nodes[0].publicPort = 65535 } == [])
    }

    @Test func unknownProvinceCodes() {
        for bad in ["03", "1", "001", "HN", ""] {
            #expect(problems { $0.nodes[1].code = bad }.contains { $0.contains("node p48: '\(bad)' is not a province code") }, "\(bad)")
        }
        // Old codes (02, Hà Giang) and new codes are both accepted.
        #expect(problems { $0.nodes[1].code = "02" } == [])
        #expect(problems { $0.nodes[3].code = "bca" }.contains { $0.contains("ministry code 'bca'") })
    }

    @Test func collidingCodes() {
        let found = problems { $0.nodes[2].code = "48" }
        #expect(found.contains { $0.contains("node p79: province code 48 is already used by node p48") })
        #expect(found.contains { $0.contains("node p48 and node p79 generate the same unit codes P48") && $0.contains("agency codes") })

        // A ministry whose code reduces to the same agency suffix, under another id.
        let twin = problems {
            $0.nodes.append(NodeSpec(id: "m-bca2", kind: .ministry, code: "BCA", name: "Bộ Công an (2)", publicPort: 8105))
        }
        #expect(twin.contains { $0.contains("node m-bca and node m-bca2 generate the same unit codes M-BCA") })

        // Hà Nội's hand-written tree on a second node collides with the first.
        let hanoiTwice = problems {
            $0.nodes.append(NodeSpec(id: "p01b", kind: .province, code: "01", name: "Hà Nội", publicPort: 8105))
        }
        #expect(hanoiTwice.contains { $0.contains("node p01 and node p01b generate the same unit codes P01") })
    }

    @Test func generatorsMustFitTheNode() {
        #expect(problems { $0.nodes[1].units = .hanoi }.contains { $0.contains("builds Hà Nội (code 01), not province 48") })
        #expect(problems { $0.nodes[1].units = .ministry }.contains { $0.contains("a province cannot use 'generator: ministry'") })
        #expect(problems { $0.nodes[3].units = .province() }.contains { $0.contains("a ministry must use 'generator: ministry'") })
        #expect(problems { $0.nodes[1].units = .province(districts: 100, communes: 1) }.contains { $0.contains("districts 100 is outside 0...99") })
        #expect(problems { $0.nodes[1].units = .province(districts: 0, communes: 0) } == [])
    }

    @Test func sharedDataFolders() {
        #expect(problems { $0.nodes[1].dataDir = "/srv/x"; $0.nodes[2].dataDir = "/srv/x" }.contains { $0.contains("node p79: its data folder /srv/x") })
        #expect(problems { $0.nodes[0].dataDir = "nodes/p48" }.contains { $0.contains("node p48") && $0.contains("node p01") })
    }
}
