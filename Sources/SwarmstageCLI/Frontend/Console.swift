import Foundation

/// Where commands print. Results go to stdout, problems to stderr.
enum Console {
    static func out(_ text: String) {
        print(text)
    }

    static func error(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
