import Foundation
import MotCuaCore
import NIOHTTP1

/// The node's public API, one function per route: what to send and what comes back.
/// `try await client.send(NodeAPI.file(body))`.
public enum NodeAPI {
    static func dossierPath(_ code: String) -> String { "/v1/dossiers/" + APIRequest<JSONValue>.escape(code) }

    public static func health() -> APIRequest<StatusAnswer> { .init(.GET, "/healthz") }

    /// 200 when the node takes work; 503 with the same answer and its `problems` when it does not.
    public static func ready() -> APIRequest<ReadyAnswer> { .init(.GET, "/readyz") }

    public static func login(username: String, password: String) -> APIRequest<SessionAnswer> {
        .init(.POST, "/v1/auth/token", json: LoginBody(username: username, password: password))
    }

    /// What `GET /v1/procedures` filters on.
    public struct ProcedureQuery: Sendable {
        public var level: AdministrativeLevel?
        public var onlineMode: OnlineMode?
        public var text: String?
        public var cursor: String?
        public var limit: Int?

        public init(level: AdministrativeLevel? = nil, onlineMode: OnlineMode? = nil, text: String? = nil, cursor: String? = nil, limit: Int? = nil) {
            self.level = level
            self.onlineMode = onlineMode
            self.text = text
            self.cursor = cursor
            self.limit = limit
        }
    }

    public static func procedures(_ query: ProcedureQuery = .init()) -> APIRequest<Page<ProcedureView>> {
        var items: [(name: String, value: String)] = []
        if let level = query.level { items.append(("level", level.rawValue)) }
        if let mode = query.onlineMode { items.append(("onlineMode", mode.rawValue)) }
        if let text = query.text { items.append(("q", text)) }
        if let cursor = query.cursor { items.append(("cursor", cursor)) }
        if let limit = query.limit { items.append(("limit", String(limit))) }
        return .init(.GET, "/v1/procedures", query: items)
    }

    public static func procedure(_ code: String) -> APIRequest<ProcedureView> {
        .init(.GET, "/v1/procedures/" + APIRequest<JSONValue>.escape(code))
    }

    /// The node's own units.
    public static func units() -> APIRequest<Page<AdministrativeUnit>> { .init(.GET, "/v1/units") }

    /// The other nodes' units (from the hub), where a desk can send a dossier filed here.
    public static func federationUnits() -> APIRequest<Page<FederationUnit>> { .init(.GET, "/v1/federation/units") }

    /// Files a dossier (online without a session; at a desk with an officer's).
    public static func file(_ body: SubmissionBody) -> APIRequest<DossierView> {
        .init(.POST, "/v1/dossiers", json: body, idempotent: true)
    }

    /// An officer's action on a dossier.
    public static func act(_ code: String, _ action: DossierAction, _ body: ActionBody = .init()) -> APIRequest<DossierView> {
        .init(.POST, dossierPath(code) + "/actions/" + action.rawValue, json: body, idempotent: true)
    }

    /// An applicant's action (supplement, withdrawal) without a session: `body.idNumber` names the applicant.
    public static func actAsApplicant(_ code: String, _ action: DossierAction, _ body: ActionBody) -> APIRequest<PublicDossierView> {
        .init(.POST, dossierPath(code) + "/actions/" + action.rawValue, json: body, idempotent: true)
    }

    /// A dossier in the officer's scope.
    public static func dossier(_ code: String) -> APIRequest<DossierView> { .init(.GET, dossierPath(code)) }

    /// The public lookup: the receipt's secret or the applicant's ID number go in the body, never the URL.
    public static func lookup(_ code: String, _ credential: LookupBody) -> APIRequest<PublicDossierView> {
        .init(.POST, dossierPath(code) + "/lookup", json: credential)
    }

    /// What the officer's queue (`GET /v1/dossiers`) filters on.
    public struct DossierQuery: Sendable {
        public var unit: String?
        public var status: Int?
        public var procedure: String?
        public var overdue: Bool?
        /// An ISO 8601 date or time.
        public var dueBefore: String?
        public var cursor: String?
        public var limit: Int?

        public init(
            unit: String? = nil, status: Int? = nil, procedure: String? = nil, overdue: Bool? = nil, dueBefore: String? = nil,
            cursor: String? = nil, limit: Int? = nil
        ) {
            self.unit = unit
            self.status = status
            self.procedure = procedure
            self.overdue = overdue
            self.dueBefore = dueBefore
            self.cursor = cursor
            self.limit = limit
        }
    }

    public static func queue(_ query: DossierQuery = .init()) -> APIRequest<Page<DossierView>> {
        var items: [(name: String, value: String)] = []
        if let unit = query.unit { items.append(("unit", unit)) }
        if let status = query.status { items.append(("status", String(status))) }
        if let procedure = query.procedure { items.append(("procedure", procedure)) }
        if let overdue = query.overdue { items.append(("overdue", String(overdue))) }
        if let dueBefore = query.dueBefore { items.append(("dueBefore", dueBefore)) }
        if let cursor = query.cursor { items.append(("cursor", cursor)) }
        if let limit = query.limit { items.append(("limit", String(limit))) }
        return .init(.GET, "/v1/dossiers", query: items)
    }

    /// A dossier's events in this node's log.
    public static func events(_ code: String) -> APIRequest<Page<Event>> { .init(.GET, dossierPath(code) + "/events") }

    public static func components(_ code: String, includeContent: Bool = false) -> APIRequest<ItemsAnswer<ComponentAnswer>> {
        .init(.GET, dossierPath(code) + "/components", query: includeContent ? [("include", "content")] : [])
    }

    /// Form 06, the processing-control sheet.
    public static func controlSheet(_ code: String) -> APIRequest<ProcessingControlSheet> { .init(.GET, dossierPath(code) + "/control-sheet") }

    /// The hand-overs this node sent to other nodes.
    public static func transfers(limit: Int? = nil) -> APIRequest<ItemsAnswer<TransferAnswer>> {
        .init(.GET, "/v1/transfers", query: limit.map { [("limit", String($0))] } ?? [])
    }

    /// Walks the node's hash chain (admins and leaders).
    public static func verifyLog() -> APIRequest<ChainReport> { .init(.GET, "/v1/log/verify") }

    /// An operator accepts that the node lost the end of its log.
    public static func acceptLogLoss(reason: String) -> APIRequest<LogLossAnswer> {
        .init(.POST, "/v1/admin/log/accept-loss", json: AcceptLossBody(reason: reason))
    }

    public static func officers() -> APIRequest<ItemsAnswer<OfficerAnswer>> { .init(.GET, "/v1/officers") }

    /// Creates or replaces an officer's account (admins).
    public static func saveOfficer(_ body: OfficerBody) -> APIRequest<UsernameAnswer> { .init(.POST, "/v1/officers", json: body) }

    /// Changes an officer's account (admins): a new password, roles, units, name, or deactivation.
    public static func updateOfficer(_ username: String, _ body: OfficerPatchBody) -> APIRequest<OfficerAnswer> {
        .init(.PATCH, "/v1/officers/" + APIRequest<JSONValue>.escape(username), json: body)
    }

    /// Creates the first admin of a node without officers, with the token printed at its first start.
    public static func bootstrap(_ body: BootstrapBody) -> APIRequest<OfficerAnswer> { .init(.POST, "/v1/admin/bootstrap", json: body) }

    /// Adds or replaces units (admins).
    public static func importUnits(_ units: [AdministrativeUnit]) -> APIRequest<UnitsImportAnswer> {
        .init(.POST, "/v1/admin/units", json: UnitsImportBody(units: units))
    }

    public static func calendarRules() -> APIRequest<Page<CalendarRule>> { .init(.GET, "/v1/calendar/rules") }

    /// Adds, replaces or withdraws a calendar rule (admins).
    public static func saveCalendarRule(_ rule: CalendarRule) -> APIRequest<CalendarRule> { .init(.POST, "/v1/calendar/rules", json: rule) }

    /// The non-working days of a year under the node's calendar.
    public static func holidays(year: Int) -> APIRequest<Page<NonWorkingDay>> { .init(.GET, "/v1/calendar/holidays/\(year)") }
}
