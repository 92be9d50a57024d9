/// The central directory of a (non-ZIP64) zip file held in memory or mapped: where each entry's
/// compressed bytes are, its method, sizes and CRC. Shared by the writer's splice (copying
/// libxlsxwriter's entries) and the reader (inflating an export's sheet straight from the file).
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
    }

    private static func u16<B: RandomAccessCollection<UInt8>>(_ b: B, _ i: Int) -> UInt16 where B.Index == Int {
        UInt16(b[i]) | UInt16(b[i + 1]) << 8
    }
    private static func u32<B: RandomAccessCollection<UInt8>>(_ b: B, _ i: Int) -> UInt32 where B.Index == Int {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    /// The entries of a (non-ZIP64) zip file held in memory (or mapped), in central-directory order.
    static func entries<B: RandomAccessCollection<UInt8>>(of b: B, what: String) throws -> [Entry]
    where B.Index == Int {
        func bad(_ why: String) -> SpreadsheetError { SpreadsheetError("\(what) is not a zip file we can read (\(why))") }
        guard b.count >= 22 else { throw bad("too short") }
        var eocd = -1
        var i = b.count - 22
        let stop = max(0, b.count - 22 - 65_535)
        while i >= stop {
            if b[i] == 0x50 && u32(b, i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw bad("no end of central directory") }
        let count = Int(u16(b, eocd + 10))
        let cdSize = Int(u32(b, eocd + 12)), cdOffset = Int(u32(b, eocd + 16))
        guard cdOffset + cdSize <= eocd, count != 0xFFFF, cdOffset != 0xFFFF_FFFF else { throw bad("ZIP64 or damaged directory") }
        var out: [Entry] = []
        var p = cdOffset
        for _ in 0..<count {
            guard p + 46 <= b.count, u32(b, p) == 0x0201_4B50 else { throw bad("damaged central directory") }
            let nameLen = Int(u16(b, p + 28)), extraLen = Int(u16(b, p + 30)), commentLen = Int(u16(b, p + 32))
            let local = Int(u32(b, p + 42))
            let csize = Int(u32(b, p + 20)), size = Int(u32(b, p + 24))
            guard p + 46 + nameLen <= b.count, local + 30 <= b.count, u32(b, local) == 0x0403_4B50 else { throw bad("damaged entry") }
            let dataStart = local + 30 + Int(u16(b, local + 26)) + Int(u16(b, local + 28))
            guard dataStart + csize <= b.count else { throw bad("entry past the end") }
            out.append(Entry(name: Array(b[(p + 46)..<(p + 46 + nameLen)]), versionMadeBy: u16(b, p + 4), versionNeeded: u16(b, p + 6),
                             flags: u16(b, p + 8) & ~0x0008, method: u16(b, p + 10), time: u16(b, p + 12), date: u16(b, p + 14),
                             crc: u32(b, p + 16), compressedSize: csize, size: size, externalAttributes: u32(b, p + 38),
                             data: dataStart..<(dataStart + csize)))
            p += 46 + nameLen + extraLen + commentLen
        }
        return out
    }
}
