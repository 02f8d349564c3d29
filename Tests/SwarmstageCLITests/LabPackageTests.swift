import Foundation
import Testing
import TestSupport

/// The package a manager gets (scripts/package): the binary runs with no Swift toolchain in
/// sight and no network, and the image runs `health` against the lab manager's socket. Both
/// answer as the binary built here does. `scripts/test` packages before it tests.
@Suite("The package on the lab", .enabled(if: Lab.enabled), .serialized)
struct LabPackageTests {
    struct Package {
        var tarball: String
        var image: String
        var version: String
    }

    /// The newest package in dist/.
    static func package() throws -> Package {
        let dist = RepositoryPaths.path("dist")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dist)) ?? []
        let tarball = try #require(names.filter { $0.hasSuffix("-linux-x86_64.tar.gz") }.sorted().last, "no package in dist/: run scripts/package")
        let version = String(tarball.dropFirst("swarmstage-".count).dropLast("-linux-x86_64.tar.gz".count))
        return Package(tarball: "\(dist)/\(tarball)", image: "\(dist)/swarmstage-\(version)-image.tar", version: version)
    }

    static func sh(_ script: String) async throws -> Programs.Result {
        try await Programs.run("/bin/sh", ["-c", script])
    }

    @Test func thePackagedBinaryRunsWithoutTheToolchainAndTheNetwork() async throws {
        try await LabLock.sharing {
            let package = try Self.package()
            let lab = try Lab.require()
            let folder = NSTemporaryDirectory() + "swarmstage-package-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let unpacked = try await Self.sh("""
                set -e; cd "$(dirname '\(package.tarball)')"; sha256sum -c --quiet '\(package.tarball).sha256'
                mkdir -p '\(folder)'; tar -C '\(folder)' -xzf '\(package.tarball)'
                """)
            #expect(unpacked.status == 0, "\(unpacked.errors)")
            let binary = "\(folder)/swarmstage-\(package.version)-linux-x86_64/bin/swarmstage"
            let libraries = try await Programs.run("/usr/bin/ldd", [binary])
            #expect(!libraries.output.contains("swift") && libraries.output.contains("libcurl"), "\(libraries.output)")
            for file in ["share/man/man1/swarmstage.1", "share/bash-completion/completions/swarmstage", "share/zsh/site-functions/_swarmstage",
                         "share/fish/vendor_completions.d/swarmstage.fish", "share/swarmstage/build-info"] {
                #expect(FileManager.default.fileExists(atPath: "\(folder)/swarmstage-\(package.version)-linux-x86_64/\(file)"), "\(file)")
            }

            // In a mount namespace where the toolchain's folder is empty and a network namespace with
            // no interfaces but loopback: the Engine is a Unix socket, which needs no network.
            let host = "unix://\(lab.managerSocket)"
            let hidden = "unshare --mount --net sh -c 'mount -t tmpfs none /opt/swift && exec \"$0\" \"$@\"'"
            let version = try await Self.sh("\(hidden) '\(binary)' version -H \(host)")
            let commit = try await Self.sh("git rev-parse HEAD").output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(version.status == 0 && version.output.contains("swarmstage \(package.version)"), "\(version.output)\(version.errors)")
            #expect(version.output.contains("commit: \(commit)"), "\(version.output)")
            #expect(version.output.contains("engine: Docker Engine"), "\(version.output)")
            let validate = try await Self.sh("\(hidden) '\(binary)' validate -i inventory/lab.yml")
            #expect(validate.status == 0, "\(validate.errors)")
            let label = try await Self.sh("\(hidden) '\(binary)' label --dry-run -i inventory/lab.yml -H \(host)")
            // The plan names every host, labelled already or not (that depends on the tests before).
            #expect(label.status == 0 && label.output.contains("lab-node4") && label.output.contains("lab-manager3"), "\(label.output)\(label.errors)")
            let packaged = try await Self.sh("\(hidden) '\(binary)' health -i inventory/lab.yml -H \(host)")
            let built = try await Programs.run(Programs.swarmstage, ["health", "-i", "inventory/lab.yml", "-H", host])
            #expect(packaged.status == built.status, "\(packaged.output)\n\(built.output)")
            #expect(packaged.output.hasPrefix("cluster lab: "), "\(packaged.output)\(packaged.errors)")
        }
    }

    @Test func theImageRunsHealthAgainstTheManagersSocket() async throws {
        try await LabLock.sharing {
            let package = try Self.package()
            let lab = try Lab.require()
            let docker = "\(Programs.docker) -H unix://\(lab.managerSocket)"
            let loaded = try await Self.sh("\(docker) load -i '\(package.image)'")
            #expect(loaded.status == 0 && loaded.output.contains("swarmstage:\(package.version)"), "\(loaded.output)\(loaded.errors)")
            let run = "\(docker) run --rm --network none -v \(lab.managerSocket):/var/run/docker.sock -v '\(RepositoryPaths.root.path)/inventory':/work/inventory:ro swarmstage:\(package.version)"
            let health = try await Self.sh("\(run) health -i inventory/lab.yml")
            let built = try await Programs.run(Programs.swarmstage, ["health", "-i", "inventory/lab.yml", "-H", "unix://\(lab.managerSocket)"])
            #expect(health.status == built.status, "\(health.output)\(health.errors)\n\(built.output)")
            #expect(health.output.hasPrefix("cluster lab: "), "\(health.output)\(health.errors)")
            let version = try await Self.sh("\(run) version")
            #expect(version.output.contains("engine: Docker Engine") && version.output.contains("at /var/run/docker.sock"), "\(version.output)")
            _ = try await Self.sh("\(docker) image rm swarmstage:\(package.version)")
        }
    }
}
