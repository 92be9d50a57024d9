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

    public static func cptCodes(_ s: String) -> [String] {
        s.uppercased().split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "|" })
            .map(String.init).filter { !$0.isEmpty }
    }
}

/// SHA-256 of the normalised Patient Name, DOB, Date of Service, Facility and CPT (DOMAIN.md):
/// the same encounter has the same key in every run and every source.
public struct EncounterKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let bytes: (UInt64, UInt64, UInt64, UInt64)

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
        [bytes.0, bytes.1, bytes.2, bytes.3].flatMap { w in (0..<8).map { UInt8(truncatingIfNeeded: w >> (56 - 8 * UInt64($0))) } }
    }
    public var hex: String { ReconSHA256.hex(digest) }
    public var description: String { hex }

    public static func == (a: EncounterKey, b: EncounterKey) -> Bool { a.bytes == b.bytes }
    public func hash(into h: inout Hasher) { h.combine(bytes.0); h.combine(bytes.1) }
    public static func < (a: EncounterKey, b: EncounterKey) -> Bool { a.bytes < b.bytes }

    /// The key of an encounter from its fields (the normalised fields are separated by U+001F).
    public static func make(patientName: String, dob: CalendarDate?, dateOfService: CalendarDate?,
                            facility: String, cpt: String) -> EncounterKey {
        var buf = [UInt8]()
        buf.reserveCapacity(128)
        Normalize.append(patientName, to: &buf); buf.append(0x1F)
        buf.append(contentsOf: (dob?.iso ?? "").utf8); buf.append(0x1F)
        buf.append(contentsOf: (dateOfService?.iso ?? "").utf8); buf.append(0x1F)
        Normalize.append(facility, to: &buf); buf.append(0x1F)
        buf.append(contentsOf: Normalize.cptList(cpt).utf8)
        return EncounterKey(digest: ReconSHA256.hash(buf))
    }

    public static func of(_ c: Charge) -> EncounterKey {
        make(patientName: c.patientName, dob: c.patientDob, dateOfService: c.dateOfService, facility: c.facility, cpt: c.cpt)
    }
}

/// Dates as they arrive in exports: text `MM-dd-yyyy`, `yyyy-MM-dd`, `MM/dd/yyyy` (month and day
/// may be one digit, a time after a space or `T` is ignored), or an Excel serial.
public enum DateText {
    public static func parse(_ raw: String) -> CalendarDate? {
        var s = Substring(raw.trimmingCharacters(in: .whitespaces))
        if let cut = s.firstIndex(where: { $0 == " " || $0 == "T" }) { s = s[..<cut] }
        let parts = s.split(separator: s.contains("/") ? "/" : "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        if parts[0].count == 4 {
            guard parts[1].count <= 2, parts[2].count <= 2 else { return nil }
            return CalendarDate(year: Int(parts[0])!, month: Int(parts[1])!, day: Int(parts[2])!)
        }
        guard parts[0].count <= 2, parts[1].count <= 2, parts[2].count == 4 else { return nil }
        return CalendarDate(year: Int(parts[2])!, month: Int(parts[0])!, day: Int(parts[1])!)
    }

    /// A date from a cell: a date cell, a serial number in `system`, or text.
    public static func from(_ cell: CellValue, system: DateSystem) -> CalendarDate? {
        switch cell {
        case .date(let d): return d
        case .number(let n): return n >= 1 ? system.date(serial: n) : nil
        case .text(let t):
            if let d = parse(t) { return d }
            if let n = Double(t.trimmingCharacters(in: .whitespaces)), n >= 1, n < 2_958_466 { return system.date(serial: n) }
            return nil
        default: return nil
        }
    }
}
