import Foundation
import SwarmModel

/// Splits the Engine's multiplexed log stream (no TTY): frames of an 8-byte header
/// `[stream, 0, 0, 0, size as UInt32 big-endian]` and `size` bytes of payload.
/// Reads may end anywhere, inside a header or a payload, so bytes wait in a buffer
/// until a whole frame is there.
public struct LogDemultiplexer: Sendable {
    public typealias Stream = LogStream

    public struct Frame: Sendable, Equatable {
        public var stream: Stream
        public var payload: Data
    }

    private var buffer = Data()

    public init() {}

    /// Appends bytes and returns every frame completed by them.
    public mutating func feed(_ bytes: Data) -> [Frame] {
        buffer.append(bytes)
        var frames: [Frame] = []
        while buffer.count >= 8 {
            let start = buffer.startIndex
            let size = buffer[(start + 4)..<(start + 8)].reduce(0) { ($0 << 8) | Int($1) }
            guard buffer.count >= 8 + size else { break }
            let stream = Stream(rawValue: buffer[start]) ?? .stdout
            frames.append(Frame(stream: stream, payload: Data(buffer[(start + 8)..<(start + 8 + size)])))
            buffer.removeFirst(8 + size)
        }
        return frames
    }

    /// Bytes that never formed a whole frame.
    public var pendingByteCount: Int { buffer.count }
}


/// Turns frames into lines: one frame may hold several lines, one line may span frames.
public struct LogLineSplitter: Sendable {
    private var partial: [LogDemultiplexer.Stream: Data] = [:]

    public init() {}

    public mutating func lines(from frame: LogDemultiplexer.Frame) -> [LogLine] {
        var pending = partial[frame.stream, default: Data()]
        pending.append(frame.payload)
        var lines: [LogLine] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            lines.append(LogLine(stream: frame.stream, text: String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)))
            pending.removeSubrange(pending.startIndex...newline)
        }
        partial[frame.stream] = pending
        return lines
    }

    public mutating func flush() -> [LogLine] {
        defer { partial = [:] }
        return partial.sorted { $0.key.rawValue < $1.key.rawValue }.compactMap { stream, data in
            data.isEmpty ? nil : LogLine(stream: stream, text: String(decoding: data, as: UTF8.self))
        }
    }
}
