import Foundation

/// How far a procedure can be done online (Decree 42/2022): not at all, partly (submit online, finish at
/// the desk) or full-process (toàn trình: from submission to result without a visit).
public enum OnlineMode: String, Codable, Sendable, CaseIterable {
    case none
    case partial
    case fullProcess = "full-process"
}

/// One document a dossier must or may contain (thành phần hồ sơ).
public struct ProcedureComponent: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var mandatory: Bool
    /// Whether the component can be taken from digitised data instead of being uploaded again.
    public var digitisable: Bool

    public init(code: String, name: String, mandatory: Bool, digitisable: Bool = false) {
        self.code = code
        self.name = name
        self.mandatory = mandatory
        self.digitisable = digitisable
    }
}

/// Who acts at a processing step: which level and which role.
public struct ProcessingStep: Codable, Sendable, Hashable {
    public var name: String
    public var level: AdministrativeLevel
    public var role: OfficerRole
    /// This step's share of the lead time, in the lead time's own unit (days or hours).
    public var share: Int
    /// A fixed unit for the step (a ministry's department); nil: the unit of `level` above the receiving desk.
    public var unit: String?

    public init(name: String, level: AdministrativeLevel, role: OfficerRole, share: Int, unit: String? = nil) {
        self.name = name
        self.level = level
        self.role = role
        self.share = share
        self.unit = unit
    }

    /// Which stage of an interconnected procedure the step belongs to: its fixed unit, or its level.
    public var stage: String { unit ?? level.rawValue }
}

/// An administrative procedure of the catalogue (thủ tục hành chính), in one version. Procedures change
/// by decision: a new version with its own effective dates; dossiers keep the version they were filed under.
public struct Procedure: Codable, Sendable, Hashable, Identifiable {
    /// National-style code, e.g. `1.001193`.
    public var code: String
    public var version: Int
    public var name: String
    public var level: AdministrativeLevel
    /// The agency that decides (cơ quan có thẩm quyền), in words.
    public var competentAgency: String
    public var leadTime: LeadTime
    /// Fee in Vietnamese dong; 0 when free.
    public var feeVND: Int
    public var feeNote: String?
    public var onlineMode: OnlineMode
    public var components: [ProcedureComponent]
    /// A financial obligation (tax, land levy) other than the fee must be met before the result.
    public var financialObligation: Bool
    public var steps: [ProcessingStep]
    /// Field of the catalogue (lĩnh vực), e.g. "Hộ tịch".
    public var field: String
    public var effectiveFrom: LocalDate?
    public var effectiveUntil: LocalDate?
    /// True for the demo catalogue: plausible, not an authoritative copy of the national database.
    public var sample: Bool
    /// For a bundle (liên thông nhóm thủ tục): the codes of the procedures it performs at once.
    public var bundle: [String]?

    public var id: String { code }

    public init(
        code: String, version: Int = 1, name: String, level: AdministrativeLevel, competentAgency: String,
        leadTime: LeadTime, feeVND: Int, feeNote: String? = nil, onlineMode: OnlineMode,
        components: [ProcedureComponent], financialObligation: Bool = false, steps: [ProcessingStep] = [],
        field: String, effectiveFrom: LocalDate? = nil, effectiveUntil: LocalDate? = nil, sample: Bool = true,
        bundle: [String]? = nil
    ) {
        self.code = code
        self.version = version
        self.name = name
        self.level = level
        self.competentAgency = competentAgency
        self.leadTime = leadTime
        self.feeVND = feeVND
        self.feeNote = feeNote
        self.onlineMode = onlineMode
        self.components = components
        self.financialObligation = financialObligation
        self.steps = steps
        self.field = field
        self.effectiveFrom = effectiveFrom
        self.effectiveUntil = effectiveUntil
        self.sample = sample
        self.bundle = bundle
    }

    /// Interconnected (liên thông): its steps run at more than one level or agency.
    public var isInterconnected: Bool { Set(steps.map(\.stage)).count > 1 }

    /// The level whose desk takes the dossier in: the first step's for an interconnected procedure.
    public var receptionLevel: AdministrativeLevel { isInterconnected ? steps[0].level : level }

    /// The step where the decision is signed: the last leader step (the last step when none is marked).
    public var decisionStepIndex: Int? {
        steps.lastIndex { $0.role == .leader } ?? (steps.isEmpty ? nil : steps.count - 1)
    }

    /// The first step after `index` that runs at another stage (where the next hand-over goes).
    public func nextStageIndex(after index: Int) -> Int? {
        guard index < steps.count else { return nil }
        let current = steps[index].stage
        return steps.indices.first { $0 > index && steps[$0].stage != current }
    }

    /// A step's share of the lead time, as a lead time of its own.
    public func share(of index: Int) -> LeadTime? {
        guard steps.indices.contains(index) else { return nil }
        // Steps of the same stage that follow each other are one stay at that unit.
        let stage = steps[index].stage
        var total = 0
        var cursor = index
        while cursor < steps.count && steps[cursor].stage == stage {
            total += steps[cursor].share
            cursor += 1
        }
        return leadTime.with(amount: total)
    }

    /// Whether a dossier can be filed under this version on a given day.
    public func isEffective(on day: LocalDate) -> Bool {
        if let from = effectiveFrom, day < from { return false }
        if let until = effectiveUntil, day >= until { return false }
        return true
    }

    /// Checks a catalogue entry before it is loaded, so bad data fails at seeding, not at the counter.
    public func validate() -> [String] {
        var problems: [String] = []
        let codePattern = /^[0-9]+\.[0-9]{6}$/
        if code.wholeMatch(of: codePattern) == nil { problems.append("procedure code \(code) is not of the form 1.001193") }
        if name.isEmpty { problems.append("procedure \(code) has no name") }
        if feeVND < 0 { problems.append("procedure \(code) has a negative fee") }
        if components.isEmpty { problems.append("procedure \(code) lists no components") }
        if Set(components.map(\.code)).count != components.count {
            problems.append("procedure \(code) repeats a component code")
        }
        if isInterconnected {
            let shares = steps.reduce(0) { $0 + $1.share }
            if shares > leadTime.amount { problems.append("procedure \(code): the steps' shares (\(shares)) exceed the lead time (\(leadTime.amount))") }
            if steps.first?.role != .receiver { problems.append("procedure \(code): an interconnected procedure starts at a receiving desk") }
        }
        return problems
    }
}
