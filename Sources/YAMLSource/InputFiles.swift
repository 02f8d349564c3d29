import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reading input files with errors a user can act on.
public enum InputFiles {
    /// The largest inventory, stack or image file read. The 26-host reference inventory is
    /// 7 KiB and its largest stack file 40 KiB; 4 MiB holds several thousand hosts, and
    /// refusing more keeps validation quick and its memory small.
    public static let maxBytes = 4 << 20

    public static func readText(_ path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = errno == ENOENT || errno == ENOTDIR ? "no such file" : "cannot read the file: \(String(cString: strerror(errno)))"
            throw InputFileError(path: path, reason: reason)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw InputFileError(path: path, reason: "is a directory, expected a file")
        case S_IFIFO: throw InputFileError(path: path, reason: "is a named pipe, expected a file")
        case S_IFCHR, S_IFBLK: throw InputFileError(path: path, reason: "is a device, expected a file")
        case S_IFSOCK: throw InputFileError(path: path, reason: "is a socket, expected a file")
        default: throw InputFileError(path: path, reason: "is not a regular file")
        }
        guard Int(info.st_size) <= maxBytes else {
            throw InputFileError(path: path, reason: "is \(info.st_size) bytes; files are read up to \(maxBytes >> 20) MiB")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = access(path, R_OK) != 0 && errno == EACCES
                ? "permission denied: the file is not readable by this user" : "cannot read the file"
            throw InputFileError(path: path, reason: reason)
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxBytes + 1)) ?? Data()
        guard data.count <= maxBytes else {
            throw InputFileError(path: path, reason: "is larger than \(maxBytes >> 20) MiB; files are read up to that")
        }
        return try text(data, path: path)
    }

    /// UTF-8 text without NUL bytes; otherwise where the first bad byte is.
    public static func text(_ data: Data, path: String) throws -> String {
        let bytes = [UInt8](data)
        if let bad = firstInvalidByte(bytes) {
            let (line, column) = position(of: bad, in: bytes)
            let what = bytes[bad] == 0 ? "a NUL byte" : String(format: "byte 0x%02X, which is not UTF-8", bytes[bad])
            throw InputFileError(path: "\(path):\(line):\(column)", reason: "\(what); save the file as UTF-8 text")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The index of the first byte that is NUL or not part of valid UTF-8.
    static func firstInvalidByte(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0 { return index }
            let length: Int
            switch byte {
            case 0x01...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return index
            }
            guard index + length <= bytes.count else { return index }
            for offset in 1..<max(length, 1) where bytes[index + offset] & 0xC0 != 0x80 { return index }
            if length > 1, String(bytes: bytes[index..<(index + length)], encoding: .utf8) == nil { return index }
            index += length
        }
        return nil
    }

    /// 1-based line and column (in characters of the valid text before it) of a byte offset.
    static func position(of offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        let before = bytes[..<offset]
        let line = before.filter { $0 == 0x0A }.count + 1
        let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
        return (line, column)
    }
}
