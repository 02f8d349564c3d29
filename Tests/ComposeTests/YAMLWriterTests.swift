import Compose
import Testing
import Yams

@Suite("YAML writer")
struct YAMLWriterTests {
    /// Strings that a careless writer turns into something else when read back.
    static let trickyStrings = [
        "true", "False", "yes", "NO", "on", "off", "null", "~", "", " leading", "trailing ", "1000", "0755", "1e3",
        "3.8", "-c", "--name=etcd1", "key: value", "a #comment", "[list]", "{map}", "*alias", "&anchor", "!tag",
        "%directive", "@at", "`tick`", "quote\"inside", "back\\slash", "multi\nline", "tab\there", "ünïcödé",
        "http://minio{1...4}/disk{1...2}", ":9090", "node.labels.etcd1==true", "/usr/local/bin/etcd", "a,b",
        "10s", "-Xms2048m -Xmx2048m", "PULSAR_MEM",
    ]

    @Test(arguments: trickyStrings)
    func stringsReadBackUnchanged(_ text: String) throws {
        let rendered = YAMLWriter.render(.map([("value", .string(text)), ("list", .list([.string(text), .string("x")]))]))
        let node = try #require(try Yams.compose(yaml: rendered))
        #expect(node["value"]?.string == text, "rendered: \(rendered)")
        let value = try #require(node["value"])
        #expect(value.bool == nil && value.int == nil && value.float == nil && value.null == nil,
                "must stay a string: \(rendered)")
        #expect(node["list"]?[0]?.string == text, "rendered: \(rendered)")
    }

    @Test func numbersAndBooleansKeepTheirType() throws {
        let rendered = YAMLWriter.render(.map([("n", .int(42)), ("b", .bool(true))]))
        let node = try #require(try Yams.compose(yaml: rendered))
        #expect(node["n"]?.int == 42)
        #expect(node["b"]?.bool == true)
    }

    @Test func dollarsAreEscapedOnlyForComposeFiles() {
        let value = YAMLValue.map([("cmd", .string("echo $HOME"))])
        #expect(YAMLWriter.render(value, escapeDollars: true).contains("echo $$HOME"))
        #expect(YAMLWriter.render(value).contains("echo $HOME"))
    }

    @Test func mappingsKeepTheirOrderAndEmptyValuesAreLeftOut() {
        var builder = YAMLMapBuilder()
        builder.add("zeta", "1x")
        builder.add("alpha", "a")
        builder.add("empty", YAMLValue.list([]))
        builder.add("missing", nil as String?)
        #expect(YAMLWriter.render(builder.value) == "zeta: \"1x\"\nalpha: a\n")
    }

    @Test func nestedListsOfMappingsAreIndentedUnderTheirDash() throws {
        let value = YAMLValue.map([("volumes", .list([
            .map([("type", .string("bind")), ("source", .string("/mnt/data/etcd"))]),
            .map([("type", .string("bind")), ("source", .string("/mnt/data/x")), ("read_only", .bool(true))]),
        ]))])
        let rendered = YAMLWriter.render(value)
        #expect(rendered == """
        volumes:
          - type: bind
            source: /mnt/data/etcd
          - type: bind
            source: /mnt/data/x
            read_only: true

        """)
        let node = try #require(try Yams.compose(yaml: rendered))
        #expect(node["volumes"]?[1]?["read_only"]?.bool == true)
    }
}
