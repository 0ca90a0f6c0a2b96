import ArgumentParser
import AsyncHTTPClient
import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaLauncher
import NIOCore

/// `motcua ctl national`: the hub's national API with the operator certificate of the state folder.
struct NationalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "national", abstract: "Nationwide status and dossiers from the hub (mutual TLS, operator certificate).",
        subcommands: [Status.self, Nodes.self, Dossier.self, Dossiers.self, Mailbox.self, Release.self])

    struct Options: ParsableArguments {
        @Option(help: "State folder holding pki/ and processes.json.") var stateDir: String = ".motcua"
        @Option(help: "Hub URL (default: from the state folder, else https://localhost:7444).") var hubUrl: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        /// Sends the request with the operator's certificate and prints its answer: with --json as it came,
        /// else as `human` renders it.
        func emit<Answer>(_ request: APIRequest<Answer>, human: (Answer) -> String) async throws {
            let base = hubUrl ?? (try? FederationState.load(stateDir: stateDir))?.hub?.publicURL ?? "https://localhost:7444"
            let http = try LocalFederation.operatorClient(stateDir: stateDir)
            let client = APIClient.commandLine(baseURL: base, http: http, timeout: .seconds(15), hint: " (is the hub running? `motcua status`, or --hub-url)")
            do {
                let text = json ? try await client.send(request.untyped).canonicalText : human(try await client.send(request))
                try await http.shutdown()
                print(text)
            } catch {
                try? await http.shutdown()
                throw error
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per node: applied position, lag, dossiers by status, overdue.")
        @OptionGroup var options: Options

        func run() async throws {
            try await options.emit(NationalAPI.status()) { answer in
                var table = TextTable(headers: ["node", "applied seq", "lag ms", "last contact", "dossiers", "overdue", "by status", "quarantined"])
                for node in answer.nodes {
                    let byStatus = (node.byStatus ?? [:]).sorted { Int($0.key) ?? 0 < Int($1.key) ?? 0 }.map { "\($0.key):\($0.value)" }
                    table.add([node.id, String(node.appliedSeq), node.lagMs.map(String.init) ?? "", text(node.lastContactAt),
                               node.dossiers.map(String.init) ?? "", node.overdue.map(String.init) ?? "", byStatus.joined(separator: " "),
                               node.quarantined ?? ""])
                }
                return table.render() + "\n\ntotal \(answer.totals.dossiers) dossiers, \(answer.totals.overdue) overdue, at \(text(answer.at))"
            }
        }
    }

    struct Dossier: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Where one dossier is, nationwide.")
        @OptionGroup var options: Options
        @Argument(help: "Dossier code.") var code: String

        func run() async throws {
            try await options.emit(NationalAPI.dossier(code)) { answer in
                let dossier = answer.dossier
                let fields: [(String, String?)] = [
                    ("code", dossier.code), ("node", dossier.node), ("status", String(dossier.status)), ("statusName", dossier.statusName),
                    ("state", dossier.state), ("procedureCode", dossier.procedureCode), ("channel", dossier.channel),
                    ("receivingUnit", dossier.receivingUnit), ("receivingNode", dossier.receivingNode), ("competentUnit", dossier.competentUnit),
                    ("competentNode", dossier.competentNode), ("unit", dossier.unit), ("holderNode", dossier.holderNode), ("level", dossier.level),
                    ("submittedAt", dossier.submittedAt.map(text)), ("receivedAt", dossier.receivedAt.map(text)), ("dueAt", dossier.dueAt.map(text)),
                    ("finishedAt", dossier.finishedAt.map(text)), ("returnedAt", dossier.returnedAt.map(text)),
                    ("overdue", dossier.overdue ? "yes" : "no"), ("crossNode", dossier.crossNode ? "yes" : "no"), ("lastSeq", String(dossier.lastSeq)),
                ]
                var lines = fields.compactMap { key, value in value.map { "\(key.padding(toLength: 14, withPad: " ", startingAt: 0)) \($0)" } }
                // The journey: where the dossier stayed, how long, and whether each stay kept its share of the time.
                if !answer.path.isEmpty {
                    var table = TextTable(headers: ["#", "node", "unit", "level", "step", "arrived", "left", "spent", "step due", ""])
                    for stay in answer.path {
                        table.add([String(stay.index), stay.node ?? "", stay.unit, stay.level ?? "", String((stay.step ?? "").prefix(40)),
                                   text(stay.arrivedAt), stay.leftAt.map(text) ?? "(here now)", Self.duration(stay.spentMs),
                                   text(stay.stepDueAt), stay.late ? "LATE" : ""])
                    }
                    lines += ["", "journey", table.render()]
                }
                if !answer.transfers.isEmpty {
                    var table = TextTable(headers: ["transfer", "kind", "from", "to", "unit", "state", "attempts", "queued at"])
                    for transfer in answer.transfers {
                        table.add([String(transfer.transferId.prefix(8)), transfer.kind, transfer.source, transfer.destination ?? "",
                                   transfer.toUnit, transfer.state, String(transfer.attempts), text(transfer.enqueuedAt)])
                    }
                    lines += ["", "transfers between nodes", table.render()]
                }
                return lines.joined(separator: "\n")
            }
        }

        static func duration(_ ms: Int64) -> String {
            let seconds = ms / 1000
            if seconds < 60 { return "\(seconds)s" }
            if seconds < 3600 { return "\(seconds / 60)m\(seconds % 60)s" }
            if seconds < 86_400 { return "\(seconds / 3600)h\(seconds % 3600 / 60)m" }
            return "\(seconds / 86_400)d\(seconds % 86_400 / 3600)h"
        }
    }

    struct Dossiers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search the national index.")
        @OptionGroup var options: Options
        @Option(help: "Node id.") var node: String?
        @Option(help: "National status 1-10.") var status: Int?
        @Option(help: "Procedure code.") var procedure: String?
        @Flag(help: "Only overdue dossiers.") var overdue = false
        @Option(help: "Node whose desk received the dossier.") var receivingNode: String?
        @Option(help: "Node that holds the dossier now.") var holderNode: String?
        @Flag(help: "Only dossiers that involve more than one node (filing anywhere, hand-overs between nodes).") var crossNode = false
        @Option(help: "Page size.") var limit: Int = 50
        @Option(help: "Cursor from the previous page.") var cursor: String?

        func run() async throws {
            let query = NationalAPI.DossierQuery(
                node: node, status: status, procedure: procedure, receivingNode: receivingNode, holderNode: holderNode,
                crossNode: crossNode ? true : nil, overdue: overdue, cursor: cursor, limit: limit)
            try await options.emit(NationalAPI.dossiers(query)) { page in
                var table = TextTable(headers: ["code", "filed at", "held by", "status", "procedure", "unit", "due", "overdue"])
                for item in page.items {
                    table.add([item.code, item.receivingNode, item.holderNode, "\(item.status) \(item.statusName)", item.procedureCode ?? "",
                               item.unit ?? "", text(item.dueAt), item.overdue ? "OVERDUE" : ""])
                }
                return table.render() + (page.nextCursor.map { "\nnext page: --cursor \($0)" } ?? "")
            }
        }
    }

    struct Mailbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dossiers in transit between nodes: per destination, and each waiting transfer with its age.")
        @OptionGroup var options: Options

        func run() async throws {
            try await options.emit(NationalAPI.mailbox()) { answer in
                var summary = TextTable(headers: ["destination", "waiting", "oldest"])
                for destination in answer.destinations {
                    summary.add([destination.node, String(destination.queued), Dossier.duration(destination.oldestAgeMs)])
                }
                guard !answer.items.isEmpty else { return summary.render() }
                var table = TextTable(headers: ["transfer", "dossier", "kind", "from", "to", "unit", "age", "attempts"])
                for item in answer.items {
                    table.add([String(item.transferId.prefix(8)), item.dossier, item.kind, item.source, item.destination ?? "", item.toUnit,
                               Dossier.duration(item.ageMs), String(item.attempts)])
                }
                return summary.render() + "\n\n" + table.render()
            }
        }
    }

    struct Nodes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The federation's members: only they may ship a log or use the router.",
            subcommands: [List.self, Add.self, Remove.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Every node the hub knows, member or not, with its position.")
            @OptionGroup var options: Options

            func run() async throws {
                try await options.emit(NationalAPI.nodes()) { answer in
                    var table = TextTable(headers: ["node", "member", "applied seq", "node head", "last contact", "state"])
                    for node in answer.items {
                        let state = node.quarantined.map { "QUARANTINED: \($0)" } ?? (node.logBehindHub ? "LOG BEHIND HUB" : "")
                        table.add([node.id, node.member ? "yes" : "no", String(node.appliedSeq), node.reportedHeadSeq.map(String.init) ?? "",
                                   text(node.lastContactAt), state])
                    }
                    return table.render()
                }
            }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Admit a node: its certificate may ship a log and use the router.")
            @OptionGroup var options: Options
            @Argument(help: "Node id.") var node: String

            func run() async throws {
                try await options.emit(NationalAPI.admit(node)) { answer in
                    answer.added == true ? "node \(node) admitted" : "node \(node) was already a member"
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "End a node's membership (its index rows and cursor stay).")
            @OptionGroup var options: Options
            @Argument(help: "Node id.") var node: String

            func run() async throws {
                try await options.emit(NationalAPI.dismiss(node)) { _ in "node \(node) removed" }
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a quarantined node after investigation.")
        @OptionGroup var options: Options
        @Argument(help: "Node id.") var node: String

        func run() async throws {
            try await options.emit(NationalAPI.release(node)) { _ in "node \(node) released" }
        }
    }
}
