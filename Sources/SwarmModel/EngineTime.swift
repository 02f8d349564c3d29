/// An Engine timestamp (RFC 3339 with up to nine fractional digits), comparable. The wire
/// models decode every timestamp into this once; nothing parses timestamp strings later.
/// A timestamp that does not parse is a decoding error (the Engine's answer is not what
/// the API says), never a silent stand-in value.
public struct EngineTime: Sendable, Comparable, Hashable, Codable, CustomStringConvertible {
    /// Nanoseconds since 1970 (UTC).
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public init(seconds: Int64) { self.nanoseconds = seconds * 1_000_000_000 }

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
        guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 || bytes[10] == 116,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
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
        } else if index >= bytes.count || (bytes[index] != 90 && bytes[index] != 122) {
            return nil
        }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
        // Nanoseconds in 64 bits reach 292 years either side of 1970. The Engine writes its zero
        // time as 0001-01-01T00:00:00Z ("never"): such instants saturate instead of trapping.
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow {
            nanoseconds = seconds < 0 ? .min : .max
        } else {
            nanoseconds = scaled.addingReportingOverflow(fraction).overflow ? .max : scaled + fraction
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let time = EngineTime(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 timestamp: \(text.prefix(40))")
        }
        self = time
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }

    /// `1795900000.000000001`: seconds since 1970 and nine digits of nanoseconds, as the Engine's
    /// `since` query parameters take it.
    public var unixTimestamp: String {
        let (seconds, fraction) = secondsAndFraction
        let digits = String(fraction)
        return "\(seconds).\(String(repeating: "0", count: 9 - digits.count))\(digits)"
    }

    /// Whole seconds since 1970 (rounded down, also before 1970) and the nanoseconds after them (0...999,999,999).
    private var secondsAndFraction: (seconds: Int64, fraction: Int64) {
        let seconds = nanoseconds / 1_000_000_000, fraction = nanoseconds % 1_000_000_000
        return fraction < 0 ? (seconds - 1, fraction + 1_000_000_000) : (seconds, fraction)
    }

    /// `2026-11-21T20:05:20.123456789Z`, as the Engine writes it.
    public var rfc3339: String {
        let (seconds, fraction) = secondsAndFraction
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (year, month, day) = Self.civilFromDays(Int(days))
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let time = "\(pad(Int(secondOfDay / 3600), 2)):\(pad(Int(secondOfDay % 3600 / 60), 2)):\(pad(Int(secondOfDay % 60), 2))"
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(time).\(pad(Int(fraction), 9))Z"
    }

    public var description: String { rfc3339 }

    public static func < (lhs: EngineTime, rhs: EngineTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: EngineTime, rhs: Duration) -> EngineTime {
        let (seconds, attoseconds) = rhs.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, overflowAgain) = lhs.nanoseconds.addingReportingOverflow(scaled + attoseconds / 1_000_000_000)
        return EngineTime(nanoseconds: overflow || overflowAgain ? (seconds < 0 ? .min : .max) : sum)
    }

    // Days from and to the civil date (proleptic Gregorian), after H. Hinnant.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
