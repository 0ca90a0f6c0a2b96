import Foundation

/// The tiers of Vietnamese public administration; a dossier's journey is told in these terms.
public enum AdministrativeLevel: String, Codable, Sendable, CaseIterable, Comparable {
    case ministry, province, district, commune

    /// Higher tiers sort first (ministry < province < district < commune), as an org chart reads.
    var rank: Int {
        switch self {
        case .ministry: 0
        case .province: 1
        case .district: 2
        case .commune: 3
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// One administrative unit or agency (a province, a district, a commune, a ministry or one of their
/// departments). Units carry effective dates and a successor link so that a merger such as the one of
/// 2025-07-01 is data, not code: the old unit ends, the new one begins, and old dossiers keep their unit.
public struct AdministrativeUnit: Codable, Sendable, Hashable, Identifiable {
    /// Stable unit code, unique within the federation (e.g. `H01`, `H01.D001`).
    public var code: String
    public var name: String
    public var level: AdministrativeLevel
    /// The unit this one belongs to (a commune's district or province); nil for provinces and ministries.
    public var parentCode: String?
    /// Electronic agency code used as the prefix of dossier codes (form `000.00.xx.Hnn`).
    public var agencyCode: String
    public var effectiveFrom: LocalDate?
    /// First day on which the unit no longer exists (exclusive end).
    public var effectiveUntil: LocalDate?
    /// The unit that took over when this one ended (merger, dissolution).
    public var successorCode: String?
    /// Where citizens collect results at this unit's one-stop desk.
    public var address: String?

    public var id: String { code }

    public init(
        code: String, name: String, level: AdministrativeLevel, parentCode: String? = nil,
        agencyCode: String, effectiveFrom: LocalDate? = nil, effectiveUntil: LocalDate? = nil,
        successorCode: String? = nil, address: String? = nil
    ) {
        self.code = code
        self.name = name
        self.level = level
        self.parentCode = parentCode
        self.agencyCode = agencyCode
        self.effectiveFrom = effectiveFrom
        self.effectiveUntil = effectiveUntil
        self.successorCode = successorCode
        self.address = address
    }

    /// Whether the unit exists on a given day.
    public func isEffective(on day: LocalDate) -> Bool {
        if let from = effectiveFrom, day < from { return false }
        if let until = effectiveUntil, day >= until { return false }
        return true
    }
}

/// The unit tree of a node, for scope checks ("is this commune under the district this leader heads?").
public struct UnitDirectory: Sendable {
    public private(set) var units: [String: AdministrativeUnit]

    public init(_ units: [AdministrativeUnit]) {
        self.units = Dictionary(units.map { ($0.code, $0) }, uniquingKeysWith: { _, last in last })
    }

    public subscript(code: String) -> AdministrativeUnit? { units[code] }

    /// The unit and its ancestors, nearest first; stops on a cycle rather than looping.
    public func lineage(of code: String) -> [AdministrativeUnit] {
        var result: [AdministrativeUnit] = []
        var seen = Set<String>()
        var next: String? = code
        while let current = next, let unit = units[current], seen.insert(current).inserted {
            result.append(unit)
            next = unit.parentCode
        }
        return result
    }

    /// True when `code` is `ancestor` itself or lies beneath it.
    public func isWithin(_ code: String, ancestor: String) -> Bool {
        lineage(of: code).contains { $0.code == ancestor }
    }

    /// Problems that would make the tree unusable: unknown parents, cycles, a parent at a lower tier.
    public func validate() -> [String] {
        var problems: [String] = []
        for unit in units.values.sorted(by: { $0.code < $1.code }) {
            if let parent = unit.parentCode {
                if let parentUnit = units[parent] {
                    if parentUnit.level >= unit.level && parentUnit.level != .ministry {
                        problems.append("unit \(unit.code) (\(unit.level.rawValue)) sits under \(parent) (\(parentUnit.level.rawValue))")
                    }
                } else {
                    problems.append("unit \(unit.code) names unknown parent \(parent)")
                }
            }
            if let top = lineage(of: unit.code).last, let parent = top.parentCode, units[parent] != nil {
                problems.append("the parents of \(unit.code) form a cycle through \(top.code)")
            }
            if let successor = unit.successorCode, units[successor] == nil {
                problems.append("unit \(unit.code) names unknown successor \(successor)")
            }
        }
        return problems
    }
}

extension UnitDirectory {
    /// The unit that carries on `code` on a given day: itself while it exists, else its successor (followed
    /// through several mergers). A dossier filed with a pre-merger unit is routed to the unit that now
    /// holds its competence.
    public func effectiveUnit(for code: String, on day: LocalDate) -> AdministrativeUnit? {
        var seen = Set<String>()
        var current = units[code]
        while let unit = current, !unit.isEffective(on: day), let next = unit.successorCode, seen.insert(unit.code).inserted {
            current = units[next]
        }
        return current.flatMap { $0.isEffective(on: day) ? $0 : nil }
    }
}
