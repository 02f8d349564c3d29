/// The docker CLI's spellings of durations, CPUs and memory, parsed exactly.
public enum Units {
    /// The longest duration whose nanoseconds fit the Engine's int64 (about 292 years).
    public static let maxSeconds = Int(Int64.max / 1_000_000_000)
    /// The most CPUs whose nano-CPUs fit an int64.
    public static let maxCPUs = Int(Int64.max / 1_000_000_000) - 1
    /// The most MiB whose bytes fit an int64.
    public static let maxMebibytes = Int64.max >> 20

    /// Go-style durations in whole seconds: `10s`, `1m30s`, `2h`, `90`; nil beyond `maxSeconds`.
    public static func seconds(_ text: String) -> Int? {
        if let plain = Int(text) { return (0...maxSeconds).contains(plain) ? plain : nil }
        var total = 0.0, number = ""
        var index = text.startIndex
        guard !text.isEmpty else { return nil }
        while index < text.endIndex {
            let character = text[index]
            if character.isNumber || character == "." {
                number.append(character)
                index = text.index(after: index)
                continue
            }
            var unit = String(character)
            let next = text.index(after: index)
            if character == "m", next < text.endIndex, text[next] == "s" { unit = "ms"; index = next }
            guard let value = Double(number) else { return nil }
            switch unit {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            case "ms": total += value / 1000
            default: return nil
            }
            number = ""
            index = text.index(after: index)
        }
        guard number.isEmpty, total >= 0, total == total.rounded(), total <= Double(maxSeconds) else { return nil }
        return Int(total)
    }

    /// `"3.6"` -> 360 (hundredths of a CPU); nil beyond two decimals.
    public static func centiCPUs(_ text: String) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts[0].allSatisfy(\.isNumber), let whole = Int(parts[0]), whole >= 0, whole <= maxCPUs else { return nil }
        guard parts.count == 2 else { return whole * 100 }
        let fraction = parts[1]
        guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isNumber), let digits = Int(fraction) else { return nil }
        return whole * 100 + (fraction.count == 1 ? digits * 10 : digits)
    }

    /// `7372M`, `8g`, `512MiB`, `1073741824` -> MiB; nil unless a whole number of MiB.
    public static func mebibytes(_ text: String) -> Int64? {
        let digits = text.prefix { $0.isNumber }
        guard let value = Int64(digits) else { return nil }
        let unit = text.dropFirst(digits.count).lowercased()
        let shift: Int64
        switch unit {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        case "t", "tb", "tib": shift = 40
        default: return nil
        }
        // A shift would drop high bits silently: a value too large for an int64 of bytes is refused.
        let (bytes, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
        guard !overflow, bytes % (1 << 20) == 0 else { return nil }
        return bytes >> 20
    }
}
