/// An optional member of an answer that is written as `null` when absent, not left out (a synthesised
/// `Encodable` leaves nil members out): clients read every documented member of an answer.
@propertyWrapper
public struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension Nullable: Equatable where Value: Equatable {}

/// A list answered whole, without paging: `{"items": [...]}`.
public struct ItemsAnswer<Item: Encodable>: Encodable {
    public var items: [Item]

    public init(items: [Item]) { self.items = items }
}
