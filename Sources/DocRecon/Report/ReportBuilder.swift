import Foundation
import GRDB

/// What `docrecon report` wrote.
public struct ReportSummary: Codable, Sendable {
    public var index: String
    public var documents: Int
    public var pages: Int
    public var pageImages: Int
    public var boxes: Int
    public var files: Int
    /// Pages whose image could not be rendered (the boxes are still drawn), with why.
    public var missingImages: [String]
}

/// The static HTML report: an overview, one page per document with its page images and the
/// field boxes drawn over them, the matched sets and the open ledger when those tables exist.
/// No server, nothing from the network: CSS and charts are inline, images are files beside
/// the pages. Every file is owner-only and named from ids only, so nothing lands outside `out`.
public struct ReportBuilder {
    public let db: AppDatabase
    public let out: String
    public var today: CalendarDate
    public var maxImageWidth = 1275
    /// Render page images (off in tests that only look at the markup).
    public var images = true
    /// The ledger's aging settings (Rules/reconciliation.yaml, else the defaults).
    public var ledgerSettings: ReconciliationSettings = (try? ReconRules.load().settings) ?? ReconciliationSettings()

    public init(db: AppDatabase, out: String, today: CalendarDate = .today()) {
        self.db = db; self.out = out; self.today = today
    }

    struct DocInfo {
        var doc: Document
        var pages: [Page]
        var fields: [StoredValue]
        var lines: [StoredValue]
        var all: [StoredValue] { fields + lines }
    }

    public func write() throws -> ReportSummary {
        try OwnerFiles.directory(out)
        let generated = AuditTrail.timestamp()
        let docs: [DocInfo] = try db.read { db in
            try Document.order(Column("id")).fetchAll(db).map { d in
                DocInfo(doc: d, pages: try Page.filter(Column("document_id") == d.id!).order(Column("number")).fetchAll(db),
                        fields: try ExtractionStore.fields(db, documentId: d.id!), lines: try ExtractionStore.lines(db, documentId: d.id!))
            }
        }
        var summary = ReportSummary(index: out + "/index.html", documents: docs.count, pages: 0, pageImages: 0, boxes: 0, files: 0, missingImages: [])
        let renderer = PagePictures()
        let hasSets = try db.read { try $0.tableExists("match_sets") && $0.tableExists("match_set_members") }
        let hasLedger = try db.read { try $0.tableExists("ledger_entries") }
        for info in docs {
            // Who last decided each value (for the hover text).
            let decided = Dictionary(try db.read { try AuditTrail.entries($0, documentId: info.doc.id!) }.map { e in
                ("\(e.record - 1)/\(e.line.map { String($0 - 1) } ?? "")/\(e.field)",
                 "\(e.action == .accept ? "accepted" : "corrected") by \(e.reviewer) at \(e.at)")
            }, uniquingKeysWith: { _, last in last })
            var figures: [String] = []
            for p in info.pages {
                summary.pages += 1
                let imageName = "doc-\(info.doc.id!)-p\(p.number).png"
                var haveImage = false
                if images && p.status == .ok {
                    do {
                        let png = try renderer.pagePNG(document: info.doc, page: p, maxWidth: maxImageWidth)
                        try OwnerFiles.write(png, to: out + "/" + imageName)
                        haveImage = true; summary.pageImages += 1; summary.files += 1
                    } catch {
                        summary.missingImages.append("\(info.doc.originalName) page \(p.number): \(error)")
                    }
                }
                let (svg, n) = overlay(page: p, values: info.all.filter { $0.page == p.number }, image: haveImage ? imageName : nil,
                                     decided: decided)
                summary.boxes += n
                figures.append("<figure class=\"page\" id=\"page-\(p.number)\"><figcaption>Page \(p.number) · \(p.width) × \(p.height) px at \(p.dpi) dpi · "
                               + "\(HTML.esc(p.source.rawValue))" + (p.orientation != 0 ? " · turned \(p.orientation)°" : "")
                               + (p.skewAngle != 0 ? String(format: " · deskewed %.2f°", p.skewAngle) : "")
                               + (haveImage ? "" : " · <strong>no page image</strong>") + "</figcaption>\(svg)</figure>")
            }
            let html = try documentPage(info, figures: figures, hasSets: hasSets, generated: generated)
            try OwnerFiles.write(html, to: out + "/doc-\(info.doc.id!).html")
            summary.files += 1
        }
        if hasSets {
            try OwnerFiles.write(try setsPage(generated: generated), to: out + "/sets.html"); summary.files += 1
        }
        if hasLedger {
            try OwnerFiles.write(try ledgerPage(generated: generated), to: out + "/ledger.html"); summary.files += 1
        }
        try OwnerFiles.write(try overview(docs, hasSets: hasSets, hasLedger: hasLedger, generated: generated), to: out + "/index.html")
        summary.files += 1
        return summary
    }

    // MARK: pieces

    func header(_ title: String, generated: String, hasSets: Bool = false, hasLedger: Bool = false) -> String {
        "<header class=\"top\"><h1>\(HTML.esc(title))</h1><a href=\"index.html\">Overview</a>"
            + (hasSets ? "<a href=\"sets.html\">Matched sets</a>" : "") + (hasLedger ? "<a href=\"ledger.html\">Ledger</a>" : "")
            + "<span class=\"muted\">generated \(HTML.esc(generated))</span></header>"
    }

    static func legend() -> String {
        "<div class=\"legend\">" + ["ok", "repaired", "needs_review", "corrected"].map { s in
            "<span><span class=\"sw\" style=\"border-color: \(HTML.color(s)); background: \(HTML.color(s))33\"></span>\(s.replacingOccurrences(of: "_", with: " "))</span>"
        }.joined() + "</div>"
    }

    static func label(_ v: StoredValue) -> String {
        "record \(v.recordIndex + 1)" + (v.lineIndex.map { " line \($0 + 1)" } ?? "") + " · " + v.name
    }

    /// The page picture with one `<rect class="box">` per value that has a box on it.
    func overlay(page p: Page, values: [StoredValue], image: String?, decided: [String: String] = [:]) -> (String, Int) {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" class=\"overlay\" "
            + "viewBox=\"0 0 \(p.width) \(p.height)\" width=\"\(p.width)\" height=\"\(p.height)\" preserveAspectRatio=\"xMidYMin meet\">"
        if let image {
            s += "<image href=\"\(image)\" xlink:href=\"\(image)\" x=\"0\" y=\"0\" width=\"\(p.width)\" height=\"\(p.height)\" preserveAspectRatio=\"none\" />"
        } else {
            s += "<rect x=\"0\" y=\"0\" width=\"\(p.width)\" height=\"\(p.height)\" fill=\"#eceff1\" />"
            s += "<text x=\"40\" y=\"80\" font-size=\"48\" fill=\"#78909c\">page image unavailable</text>"
        }
        var n = 0
        for v in values {
            guard let b = v.box else { continue }
            let c = HTML.color(v.status.rawValue)
            let value = v.value?.description ?? "(none)"
            var tip = "\(Self.label(v))\nvalue: \(value)\nraw: \(v.raw)\nconfidence: \(String(format: "%.2f", v.confidence))\nstatus: \(v.status.rawValue)"
            if let pr = v.problem { tip += "\nwhy: \(pr)" }
            if v.status == .corrected, let e = v.extractedValue { tip += "\nextracted: \(e)" }
            if let who = decided["\(v.recordIndex)/\(v.lineIndex.map(String.init) ?? "")/\(v.name)"] { tip += "\n\(who)" }
            s += "<g class=\"f s-\(v.status.rawValue)\"><title>\(HTML.esc(tip))</title>"
            s += "<rect class=\"box\" data-field=\"\(HTML.esc(v.name))\" data-status=\"\(v.status.rawValue)\" x=\"\(b.x0)\" y=\"\(b.y0)\" "
                + "width=\"\(max(b.width, 1))\" height=\"\(max(b.height, 1))\" fill=\"\(c)\" stroke=\"\(c)\" />"
            s += "<text class=\"tag\" x=\"\(b.x0)\" y=\"\(max(b.y0 - 6, 24))\" fill=\"\(c)\">\(HTML.esc(v.name)): \(HTML.esc(value))</text></g>"
            n += 1
        }
        return (s + "</svg>", n)
    }

    func documentPage(_ info: DocInfo, figures: [String], hasSets: Bool, generated: String) throws -> String {
        let d = info.doc
        var body = header("DocRecon · \(d.originalName)", generated: generated, hasSets: hasSets) + "<main>"
        let counts = Dictionary(grouping: info.all, by: { $0.status.rawValue }).mapValues(\.count)
        body += "<p>Document \(d.id!) · \(HTML.esc(d.kind.rawValue)) · \(d.pageCount) page(s) · type \(HTML.esc(d.docType ?? "-")) · status "
            + "<span class=\"pill\" style=\"background: \(HTML.color(d.status.rawValue))\">\(HTML.esc(d.status.rawValue))</span>"
            + (d.error.map { " · " + HTML.esc($0) } ?? "") + "</p>"
        body += "<p class=\"muted\">" + ["ok", "repaired", "needs_review", "corrected"].map { "\(counts[$0] ?? 0) \($0.replacingOccurrences(of: "_", with: " "))" }.joined(separator: " · ")
            + " · hover a box for its value, raw text and confidence</p>"
        body += Self.legend()
        body += "<div class=\"doclayout\"><div>" + (figures.isEmpty ? "<p class=\"muted\">no pages</p>" : figures.joined()) + "</div><div>"
        // The values, as a table: where, field, value (and why it needs a look), raw, confidence;
        // the status is the colour at the left edge and the row's tooltip.
        var rows: [String] = []
        for v in info.all {
            let conf = String(format: "%.2f", v.confidence)
            let at = "\(v.recordIndex + 1)" + (v.lineIndex.map { "·\($0 + 1)" } ?? "")
            var value = HTML.esc(v.value?.description ?? "(none)")
            if v.raw != (v.value?.description ?? "") && !v.raw.isEmpty { value += "<div class=\"raw\">read: \(HTML.esc(v.raw))</div>" }
            if let pr = v.problem { value += "<div class=\"why\">\(HTML.esc(pr))</div>" }
            if v.status == .corrected, let e = v.extractedValue { value += "<div class=\"why\">extracted: \(HTML.esc(e))</div>" }
            rows.append("<tr class=\"s-\(v.status.rawValue)\" title=\"\(v.status.rawValue)\"><td>\(at)</td><td>\(HTML.esc(v.name))</td>"
                        + "<td>\(value)</td><td class=\"num\">\(conf)</td></tr>")
        }
        body += "<div class=\"card\"><h2>Fields and service lines</h2>"
        body += rows.isEmpty ? "<p class=\"muted\">nothing extracted</p>" :
            "<table class=\"values\"><thead><tr><th>rec·line</th><th>field</th><th>value</th><th class=\"num\">conf</th></tr></thead><tbody>"
            + rows.joined() + "</tbody></table>"
        body += "</div>"
        let audit = try db.read { try AuditTrail.entries($0, documentId: d.id!) }
        if !audit.isEmpty {
            body += "<div class=\"card\"><h2>Audit trail</h2>" + HTML.table(["at", "reviewer", "action", "field", "old", "new", "reason"], audit.map {
                [$0.at, $0.reviewer, $0.action.rawValue, "r\($0.record)" + ($0.line.map { " l\($0)" } ?? "") + " " + $0.field, $0.old ?? "", $0.new ?? "", $0.reason ?? ""]
            }) + "</div>"
        }
        if hasSets {
            body += "<div class=\"card\"><h2>Matched sets</h2>" + (try setsTable(documentId: d.id!)) + "</div>"
        }
        body += "</div></div></main>"
        return HTML.page(title: "DocRecon · \(d.originalName)", body: body)
    }

    // MARK: sets and ledger (tables from other stages, read only when they exist)

    func setsTable(documentId: Int64?) throws -> String {
        try db.read { db in
            var sql = "SELECT s.id, s.status, s.member_count FROM match_sets s"
            var args = StatementArguments()
            if let documentId {
                sql += " WHERE s.id IN (SELECT set_id FROM match_set_members WHERE document_id = ?)"; args += [documentId]
            }
            sql += " ORDER BY s.id LIMIT 500"
            let sets = try Row.fetchAll(db, sql: sql, arguments: args)
            if sets.isEmpty { return "<p class=\"muted\">no matched sets</p>" }
            var rows: [[String]] = []
            for s in sets {
                let members = try Row.fetchAll(db, sql: """
                    SELECT m.charge_id, m.kind, c.cpt, c.patient_name, c.date_of_service, c.document_id, c.row_number
                    FROM match_set_members m LEFT JOIN charges c ON c.id = m.charge_id WHERE m.set_id = ? ORDER BY m.charge_id
                    """, arguments: [s["id"] as Int64])
                let status: String = s["status"]
                let list = members.map { m -> String in
                    let kind: String = m["kind"]
                    var t = "\(HTML.esc(kind)) #\(m["charge_id"] as Int64)"
                    if let cpt = m["cpt"] as String? { t += " " + HTML.esc(cpt) }
                    if let dos = m["date_of_service"] as String? { t += " " + HTML.esc(dos) }
                    if let doc = m["document_id"] as Int64? { t += " (<a href=\"doc-\(doc).html\">document \(doc)</a>)" }
                    else if let r = m["row_number"] as Int? { t += " (row \(r))" }
                    return t
                }.joined(separator: "<br />")
                let patient = members.compactMap { $0["patient_name"] as String? }.first ?? ""
                rows.append([String(s["id"] as Int64),
                             "<span class=\"pill\" style=\"background: \(HTML.color(status))\">\(HTML.esc(status))</span>",
                             HTML.esc(patient), list])
            }
            return HTML.table(["set", "status", "patient", "members"], rows, rawCells: true)
        }
    }

    func setsPage(generated: String) throws -> String {
        let counts = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM match_sets GROUP BY status ORDER BY status").map { ($0["status"] as String, $0["n"] as Int) }
        }
        var body = header("DocRecon · matched sets", generated: generated, hasSets: true) + "<main>"
        body += "<div class=\"card\"><h2>Sets by status</h2>" + HTML.barChart(counts.map { ($0.0, Double($0.1), HTML.color($0.0)) }) + "</div>"
        body += "<div class=\"card\"><h2>Sets</h2>" + (try setsTable(documentId: nil)) + "</div></main>"
        return HTML.page(title: "DocRecon · matched sets", body: body)
    }

    /// The ledger's own aging (Rules/reconciliation.yaml `aging_buckets`, counted from
    /// `aging_from`), as `docrecon ledger` and the Master Missing workbook show it.
    func openLedger() throws -> [LedgerItem] {
        try LedgerQueries.list(db, status: .open, asOf: today, settings: ledgerSettings)
    }

    var agingLabels: [String] {
        var lower = 0
        var out: [String] = []
        for b in ledgerSettings.agingBuckets { out.append("\(lower)-\(b)"); lower = b + 1 }
        return out + ["\(ledgerSettings.agingBuckets.last ?? 0)+"]
    }

    /// Open ledger entries per aging bucket, in bucket order (days outstanding).
    func agingCounts(_ open: [LedgerItem]) -> [(String, Int)] {
        let counts = Dictionary(grouping: open.compactMap(\.aging), by: { $0 }).mapValues(\.count)
        return agingLabels.map { ($0 + " days", counts[$0] ?? 0) }
    }

    func ledgerPage(generated: String) throws -> String {
        let open = try openLedger()
        var body = header("DocRecon · open ledger", generated: generated, hasLedger: true) + "<main>"
        body += "<div class=\"card\"><h2>Aging of open entries</h2>" + HTML.barChart(agingCounts(open).map { ($0.0, Double($0.1), "#ef6c00") })
            + "<p class=\"muted\">days outstanding since the \(HTML.esc(ledgerSettings.agingFrom.replacingOccurrences(of: "_", with: " "))), as of \(today.iso)</p></div>"
        let shown = open.prefix(2000)
        body += "<div class=\"card\"><h2>Open entries (\(open.count))</h2>" + HTML.table(
            ["patient", "DOB", "DOS", "facility", "CPT", "provider", "source", "reason", "first seen", "last attempt", "attempts", "days", "aging"],
            shown.map { e in
                [e.patientName, e.patientDob?.iso ?? "", e.dateOfService?.iso ?? "", e.facility, e.cpt, e.servicingProvider, e.source,
                 e.reason ?? "", e.firstSeen.iso, e.lastAttempt.iso, String(e.attempts), e.daysOutstanding.map(String.init) ?? "", e.aging ?? ""]
            }, cls: "ledger") + (open.count > shown.count ? "<p class=\"muted\">first \(shown.count) shown; docrecon ledger lists all</p>" : "") + "</div></main>"
        return HTML.page(title: "DocRecon · open ledger", body: body)
    }

    // MARK: overview

    struct Batch { var start: Date; var end: Date; var documents: Int; var pages: Int; var ocrSeconds: Double }

    /// Intake batches: documents stored within 10 minutes of the previous one belong together.
    func batches() throws -> [Batch] {
        let rows: [(Date?, Int, Double)] = try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.created_at, count(p.id) AS pages, coalesce(sum(p.ocr_seconds), 0) AS secs
                FROM documents d LEFT JOIN pages p ON p.document_id = d.id GROUP BY d.id ORDER BY d.created_at
                """).map { ($0["created_at"] as Date?, $0["pages"] as Int, $0["secs"] as Double) }
        }
        var out: [Batch] = []
        for (created, pages, secs) in rows {
            guard let c = created else { continue }
            if var last = out.last, c.timeIntervalSince(last.end) < 600, c.timeIntervalSince(last.start) < 6 * 3600 {
                last.end = max(last.end, c); last.documents += 1; last.pages += pages; last.ocrSeconds += secs
                out[out.count - 1] = last
            } else {
                out.append(Batch(start: c, end: c, documents: 1, pages: pages, ocrSeconds: secs))
            }
        }
        return Array(out.suffix(8))
    }

    func overview(_ docs: [DocInfo], hasSets: Bool, hasLedger: Bool, generated: String) throws -> String {
        var body = header("DocRecon report", generated: generated, hasSets: hasSets, hasLedger: hasLedger) + "<main>"
        let all = docs.flatMap(\.all)
        let chargeCounts = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT source, count(*) AS n FROM charges GROUP BY source").map { ($0["source"] as String, $0["n"] as Int) }
        }
        let charges = chargeCounts.sorted { $0.0 > $1.0 }.map { "\($0.1) \($0.0 == "ice" ? "ICE" : $0.0)" }.joined(separator: ", ")
        body += "<p class=\"muted\">\(docs.count) documents · \(docs.reduce(0) { $0 + $1.pages.count }) pages · \(all.count) extracted values"
            + (charges.isEmpty ? "" : " · charges: \(HTML.esc(charges))") + "</p>"
        body += "<section class=\"cards\">"
        let docStatus = Dictionary(grouping: docs, by: { $0.doc.status.rawValue }).mapValues(\.count)
        body += "<div class=\"card\"><h2>Documents by status</h2>"
            + HTML.barChart(["extracted", "ocred", "partial", "stored", "failed"].compactMap { s in docStatus[s].map { (s, Double($0), HTML.color(s)) } }) + "</div>"
        let fieldStatus = Dictionary(grouping: all, by: { $0.status.rawValue }).mapValues(\.count)
        body += "<div class=\"card\"><h2>Fields by status</h2>"
            + HTML.barChart(["ok", "repaired", "needs_review", "corrected"].map { ($0.replacingOccurrences(of: "_", with: " "), Double(fieldStatus[$0] ?? 0), HTML.color($0)) })
            + "<p class=\"muted\">record fields and service-line cells</p></div>"
        let corrections = try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT field, sum(action = 'correct') AS corrected, sum(action = 'accept') AS accepted FROM audit GROUP BY field ORDER BY corrected DESC, field
                """).map { ($0["field"] as String, $0["corrected"] as Int, $0["accepted"] as Int) }
        }
        body += "<div class=\"card\"><h2>Corrections per field</h2>"
            + (corrections.isEmpty ? "<p class=\"muted\">no corrections yet (docrecon review, docrecon correct)</p>"
               : HTML.barChart(corrections.filter { $0.1 > 0 }.map { ($0.0, Double($0.1), HTML.color("corrected")) })
                 + HTML.table(["field", "corrected", "accepted"], corrections.map { [$0.0, String($0.1), String($0.2)] }))
            + "</div>"
        let bs = try batches()
        body += "<div class=\"card\"><h2>Pages per minute, recent batches</h2>"
        if bs.isEmpty { body += "<p class=\"muted\">no batches yet</p>" } else {
            let short = DateFormatter()
            short.dateFormat = "MM-dd HH:mm"; short.timeZone = TimeZone(identifier: "UTC")
            let full = DateFormatter()
            full.dateFormat = "yyyy-MM-dd HH:mm"; full.timeZone = TimeZone(identifier: "UTC")
            body += HTML.barChart(bs.map { b in
                (short.string(from: b.start), b.ocrSeconds > 0 ? Double(b.pages) / b.ocrSeconds * 60 : 0, "#1565c0")
            }, unit: "/min")
            body += HTML.table(["batch (UTC)", "docs", "pages", "p/min"], bs.map { b in
                [full.string(from: b.start), String(b.documents), String(b.pages),
                 b.ocrSeconds > 0 ? String(format: "%.0f", Double(b.pages) / b.ocrSeconds * 60) : "-"]
            }, cls: "batches")
            body += "<p class=\"muted\">pages per minute of reading time: pages ÷ the sum of each page's OCR (or text-layer) seconds, i.e. one worker; "
                + String(format: "%.1f", bs.last!.ocrSeconds) + " s for the last batch</p>"
        }
        body += "</div>"
        if hasLedger {
            let open = try openLedger()
            body += "<div class=\"card\"><h2>Open ledger by age</h2>" + HTML.barChart(agingCounts(open).map { ($0.0, Double($0.1), "#ef6c00") })
                + "<p><a href=\"ledger.html\">\(open.count) open entries</a> · days outstanding as of \(today.iso)</p></div>"
        }
        if hasSets {
            let counts = try db.read { db in
                try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM match_sets GROUP BY status ORDER BY status").map { ($0["status"] as String, $0["n"] as Int) }
            }
            body += "<div class=\"card\"><h2>Matched sets</h2>" + HTML.barChart(counts.map { ($0.0, Double($0.1), HTML.color($0.0)) })
                + "<p><a href=\"sets.html\">all sets</a></p></div>"
        }
        body += "</section><h2>Documents</h2>"
        let rows = docs.map { info -> [String] in
            let d = info.doc
            let st = Dictionary(grouping: info.all, by: { $0.status }).mapValues(\.count)
            return ["<a href=\"doc-\(d.id!).html\">\(d.id!)</a>", "<a href=\"doc-\(d.id!).html\">\(HTML.esc(d.originalName))</a>",
                    HTML.esc(d.docType ?? "-"),
                    "<span class=\"pill\" style=\"background: \(HTML.color(d.status.rawValue))\">\(HTML.esc(d.status.rawValue))</span>",
                    String(info.pages.count), String(info.all.count), String(st[.needsReview] ?? 0), String(st[.repaired] ?? 0), String(st[.corrected] ?? 0)]
        }
        body += HTML.table(["id", "name", "type", "status", "pages", "values", "needs review", "repaired", "corrected"], rows, rawCells: true)
        body += "</main>"
        return HTML.page(title: "DocRecon report", body: body)
    }
}
