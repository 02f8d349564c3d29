import Blueprint
import Foundation

/// The credentials the deployer turns into Docker secrets. They come from the
/// environment (MINIO_ROOT_USER, MINIO_ROOT_PASSWORD) or a secrets file of
/// KEY=VALUE lines, never from a command-line argument, and are never printed.
public struct SecretValues: Sendable {
    var minioRootUser: String?
    var minioRootPassword: String?

    /// What is wrong with the credentials; the command line words it.
    public enum Problem: Error, Sendable, Equatable {
        case unreadableFile(String)
        case fileReadableByOthers(String, mode: Int)
        case malformedLine(String, line: Int)
        /// The secrets that cannot be made without MINIO_ROOT_USER and MINIO_ROOT_PASSWORD.
        case missing(secrets: [String])
        case userTooShort
        case passwordTooShort
        case lineBreak
    }

    public init(environment: [String: String], secretsFile: String?) throws {
        var values = environment.filter { $0.key.hasPrefix("MINIO_ROOT_") }
        if let secretsFile {
            guard let data = FileManager.default.contents(atPath: secretsFile) else {
                throw Problem.unreadableFile(secretsFile)
            }
            let attributes = try? FileManager.default.attributesOfItem(atPath: secretsFile)
            if let permissions = attributes?[.posixPermissions] as? Int, permissions & 0o077 != 0 {
                throw Problem.fileReadableByOthers(secretsFile, mode: permissions & 0o777)
            }
            for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let parts = trimmed.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, ["MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"].contains(parts[0]) else {
                    throw Problem.malformedLine(secretsFile, line: number + 1)
                }
                values[parts[0]] = parts[1]
            }
        }
        minioRootUser = values["MINIO_ROOT_USER"]
        minioRootPassword = values["MINIO_ROOT_PASSWORD"]
    }

    /// Checks that every secret the stacks need can be made, before anything is written.
    public func check(_ needed: [SecretSpec]) throws {
        guard !needed.isEmpty else { return }
        guard let user = minioRootUser, let password = minioRootPassword else {
            throw Problem.missing(secrets: needed.map(\.name))
        }
        guard user.count >= 3 else { throw Problem.userTooShort }
        guard password.count >= 8 else { throw Problem.passwordTooShort }
        guard !user.contains("\n"), !password.contains("\n") else { throw Problem.lineBreak }
    }

    /// Whether every credential is given (secrets can be made and compared).
    public var isComplete: Bool { minioRootUser != nil && minioRootPassword != nil }

    public func data(for content: SecretSpec.Content) -> Data {
        let user = minioRootUser ?? "", password = minioRootPassword ?? ""
        switch content {
        case .minioRootUser: return Data(user.utf8)
        case .minioRootPassword: return Data(password.utf8)
        case .milvusMinioCredentials:
            // Milvus reads /milvus/configs/user.yaml over milvus.yaml.
            return Data("minio:\n  accessKeyID: \(yamlQuoted(user))\n  secretAccessKey: \(yamlQuoted(password))\n".utf8)
        }
    }

    private func yamlQuoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
