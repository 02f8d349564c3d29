import Compose
import Foundation
import StackConvert
import Testing
import TestSupport
import YAMLSource

/// What the docker CLI accepts, swarmstage accepts too: its interpolation forms and `x-`
/// extension fields; and what it refuses is refused with the author's own message.
@Suite("Input the docker CLI accepts")
struct AcceptedInputTests {
    static func stack(image: String, extra: String = "", serviceExtra: String = "") -> String {
        """
        version: "3.8"
        \(extra)
        services:
          app:
            image: \(image)
        \(serviceExtra)
            networks: [cluster]
            deploy:
              replicas: 1
        networks:
          cluster:
            name: lab-net
            driver: overlay
        """
    }

    static func image(_ text: String, environment: [String: String]) throws -> String {
        try ComposeLoader(file: "s.yml", environment: environment).parse(stack(image: text)).services[0].image
    }

    @Test func everyInterpolationFormOfTheCLI() throws {
        let set = ["TAG": "2.3.1", "EMPTY": ""]
        #expect(try Self.image("\"milvus:${TAG:?say which tag}\"", environment: set) == "milvus:2.3.1")
        #expect(try Self.image("\"milvus:${TAG?say which tag}\"", environment: set) == "milvus:2.3.1")
        #expect(try Self.image("\"milvus:${NOPE:-2.3.0}\"", environment: set) == "milvus:2.3.0")
        #expect(try Self.image("\"milvus:${EMPTY:-2.3.0}\"", environment: set) == "milvus:2.3.0", ":- also replaces an empty value")
        #expect(try Self.image("\"milvus:x${EMPTY-2.3.0}\"", environment: set) == "milvus:x", "- replaces only an unset value")
        #expect(try Self.image("\"milvus:$TAG\"", environment: set) == "milvus:2.3.1")
        #expect(try Self.image("\"a$$b\"", environment: set) == "a$b")

        let unset = try #require(throws: InputError.self) { try Self.image("\"milvus:${NOPE:?set NOPE to the Milvus tag}\"", environment: set) }
        #expect(unset.diagnostics.first?.message == "variable NOPE: set NOPE to the Milvus tag")
        #expect(unset.diagnostics.first?.location.line == 5)
        let empty = try #require(throws: InputError.self) { try Self.image("\"milvus:${EMPTY:?must not be empty}\"", environment: set) }
        #expect(empty.diagnostics.first?.message == "variable EMPTY: must not be empty")
        #expect(try Self.image("\"milvus:${EMPTY?only unset is refused}\"", environment: set) == "milvus:")
    }

    @Test func extensionFieldsAreAcceptedAndIgnored() throws {
        let text = Self.stack(image: "nginx:1.27.3", extra: "x-defaults: &defaults\n  restart: any", serviceExtra: "    x-owner: storage-team")
        let file = try ComposeLoader(file: "s.yml", environment: [:]).parse(text)
        #expect(file.services.map(\.name) == ["app"])
        let misspelt = Self.stack(image: "nginx:1.27.3", serviceExtra: "    xowner: storage-team")
        let error = try #require(throws: InputError.self) { try ComposeLoader(file: "s.yml", environment: [:]).parse(misspelt) }
        #expect(error.diagnostics.first?.message.hasPrefix("unknown key 'xowner'") == true)
    }
}
