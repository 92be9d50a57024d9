import CSHA256
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

    @Test("the SHA-extension blocks equal the portable blocks (random states, data and block counts)")
    func extensionsEqualPortable() throws {
        guard docrecon_sha256_has_sha_ni() == 1 else {
            // Nothing to compare on a processor without them: every hash here is the portable code.
            var st = [UInt32](repeating: 0, count: 8)
            #expect(docrecon_sha256_blocks_sha_ni(&st, [UInt8](repeating: 0, count: 64), 1) == 0)
            return
        }
        var rng = SplitMix64(state: 20261124)
        for _ in 0..<300 {
            let blocks = Int(rng.next() % 40)
            let data = (0..<(blocks * 64 + 1)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let start = (0..<8).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
            var portable = start, fast = start
            data.withUnsafeBufferPointer { d in
                docrecon_sha256_blocks_portable(&portable, d.baseAddress, blocks)
                #expect(docrecon_sha256_blocks_sha_ni(&fast, d.baseAddress, blocks) == 1)
            }
            #expect(fast == portable)
        }
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
