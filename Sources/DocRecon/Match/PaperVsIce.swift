import Foundation
import GRDB

/// One row of the `Paper vs ICE` sheet: a paper charge that is not in the ICE export, or one
/// field of a paper charge that the ICE export has otherwise.
public struct PaperVsIceRow: Codable, Sendable, Equatable {
    public var setId: Int64
    /// `paper-only` or `mismatch`.
    public var status: String
    public var paperChargeId: Int64?
    public var document: String
    /// Page of the document the line was read from (nil when unknown).
    public var page: Int?
    /// 1-based sheet (record) and line within it.
    public var sheet: Int?
    public var line: Int?
    public var patientName: String
    public var patientDob: CalendarDate?
    public var dateOfService: CalendarDate?
    public var facility: String
    public var cpt: String
    public var units: Int?
    public var modifiers: String
    public var amount: Money?
    /// The differing field (nil for paper-only), what paper says and what ICE says.
    public var field: String?
    public var paperValue: String
    public var iceValue: String
    /// The ICE side: import file and spreadsheet row.
    public var iceFile: String?
    public var iceRow: Int?
    /// Extraction confidence (0…1) of the field that differs (of the code for paper-only lines).
    public var confidence: Double?
}

/// One row of the `Exceptions` sheet: a conflict, one member per row.
public struct ExceptionRow: Codable, Sendable, Equatable {
    public var setId: Int64
    public var kind: MatchKind
    public var chargeId: Int64
    public var source: String
    public var patientName: String
    public var patientDob: CalendarDate?
    public var dateOfService: CalendarDate?
    public var cpt: String
    /// What the members disagree on, e.g. `patient_name: John Smith / Jon Smith`.
    public var disagreement: String
}

public enum PaperVsIce {
    /// Line cells are stored under these names by the extractor (`lines.name`).
    static func lineCell(for field: String) -> String {
        switch field {
        case "cpt": return "code"
        case "amount": return "charge"
        default: return field
        }
    }

    /// Whether there is anything from paper at all (the two sheets exist only then).
    public static func hasPaperCharges(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM charges WHERE source = 'paper')") ?? false
    }

    /// The rows of `Paper vs ICE`, ordered by document, sheet, line and field.
    public static func rows(_ db: Database) throws -> [PaperVsIceRow] {
        let sets = try MatchQueries.sets(in: db, status: .paperOnly) + (try MatchQueries.sets(in: db, status: .mismatch))
        if sets.isEmpty { return [] }
        let ids = Set(sets.flatMap { $0.members.map(\.id) })
        var charges: [Int64: Charge] = [:]
        for chunk in Array(ids).sorted().chunkedForSQL() {
            for c in try Matcher.loadCharges(db, where: "id IN (\(chunk.map(String.init).joined(separator: ",")))") { charges[c.id!] = c }
        }
        let docNames = Dictionary(try Row.fetchAll(db, sql: "SELECT id, original_name FROM documents").map { ($0[0] as Int64, $0[1] as String) },
                                  uniquingKeysWith: { a, _ in a })
        let importNames: [Int64: String] = try db.tableExists("recon_imports")
            ? Dictionary(try Row.fetchAll(db, sql: "SELECT id, file_name FROM recon_imports").map { ($0[0] as Int64, $0[1] as String) },
                         uniquingKeysWith: { a, _ in a })
            : [:]
        let hasLines = try db.tableExists("lines")
        func cell(_ c: Charge, _ name: String) throws -> (page: Int, confidence: Double)? {
            guard hasLines, let d = c.documentId, let r = c.recordIndex, let l = c.lineIndex else { return nil }
            guard let row = try Row.fetchOne(db, sql: """
                SELECT page, confidence FROM lines WHERE document_id = ? AND record_index = ? AND line_index = ? AND name = ?
                """, arguments: [d, r, l, name]) else { return nil }
            return (row[0], row[1])
        }
        func base(_ s: MatchedSet, _ p: Charge, field: String?) throws -> PaperVsIceRow {
            let c = try cell(p, lineCell(for: field ?? "cpt")) ?? cell(p, "code")
            return PaperVsIceRow(setId: s.id, status: s.status.rawValue, paperChargeId: p.id,
                                 document: p.documentId.map { docNames[$0] ?? "document \($0)" } ?? "",
                                 page: c?.page, sheet: p.recordIndex.map { $0 + 1 }, line: p.lineIndex.map { $0 + 1 },
                                 patientName: p.patientName, patientDob: p.patientDob, dateOfService: p.dateOfService,
                                 facility: p.facility, cpt: p.cpt, units: p.units, modifiers: p.modifiers, amount: p.amount,
                                 field: field, paperValue: "", iceValue: "", iceFile: nil, iceRow: nil, confidence: c?.confidence)
        }
        var out: [PaperVsIceRow] = []
        for s in sets {
            if s.status == .paperOnly {
                for m in s.members where m.kind == .paperCharge {
                    guard let p = charges[m.id] else { continue }
                    var r = try base(s, p, field: nil)
                    r.paperValue = p.cpt
                    out.append(r)
                }
                continue
            }
            for d in s.differences {
                // A difference names both sides; a code only one side has names just that side.
                let paper = d.paperId.flatMap { charges[$0] }
                let ice = d.iceId.flatMap { charges[$0] }
                var r: PaperVsIceRow
                if let paper {
                    r = try base(s, paper, field: d.field)
                } else if let ice {
                    r = PaperVsIceRow(setId: s.id, status: s.status.rawValue, paperChargeId: nil, document: "", page: nil,
                                      sheet: nil, line: nil, patientName: ice.patientName, patientDob: ice.patientDob,
                                      dateOfService: ice.dateOfService, facility: ice.facility, cpt: ice.cpt, units: nil,
                                      modifiers: "", amount: nil, field: d.field, paperValue: "", iceValue: "", iceFile: nil,
                                      iceRow: nil, confidence: nil)
                } else { continue }
                r.paperValue = d.paper == .none ? "" : d.paper.description
                r.iceValue = d.ice == .none ? "" : d.ice.description
                if let ice {
                    r.iceFile = ice.importId.map { importNames[$0] ?? "import \($0)" }
                    r.iceRow = ice.rowNumber
                }
                out.append(r)
            }
        }
        out.sort { a, b in
            (a.document, a.sheet ?? 0, a.line ?? 0, a.field ?? "", a.setId) < (b.document, b.sheet ?? 0, b.line ?? 0, b.field ?? "", b.setId)
        }
        return out
    }

    /// The rows of `Exceptions`: every member of every conflicting set.
    public static func exceptions(_ db: Database) throws -> [ExceptionRow] {
        var out: [ExceptionRow] = []
        let conflicts = try MatchQueries.sets(in: db, status: .conflict)
        if conflicts.isEmpty { return out }
        let docNames = Dictionary(try Row.fetchAll(db, sql: "SELECT id, original_name FROM documents").map { ($0[0] as Int64, $0[1] as String) },
                                  uniquingKeysWith: { a, _ in a })
        for s in conflicts {
            let text = s.conflicts.map { "\($0.field): \($0.values.joined(separator: " / "))" }.joined(separator: "; ")
            let cs = try Matcher.loadCharges(db, where: "id IN (\(s.members.map { String($0.id) }.joined(separator: ",")))")
            for c in cs.sorted(by: { $0.id! < $1.id! }) {
                let source = c.source == .paper
                    ? "\(c.documentId.map { docNames[$0] ?? "document \($0)" } ?? "") sheet \((c.recordIndex ?? 0) + 1) line \((c.lineIndex ?? 0) + 1)"
                    : "ICE row \(c.rowNumber.map(String.init) ?? "?")"
                out.append(ExceptionRow(setId: s.id, kind: MatchKind.of(c.source), chargeId: c.id!, source: source,
                                        patientName: c.patientName, patientDob: c.patientDob, dateOfService: c.dateOfService,
                                        cpt: c.cpt, disagreement: text))
            }
        }
        return out
    }
}

fileprivate extension Array {
    func chunkedForSQL(_ size: Int = 500) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
