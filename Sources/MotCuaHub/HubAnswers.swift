import Foundation
import MotCuaAPI
import MotCuaCore
import MotCuaHTTP
import MotCuaProtocol

// The hub's answers to nodes on the federation API. The national API's answers, which operators' clients
// read too, are in MotCuaAPI (NationalAnswers.swift).

struct IdentityAnswer: Encodable { var identity: String }

/// Where the hub is in a node's log, for the node that reported its own head.
struct HeadAnswer: Encodable {
    var appliedSeq: Int64
    var appliedHash: String
    var logBehindHub: Bool
    /// Per day asked for (`yyMMdd`), the highest dossier number the index holds; only when the node is behind.
    var highestNumbers: [String: Int]?
}

