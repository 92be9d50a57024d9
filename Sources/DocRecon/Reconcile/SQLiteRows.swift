import Foundation
import GRDB
import GRDBSQLite

/// Fast row binding and reading for the reconciliation's bulk paths (a million charges, events):
/// GRDB prepares and caches the statements; values are bound and read here straight through the
/// SQLite C API, without building an argument array of existentials per row.
struct BulkStatement {
    let statement: Statement
    private var sqlite: OpaquePointer { statement.sqliteStatement }
    private var index: Int32 = 0

    init(_ db: Database, sql: String) throws { statement = try db.cachedStatement(sql: sql) }

    mutating func reset() {
        sqlite3_reset(sqlite)
        sqlite3_clear_bindings(sqlite)
        index = 0
    }

    mutating func bind(_ s: String) {
        index += 1
        var s = s
        s.withUTF8 { u in
            _ = sqlite3_bind_text(sqlite, index, UnsafeRawPointer(u.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                .assumingMemoryBound(to: CChar.self), Int32(u.count), SQLITE_TRANSIENT_PTR)
        }
    }

    mutating func bind(_ s: String?) {
        if let s { bind(s) } else { index += 1; sqlite3_bind_null(sqlite, index) }
    }

    mutating func bind(bytes: UnsafeBufferPointer<UInt8>) {
        index += 1
        _ = sqlite3_bind_text(sqlite, index, UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            .assumingMemoryBound(to: CChar.self), Int32(bytes.count), SQLITE_TRANSIENT_PTR)
    }

    /// Binds text without copying it: `bytes` must stay valid until `step` (which resets).
    mutating func bindStatic(text bytes: UnsafeBufferPointer<UInt8>) {
        index += 1
        _ = sqlite3_bind_text(sqlite, index, UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            .assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    }

    /// Binds a blob without copying it: `bytes` must stay valid until `step` (which resets).
    mutating func bindStatic(blob bytes: UnsafeBufferPointer<UInt8>) {
        index += 1
        _ = sqlite3_bind_blob(sqlite, index, UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!),
                              Int32(bytes.count), nil)
    }

    mutating func bind(blob: [UInt8]) {
        index += 1
        blob.withUnsafeBytes { b in _ = sqlite3_bind_blob(sqlite, index, b.baseAddress, Int32(b.count), SQLITE_TRANSIENT_PTR) }
    }

    mutating func bind(_ v: Int64) { index += 1; sqlite3_bind_int64(sqlite, index, v) }
    mutating func bind(_ v: Int) { bind(Int64(v)) }
    mutating func bindNull() { index += 1; sqlite3_bind_null(sqlite, index) }

    /// Runs the statement once; throws GRDB's error on failure.
    mutating func step(_ db: Database) throws {
        let rc = sqlite3_step(sqlite)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            reset()
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message, sql: statement.sql)
        }
        reset()
    }
}

/// Reads rows of a prepared statement column by column.
struct BulkCursor {
    let statement: Statement
    private var sqlite: OpaquePointer { statement.sqliteStatement }

    init(_ db: Database, sql: String, arguments: StatementArguments) throws {
        statement = try db.makeStatement(sql: sql)
        try statement.setArguments(arguments)
    }

    /// Advances; false at the end.
    func next(_ db: Database) throws -> Bool {
        let rc = sqlite3_step(sqlite)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
    }

    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(sqlite, i) == SQLITE_NULL }
    func int(_ i: Int32) -> Int64 { sqlite3_column_int64(sqlite, i) }

    func string(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(sqlite, i) else { return "" }
        let n = Int(sqlite3_column_bytes(sqlite, i))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    func optionalString(_ i: Int32) -> String? { isNull(i) ? nil : string(i) }

    /// The column's text bytes, valid until the next step.
    func bytes(_ i: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard let p = sqlite3_column_text(sqlite, i) else { return nil }
        return UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(sqlite, i)))
    }

    /// The column's bytes as a blob, valid until the next step (nil when NULL).
    func blob(_ i: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard sqlite3_column_type(sqlite, i) != SQLITE_NULL else { return nil }
        let n = Int(sqlite3_column_bytes(sqlite, i))
        guard n > 0, let p = sqlite3_column_blob(sqlite, i) else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: n)
    }

    func date(_ i: Int32) -> CalendarDate? {
        guard let b = bytes(i) else { return nil }
        return FastText.isoDate(b)
    }
}

/// SQLite's "copy the value now" destructor.
let SQLITE_TRANSIENT_PTR = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// Allocation-light text helpers for the hot paths.
enum FastText {
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// Trims ASCII whitespace (and no-break spaces are kept: they are text).
    @inline(__always) static func trim(_ s: String) -> String {
        let u = s.utf8
        guard let f = u.first, let l = u.last, isSpace(f) || isSpace(l) else { return s }
        var lo = u.startIndex, hi = u.endIndex
        while lo < hi && isSpace(u[lo]) { lo = u.index(after: lo) }
        while hi > lo && isSpace(u[u.index(before: hi)]) { hi = u.index(before: hi) }
        return String(s[lo..<hi])
    }

    /// The same UTF-8 bytes (not `==`, which compares canonical equivalence). Through the strings'
    /// storage and memcmp: `utf8.elementsEqual` walked both views byte by byte (~8% of import's
    /// parsing thread, once per typed column and row).
    @inline(__always) static func sameBytes(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        var a = a, b = b
        return a.withUTF8 { pa in
            b.withUTF8 { pb in pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 }
        }
    }

    /// `yyyy-MM-dd` exactly.
    static func isoDate(_ b: UnsafeBufferPointer<UInt8>) -> CalendarDate? {
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r { let d = Int(b[i]) - 48; guard d >= 0 && d <= 9 else { return nil }; v = v * 10 + d }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10) else { return nil }
        return CalendarDate(year: y, month: m, day: d)
    }

    /// Appends `yyyy-MM-dd`.
    @inline(__always) static func appendISO(_ d: CalendarDate, to out: inout [UInt8]) {
        let y = d.year
        out.append(UInt8(48 + y / 1000 % 10)); out.append(UInt8(48 + y / 100 % 10))
        out.append(UInt8(48 + y / 10 % 10)); out.append(UInt8(48 + y % 10)); out.append(0x2D)
        out.append(UInt8(48 + d.month / 10)); out.append(UInt8(48 + d.month % 10)); out.append(0x2D)
        out.append(UInt8(48 + d.day / 10)); out.append(UInt8(48 + d.day % 10))
    }

    static func iso(_ d: CalendarDate) -> String {
        var out = [UInt8]()
        out.reserveCapacity(10)
        appendISO(d, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
