import Foundation

extension Date {
    /// Whole milliseconds since 1970 (rounded down): how events, rows and the wire carry times.
    public var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
}
