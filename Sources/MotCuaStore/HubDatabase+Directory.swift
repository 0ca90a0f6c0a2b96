import Foundation
import GRDB
import MotCuaCore
import MotCuaProtocol
import Synchronization

/// The federation's unit directory: which node serves which unit.
extension HubDatabase {
    /// Replaces the units a node serves. A unit already registered by another node is refused (returned),
    /// never taken over silently.
    public func registerUnits(_ units: [FederationUnit], node: String, nowMs: Int64) async throws -> [String] {
        // Nodes register at every start and every ten minutes: an unchanged set costs no write, so the
        // directory's version (and every node's cached copy) stays valid.
        let current = try await pool.read { db in try FederationUnitRow.fetchAll(db).compactMap(\.unit) }
        let conflicts = units.compactMap { unit in
            current.first { $0.code == unit.code && $0.node != node }.map { "\(unit.code) (served by \($0.node))" }
        }
        guard conflicts.isEmpty else { return conflicts }
        if Set(current.filter { $0.node == node }) == Set(units) { return [] }
        return try await committer.write { db in
            try FederationUnitRow.filter(FederationUnitRow.Columns.nodeId == node).deleteAll(db)
            for unit in units { try FederationUnitRow(unit, node: node, atMs: nowMs).insert(db) }
            return []
        }
    }

    /// Changes whenever the set of registered units changes: nodes ask for the directory only when it changed.
    public func federationUnitsVersion() async throws -> String {
        try await pool.read { db in
            let count = try FederationUnitRow.fetchCount(db)
            let latest = try FederationUnitRow.select(max(FederationUnitRow.Columns.updatedAtMs), as: Int64?.self).fetchOne(db) ?? nil
            return "\(count)-\(latest ?? 0)"
        }
    }

    public func federationUnits() async throws -> [FederationUnit] {
        try await pool.read { db in
            try FederationUnitRow.order(FederationUnitRow.Columns.code).fetchAll(db).compactMap(\.unit)
        }
    }

    public func nodeServing(unit code: String) async throws -> String? {
        try await pool.read { db in try FederationUnitRow.filter(key: code).select(FederationUnitRow.Columns.nodeId, as: String.self).fetchOne(db) }
    }
}
