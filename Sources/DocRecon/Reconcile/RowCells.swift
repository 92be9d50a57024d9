import Foundation

/// The original cells of an imported row in a compact binary form (`charges.columns_bin`, since
/// migration v7; older rows keep `charges.columns_json`, read by `RowValues`). A third of the
/// JSON's size: the cells that equal one of the charge's own typed columns (name, dates, facility,
/// CPT, …) are not repeated, only referenced.
///
/// Layout: one tag byte per cell, in input order, then its payload:
/// - 0 empty
/// - 1 text, 2 error: length (LEB128) + UTF-8 bytes
/// - 3 number: 8 bytes, IEEE 754 little-endian
/// - 4 whole number (|v| < 2^53, not -0): zig-zag LEB128
/// - 5 false, 6 true
/// - 7 date: days since 1970-01-01, zig-zag LEB128
/// - 16 + k: the same value as the charge's typed column `Typed(k)` (a text cell equal to the
///   column's text, or for the two date columns a date cell equal to its date)
public enum RowCells {
    /// The charge columns a cell may refer to, in the order of their reference tags.
    public enum Typed: Int, CaseIterable, Sendable {
        case patientName, patientDob, dateOfService, facility, typeOfCare, typeOfVisit, servicingProvider, providerNpi, cpt,
             diagnosisCodes

        public var isDate: Bool { self == .patientDob || self == .dateOfService }

        /// The charge column this refers to.
        public static func field(_ name: String) -> Typed? {
            switch name {
            case "patient_name": return .patientName
            case "patient_dob": return .patientDob
            case "date_of_service": return .dateOfService
            case "facility": return .facility
            case "type_of_care": return .typeOfCare
            case "type_of_visit": return .typeOfVisit
            case "servicing_provider": return .servicingProvider
            case "provider_npi": return .providerNpi
            case "cpt": return .cpt
            case "assessment": return .diagnosisCodes
            default: return nil
            }
        }

        /// Writes this column of the charge at `c` (nothing when it has none), as `value(of:)` gives
        /// it, without making a `CellValue` (no retain and release of the string per cell).
        @inline(__always)
        func write(of c: UnsafePointer<Charge>, to sheet: XlsxSheet, _ row: Int, _ col: Int) {
            switch self {
            case .patientName: sheet.write(row, col, text: c.pointee.patientName)
            case .patientDob: if let d = c.pointee.patientDob { sheet.write(row, col, date: d) }
            case .dateOfService: if let d = c.pointee.dateOfService { sheet.write(row, col, date: d) }
            case .facility: sheet.write(row, col, text: c.pointee.facility)
            case .typeOfCare: sheet.write(row, col, text: c.pointee.typeOfCare)
            case .typeOfVisit: sheet.write(row, col, text: c.pointee.typeOfVisit)
            case .servicingProvider: sheet.write(row, col, text: c.pointee.servicingProvider)
            case .providerNpi: if let n = c.pointee.providerNpi { sheet.write(row, col, text: n) }
            case .cpt: sheet.write(row, col, text: c.pointee.cpt)
            case .diagnosisCodes: sheet.write(row, col, text: c.pointee.diagnosisCodes)
            }
        }

        /// The value of this column of `charge`, as the cell it stands for (nil when the charge has none).
        public func value(of c: Charge) -> CellValue? {
            switch self {
            case .patientName: return .text(c.patientName)
            case .patientDob: return c.patientDob.map { .date($0) }
            case .dateOfService: return c.dateOfService.map { .date($0) }
            case .facility: return .text(c.facility)
            case .typeOfCare: return .text(c.typeOfCare)
            case .typeOfVisit: return .text(c.typeOfVisit)
            case .servicingProvider: return .text(c.servicingProvider)
            case .providerNpi: return c.providerNpi.map { .text($0) }
            case .cpt: return .text(c.cpt)
            case .diagnosisCodes: return .text(c.diagnosisCodes)
            }
        }
    }

    static let empty: UInt8 = 0, text: UInt8 = 1, error: UInt8 = 2, number: UInt8 = 3, integer: UInt8 = 4,
               falseTag: UInt8 = 5, trueTag: UInt8 = 6, date: UInt8 = 7, reference: UInt8 = 16

    // MARK: encoding

    /// Encodes `cells` into `out` (cleared first). `referenceAt(i)` says which typed column the
    /// cell at `i` may be replaced by (the caller checks that the values are equal).
    static func encode(_ cells: [CellValue], into out: inout [UInt8], referenceAt: (Int) -> Typed? = { _ in nil }) {
        out.removeAll(keepingCapacity: true)
        for (i, c) in cells.enumerated() {
            if let t = referenceAt(i) { out.append(reference + UInt8(t.rawValue)); continue }
            append(c, to: &out)
        }
    }

    public static func encode(_ cells: [CellValue]) -> [UInt8] {
        var out: [UInt8] = []
        encode(cells, into: &out)
        return out
    }

    @inline(__always) static func append(_ c: CellValue, to out: inout [UInt8]) {
        switch c {
        case .empty: out.append(empty)
        case .text(let s): appendText(text, s, to: &out)
        case .error(let s): appendText(error, s, to: &out)
        case .number(let d):
            if d.rounded() == d, abs(d) < 9_007_199_254_740_992, !(d == 0 && d.sign == .minus) {
                out.append(integer); appendVarint(zigzag(Int64(d)), to: &out)
            } else {
                out.append(number)
                withUnsafeBytes(of: d.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
        case .bool(let b): out.append(b ? trueTag : falseTag)
        case .date(let d): out.append(date); appendVarint(zigzag(Int64(d.daysSinceEpoch)), to: &out)
        }
    }

    @inline(__always) static func appendText(_ tag: UInt8, _ s: String, to out: inout [UInt8]) {
        out.append(tag)
        var s = s
        s.withUTF8 { u in
            appendVarint(UInt64(u.count), to: &out)
            out.append(contentsOf: u)
        }
    }

    @inline(__always) static func appendVarint(_ v: UInt64, to out: inout [UInt8]) {
        var v = v
        while v >= 0x80 { out.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    @inline(__always) static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always) static func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }

    // MARK: decoding

    /// One cell, pointing into the encoded bytes (valid while they are).
    enum Cell {
        case empty
        case text(UnsafeBufferPointer<UInt8>)
        case error(UnsafeBufferPointer<UInt8>)
        case number(Double)
        case bool(Bool)
        case date(CalendarDate)
        case reference(Typed)

        /// The cell as a value, a reference resolved by `typed` (empty when it gives none).
        func value(_ typed: (Typed) -> CellValue?) -> CellValue {
            switch self {
            case .empty: return .empty
            case .text(let s): return .text(String(decoding: s, as: UTF8.self))
            case .error(let s): return .error(String(decoding: s, as: UTF8.self))
            case .number(let d): return .number(d)
            case .bool(let v): return .bool(v)
            case .date(let d): return .date(d)
            case .reference(let t): return typed(t) ?? .empty
            }
        }
    }

    /// Calls `body` with each cell in order. Stops at the first malformed byte (a truncated blob
    /// gives the cells before the damage).
    @inline(__always)
    static func forEach(_ b: UnsafeBufferPointer<UInt8>, _ body: (Int, Cell) -> Void) {
        var i = 0, k = 0
        let n = b.count
        func varint() -> UInt64? {
            var v: UInt64 = 0, shift: UInt64 = 0
            while i < n {
                let x = b[i]; i += 1
                v |= UInt64(x & 0x7F) << shift
                if x < 0x80 { return v }
                shift += 7
                if shift > 63 { return nil }
            }
            return nil
        }
        while i < n {
            let tag = b[i]; i += 1
            switch tag {
            case empty: body(k, .empty)
            case text, error:
                guard let len = varint(), len <= UInt64(n - i) else { return }
                let s = UnsafeBufferPointer(rebasing: b[i..<(i + Int(len))])
                i += Int(len)
                body(k, tag == text ? .text(s) : .error(s))
            case number:
                guard n - i >= 8 else { return }
                var bits: UInt64 = 0
                for j in 0..<8 { bits |= UInt64(b[i + j]) << (8 * UInt64(j)) }
                i += 8
                body(k, .number(Double(bitPattern: bits)))
            case integer:
                guard let v = varint() else { return }
                body(k, .number(Double(unzigzag(v))))
            case falseTag: body(k, .bool(false))
            case trueTag: body(k, .bool(true))
            case date:
                guard let v = varint() else { return }
                body(k, .date(CalendarDate(daysSinceEpoch: Int(unzigzag(v)))))
            default:
                guard tag >= reference, let t = Typed(rawValue: Int(tag - reference)) else { return }
                body(k, .reference(t))
            }
            k += 1
        }
    }

    /// The cells, with references resolved by `typed` (a reference to a column the charge has no
    /// value for comes back empty).
    public static func decode(_ bytes: [UInt8], typed: (Typed) -> CellValue?) -> [CellValue] {
        var out: [CellValue] = []
        bytes.withUnsafeBufferPointer { b in
            forEach(b) { _, c in out.append(c.value(typed)) }
        }
        return out
    }

    /// The cells of a stored charge.
    public static func decode(_ bytes: [UInt8], charge: Charge) -> [CellValue] {
        decode(bytes) { $0.value(of: charge) }
    }
}
