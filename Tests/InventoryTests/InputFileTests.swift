import Foundation
import Glibc
import Inventory
import Testing
import YAMLSource

/// Files that cannot be read as text are refused with what they are and, for bad bytes, where.
@Suite("Input files")
struct InputFileTests {
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("swarmstage-input-\(UUID().uuidString.prefix(8))-\(name)").path
    }

    static func reason(_ path: String) -> String? {
        do {
            _ = try InputFiles.readText(path)
            return nil
        } catch let error as InputFileError {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    @Test func badBytesAreLocated() throws {
        let path = Self.temporary("bad.yml")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("hosts:\n  - name: ab".utf8 + [0xFF] + Data("\n".utf8)).write(to: URL(fileURLWithPath: path))
        #expect(Self.reason(path) == "\(path):2:13: error: byte 0xFF, which is not UTF-8; save the file as UTF-8 text")
        try Data("cluster:\n  name: l\u{e9}b".utf8 + [0] + Data("x\n".utf8)).write(to: URL(fileURLWithPath: path))
        #expect(Self.reason(path) == "\(path):2:12: error: a NUL byte; save the file as UTF-8 text", "columns count characters, not bytes")
        // Overlong and truncated sequences are not UTF-8 either.
        try Data([0x61, 0xC0, 0xAF]).write(to: URL(fileURLWithPath: path))
        #expect(Self.reason(path)?.contains(":1:2: error: byte 0xC0") == true)
        try Data([0x61, 0xE2, 0x82]).write(to: URL(fileURLWithPath: path))
        #expect(Self.reason(path)?.contains(":1:2: error: byte 0xE2") == true)
        try Data("h\u{e9}llo \u{1F600}\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try InputFiles.readText(path) == "h\u{e9}llo \u{1F600}\n")
    }

    @Test func whatIsNotARegularFileSaysWhatItIs() throws {
        let fifo = Self.temporary("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { try? FileManager.default.removeItem(atPath: fifo) }
        #expect(Self.reason(fifo) == "\(fifo): error: is a named pipe, expected a file")
        #expect(Self.reason("/dev/null") == "/dev/null: error: is a device, expected a file")
        #expect(Self.reason("/tmp") == "/tmp: error: is a directory, expected a file")
        #expect(Self.reason("/nonexistent/inventory.yml") == "/nonexistent/inventory.yml: error: no such file")
    }

    @Test func aFileOverTheLimitIsRefusedBeforeItIsRead() throws {
        let path = Self.temporary("huge.yml")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(InputFiles.maxBytes + 1))
        try handle.close()
        #expect(Self.reason(path) == "\(path): error: is \(InputFiles.maxBytes + 1) bytes; files are read up to 4 MiB")
        #expect(throws: InputFileError.self) { try InventoryLoader.load(path: path) }
    }
}
