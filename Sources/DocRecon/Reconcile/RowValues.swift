import Foundation

/// The original cells of an imported row, kept in `charges.columns_json` as a JSON array in input
/// order (the headers are stored once, in `recon_imports.headers_json`): strings, numbers,
/// booleans, null for empty; dates as `yyyy-MM-dd` strings (written back as real date cells).
public enum RowValues {
    public static func encode(_ cells: [CellValue], into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(UInt8(ascii: "["))
        for (i, c) in cells.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            switch c {
            case .empty: out.append(contentsOf: "null".utf8)
            case .number(let d):
                if d.isFinite { out.append(contentsOf: CellValue.format(d).utf8) } else { out.append(contentsOf: "null".utf8) }
            case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
            case .date(let d): appendString(d.iso, to: &out)
            case .text(let s), .error(let s): appendString(s, to: &out)
            }
        }
        out.append(UInt8(ascii: "]"))
    }

    public static func encode(_ cells: [CellValue]) -> String {
        var out = [UInt8]()
        encode(cells, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Decodes what `encode` wrote. A string that is exactly a `yyyy-MM-dd` date comes back as a date.
    public static func decode(_ json: String) -> [CellValue] {
        var s = json
        return s.withUTF8 { buf -> [CellValue] in
            var out: [CellValue] = []
            var i = 0
            let n = buf.count
            func skipWS() { while i < n && (buf[i] == 0x20 || buf[i] == 0x0A || buf[i] == 0x0D || buf[i] == 0x09) { i += 1 } }
            skipWS()
            guard i < n, buf[i] == UInt8(ascii: "[") else { return [] }
            i += 1
            while i < n {
                skipWS()
                guard i < n else { break }
                let c = buf[i]
                if c == UInt8(ascii: "]") { break }
                if c == UInt8(ascii: ",") { i += 1; continue }
                if c == UInt8(ascii: "\"") {
                    i += 1
                    var bytes = [UInt8]()
                    var plainStart = i
                    var escaped = false
                    while i < n && buf[i] != UInt8(ascii: "\"") {
                        if buf[i] == UInt8(ascii: "\\") {
                            if !escaped { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[plainStart..<i])); escaped = true }
                            else { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[plainStart..<i])) }
                            i += 1
                            guard i < n else { break }
                            switch buf[i] {
                            case UInt8(ascii: "n"): bytes.append(0x0A)
                            case UInt8(ascii: "r"): bytes.append(0x0D)
                            case UInt8(ascii: "t"): bytes.append(0x09)
                            case UInt8(ascii: "u"):
                                if i + 4 < n, let v = UInt32(String(decoding: UnsafeBufferPointer(rebasing: buf[(i + 1)...(i + 4)]), as: UTF8.self), radix: 16),
                                   let sc = Unicode.Scalar(v) {
                                    bytes.append(contentsOf: Array(String(Character(sc)).utf8))
                                }
                                i += 4
                            default: bytes.append(buf[i])
                            }
                            i += 1
                            plainStart = i
                            continue
                        }
                        i += 1
                    }
                    let str: String
                    if escaped {
                        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[plainStart..<i]))
                        str = String(decoding: bytes, as: UTF8.self)
                    } else {
                        str = String(decoding: UnsafeBufferPointer(rebasing: buf[plainStart..<i]), as: UTF8.self)
                    }
                    i += 1
                    if str.utf8.count == 10, let d = CalendarDate(iso: str) { out.append(.date(d)) } else { out.append(.text(str)) }
                    continue
                }
                let start = i
                while i < n && buf[i] != UInt8(ascii: ",") && buf[i] != UInt8(ascii: "]") { i += 1 }
                let tok = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self).trimmingCharacters(in: .whitespaces)
                switch tok {
                case "null": out.append(.empty)
                case "true": out.append(.bool(true))
                case "false": out.append(.bool(false))
                default: out.append(Double(tok).map(CellValue.number) ?? .text(tok))
                }
            }
            return out
        }
    }
}
