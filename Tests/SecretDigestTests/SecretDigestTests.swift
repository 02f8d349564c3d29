import Foundation
import Testing
@testable import SecretDigest

@Suite("SecretDigest: scrypt fingerprints of credentials")
struct SecretDigestTests {
    /// RFC 7914 section 12, the third vector: P = "pleaseletmein", S = "SodiumChloride", N = 16384, r = 8, p = 1.
    @Test func matchesTheRFCVector() throws {
        let key = try SecretDigest.derive(Array("pleaseletmein".utf8), salt: Array("SodiumChloride".utf8),
                                          logCost: 14, blockSize: 8, parallelism: 1)
        let expected = "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
        #expect(key.map { String(format: "%02x", $0) }.joined() == expected)
    }

    @Test func sameValueMatchesOtherValueDoesNot() throws {
        let digest = try SecretDigest.make(for: Array("first-password".utf8))
        #expect(SecretDigest.matches(digest, value: Array("first-password".utf8)))
        #expect(!SecretDigest.matches(digest, value: Array("second-password".utf8)))
        #expect(!SecretDigest.matches(digest, value: []))
    }

    @Test func everyFingerprintHasItsOwnSaltAndShowsNoValue() throws {
        let value = Array("minio-secret-123".utf8)
        let first = try SecretDigest.make(for: value), second = try SecretDigest.make(for: value)
        #expect(first != second)
        #expect(!first.contains("minio-secret-123"))
        #expect(!first.contains(Data(value).base64EncodedString()))
        #expect(first.hasPrefix("scrypt$16$8$1$"))
    }

    @Test func malformedOrCostlyEncodingsDoNotMatch() throws {
        let value = Array("password".utf8)
        let good = try SecretDigest.make(for: value)
        let parts = good.split(separator: "$").map(String.init)
        for bad in ["", "scrypt", "bcrypt$16$8$1$\(parts[4])$\(parts[5])", "scrypt$30$8$1$\(parts[4])$\(parts[5])",
                    "scrypt$16$8$1$\(parts[4])$AAAA", "scrypt$16$8$1$!!$\(parts[5])", good + "$x"] {
            #expect(!SecretDigest.matches(bad, value: value), "\(bad)")
        }
    }
}
