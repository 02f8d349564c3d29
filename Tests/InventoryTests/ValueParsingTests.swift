import Inventory
import YAMLSource
import Testing

@Suite("Sizes, image references and image flags")
struct ValueParsingTests {
    @Test(arguments: [("64GiB", Int64(64) << 30), ("64G", 64 << 30), ("64GB", 64 << 30), ("512MiB", 512 << 20),
                      ("1TiB", 1 << 40), ("100", 100)])
    func byteSizesUseBinaryUnits(_ text: String, _ bytes: Int64) {
        #expect(ByteSize(parsing: text)?.bytes == bytes)
    }

    @Test(arguments: ["", "GiB", "4 gigs", "-1G", "1.5G", "99999999999999999999G"])
    func nonsenseIsNotASize(_ text: String) {
        #expect(ByteSize(parsing: text) == nil)
    }

    @Test(arguments: ["nginx", "nginx:1.27.3", "quay.io/coreos/etcd:v3.5.5", "localhost:5000/lab/milvus:2.3.0",
                      "10.77.0.1:5000/etcd@sha256:" + String(repeating: "a", count: 64),
                      "minio/minio:RELEASE.2023-03-20T20-16-18Z"])
    func validReferences(_ reference: String) {
        #expect(ImageMap.isValidReference(reference))
    }

    @Test(arguments: ["", "Nginx", "nginx:", "nginx:bad tag", "a//b", "nginx@sha256:xyz", "/nginx"])
    func invalidReferences(_ reference: String) {
        #expect(!ImageMap.isValidReference(reference))
    }

    @Test func imageFlagsNameAKnownImage() throws {
        let good = try InventoryLoader.parseImageFlag("etcd=registry.lab:5000/etcd:lab").get()
        #expect(good.0 == .etcd && good.1 == "registry.lab:5000/etcd:lab")
        #expect(throws: InputFileError.self) { try InventoryLoader.parseImageFlag("etc=x").get() }
        #expect(throws: InputFileError.self) { try InventoryLoader.parseImageFlag("etcd").get() }
    }

    @Test func overridesReplaceOnlyTheirImage() {
        let map = ImageMap().overriding([.milvus: "lab/milvus:stand-in"])
        #expect(map[.milvus] == "lab/milvus:stand-in")
        #expect(map[.etcd] == ImageMap.defaults[.etcd])
    }
}
