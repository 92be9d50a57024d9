import Foundation

/// The one way DocRecon reads a zip file (an .xlsx workbook): the file is mapped, its central
/// directory read by `ZipDirectory` (ZIP64 included), and each part inflated by igzip
/// (`RawInflater`) straight from the mapped bytes, with its size and CRC-32 checked against the
/// directory, always.
///
/// Why not ZIPFoundation's `extract`: its inflate loop (`Data.decode`, 0.9.20) runs
/// `while result != Z_STREAM_END` and keeps asking for more input at the end of the entry, so a
/// part whose deflate data is damaged in a way that never reaches the stream's end spins at
/// 100% CPU forever (three of 150 bit-flipped copies of an 11 KB sample did). igzip's loop here
/// stops when a call neither takes input nor gives output, and every part has a budget: its
/// inflated size may not pass the limit, nor (past a floor) a ratio of its compressed size.
///
/// Every failure is one `SpreadsheetError` naming the file and the part.
final class ZipArchive: @unchecked Sendable {
    let fileName: String
    /// The mapped file; entries' `data` ranges index into it.
    private let bytes: Data
    let entries: [ZipDirectory.Entry]
    private let index: [String: Int]

    init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        fileName = url.lastPathComponent
        let name = fileName
        do {
            bytes = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SpreadsheetError("\(name): cannot be read")
        }
        do {
            entries = try bytes.withUnsafeBytes { raw in
                try ZipDirectory.entries(of: raw.bindMemory(to: UInt8.self), what: name)
            }
        } catch let e as ZipDirectory.Damaged {
            throw SpreadsheetError("\(name): not an .xlsx workbook (the zip archive cannot be opened: \(e.reason))")
        }
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() where index[e.nameString] == nil { index[e.nameString] = i }
        self.index = index
    }

    subscript(_ name: String) -> ZipDirectory.Entry? { index[name].map { entries[$0] } }

    /// Hands the inflated bytes of `part` to `consume`, a piece at a time (the buffer is reused
    /// after the call returns). Throws, naming the part, when it is missing, encrypted, stored by a
    /// method other than store or deflate, larger than `maxBytes`, inflates like a zip bomb, or
    /// does not inflate to exactly the size and CRC its directory entry gives.
    func stream(_ part: String, maxBytes: Int64, limits: SpreadsheetLimits,
                _ consume: (UnsafeRawBufferPointer) throws -> Void) throws {
        let file = fileName
        guard let entry = self[part] else { throw SpreadsheetError("\(file): \(part) is missing from the workbook") }
        if entry.isEncrypted { throw SpreadsheetError("\(file): the part \(part) is encrypted") }
        guard entry.method == 0 || entry.method == 8 else {
            throw SpreadsheetError("\(file): the part \(part) is compressed with a method we do not read (\(entry.method))")
        }
        if Int64(entry.size) > maxBytes {
            throw SpreadsheetError("\(file): \(part) is \(entry.size) bytes uncompressed, more than the limit of \(maxBytes)")
        }
        let compressed = Int64(max(entry.compressedSize, 1))
        let clock = limits.maxSeconds.map { (start: ContinuousClock.now, limit: Duration.milliseconds(Int64($0 * 1000))) }
        var total: Int64 = 0
        func take(_ piece: UnsafeRawBufferPointer) throws {
            total += Int64(piece.count)
            if total > maxBytes {
                throw SpreadsheetError("\(file): \(part) inflates past the limit of \(maxBytes) bytes (zip bomb?)")
            }
            if total > limits.ratioFloorBytes && total > compressed * limits.maxCompressionRatio {
                throw SpreadsheetError("\(file): \(part) inflates more than \(limits.maxCompressionRatio) times its compressed size (zip bomb?)")
            }
            if let clock, ContinuousClock.now - clock.start > clock.limit {
                throw SpreadsheetError("\(file): reading \(part) took longer than its limit of \(limits.maxSeconds ?? 0) s")
            }
            try consume(piece)
        }
        try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let data = UnsafeRawBufferPointer(rebasing: raw[entry.data])
            let size: Int, crc: UInt32
            if entry.method == 0 {
                var at = 0
                var c: UInt32 = 0
                while at < data.count {
                    let piece = UnsafeRawBufferPointer(rebasing: data[at..<min(data.count, at + (256 << 10))])
                    c = Zlib.crc32(piece, continuing: c)
                    try take(piece)
                    at += piece.count
                }
                (size, crc) = (data.count, c)
            } else {
                do {
                    (size, crc) = try RawInflater.inflate(data, maxOutput: Int(min(maxBytes, Int64(Int.max / 2))) + 1, take)
                } catch is RawInflater.Failure {
                    throw SpreadsheetError("\(file): the part \(part) is damaged (its data does not inflate)")
                }
            }
            guard size == entry.size, crc == entry.crc else {
                throw SpreadsheetError("\(file): the part \(part) is damaged (its size or CRC is not the one the zip directory gives)")
            }
        }
    }
}
