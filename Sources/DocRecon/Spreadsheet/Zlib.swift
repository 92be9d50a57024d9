import CSystemZlib
import Foundation

/// The one owning wrapper around zlib: raw deflate streams (no zlib header, as zip entries hold
/// them), raw inflate of a small part, and CRC-32. Nothing outside this file sees a C pointer.
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

    /// Raw-deflates `bytes` in one go, ending the stream (a small part: a sheet's head or tail).
    public static func deflateRaw(_ bytes: some ContiguousBytes, level: Int32 = 1, final: Bool) throws -> [UInt8] {
        let d = try RawDeflater(level: level)
        var out: [UInt8] = []
        try d.compress(bytes, flush: final ? .finish : .full, into: &out)
        return out
    }
}

/// One raw deflate stream (owns its z_stream; one thread at a time). Feed it with `.none` and end
/// it with `.finish`, or with `.full` to leave it byte-aligned and open, so that another stream's
/// output can follow it in the same zip entry (how pigz joins independently compressed chunks).
public final class RawDeflater {
    public enum Flush { case none, full, finish }

    private var strm = z_stream()
    private let chunk = 256 << 10
    private let buffer: UnsafeMutablePointer<Bytef>
    private var ended = false
    /// Bytes taken in and given out so far.
    public private(set) var totalIn = 0
    public private(set) var totalOut = 0

    public init(level: Int32 = 1) throws {
        buffer = .allocate(capacity: chunk)
        // memLevel 8 and the default strategy, as zlib's own default; a raw stream (-15).
        guard deflateInit2_(&strm, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            buffer.deallocate()
            throw Zlib.Failure(description: "zlib: cannot start deflating at level \(level)")
        }
    }

    deinit {
        deflateEnd(&strm)
        buffer.deallocate()
    }

    /// Compresses `input` and appends what zlib gives out to `out`.
    public func compress(_ input: some ContiguousBytes, flush: Flush, into out: inout [UInt8]) throws {
        guard !ended else { throw Zlib.Failure(description: "zlib: the stream was already finished") }
        let mode: Int32 = switch flush { case .none: Z_NO_FLUSH; case .full: Z_FULL_FLUSH; case .finish: Z_FINISH }
        try input.withUnsafeBytes { src in
            var p = src.baseAddress?.assumingMemoryBound(to: Bytef.self)
            var left = src.count
            totalIn += left
            repeat {
                let n = min(left, 1 << 30)
                left -= n
                strm.next_in = UnsafeMutablePointer(mutating: p)
                strm.avail_in = uInt(n)
                let m = left > 0 ? Z_NO_FLUSH : mode
                repeat {
                    strm.next_out = buffer
                    strm.avail_out = uInt(chunk)
                    let rc = deflate(&strm, m)
                    guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                        throw Zlib.Failure(description: "zlib: deflate failed (\(rc))")
                    }
                    let produced = chunk - Int(strm.avail_out)
                    if produced > 0 {
                        out.append(contentsOf: UnsafeBufferPointer(start: buffer, count: produced))
                        totalOut += produced
                    }
                } while strm.avail_out == 0
                p = p.map { $0 + n }
            } while left > 0
        }
        if flush == .finish { ended = true }
    }
}
