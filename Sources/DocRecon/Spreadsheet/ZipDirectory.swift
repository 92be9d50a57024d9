/// The central directory of a zip file held in memory or mapped: where each entry's compressed
/// bytes are, its method, sizes and CRC. ZIP64 archives (more than 65,535 entries, or an entry or
/// offset past 4 GiB) are read through their ZIP64 end record and each entry's ZIP64 extra field.
/// Shared by the writer's splice (copying libxlsxwriter's entries) and the reader (`ZipArchive`).
///
/// Every offset and length read from the file is checked against the file's size before it is
/// used: a damaged directory is refused with the reason, never followed.
enum ZipDirectory {
    /// One entry of a zip file, as its central directory describes it.
    struct Entry {
        var name: [UInt8]
        var versionMadeBy: UInt16
        var versionNeeded: UInt16
        var flags: UInt16
        var method: UInt16
        var time: UInt16
        var date: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var externalAttributes: UInt32
        /// Where its compressed bytes are in the file.
        var data: Range<Int>
        var nameString: String { String(decoding: name, as: UTF8.self) }
        /// Bit 0 of the general-purpose flags: the entry is encrypted.
        var isEncrypted: Bool { flags & 0x0001 != 0 }
    }

    private static func u16<B: RandomAccessCollection<UInt8>>(_ b: B, _ i: Int) -> UInt16 where B.Index == Int {
        UInt16(b[i]) | UInt16(b[i + 1]) << 8
    }
    private static func u32<B: RandomAccessCollection<UInt8>>(_ b: B, _ i: Int) -> UInt32 where B.Index == Int {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
    private static func u64<B: RandomAccessCollection<UInt8>>(_ b: B, _ i: Int) -> UInt64 where B.Index == Int {
        UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32
    }

    /// Why a directory is refused (`reason` in words, e.g. "damaged central directory").
    struct Damaged: Error, CustomStringConvertible {
        var what: String
        var reason: String
        var description: String { "\(what) is not a zip file we can read (\(reason))" }
    }

    /// The entries of a zip file held in memory (or mapped), in central-directory order. Throws
    /// `Damaged` with the reason.
    static func entries<B: RandomAccessCollection<UInt8>>(of b: B, what: String) throws -> [Entry]
    where B.Index == Int {
        func bad(_ why: String) -> Damaged { Damaged(what: what, reason: why) }
        let n = b.count
        guard n >= 22 else { throw bad("too short") }
        var eocd = -1
        var i = n - 22
        let stop = max(0, n - 22 - 65_535)
        while i >= stop {
            if b[i] == 0x50 && u32(b, i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw bad("no end of central directory") }
        var count = Int(u16(b, eocd + 10))
        var cdSize = Int(u32(b, eocd + 12)), cdOffset = Int(u32(b, eocd + 16))
        var cdEnd = eocd
        // ZIP64: a locator just before the end record points to the ZIP64 end record.
        if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF,
           eocd >= 20, u32(b, eocd - 20) == 0x0706_4B50 {
            let recordAt = u64(b, eocd - 20 + 8)
            guard recordAt <= UInt64(eocd - 20 - 56), u32(b, Int(recordAt)) == 0x0606_4B50 else {
                throw bad("damaged ZIP64 end record")
            }
            let r = Int(recordAt)
            let c64 = u64(b, r + 32), s64 = u64(b, r + 40), o64 = u64(b, r + 48)
            guard c64 <= UInt64(n), s64 <= UInt64(n), o64 <= UInt64(n) else { throw bad("damaged ZIP64 end record") }
            count = Int(c64); cdSize = Int(s64); cdOffset = Int(o64)
            cdEnd = r
        }
        guard cdOffset <= cdEnd, cdSize <= cdEnd - cdOffset else { throw bad("damaged directory") }
        // Each central record is at least 46 bytes: a count the directory cannot hold is damage.
        guard count <= cdSize / 46 + 1 else { throw bad("damaged directory") }
        var out: [Entry] = []
        out.reserveCapacity(count)
        var p = cdOffset
        for _ in 0..<count {
            guard p + 46 <= cdEnd, u32(b, p) == 0x0201_4B50 else { throw bad("damaged central directory") }
            let nameLen = Int(u16(b, p + 28)), extraLen = Int(u16(b, p + 30)), commentLen = Int(u16(b, p + 32))
            guard p + 46 + nameLen + extraLen + commentLen <= cdEnd else { throw bad("damaged central directory") }
            var csize = Int(u32(b, p + 20)), size = Int(u32(b, p + 24)), local = Int(u32(b, p + 42))
            if csize == 0xFFFF_FFFF || size == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                // The ZIP64 extra field (id 1) holds, in this order, those of the three that are
                // 0xFFFFFFFF in the fixed fields.
                var x = p + 46 + nameLen
                let xEnd = x + extraLen
                var found = false
                while x + 4 <= xEnd {
                    let id = u16(b, x), len = Int(u16(b, x + 2))
                    guard x + 4 + len <= xEnd else { break }
                    if id == 0x0001 {
                        var f = x + 4
                        func next() throws -> Int {
                            guard f + 8 <= x + 4 + len else { throw bad("damaged ZIP64 field") }
                            let v = u64(b, f); f += 8
                            guard v <= UInt64(Int.max) else { throw bad("damaged ZIP64 field") }
                            return Int(v)
                        }
                        if size == 0xFFFF_FFFF { size = try next() }
                        if csize == 0xFFFF_FFFF { csize = try next() }
                        if local == 0xFFFF_FFFF { local = try next() }
                        found = true
                        break
                    }
                    x += 4 + len
                }
                guard found else { throw bad("an entry's ZIP64 sizes are missing") }
            }
            guard local <= n - 30, u32(b, local) == 0x0403_4B50 else { throw bad("damaged entry") }
            let dataStart = local + 30 + Int(u16(b, local + 26)) + Int(u16(b, local + 28))
            guard dataStart <= n, csize <= n - dataStart else { throw bad("entry past the end") }
            out.append(Entry(name: Array(b[(p + 46)..<(p + 46 + nameLen)]), versionMadeBy: u16(b, p + 4), versionNeeded: u16(b, p + 6),
                             flags: u16(b, p + 8) & ~0x0008, method: u16(b, p + 10), time: u16(b, p + 12), date: u16(b, p + 14),
                             crc: u32(b, p + 16), compressedSize: csize, size: size, externalAttributes: u32(b, p + 38),
                             data: dataStart..<(dataStart + csize)))
            p += 46 + nameLen + extraLen + commentLen
        }
        return out
    }
}
