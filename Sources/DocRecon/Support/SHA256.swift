import CSHA256
import Foundation

/// SHA-256 (FIPS 180-4), allocation-free per block. Used for document and file hashes (the no-op
/// re-ingest and re-import) and encounter keys. Foundation on Linux has no digest API and the
/// project takes no crypto dependency for this: the compression function is the small C target
/// CSHA256 (the SHA extensions of the processor where present; 5x the portable code here).
public struct SHA256 {
    private var h: State = SHA256.initial
    private var buffer = [UInt8](repeating: 0, count: 64)
    private var buffered = 0
    private var length: UInt64 = 0

    public init() {}

    private mutating func block(_ p: UnsafeRawPointer) { SHA256.compress(&h, p) }

    typealias State = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    static let initial: State = (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)

    /// One-shot digest of a short message without heap allocation, as four big-endian words.
    static func digestWords(_ msg: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt64, UInt64) {
        var st = initial
        let n = msg.count
        var off = 0
        if let base = msg.baseAddress {
            if n >= 64 { compress(&st, base, blocks: n / 64); off = n / 64 * 64 }
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

    /// Runs the compression function over `blocks` whole 64-byte blocks (CSHA256: the processor's
    /// SHA extensions where it has them, portable C elsewhere).
    static func compress(_ h: inout State, _ p: UnsafeRawPointer, blocks: Int = 1) {
        withUnsafeMutableBytes(of: &h) { st in
            docrecon_sha256_blocks(st.baseAddress!.assumingMemoryBound(to: UInt32.self),
                                   p.assumingMemoryBound(to: UInt8.self), blocks)
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
        if n >= 64 {
            let whole = n / 64
            SHA256.compress(&h, p, blocks: whole)
            p += whole * 64; n -= whole * 64
        }
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
