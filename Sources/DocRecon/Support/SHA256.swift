import Foundation

/// SHA-256 (FIPS 180-4), small and allocation-free per block. Used for document and file hashes
/// (the no-op re-ingest and re-import) and encounter keys. Foundation on Linux has no digest API and the project takes no
/// crypto dependency for this.
public struct SHA256 {
    private var h: State = SHA256.initial
    private var buffer = [UInt8](repeating: 0, count: 64)
    private var buffered = 0
    private var length: UInt64 = 0

    public init() {}

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    private mutating func block(_ p: UnsafeRawPointer) { SHA256.compress(&h, p) }

    typealias State = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    static let initial: State = (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)

    /// One-shot digest of a short message without heap allocation, as four big-endian words.
    static func digestWords(_ msg: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt64, UInt64) {
        var st = initial
        let n = msg.count
        var off = 0
        if let base = msg.baseAddress {
            while n - off >= 64 { compress(&st, base + off); off += 64 }
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
            let rem = n - off
            if rem > 0, let base = msg.baseAddress { UnsafeMutableRawPointer(tail.baseAddress!).copyMemory(from: base + off, byteCount: rem) }
            tail[rem] = 0x80
            let total = rem + 1 + 8 <= 64 ? 64 : 128
            for i in (rem + 1)..<(total - 8) { tail[i] = 0 }
            let bits = UInt64(n) &* 8
            for i in 0..<8 { tail[total - 1 - i] = UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8)) }
            compress(&st, UnsafeRawPointer(tail.baseAddress!))
            if total == 128 { compress(&st, UnsafeRawPointer(tail.baseAddress! + 64)) }
        }
        return (UInt64(st.0) << 32 | UInt64(st.1), UInt64(st.2) << 32 | UInt64(st.3),
                UInt64(st.4) << 32 | UInt64(st.5), UInt64(st.6) << 32 | UInt64(st.7))
    }

    static func compress(_ h: inout State, _ p: UnsafeRawPointer) {
        var w = (UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                 UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                 UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                 UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                 UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                 UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                 UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
                 UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0))
        withUnsafeMutableBytes(of: &w) { raw in
            let ws = raw.bindMemory(to: UInt32.self)
            for i in 0..<16 { ws[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
            for i in 16..<64 {
                let s0 = SHA256.rotr(ws[i - 15], 7) ^ SHA256.rotr(ws[i - 15], 18) ^ (ws[i - 15] >> 3)
                let s1 = SHA256.rotr(ws[i - 2], 17) ^ SHA256.rotr(ws[i - 2], 19) ^ (ws[i - 2] >> 10)
                ws[i] = ws[i - 16] &+ s0 &+ ws[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = h
            SHA256.k.withUnsafeBufferPointer { k in
                for i in 0..<64 {
                    let S1 = SHA256.rotr(e, 6) ^ SHA256.rotr(e, 11) ^ SHA256.rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = hh &+ S1 &+ ch &+ k[i] &+ ws[i]
                    let S0 = SHA256.rotr(a, 2) ^ SHA256.rotr(a, 13) ^ SHA256.rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = S0 &+ maj
                    hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                }
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e, h.5 &+ f, h.6 &+ g, h.7 &+ hh)
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress else { return }
        var n = bytes.count
        length &+= UInt64(n)
        if buffered > 0 {
            let take = min(64 - buffered, n)
            buffer.withUnsafeMutableBytes { b in (b.baseAddress! + buffered).copyMemory(from: p, byteCount: take) }
            buffered += take; p += take; n -= take
            if buffered == 64 {
                let copy = buffer
                copy.withUnsafeBytes { block($0.baseAddress!) }
                buffered = 0
            }
        }
        while n >= 64 { block(p); p += 64; n -= 64 }
        if n > 0 {
            buffer.withUnsafeMutableBytes { b in b.baseAddress!.copyMemory(from: p, byteCount: n) }
            buffered = n
        }
    }

    public mutating func update<C: ContiguousBytes>(_ data: C) { data.withUnsafeBytes { update($0) } }

    /// The 32-byte digest.
    public mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var pad: [UInt8] = [0x80]
        let rem = (buffered + 1) % 64
        pad += [UInt8](repeating: 0, count: rem <= 56 ? 56 - rem : 120 - rem)
        for i in (0..<8).reversed() { pad.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        let saved = length
        pad.withUnsafeBytes { update($0) }
        length = saved
        var out = [UInt8]()
        out.reserveCapacity(32)
        for v in [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7] {
            out += [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
        }
        return out
    }

    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var s = [UInt8](); s.reserveCapacity(digest.count * 2)
        for b in digest { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return String(decoding: s, as: UTF8.self)
    }

    public static func hash<C: ContiguousBytes>(_ data: C) -> [UInt8] { var s = SHA256(); s.update(data); return s.finalize() }

    /// The lower-case hex digest of `data` (document hashes).
    public static func hexDigest<C: ContiguousBytes>(of data: C) -> String { hex(hash(data)) }

    /// Hex digest of a file, read in 1 MiB chunks.
    public static func hexOfFile(_ path: String) throws -> String {
        guard let fh = FileHandle(forReadingAtPath: path) else { throw SpreadsheetError("\((path as NSString).lastPathComponent): cannot be read") }
        defer { try? fh.close() }
        var s = SHA256()
        while let chunk = try fh.read(upToCount: 1 << 20), !chunk.isEmpty { s.update(chunk) }
        return hex(s.finalize())
    }
}
