import Foundation

/// Normalisation used by the encounter key and the rosters: trimmed, upper-cased, inner
/// whitespace folded to one space.
public enum Normalize {
    public static func name(_ s: String) -> String {
        var out = [UInt8]()
        append(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the normalised bytes of `s` (ASCII fast path; other text through `uppercased()`).
    @inline(__always)
    static func append(_ s: String, to out: inout [UInt8]) {
        var ascii = true
        for b in s.utf8 where b >= 0x80 { ascii = false; break }
        let src = ascii ? s : s.uppercased()
        var pendingSpace = false
        var wrote = false
        for var b in src.utf8 {
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0xA0 {
                pendingSpace = wrote
                continue
            }
            if b >= 0x61 && b <= 0x7A { b -= 32 }
            if pendingSpace { out.append(0x20); pendingSpace = false }
            out.append(b)
            wrote = true
        }
    }

    /// CPT cell → canonical list: codes split on commas, semicolons and whitespace, upper-cased,
    /// sorted, joined with ",". "99309, 99307" and "99307,99309" are the same encounter.
    public static func cptList(_ s: String) -> String { cptCodes(s).sorted().joined(separator: ",") }

    @inline(__always) static func isCPTSeparator(_ b: UInt8) -> Bool {
        b == 0x2C || b == 0x3B || b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x7C
    }

    /// Appends the canonical CPT list; a single code (the usual case) without allocating.
    static func appendCPTList(_ s: String, to out: inout [UInt8]) {
        var count = 0
        var inCode = false
        for b in s.utf8 {
            if isCPTSeparator(b) { inCode = false } else if !inCode { inCode = true; count += 1 }
            if b >= 0x80 { count = 99; break }
        }
        if count <= 1 {
            for var b in s.utf8 where !isCPTSeparator(b) { if b >= 0x61 && b <= 0x7A { b -= 32 }; out.append(b) }
            return
        }
        out.append(contentsOf: cptList(s).utf8)
    }

    /// Number of codes in a CPT cell.
    static func cptCount(_ s: String) -> Int {
        var count = 0
        var inCode = false
        for b in s.utf8 { if isCPTSeparator(b) { inCode = false } else if !inCode { inCode = true; count += 1 } }
        return count
    }

    public static func cptCodes(_ s: String) -> [String] {
        s.uppercased().split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "|" })
            .map(String.init).filter { !$0.isEmpty }
    }
}

/// SHA-256 of the normalised Patient Name, DOB, Date of Service, Facility and CPT (DOMAIN.md):
/// the same encounter has the same key in every run and every source.
public struct EncounterKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let bytes: (UInt64, UInt64, UInt64, UInt64)

    init(words: (UInt64, UInt64, UInt64, UInt64)) { bytes = words }

    public init(digest: [UInt8]) {
        precondition(digest.count == 32)
        func word(_ i: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(digest[i * 8 + $1]) } }
        bytes = (word(0), word(1), word(2), word(3))
    }

    public init?(hex: String) {
        guard hex.count == 64 else { return nil }
        var d = [UInt8]()
        var it = hex.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let hi = EncounterKey.nibble(a), let lo = EncounterKey.nibble(b) else { return nil }
            d.append(hi << 4 | lo)
        }
        self.init(digest: d)
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    public var digest: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let words = [bytes.0, bytes.1, bytes.2, bytes.3]
        for w in 0..<4 { for b in 0..<8 { out[w * 8 + b] = UInt8(truncatingIfNeeded: words[w] >> (56 - 8 * UInt64(b))) } }
        return out
    }
    public var hex: String { SHA256.hex(digest) }
    public var description: String { hex }

    public static func == (a: EncounterKey, b: EncounterKey) -> Bool { a.bytes == b.bytes }
    public func hash(into h: inout Hasher) { h.combine(bytes.0); h.combine(bytes.1) }
    public static func < (a: EncounterKey, b: EncounterKey) -> Bool { a.bytes < b.bytes }

    /// The key of an encounter from its fields (the normalised fields are separated by U+001F).
    public static func make(patientName: String, dob: CalendarDate?, dateOfService: CalendarDate?,
                            facility: String, cpt: String) -> EncounterKey {
        var buf = [UInt8]()
        buf.reserveCapacity(128)
        return make(patientName: patientName, dob: dob, dateOfService: dateOfService, facility: facility, cpt: cpt, scratch: &buf)
    }

    /// Same, reusing `scratch` (no allocation per call in the bulk paths).
    static func make(patientName: String, dob: CalendarDate?, dateOfService: CalendarDate?,
                     facility: String, cpt: String, scratch buf: inout [UInt8]) -> EncounterKey {
        buf.removeAll(keepingCapacity: true)
        Normalize.append(patientName, to: &buf); buf.append(0x1F)
        if let dob { FastText.appendISO(dob, to: &buf) }
        buf.append(0x1F)
        if let dateOfService { FastText.appendISO(dateOfService, to: &buf) }
        buf.append(0x1F)
        Normalize.append(facility, to: &buf); buf.append(0x1F)
        Normalize.appendCPTList(cpt, to: &buf)
        return EncounterKey(words: buf.withUnsafeBytes { SHA256.digestWords($0) })
    }

    public static func of(_ c: Charge) -> EncounterKey {
        make(patientName: c.patientName, dob: c.patientDob, dateOfService: c.dateOfService, facility: c.facility, cpt: c.cpt)
    }
}

/// Dates as they arrive in exports: text `MM-dd-yyyy`, `yyyy-MM-dd`, `MM/dd/yyyy` (month and day
/// may be one digit, a time after a space or `T` is ignored), or an Excel serial.
public enum DateText {
    public static func parse(_ raw: String) -> CalendarDate? {
        var nums = (0, 0, 0)
        var lens = (0, 0, 0)
        var part = 0
        var sep: UInt8 = 0
        var started = false
        for b in raw.utf8 {
            if b >= 48 && b <= 57 {
                started = true
                switch part {
                case 0: nums.0 = nums.0 * 10 + Int(b - 48); lens.0 += 1
                case 1: nums.1 = nums.1 * 10 + Int(b - 48); lens.1 += 1
                default: nums.2 = nums.2 * 10 + Int(b - 48); lens.2 += 1
                }
                if lens.0 > 4 || lens.1 > 2 || lens.2 > 4 { return nil }
            } else if b == 0x2D || b == 0x2F {  // - or /
                guard started, part < 2, sep == 0 || sep == b else { return nil }
                sep = b
                part += 1
            } else if b == 0x20 || b == 0x54 || b == 0x09 {  // space or T: a time may follow
                if !started { continue }
                break
            } else {
                return nil
            }
        }
        guard part == 2, lens.0 > 0, lens.1 > 0, lens.2 > 0 else { return nil }
        if lens.0 == 4 {
            guard lens.2 <= 2 else { return nil }
            return CalendarDate(year: nums.0, month: nums.1, day: nums.2)
        }
        guard lens.0 <= 2, lens.2 == 4 else { return nil }
        return CalendarDate(year: nums.2, month: nums.0, day: nums.1)
    }

    /// A date from a cell: a date cell, a serial number in `system`, or text.
    public static func from(_ cell: CellValue, system: DateSystem) -> CalendarDate? {
        switch cell {
        case .date(let d): return d
        case .number(let n): return n >= 1 ? system.date(serial: n) : nil
        case .text(let t):
            if let d = parse(t) { return d }
            if t.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 0x2E || $0 == 0x20 }),
               let n = Double(FastText.trim(t)), n >= 1, n < 2_958_466 { return system.date(serial: n) }
            return nil
        default: return nil
        }
    }
}
