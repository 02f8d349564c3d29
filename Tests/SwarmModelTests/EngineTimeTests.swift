import Foundation
import SwarmModel
import Testing

/// Engine timestamps: decoded once, compared exactly, refused when they are not RFC 3339.
@Suite("Engine time")
struct EngineTimeTests {
    @Test func fractionsAndOffsetsCompareAsTheInstantsTheyName() throws {
        let a = try #require(EngineTime("2026-11-21T20:19:20.156134823Z"))
        let b = try #require(EngineTime("2026-11-21T20:19:20.15663Z"))
        let c = try #require(EngineTime("2026-11-21T21:19:20.15663+01:00"))
        #expect(a < b)
        #expect(b == c)
        #expect(EngineTime("2026-11-21T20:19:20Z")?.nanoseconds == 1_795_292_360_000_000_000)
        let zero = try #require(EngineTime("0001-01-01T00:00:00Z"), "the Engine's zero time")
        #expect(zero < EngineTime(nanoseconds: 0) && zero == EngineTime(nanoseconds: .min), "earlier than any real instant, without trapping")
        #expect(try #require(EngineTime("9999-12-31T23:59:59Z")).nanoseconds == .max)
    }

    /// The Engine's `since` parameters take seconds and nanoseconds ("1795292360.000000042").
    @Test func asAUnixTimestampItKeepsEveryNanosecond() throws {
        #expect(EngineTime("2026-11-21T20:19:20.000000042Z")?.unixTimestamp == "1795292360.000000042")
        #expect(EngineTime("2026-11-21T20:19:20.15663Z")?.unixTimestamp == "1795292360.156630000")
        #expect(EngineTime(nanoseconds: 0).unixTimestamp == "0.000000000")
        #expect(EngineTime(nanoseconds: -1).unixTimestamp == "-1.999999999")
    }

    @Test func whatIsNotATimestampIsNone() {
        for text in ["yesterday", "", "2026-11-21", "2026-13-01T00:00:00Z", "2026-11-21T20:19:20", "2026-11-21 20:19:20Z", "2026-11-21T25:00:00Z"] {
            #expect(EngineTime(text) == nil, "\(text)")
        }
    }

    @Test func itWritesWhatItReads() throws {
        for text in ["2026-11-21T20:19:20.156134823Z", "1970-01-01T00:00:00.000000000Z", "2000-02-29T23:59:59.999999999Z"] {
            let time = try #require(EngineTime(text))
            #expect(time.rfc3339 == text)
            #expect(EngineTime(time.rfc3339) == time)
        }
        let encoded = try JSONEncoder().encode(["at": EngineTime(seconds: 86_400)])
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"at":"1970-01-02T00:00:00.000000000Z"}"#)
    }

    @Test func aMalformedTimestampInAnAnswerIsADecodingError() {
        let json = Data(#"{"State": "running", "Timestamp": "soon"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TaskStatus.self, from: json) }
        let missing = Data(#"{"State": "running"}"#.utf8)
        #expect((try? JSONDecoder().decode(TaskStatus.self, from: missing))?.Timestamp == nil, "an absent timestamp is nil, not a stand-in time")
    }
}
