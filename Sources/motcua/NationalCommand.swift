import ArgumentParser
import AsyncHTTPClient
import Foundation
import MotCuaCore
import MotCuaLauncher
import NIOCore
import NIOHTTP1

/// `motcua ctl national`: the hub's national API with the operator certificate of the state folder.
struct NationalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "national", abstract: "Nationwide status and dossiers from the hub (mutual TLS, operator certificate).",
        subcommands: [Status.self, Nodes.self, Dossier.self, Dossiers.self, Mailbox.self, Release.self])

    struct Options: ParsableArguments {
        @Option(help: "State folder holding pki/ and processes.json.") var stateDir: String = ".motcua"
        @Option(help: "Hub URL (default: from the state folder, else https://localhost:7444).") var hubUrl: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
            let base = hubUrl ?? (try? FederationState.load(stateDir: stateDir))?.hub?.publicURL ?? "https://localhost:7444"
            let client = try LocalFederation.operatorClient(stateDir: stateDir)
            do {
                let answer = try await APIClient(baseURL: base, client: client, timeoutSeconds: 15).call(method, path, body: body)
                try await client.shutdown()
                return answer
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per node: applied position, lag, dossiers by status, overdue.")
        @OptionGroup var options: Options

        func run() async throws {
            let answer = try await options.call(.GET, "/v1/national/status")
            if options.json { print(answer.canonicalText); return }
            var table = TextTable(headers: ["node", "applied seq", "lag ms", "last contact", "dossiers", "overdue", "by status", "quarantined"])
            if case .array(let nodes)? = answer["nodes"] {
                for node in nodes {
                    let byStatus: String
                    if case .object(let counts)? = node["byStatus"] {
                        byStatus = counts.keys.sorted { Int($0) ?? 0 < Int($1) ?? 0 }.map { "\($0):\(counts[$0]!.canonicalText)" }.joined(separator: " ")
                    } else { byStatus = "" }
                    table.add([node.text("id"), node.text("appliedSeq"), node.text("lagMs"), node.text("lastContactAt"),
                               node.text("dossiers"), node.text("overdue"), byStatus, node.text("quarantined")])
                }
            }
            print(table.render())
            if let totals = answer["totals"] { print("\ntotal \(totals.text("dossiers")) dossiers, \(totals.text("overdue")) overdue, at \(answer.text("at"))") }
        }
    }

    struct Dossier: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Where one dossier is, nationwide.")
        @OptionGroup var options: Options
        @Argument(help: "Dossier code.") var code: String

        func run() async throws {
            let answer = try await options.call(.GET, "/v1/national/dossiers/\(queryEscape(code))")
            if options.json { print(answer.canonicalText); return }
            for key in ["code", "node", "status", "statusName", "state", "procedureCode", "channel", "receivingUnit", "receivingNode",
                        "competentUnit", "competentNode", "unit", "holderNode", "level", "submittedAt", "receivedAt", "dueAt", "finishedAt",
                        "returnedAt", "overdue", "crossNode", "lastSeq"] where !answer.text(key).isEmpty {
                print("\(key.padding(toLength: 14, withPad: " ", startingAt: 0)) \(answer.text(key))")
            }
            // The journey: where the dossier stayed, how long, and whether each stay kept its share of the time.
            if case .array(let path)? = answer["path"], !path.isEmpty {
                print("\njourney")
                var table = TextTable(headers: ["#", "node", "unit", "level", "step", "arrived", "left", "spent", "step due", ""])
                for hop in path {
                    let spent = Int(hop.text("spentMs")) ?? 0
                    table.add([hop.text("index"), hop.text("node"), hop.text("unit"), hop.text("level"), String(hop.text("step").prefix(40)),
                               hop.text("arrivedAt"), hop.text("leftAt").isEmpty ? "(here now)" : hop.text("leftAt"), Self.duration(spent),
                               hop.text("stepDueAt"), hop.text("late") == "yes" ? "LATE" : ""])
                }
                print(table.render())
            }
            if case .array(let transfers)? = answer["transfers"], !transfers.isEmpty {
                print("\ntransfers between nodes")
                var table = TextTable(headers: ["transfer", "kind", "from", "to", "unit", "state", "attempts", "queued at"])
                for transfer in transfers {
                    table.add([String(transfer.text("transferId").prefix(8)), transfer.text("kind"), transfer.text("source"), transfer.text("destination"),
                               transfer.text("toUnit"), transfer.text("state"), transfer.text("attempts"), transfer.text("enqueuedAt")])
                }
                print(table.render())
            }
        }

        static func duration(_ ms: Int) -> String {
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
            var parameters = ["limit=\(limit)"]
            if let node { parameters.append("node=\(queryEscape(node))") }
            if let status { parameters.append("status=\(status)") }
            if let procedure { parameters.append("procedure=\(queryEscape(procedure))") }
            if overdue { parameters.append("overdue=true") }
            if let receivingNode { parameters.append("receivingNode=\(queryEscape(receivingNode))") }
            if let holderNode { parameters.append("holderNode=\(queryEscape(holderNode))") }
            if crossNode { parameters.append("crossNode=true") }
            if let cursor { parameters.append("cursor=\(queryEscape(cursor))") }
            let answer = try await options.call(.GET, "/v1/national/dossiers?" + parameters.joined(separator: "&"))
            if options.json { print(answer.canonicalText); return }
            var table = TextTable(headers: ["code", "filed at", "held by", "status", "procedure", "unit", "due", "overdue"])
            for item in answer.items {
                table.add([item.text("code"), item.text("receivingNode"), item.text("holderNode"), "\(item.text("status")) \(item.text("statusName"))",
                           item.text("procedureCode"), item.text("unit"), item.text("dueAt"), item.text("overdue") == "yes" ? "OVERDUE" : ""])
            }
            print(table.render())
            if !answer.text("nextCursor").isEmpty { print("next page: --cursor \(answer.text("nextCursor"))") }
        }
    }

    struct Mailbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dossiers in transit between nodes: per destination, and each waiting transfer with its age.")
        @OptionGroup var options: Options

        func run() async throws {
            let answer = try await options.call(.GET, "/v1/national/mailbox")
            if options.json { print(answer.canonicalText); return }
            var summary = TextTable(headers: ["destination", "waiting", "oldest"])
            if case .array(let destinations)? = answer["destinations"] {
                for destination in destinations {
                    summary.add([destination.text("node"), destination.text("queued"), Dossier.duration(Int(destination.text("oldestAgeMs")) ?? 0)])
                }
            }
            print(summary.render())
            var table = TextTable(headers: ["transfer", "dossier", "kind", "from", "to", "unit", "age", "attempts"])
            for item in answer.items {
                table.add([String(item.text("transferId").prefix(8)), item.text("dossier"), item.text("kind"), item.text("source"),
                           item.text("destination"), item.text("toUnit"), Dossier.duration(Int(item.text("ageMs")) ?? 0), item.text("attempts")])
            }
            if !answer.items.isEmpty { print("\n" + table.render()) }
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
                let answer = try await options.call(.GET, "/v1/national/nodes")
                if options.json { print(answer.canonicalText); return }
                var table = TextTable(headers: ["node", "member", "applied seq", "node head", "last contact", "state"])
                for node in answer.items {
                    let state = !node.text("quarantined").isEmpty ? "QUARANTINED: \(node.text("quarantined"))"
                        : node.text("logBehindHub") == "yes" ? "LOG BEHIND HUB" : ""
                    table.add([node.text("id"), node.text("member"), node.text("appliedSeq"), node.text("reportedHeadSeq"),
                               node.text("lastContactAt"), state])
                }
                print(table.render())
            }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Admit a node: its certificate may ship a log and use the router.")
            @OptionGroup var options: Options
            @Argument(help: "Node id.") var node: String

            func run() async throws {
                let answer = try await options.call(.POST, "/v1/national/nodes", body: .object(["id": .string(node)]))
                print(options.json ? answer.canonicalText : answer.text("added") == "yes" ? "node \(node) admitted" : "node \(node) was already a member")
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "End a node's membership (its index rows and cursor stay).")
            @OptionGroup var options: Options
            @Argument(help: "Node id.") var node: String

            func run() async throws {
                let answer = try await options.call(.DELETE, "/v1/national/nodes/\(queryEscape(node))")
                print(options.json ? answer.canonicalText : "node \(node) removed")
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a quarantined node after investigation.")
        @OptionGroup var options: Options
        @Argument(help: "Node id.") var node: String

        func run() async throws {
            let answer = try await options.call(.POST, "/v1/national/nodes/\(queryEscape(node))/release")
            print(options.json ? answer.canonicalText : "node \(node) released")
        }
    }
}
