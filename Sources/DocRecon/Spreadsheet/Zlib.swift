import CSystemZlib
import Foundation

/// The one owning wrapper around zlib: raw inflate of a small part, and CRC-32 (deflating is
/// ISA-L's, `RawDeflater` in Igzip.swift). Nothing outside this file sees a C pointer.
public enum Zlib {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// CRC-32 of `bytes`, continuing from `crc` (0 to start).
    public static func crc32(_ bytes: some ContiguousBytes, continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { raw -> UInt32 in
            guard let base = raw.baseAddress, raw.count > 0 else { return crc }
            var c = uLong(crc)
            var p = base.assumingMemoryBound(to: Bytef.self)
            var left = raw.count
            while left > 0 {  // zlib takes a 32-bit length
                let n = min(left, 1 << 30)
                c = CSystemZlib.crc32(c, p, uInt(n))
                p += n; left -= n
            }
            return UInt32(truncatingIfNeeded: c)
        }
    }

    /// The CRC-32 of A followed by B, from crc(A), crc(B) and B's length.
    public static func crc32Combine(_ a: UInt32, _ b: UInt32, lengthOfB: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: CSystemZlib.crc32_combine(uLong(a), uLong(b), off_t(lengthOfB)))
    }

    /// Inflates a raw deflate stream whose inflated size is known (a zip entry's). Throws when the
    /// stream is damaged or does not inflate to exactly `size` bytes.
    public static func inflateRaw(_ compressed: some ContiguousBytes, size: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var strm = z_stream()
        guard inflateInit2_(&strm, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "zlib: cannot start inflating")
        }
        defer { inflateEnd(&strm) }
        let rc: Int32 = compressed.withUnsafeBytes { src -> Int32 in
            out.withUnsafeMutableBytes { dst -> Int32 in
                strm.next_in = UnsafeMutablePointer(mutating: src.baseAddress?.assumingMemoryBound(to: Bytef.self))
                strm.avail_in = uInt(src.count)
                strm.next_out = dst.baseAddress?.assumingMemoryBound(to: Bytef.self)
                strm.avail_out = uInt(dst.count)
                return inflate(&strm, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END, Int(strm.total_out) == size else {
            throw Failure(description: "zlib: a compressed part is damaged (inflate \(rc))")
        }
        return out
    }
}
