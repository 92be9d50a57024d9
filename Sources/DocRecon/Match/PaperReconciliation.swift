import Foundation
import GRDB

/// What the paper charges add to one reconciliation run.
public struct PaperRun: Sendable {
    /// Paper charges that cannot be billed as written: not in ICE, differing from ICE, or in a
    /// conflict. Each becomes (or updates) an open Master Missing entry with source `paper`.
    public var unbilled: [LedgerEvent]
    /// Open paper entries that no paper charge raises any more (ICE caught up, or the sheet was
    /// corrected): resolved by this run.
    public var resolve: [EncounterKey]
    /// ICE encounters a paper line confirms: their ledger source becomes `both`.
    public var confirmedIceKeys: [EncounterKey]
    public var rows: [PaperVsIceRow]
    public var exceptions: [ExceptionRow]
    public var summary: PaperSummary
}

/// `reconcile --json`'s `paper` object (absent when there are no paper charges).
public struct PaperSummary: Codable, Sendable, Equatable {
    public var charges: Int
    public var complete: Int
    public var paperOnly: Int
    public var mismatch: Int
    public var conflict: Int
    /// Rows written to the `Paper vs ICE` and `Exceptions` sheets.
    public var paperVsIceRows: Int
    public var exceptionRows: Int
}

/// Paper charges enter the reconciliation core like ICE rows: the billing evaluation gives a
/// paper-only charge its reason (after "Not in ICE export"), the ledger tracks what paper has
/// and ICE does not, with the source of each entry, and the workbook shows the differences.
/// With no paper charges this adds nothing (the run is exactly what it was without it).
public enum PaperReconciliation {
    public static let paperVsIceSheet = "Paper vs ICE"
    public static let exceptionsSheet = "Exceptions"

    static func reason(_ settings: ReconciliationSettings, _ key: String, _ fallback: String) -> String {
        settings.reasons[key] ?? fallback
    }

    /// `99309-25 x2`: the code as billing writes it, with modifiers and units, spelling out every
    /// field that differs from ICE (`x1`, `(no modifier)`, the amount), so a paper line that ICE
    /// has otherwise never shares the key of ICE's own line.
    static func notation(_ c: Charge, differing fields: Set<String>) -> String {
        var s = MatchText.codes(c.cpt).joined(separator: ",")
        let mods = MatchText.codes(c.modifiers)
        if !mods.isEmpty { s += "-" + mods.joined(separator: "-") } else if fields.contains("modifiers") { s += " (no modifier)" }
        if c.units != 1 || fields.contains("units") { s += " x\(c.units)" }
        if fields.contains("amount"), let a = c.amount { s += " $\(a.decimalString)" }
        return s
    }

    /// Brings the matched sets up to date and works out the run's paper events and sheet rows.
    /// Returns nil (and touches nothing) when there are no paper charges.
    public static func prepare(_ db: Database, rules: ReconRules, evaluator: BillingEvaluator) throws -> PaperRun? {
        guard try PaperVsIce.hasPaperCharges(db) else { return nil }
        guard let matching = rules.matching else {
            throw ReconcileRefused(message: "there are paper charges but no Rules/matching.yaml to match them with ICE rows")
        }
        try Matcher(rules: matching).refresh(in: db)
        let settings = rules.settings
        let setIds = try Int64.fetchAll(db, sql: "SELECT DISTINCT set_id FROM match_set_members WHERE kind = 'paper_charge' ORDER BY set_id")
        var sets: [MatchedSet] = []
        for chunk in stride(from: 0, to: setIds.count, by: 500).map({ Array(setIds[$0..<min($0 + 500, setIds.count)]) }) {
            sets += try MatchQueries.sets(in: db, ids: chunk)
        }
        var charges: [Int64: Charge] = [:]
        let memberIds = sets.flatMap { $0.members.map(\.id) }
        for chunk in stride(from: 0, to: memberIds.count, by: 500).map({ Array(memberIds[$0..<min($0 + 500, memberIds.count)]) }) {
            for c in try Matcher.loadCharges(db, where: "id IN (\(chunk.map(String.init).joined(separator: ",")))") { charges[c.id!] = c }
        }

        var unbilled: [LedgerEvent] = []
        var seen = Set<EncounterKey>()
        var confirmed: [EncounterKey] = []
        var summary = PaperSummary(charges: 0, complete: 0, paperOnly: 0, mismatch: 0, conflict: 0, paperVsIceRows: 0, exceptionRows: 0)
        func add(_ key: EncounterKey, _ reason: String, _ fields: EncounterFields) {
            guard seen.insert(key).inserted else { return }
            unbilled.append(LedgerEvent(key: key, billed: false, sources: .paper, reason: reason, fields: fields))
        }
        let notInIce = reason(settings, "not_in_ice", "Not in ICE export")
        let differs = reason(settings, "differs_from_ice", "Differs from ICE")
        let conflicting = reason(settings, "conflicting_matches", "Conflicting matches (see Exceptions)")

        for s in sets {
            let paper = s.members.filter { $0.kind == .paperCharge }.compactMap { charges[$0.id] }
            summary.charges += paper.count
            switch s.status {
            case .complete:
                summary.complete += paper.count
                for l in s.links { if let ice = charges[l.a.kind == .iceRow ? l.a.id : l.b.id] { confirmed.append(EncounterKey.of(ice)) } }
            case .paperOnly:
                summary.paperOnly += paper.count
                for p in paper {
                    // The billing evaluation as for an ICE row; whatever it says, a line ICE
                    // never had cannot be billed, so that comes first.
                    let own = evaluator.ownReason(p)
                    add(EncounterKey.of(p), notInIce + (own.map { "; \($0)" } ?? ""), EncounterFields(p))
                }
            case .mismatch:
                for l in s.links { if let ice = charges[l.a.kind == .iceRow ? l.a.id : l.b.id] { confirmed.append(EncounterKey.of(ice)) } }
                for p in paper {
                    let diffs = s.differences.filter { $0.paperId == p.id }
                    guard !diffs.isEmpty else { summary.complete += 1; continue }
                    summary.mismatch += 1
                    let ice = diffs.compactMap { $0.iceId }.first.flatMap { charges[$0] }
                    let who = ice ?? p
                    let code = notation(p, differing: Set(diffs.map(\.field)))
                    let fields = EncounterFields(patientName: who.patientName, patientDob: who.patientDob, dateOfService: who.dateOfService,
                                                 facility: who.facility, cpt: code, typeOfCare: who.typeOfCare,
                                                 typeOfVisit: who.typeOfVisit, servicingProvider: who.servicingProvider)
                    let text = diffs.map { "\($0.field) paper \($0.paper), ICE \($0.ice)" }.joined(separator: "; ")
                    add(EncounterKey.make(patientName: fields.patientName, dob: fields.patientDob, dateOfService: fields.dateOfService,
                                          facility: fields.facility, cpt: code), "\(differs): \(text)", fields)
                }
            case .conflict:
                summary.conflict += paper.count
                for p in paper { add(EncounterKey.of(p), conflicting, EncounterFields(p)) }
            case .iceOnly:
                break
            }
        }
        // Open entries that came from paper alone and that no paper charge raises any more.
        var resolve: [EncounterKey] = []
        if try db.tableExists("ledger_entries") {
            for hex in try String.fetchAll(db, sql: "SELECT key FROM ledger_entries WHERE status = 'open' AND source = 'paper'") {
                if let k = EncounterKey(hex: hex), !seen.contains(k) { resolve.append(k) }
            }
        }
        let rows = try PaperVsIce.rows(db)
        let exceptions = try PaperVsIce.exceptions(db)
        summary.paperVsIceRows = rows.count
        summary.exceptionRows = exceptions.count
        return PaperRun(unbilled: unbilled, resolve: resolve.sorted(), confirmedIceKeys: confirmed, rows: rows,
                        exceptions: exceptions, summary: summary)
    }

    public static let paperVsIceHeader = ["Status", "Document", "Page", "Sheet", "Line", "Patient Name", "DOB", "Date of Service",
                                          "Facility", "CPT", "Units", "Modifiers", "Charge", "Field", "Paper", "ICE",
                                          "ICE File", "ICE Row", "Confidence", "Set"]
    public static let exceptionsHeader = ["Set", "Kind", "Source", "Patient Name", "DOB", "Date of Service", "CPT", "Disagreement"]

    /// The two sheets of the General Reconciliation workbook that exist only with paper charges.
    public static func writeSheets(_ book: XlsxWorkbook, _ run: PaperRun) throws {
        let s = try book.addSheet(paperVsIceSheet)
        s.writeHeader(paperVsIceHeader)
        for (i, r) in run.rows.enumerated() {
            let row = i + 1
            s.write(row, 0, text: r.status)
            s.write(row, 1, text: r.document)
            if let p = r.page { s.write(row, 2, number: Double(p)) }
            if let v = r.sheet { s.write(row, 3, number: Double(v)) }
            if let v = r.line { s.write(row, 4, number: Double(v)) }
            s.write(row, 5, text: r.patientName)
            if let d = r.patientDob { s.write(row, 6, date: d) }
            if let d = r.dateOfService { s.write(row, 7, date: d) }
            s.write(row, 8, text: r.facility)
            s.write(row, 9, text: r.cpt)
            if let u = r.units { s.write(row, 10, number: Double(u)) }
            s.write(row, 11, text: r.modifiers)
            if let a = r.amount { s.write(row, 12, text: a.decimalString) }
            s.write(row, 13, text: r.field ?? "")
            s.write(row, 14, text: r.paperValue)
            s.write(row, 15, text: r.iceValue)
            s.write(row, 16, text: r.iceFile ?? "")
            if let v = r.iceRow { s.write(row, 17, number: Double(v)) }
            if let c = r.confidence { s.write(row, 18, number: (c * 1000).rounded() / 1000) }
            s.write(row, 19, number: Double(r.setId))
        }
        let e = try book.addSheet(exceptionsSheet)
        e.writeHeader(exceptionsHeader)
        for (i, r) in run.exceptions.enumerated() {
            let row = i + 1
            e.write(row, 0, number: Double(r.setId))
            e.write(row, 1, text: r.kind.rawValue)
            e.write(row, 2, text: r.source)
            e.write(row, 3, text: r.patientName)
            if let d = r.patientDob { e.write(row, 4, date: d) }
            if let d = r.dateOfService { e.write(row, 5, date: d) }
            e.write(row, 6, text: r.cpt)
            e.write(row, 7, text: r.disagreement)
        }
    }
}
