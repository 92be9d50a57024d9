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
            case .date(let d):
                out.append(UInt8(ascii: "\"")); FastText.appendISO(d, to: &out); out.append(UInt8(ascii: "\""))
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
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
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
        var out: [CellValue] = []
        s.withUTF8 { decode($0, into: &out) }
        return out
    }

    /// Decodes into `out` (cleared first), reusing its storage.
    static func decode(_ buf: UnsafeBufferPointer<UInt8>, into out: inout [CellValue]) {
        out.removeAll(keepingCapacity: true)
        var i = 0
        let n = buf.count
        func skipWS() { while i < n && (buf[i] == 0x20 || buf[i] == 0x0A || buf[i] == 0x0D || buf[i] == 0x09) { i += 1 } }
        skipWS()
        guard i < n, buf[i] == UInt8(ascii: "[") else { return }
        i += 1
        while i < n {
            skipWS()
            guard i < n else { break }
            let c = buf[i]
            if c == UInt8(ascii: "]") { break }
            if c == UInt8(ascii: ",") { i += 1; continue }
            if c == UInt8(ascii: "\"") {
                i += 1
                let start = i
                var escaped = false
                while i < n && buf[i] != UInt8(ascii: "\"") {
                    if buf[i] == UInt8(ascii: "\\") { escaped = true; i += 1 }
                    i += 1
                }
                let end = min(i, n)
                i += 1
                let raw = UnsafeBufferPointer(rebasing: buf[start..<end])
                if !escaped && raw.count == 10, let d = FastText.isoDate(raw) { out.append(.date(d)); continue }
                if !escaped { out.append(.text(String(decoding: raw, as: UTF8.self))); continue }
                out.append(.text(unescape(raw)))
                continue
            }
            let start = i
            while i < n && buf[i] != UInt8(ascii: ",") && buf[i] != UInt8(ascii: "]") { i += 1 }
            let tok = UnsafeBufferPointer(rebasing: buf[start..<i])
            if tok.starts(with: "null".utf8) { out.append(.empty) }
            else if tok.starts(with: "true".utf8) { out.append(.bool(true)) }
            else if tok.starts(with: "false".utf8) { out.append(.bool(false)) }
            else if let d = XmlBytes.double(buf, start..<i) { out.append(.number(d)) }
            else { out.append(.text(String(decoding: tok, as: UTF8.self))) }
        }
    }

    static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let b = raw[i]
            guard b == UInt8(ascii: "\\"), i + 1 < raw.count else { bytes.append(b); i += 1; continue }
            i += 1
            switch raw[i] {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                if i + 4 < raw.count,
                   let v = UInt32(String(decoding: UnsafeBufferPointer(rebasing: raw[(i + 1)...(i + 4)]), as: UTF8.self), radix: 16),
                   let sc = Unicode.Scalar(v) {
                    bytes.append(contentsOf: Array(String(Character(sc)).utf8))
                }
                i += 4
            default: bytes.append(raw[i])
            }
            i += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
