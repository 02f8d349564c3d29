import Foundation

/// Lines collected by a running task, readable from the test meanwhile.
public final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []

    public init() {}

    public func add(_ item: String) { lock.withLock { items.append(item) } }
    public var all: [String] { lock.withLock { items } }
}
