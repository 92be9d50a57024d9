import Crypto
import Foundation

/// SHA-256 for document and file hashes (the no-op re-ingest and re-import), audit rows and
/// encounter keys: swift-crypto's (BoringSSL on Linux, which uses the processor's SHA extensions
/// where present), behind the few calls the stages make. (Until issue 16 this was a C target of
/// our own; bench/hash measures the two.)
public struct SHA256 {
    private var inner = Crypto.SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) { inner.update(bufferPointer: bytes) }

    public mutating func update<C: ContiguousBytes>(_ data: C) { data.withUnsafeBytes { inner.update(bufferPointer: $0) } }

    /// The 32-byte digest.
    public mutating func finalize() -> [UInt8] { Array(inner.finalize()) }

    /// The digest of a short message as four big-endian words (encounter keys).
    static func digestWords(_ msg: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt64, UInt64) {
        Crypto.SHA256.hash(data: msg).withUnsafeBytes { d in
            (UInt64(bigEndian: d.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: d.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
             UInt64(bigEndian: d.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
             UInt64(bigEndian: d.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        }
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
