import CCrypto
import Foundation

/// A slow, salted fingerprint of a credential, so deploy can tell whether the value a Swarm
/// secret was made from is still the one the operator gives, without storing anything from
/// which the value can be read or cheaply guessed (Swarm secrets cannot be read back).
///
/// scrypt (RFC 7914) through OpenSSL's `EVP_PBE_scrypt`, with a random 16-byte salt per secret:
/// a guess costs 64 MiB of memory and about a fifth of a second, and the salt makes every
/// secret's fingerprint its own. The parameters travel in the encoding, so they can be raised
/// later without breaking what is stored:
/// `scrypt$<log2 N>$<r>$<p>$<salt, base64>$<32-byte key, base64>`.
public enum SecretDigest {
    /// log2 of scrypt's cost N; r and p as RFC 7914 section 2 recommends for interactive use.
    public static let logCost = 16
    public static let blockSize = 8
    public static let parallelism = 1
    static let keyLength = 32
    static let saltLength = 16

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A new fingerprint of `value` with a fresh salt.
    public static func make(for value: [UInt8]) throws -> String {
        var salt = [UInt8](repeating: 0, count: saltLength)
        guard RAND_bytes(&salt, Int32(saltLength)) == 1 else { throw Failure(description: "no random bytes for a salt (OpenSSL RAND_bytes)") }
        let key = try derive(value, salt: salt, logCost: logCost, blockSize: blockSize, parallelism: parallelism)
        return ["scrypt", String(logCost), String(blockSize), String(parallelism),
                Data(salt).base64EncodedString(), Data(key).base64EncodedString()].joined(separator: "$")
    }

    /// Whether `encoded` (from `make`) was made from `value`. Anything that is not a fingerprint
    /// this code makes, or asks for more than 1 GiB of memory, does not match.
    public static func matches(_ encoded: String, value: [UInt8]) -> Bool {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "scrypt",
              let logCost = Int(parts[1]), (10...20).contains(logCost),
              let blockSize = Int(parts[2]), (1...16).contains(blockSize),
              let parallelism = Int(parts[3]), (1...4).contains(parallelism),
              let salt = Data(base64Encoded: parts[4]), !salt.isEmpty,
              let stored = Data(base64Encoded: parts[5]), stored.count == keyLength,
              let key = try? derive(value, salt: Array(salt), logCost: logCost, blockSize: blockSize, parallelism: parallelism)
        else { return false }
        return key.withUnsafeBytes { derived in
            Array(stored).withUnsafeBytes { CRYPTO_memcmp(derived.baseAddress, $0.baseAddress, keyLength) == 0 }
        }
    }

    /// RFC 7914 scrypt of `value` with `salt`.
    static func derive(_ value: [UInt8], salt: [UInt8], logCost: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        var key = [UInt8](repeating: 0, count: keyLength)
        let cost = UInt64(1) << UInt64(logCost)
        // scrypt needs 128 * N * r * p bytes; allow that plus room for OpenSSL's own.
        let memory = 128 * cost * UInt64(blockSize) * UInt64(parallelism) + (16 << 20)
        let result = value.withUnsafeBufferPointer { password in
            password.withMemoryRebound(to: CChar.self) { password in
                EVP_PBE_scrypt(password.baseAddress, password.count, salt, salt.count, cost, UInt64(blockSize), UInt64(parallelism),
                               memory, &key, keyLength)
            }
        }
        guard result == 1 else { throw Failure(description: "scrypt failed (OpenSSL EVP_PBE_scrypt)") }
        return key
    }
}
