import Foundation
import MotCuaCore
import NIOHTTP1

/// The hub's national API (operators' mutual-TLS certificate only), one function per route.
public enum NationalAPI {
    static func escape(_ value: String) -> String { APIRequest<JSONValue>.escape(value) }

    public static func health() -> APIRequest<StatusAnswer> { .init(.GET, "/healthz") }

    /// 200 when the hub can serve; 503 with the same answer and its `problem` when it cannot. Also on the
    /// hub's plain loopback health listener (`motcua hub --health-port`).
    public static func ready() -> APIRequest<HubReadyAnswer> { .init(.GET, "/readyz") }

    /// Per node: applied position, lag, dossiers by status, overdue; and the totals.
    public static func status() -> APIRequest<NationalStatusAnswer> { .init(.GET, "/v1/national/status") }

    public static func nodes() -> APIRequest<ItemsAnswer<NodeStandingAnswer>> { .init(.GET, "/v1/national/nodes") }

    /// Admits a node to the federation (201 when it was not a member, 200 when it was).
    public static func admit(_ node: String) -> APIRequest<MembershipAnswer> {
        struct Body: Encodable { var id: String }
        return .init(.POST, "/v1/national/nodes", json: Body(id: node))
    }

    /// Removes a node from the federation.
    public static func dismiss(_ node: String) -> APIRequest<MembershipAnswer> { .init(.DELETE, "/v1/national/nodes/" + escape(node)) }

    /// Lets a quarantined node's batches in again.
    public static func release(_ node: String) -> APIRequest<ReleaseAnswer> { .init(.POST, "/v1/national/nodes/\(escape(node))/release") }

    /// A dossier nationwide, with its journey and transfers.
    public static func dossier(_ code: String) -> APIRequest<JourneyAnswer> { .init(.GET, "/v1/national/dossiers/" + escape(code)) }

    /// What `GET /v1/national/dossiers` filters on.
    public struct DossierQuery: Sendable {
        public var node: String?
        public var status: Int?
        public var procedure: String?
        public var receivingNode: String?
        public var holderNode: String?
        public var crossNode: Bool?
        public var overdue: Bool?
        public var cursor: String?
        public var limit: Int?

        public init(
            node: String? = nil, status: Int? = nil, procedure: String? = nil, receivingNode: String? = nil, holderNode: String? = nil,
            crossNode: Bool? = nil, overdue: Bool? = nil, cursor: String? = nil, limit: Int? = nil
        ) {
            self.node = node
            self.status = status
            self.procedure = procedure
            self.receivingNode = receivingNode
            self.holderNode = holderNode
            self.crossNode = crossNode
            self.overdue = overdue
            self.cursor = cursor
            self.limit = limit
        }
    }

    public static func dossiers(_ query: DossierQuery = .init()) -> APIRequest<DossierPageAnswer> {
        var items: [(name: String, value: String)] = []
        if let node = query.node { items.append(("node", node)) }
        if let status = query.status { items.append(("status", String(status))) }
        if let procedure = query.procedure { items.append(("procedure", procedure)) }
        if let receivingNode = query.receivingNode { items.append(("receivingNode", receivingNode)) }
        if let holderNode = query.holderNode { items.append(("holderNode", holderNode)) }
        if let crossNode = query.crossNode { items.append(("crossNode", String(crossNode))) }
        if query.overdue == true { items.append(("overdue", "true")) }
        if let cursor = query.cursor { items.append(("cursor", cursor)) }
        if let limit = query.limit { items.append(("limit", String(limit))) }
        return .init(.GET, "/v1/national/dossiers", query: items)
    }

    /// Transfers waiting in the hub's mailboxes, per destination.
    public static func mailbox() -> APIRequest<MailboxAnswer> { .init(.GET, "/v1/national/mailbox") }
}
