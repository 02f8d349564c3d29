/// A short, stable fingerprint of file contents for naming immutable Swarm configs:
/// new contents, new name. FNV-1a (64 bit): change detection, not security.
public enum ContentHash {
    public static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The first 10 hex digits, enough to tell versions of one config apart.
    public static func short(_ text: String) -> String { String(fingerprint(text).prefix(10)) }
}
