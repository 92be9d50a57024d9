import Foundation
import Testing
@testable import DocRecon

@Suite("SHA-256")
struct SHA256Tests {
    @Test("FIPS 180-4 vectors, one call and byte by byte", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func vectors(message: String, digest: String) {
        let bytes = Array(message.utf8)
        #expect(SHA256.hex(SHA256.hash(bytes)) == digest)
        var s = SHA256()
        for b in bytes { s.update([b]) }
        #expect(SHA256.hex(s.finalize()) == digest)
    }

    @Test("a million 'a's (the long FIPS vector: many blocks in one call)")
    func millionA() {
        #expect(SHA256.hexDigest(of: [UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("encounter keys' four words are the digest's bytes, big-endian, for messages around the block sizes",
          arguments: [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000])
    func digestWords(length: Int) {
        var rng = SplitMix64(state: UInt64(length) + 11)
        let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let d = SHA256.hash(bytes)
        let words = bytes.withUnsafeBytes { SHA256.digestWords($0) }
        let expected = (0..<4).map { k in d[(k * 8)..<(k * 8 + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        #expect([words.0, words.1, words.2, words.3] == expected)
    }

    @Test("a file's digest is the digest of its bytes (read in 1 MiB chunks)")
    func fileDigest() throws {
        let dir = try TestSupport.tempDir()
        let path = dir.appendingPathComponent("blob.bin").path
        var rng = SplitMix64(state: 7)
        let bytes = (0..<((3 << 20) + 17)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try SHA256.hexOfFile(path) == SHA256.hexDigest(of: bytes))
    }
}
