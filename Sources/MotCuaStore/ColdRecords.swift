import Foundation
import GRDB
import MotCuaCore

// Rows of the cold tables (read at start-up or by administrators, written rarely) as GRDB records: the
// columns are named once, in `Columns`, and the statements are built from them. The hot paths (the log,
// dossiers, the hub's projection) keep their own measured statements.

/// A row of the node's `officers`: roles and units are comma-separated lists.
struct OfficerRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "officers"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    enum Columns {
        static let username = Column("username")
        static let passwordHash = Column("password_hash")
        static let active = Column("active")
    }

    var username: String
    var fullName: String
    var passwordHash: String
    var roles: String
    var units: String
    var active: Bool

    init(_ officer: OfficerRecord) {
        username = officer.username
        fullName = officer.fullName
        passwordHash = officer.passwordHash
        roles = officer.roles.map(\.rawValue).joined(separator: ",")
        units = officer.units.joined(separator: ",")
        active = officer.active
    }

    var officer: OfficerRecord {
        OfficerRecord(
            username: username, fullName: fullName, passwordHash: passwordHash,
            roles: roles.split(separator: ",").compactMap { OfficerRole(rawValue: String($0)) },
            units: units.split(separator: ",").map(String.init), active: active)
    }
}

/// A row of the node's `units`: the searchable members as columns, the whole unit as a JSON document.
struct UnitRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "units"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    enum Columns {
        static let code = Column("code")
    }

    var code: String
    var name: String
    var level: String
    var parentCode: String?
    var agencyCode: String
    var effectiveFrom: String?
    var effectiveUntil: String?
    var successorCode: String?
    var document: String

    init(_ unit: AdministrativeUnit) throws {
        code = unit.code
        name = unit.name
        level = unit.level.rawValue
        parentCode = unit.parentCode
        agencyCode = unit.agencyCode
        effectiveFrom = unit.effectiveFrom?.iso
        effectiveUntil = unit.effectiveUntil?.iso
        successorCode = unit.successorCode
        document = try NodeDatabase.encode(unit)
    }

    func unit() throws -> AdministrativeUnit { try NodeDatabase.decode(AdministrativeUnit.self, document) }
}

/// A row of the hub's `federation_units`: which node serves a unit, and when it last said so.
struct FederationUnitRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "federation_units"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    enum Columns {
        static let code = Column("code")
        static let nodeId = Column("node_id")
        static let updatedAtMs = Column("updated_at_ms")
    }

    var code: String
    var nodeId: String
    var name: String
    var level: String
    var parentCode: String?
    var updatedAtMs: Int64

    init(_ unit: FederationUnit, node: String, atMs: Int64) {
        code = unit.code
        nodeId = node
        name = unit.name
        level = unit.level.rawValue
        parentCode = unit.parentCode
        updatedAtMs = atMs
    }

    /// The unit, or nil for a level this build does not know (the table's CHECK allows none today).
    var unit: FederationUnit? {
        AdministrativeLevel(rawValue: level).map { FederationUnit(code: code, node: nodeId, name: name, level: $0, parentCode: parentCode) }
    }
}
