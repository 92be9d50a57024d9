import Foundation
import GRDB

/// The ground truth written beside a sample document (`sheet-01.pdf` → `sheet-01.json`).
/// Accepted shapes: `{"document": {"variant": "clean"}, "records": [{"fields": {...}, "lines": [...]}]}`
/// or the fields and lines at the top level; a value may be given bare or as `{"value": ...}`.
public struct GroundTruth: Sendable {
    public var variant: String
    public var records: [[String: String]]
    public var lines: [[[String: String]]]
    /// Fields compared as printed rather than as stored: `patient_dob` as YY-MM-DD (a form that
    /// prints a two-digit birth year cannot tell its century).
    public var asPrinted: Set<String> = []
    /// List fields scored item by item (each diagnosis code a value of its own).
    public var itemised: Set<String> = []

    public static func path(for document: String) -> String? {
        let base = (document as NSString).deletingPathExtension
        for p in [base + ".json", document + ".json", base + ".truth.json", base + ".gt.json"]
        where FileManager.default.fileExists(atPath: p) { return p }
        return nil
    }

    public static func load(_ path: String) throws -> GroundTruth {
        guard let data = FileManager.default.contents(atPath: path),
              let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw EvalError.badTruth("\((path as NSString).lastPathComponent): not a JSON object")
        }
        if let logical = obj["logical"] as? [String: Any], let fields = obj["fields"] as? [String: Any] {
            return claimForm(fields: fields, logical: logical, sample: obj["sample"] as? [String: Any])
        }
        let doc = obj["document"] as? [String: Any]
        let variant = (doc?["variant"] as? String) ?? (obj["variant"] as? String) ?? "unknown"
        var recs: [[String: Any]] = []
        if let r = obj["records"] as? [[String: Any]] { recs = r }
        else if let r = obj["record"] as? [String: Any] { recs = [r] }
        else { recs = [obj] }
        var out = GroundTruth(variant: variant, records: [], lines: [])
        for r in recs {
            let fields = (r["fields"] as? [String: Any]) ?? r.filter { !["lines", "document", "pages", "variant", "layout"].contains($0.key) }
            var f: [String: String] = [:]
            for (k, v) in fields { if let c = canonical(k, v) { f[k] = c } }
            out.records.append(f)
            let ls = (r["lines"] as? [[String: Any]]) ?? (obj["lines"] as? [[String: Any]] ?? [])
            out.lines.append(ls.map { l in
                var m: [String: String] = [:]
                for (k, v) in l { if let c = canonical(k, v) { m[k] = c } }
                return m
            })
        }
        return out
    }

    /// The ground truth of a filled CMS-1500 made by another generator (`hcfa_synth`, as in
    /// ../shared/data/cms1500/dev): `fields` has the text typed into each box of the fillable
    /// form, `logical` the claim by box number. Mapped to DocRecon's canonical fields: the
    /// patient's name as typed in box 2; the birth date as printed (YY-MM-DD); box 26; box 32's
    /// name; box 31's signature (the rendering provider); the first line's 24J NPI, place of
    /// service and date; box 21's codes one by one; box 28; each line of box 24.
    static func claimForm(fields: [String: Any], logical: [String: Any], sample: [String: Any]?) -> GroundTruth {
        func text(_ k: String) -> String? {
            guard let s = fields[k] as? String else { return nil }
            let f = FieldValues.fold(s)
            return f.isEmpty ? nil : f
        }
        func iso(_ mdy: Any?) -> String? {
            guard let s = mdy as? String else { return nil }
            let p = s.split(separator: "/")
            guard p.count == 3 else { return nil }
            return "\(p[2])-\(p[0])-\(p[1])"
        }
        var r: [String: String] = [:]
        r["patient_name"] = text("pt_name")
        if let mm = text("birth_mm"), let dd = text("birth_dd"), let yy = text("birth_yy") { r["patient_dob"] = "\(yy.suffix(2))-\(mm)-\(dd)" }
        r["account_number"] = text("pt_account")
        r["facility"] = text("fac_name")
        r["rendering_provider"] = text("physician_signature")
        r["total_charge"] = (logical["box_28_total_charge"] as? String).flatMap { Money(parsing: $0)?.decimalString }
        let dx = (logical["box_21_diagnoses"] as? [String] ?? []).filter { !$0.isEmpty }
        if !dx.isEmpty { r["diagnosis_codes"] = dx.joined(separator: ",") }
        var lines: [[String: String]] = []
        for l in logical["box_24_service_lines"] as? [[String: Any]] ?? [] {
            var m: [String: String] = [:]
            m["code"] = l["procedure_code"] as? String
            m["modifiers"] = (l["modifiers"] as? [String] ?? []).filter { !$0.isEmpty }.joined(separator: ",")
            m["units"] = l["units"] as? String
            m["charge"] = (l["charges"] as? String).flatMap { Money(parsing: $0)?.decimalString }
            m["dx_pointer"] = l["diagnosis_pointers"] as? String
            m["date_of_service"] = iso(l["date_from"])
            m["place_of_service"] = l["place_of_service"] as? String
            m["npi"] = l["rendering_provider_npi"] as? String
            lines.append(m.filter { !$0.value.isEmpty })
        }
        if let first = lines.first {
            r["date_of_service"] = first["date_of_service"]
            r["place_of_service"] = first["place_of_service"]
            r["provider_npi"] = first["npi"]
        }
        return GroundTruth(variant: (sample?["tier"] as? String) ?? "unknown", records: [r], lines: [lines],
                           asPrinted: ["patient_dob"], itemised: ["diagnosis_codes"])
    }

    /// A truth value in the canonical text form `fields --json` uses for comparison.
    static func canonical(_ key: String, _ v: Any) -> String? {
        var v = v
        if let d = v as? [String: Any] { guard let inner = d["value"] else { return nil }; v = inner }
        if v is NSNull { return nil }
        if let a = v as? [Any] { return a.map { "\($0)" }.joined(separator: ",") }
        if key == "charge" || key.hasSuffix("_charge") || key == "amount" {
            if let n = v as? NSNumber { return Money(parsing: n.stringValue).map(\.decimalString) ?? n.stringValue }
            if let s = v as? String { return Money(parsing: s).map(\.decimalString) ?? s }
        }
        if let n = v as? NSNumber { return n.stringValue }
        if let s = v as? String { return s }
        return "\(v)"
    }
}

public enum EvalError: Error, CustomStringConvertible {
    case badTruth(String)
    case nothing(String)
    public var description: String {
        switch self { case .badTruth(let s), .nothing(let s): return s }
    }
}

/// The result of comparing every extracted value with the ground truth.
public struct EvalReport: Encodable, Sendable {
    public struct Tally: Encodable, Sendable {
        public var total = 0
        public var exact = 0
        public var accuracy: Double { total == 0 ? 0 : Double(exact) / Double(total) }
        mutating func add(_ ok: Bool) { total += 1; if ok { exact += 1 } }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(total, forKey: .total); try c.encode(exact, forKey: .exact)
            try c.encode((accuracy * 10000).rounded() / 10000, forKey: .accuracy)
        }
        enum CodingKeys: String, CodingKey { case total, exact, accuracy }
    }
    public struct Miss: Encodable, Sendable {
        public var document: String
        public var variant: String
        public var field: String
        public var expected: String?
        public var got: String?
        public var confidence: Double?
        public var status: String?
    }
    public var documents = 0
    public var rejected: [String] = []
    public var overall = Tally()
    public var byVariant: [String: Tally] = [:]
    public var byField: [String: Tally] = [:]
    /// Values with status `ok` that were wrong, and how many values had status `ok`.
    public var wrongOk = 0
    public var okValues = 0
    public var wrongOkRate: Double { okValues == 0 ? 0 : Double(wrongOk) / Double(okValues) }
    public var needsReview = 0
    public var repaired = 0
    public var secondLook = SecondLookStats()
    public var misses: [Miss] = []

    enum CodingKeys: String, CodingKey {
        case documents, rejected, overall, byVariant, byField, wrongOk, okValues, wrongOkRate, needsReview, repaired, secondLook, misses
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(documents, forKey: .documents); try c.encode(rejected, forKey: .rejected)
        try c.encode(overall, forKey: .overall); try c.encode(byVariant, forKey: .byVariant)
        try c.encode(byField, forKey: .byField); try c.encode(wrongOk, forKey: .wrongOk)
        try c.encode(okValues, forKey: .okValues); try c.encode((wrongOkRate * 10000).rounded() / 10000, forKey: .wrongOkRate)
        try c.encode(needsReview, forKey: .needsReview); try c.encode(repaired, forKey: .repaired)
        try c.encode(secondLook, forKey: .secondLook); try c.encode(misses, forKey: .misses)
    }
    public init() {}

    /// A few lines for the demo.
    public func summary() -> String {
        var parts = [String(format: "extraction accuracy: %.2f%% exact (%d/%d values, %d documents)",
                            overall.accuracy * 100, overall.exact, overall.total, documents)]
        for (k, v) in byVariant.sorted(by: { $0.key < $1.key }) {
            parts.append("  \(k): " + String(format: "%.2f%% (%d/%d)", v.accuracy * 100, v.exact, v.total))
        }
        parts.append(String(format: "  wrong values marked ok or repaired: %d of %d (%.2f%%); needs review: %d; repaired: %d",
                            wrongOk, okValues, wrongOkRate * 100, needsReview, repaired))
        return parts.joined(separator: "\n")
    }

    /// The human summary.
    public func text(misses showMisses: Int = 50) -> String {
        func pct(_ t: Tally) -> String { String(format: "%6.2f%%  (%d/%d)", t.accuracy * 100, t.exact, t.total) }
        var out = ["documents: \(documents)" + (rejected.isEmpty ? "" : ", rejected: \(rejected.count)"),
                   "overall exact: \(pct(overall))"]
        for (k, v) in byVariant.sorted(by: { $0.key < $1.key }) { out.append("  \(k): \(pct(v))") }
        out.append("by field:")
        let w = (byField.keys.map(\.count).max() ?? 10) + 2
        for (k, v) in byField.sorted(by: { $0.key < $1.key }) {
            out.append("  " + k + String(repeating: " ", count: max(1, w - k.count)) + pct(v))
        }
        out.append(String(format: "wrong values with status ok or repaired: %d of %d such values (%.2f%%)", wrongOk, okValues, wrongOkRate * 100))
        out.append("needs review: \(needsReview), repaired: \(repaired)")
        out.append("second look: asked \(secondLook.attempted), changed \(secondLook.changed), resolved \(secondLook.resolved); "
                   + "confirmed \(secondLook.verified) confident values, \(secondLook.disagreed) sent to review")
        if !misses.isEmpty {
            out.append("misses (\(misses.count)\(misses.count > showMisses ? ", first \(showMisses)" : "")):")
            let rows = misses.prefix(showMisses).map { m in
                [m.document, m.field, m.expected ?? "-", m.got ?? "-", m.confidence.map { String(format: "%.2f", $0) } ?? "-", m.status ?? "-"]
            }
            out.append(TextTable.render(header: ["document", "field", "expected", "got", "conf", "status"], rows: Array(rows)))
        }
        return out.joined(separator: "\n")
    }
}

public enum Evaluator {
    /// Sample documents in `dir` (recursively) that have a ground truth beside them.
    public static func samples(in dir: String) -> [String] {
        let exts: Set<String> = ["pdf", "png", "jpg", "jpeg", "tif", "tiff"]
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            let p = dir + "/" + rel
            if exts.contains((rel as NSString).pathExtension.lowercased()), GroundTruth.path(for: p) != nil { out.append(p) }
        }
        return out.sorted()
    }

    /// Ingests the samples of `dir` with `ingest` (path → document id, or nil when rejected),
    /// extracts each with `extractor` (so the current rules count), and compares.
    public static func run(dir: String, db: AppDatabase, extractor: Extractor,
                           ingest: ([String]) throws -> [String: Int64]) throws -> EvalReport {
        let files = samples(in: dir)
        guard !files.isEmpty else { throw EvalError.nothing("no documents with a ground-truth JSON beside them in \(dir)") }
        let ids = try ingest(files)
        var report = EvalReport()
        for f in files {
            let name = (f as NSString).lastPathComponent
            guard let id = ids[f] else { report.rejected.append(name); continue }
            let summary = try extractor.extract(documentId: id, in: db)
            report.secondLook = report.secondLook + summary.secondLook
            let truth = try GroundTruth.load(GroundTruth.path(for: f)!)
            let (fs, ls) = try db.read { db in (try ExtractionStore.fields(db, documentId: id), try ExtractionStore.lines(db, documentId: id)) }
            compare(&report, document: name, truth: truth, fields: fs, lines: ls)
            report.documents += 1
        }
        return report
    }

    static func got(_ v: StoredValue?) -> String? {
        guard let v = v?.value else { return nil }
        if case .list(let l) = v { return l.joined(separator: ",") }
        return v.description
    }

    static func same(_ field: String, _ expected: String?, _ got: String?) -> Bool {
        guard let e = expected, let g = got else { return expected == nil && got == nil }
        if e == g { return true }
        if FieldValues.fold(e) == FieldValues.fold(g) { return true }
        let lists: Set<String> = ["diagnosis_codes", "modifiers", "line.modifiers"]
        if lists.contains(field) {
            let a = e.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            let b = g.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            return a == b
        }
        return false
    }

    public static func compare(_ report: inout EvalReport, document: String, truth: GroundTruth,
                               fields: [StoredValue], lines: [StoredValue]) {
        func score(_ field: String, _ expected: String?, _ v: StoredValue?, got override: String?? = nil) {
            var g = override ?? got(v)
            if truth.asPrinted.contains(field), let d = g, d.count == 10, d.dropFirst(4).first == "-" {
                g = String(d.dropFirst(2))  // yyyy-MM-dd as printed YY-MM-DD
            }
            // A truth without this field and nothing extracted: nothing to score.
            if expected == nil && g == nil { return }
            let ok = same(field, expected, g)
            report.overall.add(ok)
            report.byVariant[truth.variant, default: .init()].add(ok)
            report.byField[field, default: .init()].add(ok)
            if let v {
                if v.status == .ok || v.status == .corrected || v.status == .repaired {
                    report.okValues += 1; if !ok { report.wrongOk += 1 }
                }
                if v.status == .needsReview { report.needsReview += 1 }
                if v.status == .repaired { report.repaired += 1 }
            }
            if !ok {
                report.misses.append(.init(document: document, variant: truth.variant, field: field, expected: expected, got: g,
                                           confidence: v?.confidence, status: v?.status.rawValue))
            }
        }
        for (ri, tf) in truth.records.enumerated() {
            let rf = fields.filter { $0.recordIndex == ri }
            for (k, e) in tf.sorted(by: { $0.key < $1.key }) {
                let v = rf.first { $0.name == k }
                if truth.itemised.contains(k) {
                    // Item by item, in order: each expected item a value, and each extra one a miss.
                    let want = e.split(separator: ",").map(String.init)
                    let have = got(v)?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
                    for i in 0..<max(want.count, have.count) {
                        score(k, i < want.count ? want[i] : nil, v, got: .some(i < have.count ? have[i] : nil))
                    }
                } else {
                    score(k, e, v)
                }
            }
            let tl = ri < truth.lines.count ? truth.lines[ri] : []
            let rl = lines.filter { $0.recordIndex == ri }
            let n = max(tl.count, (rl.compactMap(\.lineIndex).max() ?? -1) + 1)
            for li in 0..<n {
                let cells = rl.filter { $0.lineIndex == li }
                let expected = li < tl.count ? tl[li] : [:]
                let keys = expected.isEmpty ? ["code"] : expected.keys.sorted()
                for k in keys {
                    score("line.\(k)", expected[k], cells.first { $0.name == k })
                }
            }
        }
    }
}
