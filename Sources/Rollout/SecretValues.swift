import Blueprint
import Foundation

/// The credentials the deployer turns into Docker secrets. They come from the
/// environment (MINIO_ROOT_USER, MINIO_ROOT_PASSWORD) or a secrets file of
/// KEY=VALUE lines, never from a command-line argument, and are never printed.
public struct SecretValues: Sendable {
    var minioRootUser: String?
    var minioRootPassword: String?

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(environment: [String: String], secretsFile: String?) throws {
        var values = environment.filter { $0.key.hasPrefix("MINIO_ROOT_") }
        if let secretsFile {
            guard let data = FileManager.default.contents(atPath: secretsFile) else {
                throw Problem(description: "\(secretsFile): cannot read the secrets file")
            }
            let attributes = try? FileManager.default.attributesOfItem(atPath: secretsFile)
            if let permissions = attributes?[.posixPermissions] as? Int, permissions & 0o077 != 0 {
                throw Problem(description: "\(secretsFile): the secrets file is readable by others (mode \(String(permissions, radix: 8))); chmod 600 it")
            }
            for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let parts = trimmed.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, ["MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"].contains(parts[0]) else {
                    throw Problem(description: "\(secretsFile):\(number + 1): expected MINIO_ROOT_USER=... or MINIO_ROOT_PASSWORD=...")
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
            throw Problem(description: "MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must be set (in the environment or a --secrets-file) to create the secrets \(needed.map(\.name).joined(separator: ", "))")
        }
        guard user.count >= 3 else { throw Problem(description: "MINIO_ROOT_USER must have at least 3 characters (MinIO refuses shorter)") }
        guard password.count >= 8 else { throw Problem(description: "MINIO_ROOT_PASSWORD must have at least 8 characters (MinIO refuses shorter)") }
        guard !user.contains("\n"), !password.contains("\n") else { throw Problem(description: "MinIO credentials cannot contain line breaks") }
    }

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
