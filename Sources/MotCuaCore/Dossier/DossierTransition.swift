import Foundation

/// The actions of the public API (`POST /v1/dossiers/{code}/actions/{action}`); raw values are the URL names.
public enum DossierAction: String, Codable, Sendable, CaseIterable {
    case receive
    case refuse
    case assign
    case requestSupplement = "request-supplement"
    case supplement
    case requestPayment = "request-payment"
    case recordPayment = "record-payment"
    case forward
    case extend
    case decide
    case returnResult = "return"
    case requestWithdrawal = "request-withdrawal"
    case stop
    /// A unit that received a dossier from another node and cannot act on it hands it back, with a reason.
    case sendBack = "send-back"
}

/// A party allowed to perform a transition.
public enum Party: Hashable, Sendable, CustomStringConvertible {
    case applicant
    case system
    case officer(OfficerRole)

    public var description: String {
        switch self {
        case .applicant: "applicant"
        case .system: "system"
        case .officer(let role): role.rawValue
        }
    }
}

/// What a transition does to the processing clock.
public enum ClockEffect: Sendable, Hashable {
    case none
    /// Reception: the lead time starts counting; the due time is computed.
    case start
    /// A supplement is awaited: the clock stops, the remaining working time is kept.
    case pause
    /// The supplement arrived: the clock runs again from the remaining working time.
    case resume
    /// The one permitted extension (with an apology, Form 04).
    case extend
    /// Finished (decided, stopped, refused): the finish time is recorded for the timeliness index.
    case finish
}

/// Which unit an officer's scope must cover for the transition.
public enum TransitionScope: Sendable, Hashable {
    /// The desk that received the dossier (reception, refusal, handing back the result).
    case receivingUnit
    /// The unit that holds the dossier now.
    case holderUnit
}

/// One row of the transition table.
public struct DossierTransition: Sendable, Hashable {
    public var action: DossierAction
    public var from: Set<DossierState>
    public var to: DossierState?
    public var allowed: Set<Party>
    public var clock: ClockEffect
    public var scope: TransitionScope
    public var event: EventKind

    /// The whole state machine: every legal move, who may make it, and what it does to the clock.
    /// `to == nil` keeps the state (an extension).
    public static let table: [DossierTransition] = {
        let working: Set<DossierState> = [.received, .assigned, .supplemented, .paid]
        let open: Set<DossierState> = [
            .submitted, .incompleteOnline, .received, .assigned, .forwarded, .supplementRequested,
            .supplemented, .paymentRequested, .paid,
        ]
        return [
            .init(.receive, from: [.submitted], to: .received, allowed: [.officer(.receiver)], clock: .start,
                  scope: .receivingUnit, event: .received),
            .init(.refuse, from: [.submitted, .incompleteOnline], to: .refused, allowed: [.officer(.receiver)],
                  clock: .finish, scope: .receivingUnit, event: .refused),
            .init(.assign, from: working.union([.forwarded]), to: .assigned,
                  allowed: [.officer(.leader), .officer(.receiver)], clock: .none, scope: .holderUnit, event: .assigned),
            .init(.requestSupplement, from: [.submitted], to: .incompleteOnline, allowed: [.officer(.receiver)],
                  clock: .none, scope: .receivingUnit, event: .supplementRequested),
            .init(.requestSupplement, from: working, to: .supplementRequested,
                  allowed: [.officer(.receiver), .officer(.specialist)], clock: .pause, scope: .holderUnit,
                  event: .supplementRequested),
            .init(.supplement, from: [.incompleteOnline], to: .submitted,
                  allowed: [.applicant, .officer(.receiver)], clock: .none, scope: .receivingUnit, event: .supplemented),
            .init(.supplement, from: [.supplementRequested], to: .supplemented,
                  allowed: [.applicant, .officer(.receiver)], clock: .resume, scope: .receivingUnit, event: .supplemented),
            .init(.requestPayment, from: [.received, .assigned, .supplemented], to: .paymentRequested,
                  allowed: [.officer(.specialist), .officer(.receiver)], clock: .none, scope: .holderUnit,
                  event: .paymentRequested),
            .init(.recordPayment, from: [.paymentRequested], to: .paid,
                  allowed: [.officer(.receiver), .officer(.specialist), .system], clock: .none, scope: .receivingUnit,
                  event: .paymentRecorded),
            .init(.forward, from: working.union([.forwarded]), to: .forwarded,
                  allowed: [.officer(.receiver), .officer(.specialist), .officer(.leader)], clock: .none,
                  scope: .holderUnit, event: .forwarded),
            .init(.extend, from: working.union([.forwarded, .paymentRequested]), to: nil,
                  allowed: [.officer(.leader)], clock: .extend, scope: .holderUnit, event: .extended),
            .init(.decide, from: [.assigned, .supplemented, .paid], to: .decided, allowed: [.officer(.leader)],
                  clock: .finish, scope: .holderUnit, event: .decided),
            .init(.returnResult, from: [.decided], to: .returned, allowed: [.officer(.receiver)], clock: .none,
                  scope: .receivingUnit, event: .returned),
            .init(.requestWithdrawal, from: open, to: .withdrawalRequested,
                  allowed: [.applicant, .officer(.receiver)], clock: .none, scope: .receivingUnit,
                  event: .withdrawalRequested),
            .init(.stop, from: [.withdrawalRequested], to: .stopped,
                  allowed: [.officer(.receiver), .officer(.leader)], clock: .finish, scope: .receivingUnit,
                  event: .stopped),
            .init(.stop, from: open.subtracting([.submitted, .incompleteOnline]), to: .stopped,
                  allowed: [.officer(.leader)], clock: .finish, scope: .holderUnit, event: .stopped),
            .init(.sendBack, from: working.union([.forwarded]), to: .transferred,
                  allowed: [.officer(.receiver), .officer(.specialist), .officer(.leader)], clock: .none,
                  scope: .holderUnit, event: .transferSent),
        ]
    }()

    init(
        _ action: DossierAction, from: Set<DossierState>, to: DossierState?, allowed: Set<Party>,
        clock: ClockEffect, scope: TransitionScope, event: EventKind
    ) {
        self.action = action
        self.from = from
        self.to = to
        self.allowed = allowed
        self.clock = clock
        self.scope = scope
        self.event = event
    }

    /// The row for an action from a state, if the move is legal at all.
    public static func row(for action: DossierAction, from state: DossierState) -> DossierTransition? {
        table.first { $0.action == action && $0.from.contains(state) }
    }

    /// The actions that are legal from a state (for "what can I do now" in clients).
    public static func actions(from state: DossierState) -> [DossierAction] {
        DossierAction.allCases.filter { row(for: $0, from: state) != nil }
    }
}
