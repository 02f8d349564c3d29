/// The docker CLI's spellings of durations, CPUs and memory, parsed exactly.
public enum Units {
    /// Go-style durations in whole seconds: `10s`, `1m30s`, `2h`, `90`.
    public static func seconds(_ text: String) -> Int? {
        if let plain = Int(text), plain >= 0 { return plain }
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
        guard number.isEmpty, total >= 0, total == total.rounded() else { return nil }
        return Int(total)
    }

    /// `"3.6"` -> 360 (hundredths of a CPU); nil beyond two decimals.
    public static func centiCPUs(_ text: String) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int(parts[0]), whole >= 0 else { return nil }
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
        let bytes: Int64
        switch unit {
        case "", "b": bytes = value
        case "k", "kb", "kib": bytes = value << 10
        case "m", "mb", "mib": bytes = value << 20
        case "g", "gb", "gib": bytes = value << 30
        case "t", "tb", "tib": bytes = value << 40
        default: return nil
        }
        guard bytes % (1 << 20) == 0 else { return nil }
        return bytes >> 20
    }
}
