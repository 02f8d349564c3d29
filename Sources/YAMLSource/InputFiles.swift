import Foundation

/// Reading input files with errors a user can act on.
public enum InputFiles {
    public static func readText(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputFileError(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw InputFileError(path: path, reason: "is a directory, expected a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputFileError(path: path, reason: "cannot read the file (permission denied?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputFileError(path: path, reason: "is not UTF-8 text")
        }
        return text
    }
}
