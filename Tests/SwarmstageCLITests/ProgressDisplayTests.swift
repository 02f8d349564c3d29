import Foundation
import Inventory
import Rollout
@testable import SwarmstageCLI
import SwarmModel
import Testing
import TestSupport

/// What a terminal shows while a deploy or teardown runs, replayed through a small
/// model of the terminal (line feeds, "cursor up N lines", "clear to end of screen").
@Suite("Progress display")
struct ProgressDisplayTests {
    /// Applies what the printer wrote the way a VT100-style terminal would.
    struct Screen {
        var lines: [String] = [""]
        var row = 0

        mutating func apply(_ text: String) {
            var rest = Substring(text)
            while let first = rest.first {
                if first == "\u{1B}", let end = rest.firstIndex(where: { $0 == "F" || $0 == "J" }) {
                    let code = rest[rest.index(after: rest.startIndex)...end]
                    if code.hasSuffix("F"), let count = Int(code.dropFirst().dropLast()) {
                        row = max(row - count, 0)
                        lines[row] = ""
                    } else if code == "[J" {
                        lines.removeSubrange((row + 1)...)
                        lines[row] = ""
                    }
                    rest = rest[rest.index(after: end)...]
                } else if first == "\n" {
                    row += 1
                    if row == lines.count { lines.append("") }
                    rest = rest.dropFirst()
                } else {
                    lines[row].append(first)
                    rest = rest.dropFirst()
                }
            }
        }

        var visible: [String] { lines.last == "" ? Array(lines.dropLast()) : lines }
    }

    static func printer(_ style: ProgressPrinter.Style, into recorder: Recorder, size: (Int, Int) = (100, 30)) -> ProgressPrinter {
        ProgressPrinter(style: style, write: { recorder.add($0) }, terminalSize: { (size.0, size.1) },
                        clock: { Date(timeIntervalSince1970: 1_795_000_000) })
    }

    static func screen(_ recorder: Recorder) -> [String] {
        var screen = Screen()
        for chunk in recorder.all { screen.apply(chunk) }
        // Timestamps are the clock's; drop them to compare the words.
        return screen.visible.map { $0.replacingOccurrences(of: #"^\d\d:\d\d:\d\d "#, with: "", options: .regularExpression) }
    }

    static let starting = StageVerdict(services: [
        ServiceHealth(name: "lab-storage_etcd1", state: .healthy, running: 1, desired: 1),
        ServiceHealth(name: "lab-storage_minio1", state: .waiting("0/1 running (1 starting)"), running: 0, desired: 1),
    ])
    static let healthy = StageVerdict(services: [
        ServiceHealth(name: "lab-storage_etcd1", state: .healthy, running: 1, desired: 1),
        ServiceHealth(name: "lab-storage_minio1", state: .healthy, running: 1, desired: 1),
    ])

    @Test func liveStyleRedrawsOneBlockPerStageInPlace() {
        let recorder = Recorder()
        let printer = Self.printer(.live, into: recorder)
        printer.report(.stageStarted(.storage, stack: "lab-storage"))
        printer.report(.service(.storage, name: "lab-storage_etcd1", change: .created))
        printer.report(.waiting(.storage, verdict: Self.starting, elapsed: .seconds(2)))
        #expect(Self.screen(recorder) == [
            "stage 1 storage: applying stack lab-storage",
            "  lab-storage_etcd1: create",
            "stage 1 storage  [2.0s]  1/2 services healthy, 1/2 tasks running",
            "  [ok] lab-storage_etcd1   1/1 running",
            "  [..] lab-storage_minio1  0/1 running (1 starting)",
        ])
        // A permanent line lands above the block; the block follows it.
        printer.report(.service(.storage, name: "lab-storage_minio1", change: .created))
        printer.report(.waiting(.storage, verdict: Self.healthy, elapsed: .milliseconds(4500)))
        #expect(Self.screen(recorder) == [
            "stage 1 storage: applying stack lab-storage",
            "  lab-storage_etcd1: create",
            "  lab-storage_minio1: create",
            "stage 1 storage  [4.5s]  2/2 services healthy, 2/2 tasks running",
            "  [ok] lab-storage_etcd1   1/1 running",
            "  [ok] lab-storage_minio1  1/1 running",
        ])
        // A healthy stage leaves one line; the block goes.
        printer.report(.stageHealthy(.storage, elapsed: .seconds(5)))
        #expect(Self.screen(recorder).suffix(2) == ["  lab-storage_minio1: create", "stage 1 storage: healthy after 5.0s"])
    }

    @Test func liveStyleShowsALostEngineAndTeardownTasks() {
        let recorder = Recorder()
        let printer = Self.printer(.live, into: recorder)
        printer.report(.waiting(.storage, verdict: Self.starting, elapsed: .seconds(1)))
        printer.report(.engineLost(.storage, reason: "nothing is listening on /run/docker.sock"))
        let lost = Self.screen(recorder)
        #expect(lost.first == "stage 1 storage: lost the Docker Engine (nothing is listening on /run/docker.sock); waiting for it to answer again")
        #expect(lost.contains("  waiting for the Docker Engine to answer again"))
        printer.report(.engineBack(.storage, after: .seconds(7)))
        #expect(!Self.screen(recorder).contains("  waiting for the Docker Engine to answer again"))

        let teardown = Recorder()
        let removing = Self.printer(.live, into: teardown)
        removing.report(.service(.milvus, name: "lab-milvus_proxy", change: .removed))
        removing.report(.stopping(.milvus, tasksLeft: ["lab-milvus_proxy": 2], elapsed: .seconds(1)))
        #expect(Self.screen(teardown) == ["  lab-milvus_proxy: remove", "stage 3 milvus  [1.0s]  removing, 2 tasks left",
                                          "  [..] lab-milvus_proxy  2 tasks stopping"])
        removing.report(.stageRemoved(.milvus, elapsed: .seconds(3)))
        #expect(Self.screen(teardown) == ["  lab-milvus_proxy: remove", "stage 3 milvus: removed in 3.0s"])
    }

    @Test func aBlockNeverOutgrowsTheTerminal() {
        let many = StageVerdict(services: (1...30).map { index in
            ServiceHealth(name: "lab-milvus_querynode\(index)", state: index == 7 ? .waiting("0/1 running (1 starting)") : .healthy,
                          running: index == 7 ? 0 : 1, desired: 1)
        })
        let recorder = Recorder()
        let printer = Self.printer(.live, into: recorder, size: (40, 12))
        printer.report(.waiting(.milvus, verdict: many, elapsed: .seconds(9)))
        let screen = Self.screen(recorder)
        #expect(screen.count <= 10)
        #expect(screen.allSatisfy { $0.count <= 40 })
        #expect(screen.contains { $0.contains("querynode7") }, "what blocks stays in view")
        #expect(screen.last?.contains("more") == true)
    }

    @Test func plainStylePrintsOneLinePerChangeAndJSONOneObjectPerEvent() throws {
        let recorder = Recorder()
        let printer = Self.printer(.plain, into: recorder)
        printer.report(.waiting(.storage, verdict: Self.starting, elapsed: .seconds(1)))
        printer.report(.waiting(.storage, verdict: Self.starting, elapsed: .seconds(2)))
        printer.report(.waiting(.storage, verdict: Self.healthy, elapsed: .seconds(3)))
        #expect(recorder.all.count == 2, "an unchanged state is not printed again")
        #expect(!recorder.all.joined().contains("\u{1B}"), "no cursor movement outside a terminal")

        let json = Recorder()
        let jsonPrinter = Self.printer(.json, into: json)
        jsonPrinter.report(.engineBack(.pulsar, after: .milliseconds(6250)))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.all.joined().utf8)) as? [String: Any])
        #expect(object["event"] as? String == "engine-back")
        #expect(object["stage"] as? String == "pulsar")
        #expect(object["afterSeconds"] as? Double == 6.25)
    }
}
