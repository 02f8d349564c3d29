/// An Engine timestamp (RFC 3339 with up to nine fractional digits, UTC), comparable.
public struct EngineTime: Sendable, Comparable, Hashable, CustomStringConvertible {
    /// Nanoseconds since 1970.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// `2026-11-21T20:05:20.123456789Z`; offsets like `+01:00` too.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 20, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 9 { fraction = fraction * 10 + Int64(bytes[index] - 48); digits += 1 }
                index += 1
            }
            while digits < 9 { fraction *= 10; digits += 1 }
        }
        var offset = 0
        if index < bytes.count, bytes[index] == 43 || bytes[index] == 45 {
            guard let hours = number(index + 1, 2), let minutes = number(index + 4, 2) else { return nil }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == 43 ? 1 : -1)
        }
        // Days from the civil date (proleptic Gregorian), after H. Hinnant.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
        nanoseconds = seconds * 1_000_000_000 + fraction
    }

    public var description: String { "\(nanoseconds / 1_000_000_000).\(nanoseconds % 1_000_000_000)" }

    public static func < (lhs: EngineTime, rhs: EngineTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
