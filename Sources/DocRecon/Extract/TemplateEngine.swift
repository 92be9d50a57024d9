import Foundation

/// One extracted value with where it came from and how sure we are.
public struct ExtractedValue: Sendable, Equatable {
    public var name: String
    public var type: FieldType
    public var value: FieldValue?
    public var raw: String
    public var box: Box?
    public var page: Int
    public var confidence: Double
    public var status: ParseOutcome.Status
    public var problem: String?
    /// `file:line` of the rule (and the finder) that produced it.
    public var rule: String
    /// What the second look read, when it was asked.
    public var secondLook: String?
    /// For table cells: the whole cell (column × row), where the second look reads.
    public var cellBox: Box?
    /// For record fields taken from a line column (`from_lines`): that column.
    public var fromColumn: String?
    /// For lists: the rows the items sit on, and how far across the list may reach (second look).
    public var listRows: [Box] = []
    public var listSpan: Box?
    /// In review for where or how it was found (a fallback rule, a value that cannot be this
    /// field's), not for how it was read: a second reading of the same crop does not clear it.
    public var sticky = false

    public init(name: String, type: FieldType, value: FieldValue?, raw: String, box: Box?, page: Int,
                confidence: Double, status: ParseOutcome.Status, problem: String? = nil, rule: String,
                secondLook: String? = nil) {
        self.name = name; self.type = type; self.value = value; self.raw = raw; self.box = box; self.page = page
        self.confidence = confidence; self.status = status; self.problem = problem; self.rule = rule
        self.secondLook = secondLook
    }
}

/// One sheet: record fields and service lines (each line a list of cells).
public struct ExtractedRecord: Sendable {
    public var pages: [Int]
    public var fields: [ExtractedValue]
    public var lines: [[ExtractedValue]]
    /// The template it was read with, and why that one (`fields` shows it).
    public var template: String? = nil
    public var choice: String? = nil
    public func field(_ name: String) -> ExtractedValue? { fields.first { $0.name == name } }
}

/// The choice of template for a page, with its score (for `fields` and for tests).
public struct TemplateChoice: Sendable {
    public var template: Template
    public var score: Double
}

public enum TemplateEngine {
    // MARK: selection

    static func normalisedText(_ words: [Word]) -> String {
        " " + words.map { $0.text.lowercased() }.joined(separator: " ") + " "
    }

    /// The best template for a page: all `all` keywords, no `none` keyword, at least `min_any`
    /// `any` keywords; score = template score + number of `any` keywords found.
    public static func select(_ templates: [Template], page: PageWords) -> TemplateChoice? {
        candidates(templates, page: page).first
    }

    /// Every template that applies to a page, best score first (the first of equals in rule
    /// order). A page registered against a template's form has that one only.
    public static func candidates(_ templates: [Template], page: PageWords) -> [TemplateChoice] {
        // A page that registered against a template's printed form is that form: its words are
        // only what was typed on it (the form's labels were taken out), so keywords cannot tell.
        if let reg = page.form, reg.accepted, let t = templates.first(where: { $0.name == reg.template && $0.form != nil }) {
            return [TemplateChoice(template: t, score: 1000 * reg.inliers)]
        }
        let words = page.words
        let text = normalisedText(words)
        let lines = PageGeometry.lines(words)
        let W = Double(max(page.width, 1)), H = Double(max(page.height, 1))
        func regionHit(_ r: Template.RegionPattern) -> Bool {
            guard let re = try? NSRegularExpression(pattern: r.pattern) else { return false }
            for l in lines {
                let ws = l.words.filter { $0.box.midX >= r.x0 * W && $0.box.midX <= r.x1 * W && $0.box.midY >= r.y0 * H && $0.box.midY <= r.y1 * H }
                guard !ws.isEmpty else { continue }
                let t = ws.map(\.text).joined(separator: " ")
                if re.firstMatch(in: t, range: NSRange(location: 0, length: t.utf16.count)) != nil { return true }
            }
            return false
        }
        let squashed = PageGeometry.labelKey(text)
        func has(_ k: String) -> Bool {
            text.contains(k.lowercased()) || squashed.contains(PageGeometry.labelKey(k))
        }
        var found: [TemplateChoice] = []
        for t in templates {
            let s = t.select
            guard s.all.allSatisfy(has), !s.none.contains(where: has) else { continue }
            let anyCount = s.any.filter(has).count + s.regions.filter(regionHit).count
            guard anyCount >= s.minAny else { continue }
            found.append(TemplateChoice(template: t, score: s.score + Double(anyCount)))
        }
        // Stable: of equal scores, the template loaded first.
        return found.enumerated().sorted { ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset) }.map(\.element)
    }

    /// How well a reading validates: values that passed every check (`ok` or `repaired`) count
    /// one, values read but in review a quarter. Fields and line cells alike.
    public static func validation(_ r: ExtractedRecord) -> Double {
        (r.fields + r.lines.flatMap { $0 }).reduce(0) { n, v in
            n + (v.value == nil ? 0 : v.status == .needsReview ? 0.25 : 1)
        }
    }

    /// The template to read a page with, why, and its reading before the checks (what
    /// `extract(…, applyChecks: false)` gives). One candidate: it. Several: each reads the page
    /// (checks applied, no second look) and the reading that validates best wins, the better
    /// score among equals; a form template whose registration failed reads only labels (in
    /// review), so a generic template that reads the page surely is kept instead (issue 13).
    public static func choose(_ templates: [Template], page: PageWords, today: CalendarDate)
        -> (choice: TemplateChoice, reason: String, reading: ExtractedRecord)? {
        let cands = candidates(templates, page: page)
        guard let first = cands.first else { return nil }
        func read(_ c: TemplateChoice) -> ExtractedRecord { extract(page: page, template: c.template, today: today, applyChecks: false) }
        if let reg = page.form, reg.accepted, first.template.form != nil, reg.template == first.template.name {
            return (first, "registered against its form (\(Int((reg.inliers * 100).rounded()))% of its rulings on ink, residual \(String(format: "%.1f", reg.residual)) px at 100 dpi)", read(first))
        }
        if cands.count == 1 { return (first, "the only template for this page (keywords, score \(fmt(first.score)))", read(first)) }
        var best: (choice: TemplateChoice, reading: ExtractedRecord, validation: Double)?
        var tried: [String] = []
        for c in cands.prefix(4) {
            let r = read(c)
            var checked = r
            Checks.apply(&checked, reviewConfidence: c.template.reviewConfidence, today: today)
            let v = validation(checked)
            var note = "\(c.template.name) \(fmt(v))"
            if c.template.form != nil { note += page.form?.template == c.template.name ? " (its form did not register)" : " (not registered)" }
            tried.append(note)
            if best == nil || v > best!.validation { best = (c, r, v) }
        }
        return (best!.choice, "validated best of \(tried.count) templates (values that pass their checks: \(tried.joined(separator: ", ")))", best!.reading)
    }

    static func fmt(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x) }

    // MARK: extraction of one page

    public static func extract(page: PageWords, template t: Template, today: CalendarDate = .today(),
                               applyChecks: Bool = true) -> ExtractedRecord {
        let lines = PageGeometry.lines(page.words)
        var index = LabelIndex()
        for f in t.fields {
            for (fi, finder) in f.finders.enumerated() {
                // Owned by the field (a label of another field beside it ends a value) and by this
                // finder (a finder reads from its own labels only, not from a later fallback's).
                if case .anchor(let a) = finder { a.labels.forEach { index.add($0, owner: f.name); index.add($0, owner: finderOwner(f.name, fi)) } }
            }
        }
        if let table = t.lines {
            for c in table.columns { c.labels.forEach { index.add($0, owner: "col:" + c.name) } }
            table.footer.forEach { index.add($0, owner: "#footer") }
        }
        t.stopLabels.forEach { index.add($0, owner: "#stop") }
        let hits = index.find(in: lines)
        var ctx = PageContext(page: page, lines: lines, hits: hits, template: t, today: today)
        if let form = t.form, let reg = page.form, reg.accepted, reg.template == t.name {
            ctx.registration = reg
            ctx.boxWords = FormBoxes.assign(page.words, form: form, mapping: reg.mapping)
        }

        var rows: [[ExtractedValue]] = []
        if let table = t.lines, table.formRows != nil {
            // A form's table is read through its boxes, on a page that registered, or not at all.
            if ctx.boxWords != nil { rows = ctx.formTable(table) }
        } else if let table = t.lines, let found = ctx.table(table) {
            rows = found.rows
            ctx.tableZone = (found.lineRange, found.x0)
        }
        var fields: [ExtractedValue] = []
        for f in t.fields {
            var got: ExtractedValue?
            var gotBy: Int?
            for (fi, finder) in f.finders.enumerated() {
                let rule = "\(t.file):\(f.line)#\(fi + 1)"
                guard var v = ctx.find(f, finder, index: fi, rule: rule, rows: rows) else { continue }
                if f.reviewSteps.contains(fi) {
                    // In review for where it was found, however well it is (or will be) read.
                    if v.status != .needsReview { v.problem = "found by a fallback rule; check it" }
                    v.status = .needsReview
                    v.sticky = true
                }
                if got == nil || (got!.status == .needsReview && v.status != .needsReview) { got = v; gotBy = fi }
                if got!.status != .needsReview { break }
            }
            if var v = got, let by = gotBy { ctx.crossCheck(&v, f, foundBy: by, rows: rows, file: t.file); got = v }
            fields.append(got ?? ExtractedValue(name: f.name, type: f.type, value: nil, raw: "", box: nil, page: page.number,
                                                confidence: 0, status: .needsReview, problem: "not found on the page",
                                                rule: "\(t.file):\(f.line)"))
        }
        var record = ExtractedRecord(pages: [page.number], fields: fields, lines: rows)
        if applyChecks { Checks.apply(&record, reviewConfidence: t.reviewConfidence, today: today) }
        return record
    }
}

/// Everything known about one page while its fields are looked for.
struct PageContext {
    let page: PageWords
    let lines: [TextLine]
    let hits: [LabelHit]
    let template: Template
    let today: CalendarDate
    /// The service-line table's lines and left edge: field values never come from inside it.
    var tableZone: (lines: ClosedRange<Int>, x0: Double)?
    /// On a page registered against the template's form: the registration, and its words by box.
    var registration: PageForm?
    var boxWords: [String: [Word]]?

    func inTable(_ li: Int, _ b: Box) -> Bool {
        guard let z = tableZone else { return false }
        return z.lines.contains(li) && b.midX >= z.x0
    }

    var W: Double { Double(max(page.width, 1)) }
    var H: Double { Double(max(page.height, 1)) }

    /// Label hits by line for quick lookups.
    func hits(onLine li: Int) -> [LabelHit] { hits.filter { $0.lineIndex == li } }

    func isLabelWord(_ li: Int, _ wi: Int) -> Bool {
        hits.contains { $0.lineIndex == li && ($0.first...$0.last).contains(wi) }
    }

    // MARK: value words from an anchor

    /// Words right of a label on its line, up to the next label or a wide gap.
    func wordsRight(of hit: LabelHit, maxDx: Double, list: Bool = false) -> [Word] {
        let line = lines[hit.lineIndex]
        let h = line.height
        var out: [Word] = []
        var lastX1 = hit.box.x1
        for wi in (hit.last + 1)..<line.words.count {
            let w = line.words[wi]
            if let other = hits.first(where: { $0.lineIndex == hit.lineIndex && ($0.first...$0.last).contains(wi) }) {
                // A label word inside a running value (`Family Clinic`, `Main Street Location`):
                // no colon, set at word spacing right after the value's words: part of the value.
                let insideValue = !other.colon && !out.isEmpty && Double(w.x0 - lastX1) < 1.0 * h
                    && (other.last + 1 >= line.words.count || Double(line.words[other.last + 1].x0 - line.words[other.last].x1) > 1.5 * h)
                if !insideValue { break }
            }
            if inTable(hit.lineIndex, w.box) { break }
            // Specks and rulings read as marks neither end a value nor widen a gap.
            if !w.text.contains(where: { $0.isLetter || $0.isNumber }) { continue }
            let gap = Double(w.x0 - lastX1)
            if out.isEmpty {
                if gap > maxDx * W { break }
            } else if gap > (list ? maxDx * W / 2 : 2.5 * h) { break }
            out.append(w)
            lastX1 = w.x1
        }
        return out
    }

    /// The horizontal span a value below a label may occupy: from the label's left edge (a bit
    /// before) to the next label on its line, or `maxDx` of the page.
    func columnSpan(of hit: LabelHit, maxDx: Double) -> (Double, Double) {
        let h = lines[hit.lineIndex].height
        let x0 = Double(hit.box.x0) - 1.0 * h
        var x1 = Double(hit.box.x0) + maxDx * W
        if let next = hits(onLine: hit.lineIndex).first(where: { $0.first > hit.last && $0.owners.isDisjoint(with: hit.owners) }) {
            x1 = min(x1, Double(next.box.x0) - 0.3 * h)
        }
        return (x0, max(x1, Double(hit.box.x1)))
    }

    /// Lines below a label, each cut to the label's column span, up to `maxLines` lines with
    /// words, within `maxDy` of the page; stops at a line whose first word there is a label.
    func linesBelow(_ hit: LabelHit, maxDx: Double, maxDy: Double, maxLines: Int) -> [[Word]] {
        let (x0, x1) = columnSpan(of: hit, maxDx: maxDx)
        var out: [[Word]] = []
        for li in (hit.lineIndex + 1)..<lines.count {
            let line = lines[li]
            if Double(line.box.y0) - Double(hit.box.y1) > maxDy * H { break }
            if line.box.midY <= Double(hit.box.y1) { continue }
            var ws: [Word] = []
            var startsWithLabel = false
            var onlySubLabels = true
            for (wi, w) in line.words.enumerated() where w.box.midX >= x0 && w.box.midX <= x1 && !inTable(li, w.box) {
                if let h = hits.first(where: { $0.lineIndex == li && ($0.first...$0.last).contains(wi) }) {
                    if ws.isEmpty && h.owners != ["#stop"] { startsWithLabel = true; onlySubLabels = false; break }
                    if !ws.isEmpty { break }
                    continue
                }
                onlySubLabels = false
                ws.append(w)
            }
            if startsWithLabel { break }
            if ws.isEmpty && onlySubLabels { continue } // sub-labels such as MM DD YY under a box label
            if ws.isEmpty { continue }
            out.append(ws)
            if out.count >= maxLines { break }
        }
        return out
    }

    // MARK: finders

    /// A value read from its box (a registered form's region) is checked against what the
    /// field's label anchor, if it has one, reads: when both read a value, surely, and they
    /// differ, the field goes to review with both shown (issue 13: a value comes from its box,
    /// and a disagreement is a person's to settle, not the first finder's).
    func crossCheck(_ v: inout ExtractedValue, _ f: Template.FieldRule, foundBy by: Int, rows: [[ExtractedValue]], file: String) {
        guard case .boxes = f.finders[by], v.status != .needsReview, let value = v.value else { return }
        for (fi, finder) in f.finders.enumerated() where fi != by {
            guard case .anchor = finder,
                  let other = find(f, finder, index: fi, rule: "\(file):\(f.line)#\(fi + 1)", rows: rows),
                  other.status != .needsReview, let otherValue = other.value else { continue }
            if otherValue != value {
                v.status = .needsReview
                v.problem = "its box reads '\(value)', its label reads '\(otherValue)': check which is right"
            }
            return
        }
    }

    func find(_ f: Template.FieldRule, _ finder: Template.Finder, index fi: Int, rule: String, rows: [[ExtractedValue]]) -> ExtractedValue? {
        switch finder {
        case .anchor(let a):
            var fallback: ExtractedValue?
            // Exact readings and labels ending in a colon first; then reading order.
            let own = finderOwner(f.name, fi)
            let mine = hits.filter { $0.owners.contains(own) && !inTable($0.lineIndex, $0.box) }
                .enumerated().sorted { a, b in
                    let ra = (a.element.exact ? 2 : 0) + (a.element.colon ? 1 : 0), rb = (b.element.exact ? 2 : 0) + (b.element.colon ? 1 : 0)
                    return ra != rb ? ra > rb : a.offset < b.offset
                }.map(\.element)
            for hit in mine {
                for d in a.directions {
                    let candidates: [[Word]]
                    switch d {
                    case .right:
                        var ws = wordsRight(of: hit, maxDx: a.maxDx, list: f.type == .icd10List)
                        if let inline = hit.inlineValue, !inline.isEmpty {
                            var w = lines[hit.lineIndex].words[hit.last]
                            w.text = inline
                            ws.insert(w, at: 0)
                        }
                        candidates = ws.isEmpty ? [] : [ws]
                    case .below:
                        let below = linesBelow(hit, maxDx: a.maxDx, maxDy: a.maxDy, maxLines: max(a.maxLines, f.type == .icd10List ? a.maxLines : 3))
                        if f.type == .icd10List { candidates = below.isEmpty ? [] : [below.flatMap { $0 }] } else { candidates = below }
                    }
                    for ws in candidates {
                        var wsAll = ws
                        if f.type == .icd10List, d == .right {
                            // A list may go on below the label line.
                            wsAll += linesBelow(hit, maxDx: a.maxDx, maxDy: a.maxDy, maxLines: a.maxLines).flatMap { $0 }
                        }
                        guard var v = value(f, wsAll, rule: rule + (d == .right ? ":right" : ":below")) else { continue }
                        if f.type == .icd10List {
                            let (sx0, sx1) = columnSpan(of: hit, maxDx: a.maxDx)
                            v.listSpan = Box(Int(max(0, d == .right ? Double(hit.box.x1) : sx0)), 0, Int(min(W, sx1)), 0)
                        }
                        if v.status != .needsReview { return v }
                        // Only the nearest line below counts for text types; typed values may skip sub-labels.
                        if fallback == nil { fallback = v }
                        if f.type == .name || f.type == .text { break }
                    }
                    if let fb = fallback, fb.type == .name || fb.type == .text { return fb }
                }
            }
            return fallback
        case .region(let x0, let y0, let x1, let y1):
            let rx0: Double = x0 * W, rx1: Double = x1 * W, ry0: Double = y0 * H, ry1: Double = y1 * H
            var inside: [Word] = []
            for (li, line) in lines.enumerated() {
                for (wi, w) in line.words.enumerated() where !isLabelWord(li, wi) {
                    let mx = w.box.midX, my = w.box.midY
                    if mx >= rx0 && mx <= rx1 && my >= ry0 && my <= ry1 { inside.append(w) }
                }
            }
            // Reading order within the region (its own lines: a page line may lean across it).
            let ws = PageGeometry.lines(inside).flatMap(\.words)
            guard !ws.isEmpty, var v = value(f, ws, rule: rule + ":region") else { return nil }
            if f.type == .icd10List { v.listSpan = Box(Int(rx0), 0, Int(rx1), 0) }
            return v
        case .pattern(let p):
            guard let re = try? NSRegularExpression(pattern: p, options: [.caseInsensitive]) else { return nil }
            for line in lines {
                // Text with each word's character range so a match maps back to words.
                var text = ""
                var ranges: [(Range<Int>, Word)] = []
                for w in line.words {
                    if !text.isEmpty { text += " " }
                    let start = text.utf16.count
                    text += w.text
                    ranges.append((start..<text.utf16.count, w))
                }
                guard let m = re.firstMatch(in: text, range: NSRange(location: 0, length: text.utf16.count)) else { continue }
                let r = m.numberOfRanges > 1 && m.range(at: 1).location != NSNotFound ? m.range(at: 1) : m.range
                let sub = (text as NSString).substring(with: r)
                let ws = ranges.filter { $0.0.overlaps(r.location..<(r.location + r.length)) }.map { $0.1 }
                guard !ws.isEmpty else { continue }
                var first = ws
                first[0].text = sub // the matched text is the raw value; the words give box and confidence
                if ws.count > 1 { first = [Word(pageId: ws[0].pageId, text: sub, box: ws.dropFirst().reduce(ws[0].box) { $0.union($1.box) },
                                                confidence: ws.map(\.confidence).min() ?? 0, block: 0, line: 0, wordIndex: 0)] }
                if let v = value(f, first, rule: rule + ":pattern"), v.status != .needsReview { return v }
            }
            return nil
        case .boxes(let names):
            guard let byBox = boxWords else { return nil }
            let ws = FormBoxes.compose(names.map { byBox[$0] ?? [] }, type: f.type)
            guard !ws.isEmpty, var v = value(f, ws, rule: rule + ":box") else { return nil }
            if let form = template.form, let reg = registration {
                let cells = names.compactMap { form.boxes[$0] }.map { FormBoxes.pageBox($0, mapping: reg.mapping) }
                v.cellBox = Box.union(cells)
                // A name or text typed up to its box's right edge may run on past it (box 31's
                // `… VELASQUEZ MD` loses its `MD` to box 32): not ok without a look.
                if [.name, .text].contains(f.type), v.status == .ok, let last = cells.last,
                   let right = ws.map(\.x1).max(), right >= last.x1 - max(4, last.width / 60) {
                    v.status = .needsReview
                    v.problem = "the value reaches the right edge of its box: it may run on past it"
                }
            }
            return v
        case .fromLines(let col):
            guard var v = PageContext.fromLines(rows, column: col) else { return nil }
            v.name = f.name; v.type = f.type
            v.rule = rule + ":line"
            v.fromColumn = col
            v.cellBox = nil
            return v
        }
    }

    /// A registered form's table: row n's cells are the words of each column's boxes for n.
    func formTable(_ t: Template.LineTable) -> [[ExtractedValue]] {
        guard let byBox = boxWords, let form = template.form, let reg = registration, let n = t.formRows,
              let required = t.columns.first(where: \.required) else { return [] }
        var rows: [[ExtractedValue]] = []
        for r in 1...n {
            var cells: [String: [Word]] = [:]
            var bounds: [String: (Double, Double)] = [:]
            var rowBox: Box?
            for c in t.columns {
                let names = c.boxes(row: r)
                let ws = FormBoxes.compose(names.map { byBox[$0] ?? [] }, type: c.type)
                if !ws.isEmpty { cells[c.name] = ws }
                if let u = Box.union(names.compactMap { form.boxes[$0] }.map { FormBoxes.pageBox($0, mapping: reg.mapping) }) {
                    bounds[c.name] = (Double(u.x0), Double(u.x1))
                    rowBox = rowBox.map { $0.union(u) } ?? u
                }
            }
            // A row with nothing typed in it ends nothing (a form's rows may be left empty between).
            guard cells[required.name] != nil || cells.values.contains(where: { $0.contains { w in w.text.contains(where: \.isNumber) } }) else { continue }
            if let row = readRow(t, cells: cells, required: required, bounds: bounds, rowBox: rowBox) { rows.append(row) }
        }
        return rows
    }

    /// A record value from a line column: the first line's. When the first line has none, the
    /// next line that has one, and to review unless every line that has one agrees (the record's
    /// date of service is the first line's, and a later line may have another).
    static func fromLines(_ rows: [[ExtractedValue]], column col: String) -> ExtractedValue? {
        let cells = rows.compactMap { $0.first { $0.name == col } }
        guard var v = cells.first(where: { $0.value != nil }) else { return nil }
        if rows.first?.first(where: { $0.name == col })?.value == nil {
            let distinct = Set(cells.compactMap { $0.value?.description })
            if distinct.count > 1, v.status != .needsReview {
                v.status = .needsReview
                v.sticky = true
                v.problem = [v.problem, "the first service line's \(col) was not read and the other lines differ"].compactMap { $0 }.joined(separator: "; ")
            }
        }
        return v
    }

    // MARK: words → value

    func value(_ f: Template.FieldRule, _ ws: [Word], rule: String) -> ExtractedValue? {
        guard !ws.isEmpty else { return nil }
        return ValueReader.read(name: f.name, type: f.type, words: ws, formats: f.formats, birth: f.birth, splitCents: f.splitCents,
                                page: page.number, rule: rule, reviewConfidence: template.reviewConfidence, today: today)
    }
}

/// Turns the words found for a field into a value, consuming only as many words as the type needs.
public enum ValueReader {
    static let noise = CharacterSet(charactersIn: "[]{}()|'\"‘’“”*_~`«»°")

    /// A word without the marks OCR adds around values (rulings, quotes, a trailing period).
    public static func cleanToken(_ t: String) -> String {
        var s = t.trimmingCharacters(in: noise)
        while let l = s.last, l == "." || l == "," || l == ";" || l == ":" { s.removeLast() }
        return s.trimmingCharacters(in: noise)
    }

    /// A word that reads as a procedure code, as it is or after one look-alike repair.
    static func codeCandidate(_ text: String) -> Bool {
        var t = cleanToken(text)
        if let dash = t.firstIndex(of: "-") { t = String(t[..<dash]) }
        guard t.count == 5 else { return false }
        return FieldValues.evaluate(t, type: .code).value != nil
    }

    static func box(_ ws: ArraySlice<Word>) -> Box? {
        guard let f = ws.first else { return nil }
        return ws.dropFirst().reduce(f.box) { $0.union($1.box) }
    }

    static func join(_ ws: ArraySlice<Word>) -> String { ws.map(\.text).joined(separator: " ") }

    public static func read(name: String, type: FieldType, words ws: [Word], formats: [String] = [], birth: Bool = false,
                            splitCents: Bool = false,
                            page: Int, rule: String, reviewConfidence: Double, today: CalendarDate) -> ExtractedValue? {
        var ws = ws.filter { !["|", ":", "$"].contains($0.text) || type == .money && $0.text == "$" }
        if type != .name && type != .text {
            // OCR punctuation around typed values: rulings read as | [ ], quotes, stray marks.
            ws = ws.compactMap { w in
                var w = w
                w.text = cleanToken(w.text)
                return w.text.isEmpty ? nil : w
            }
        }
        while let f = ws.first, f.text == ":" || f.text == "#" || f.text == "-" { ws.removeFirst() }
        guard !ws.isEmpty else { return nil }
        func make(_ slice: ArraySlice<Word>, _ outcome: ParseOutcome, raw: String? = nil) -> ExtractedValue {
            let conf = slice.map(\.confidence).min() ?? 0
            var status = outcome.status
            var problem = outcome.problem
            // A look-alike repair is a guess on top of the reading: on a doubtful reading it is
            // offered for review too, not kept as `repaired`.
            if (status == .ok || status == .repaired) && conf < reviewConfidence {
                status = .needsReview
                problem = (problem.map { $0 + "; " } ?? "") + "low OCR confidence (\(String(format: "%.2f", conf)))"
            }
            if type == .code, status == .ok, conf < Plausibility.sureCodeConfidence, case .string(let code)? = outcome.value,
               let other = Plausibility.lookAlikeCode(code) {
                // `33420` or `J3420`: both are codes; a reading that is not sure does not choose.
                status = .needsReview
                problem = "'\(code)' could be '\(other)' (confidence \(String(format: "%.2f", conf)))"
            }
            if type == .date, status != .needsReview, case .string(let iso)? = outcome.value, let d = CalendarDate(iso: iso),
               let why = Plausibility.date(d, birth: birth, today: today) {
                // A date that cannot be this field's (a birth date beside a misread `DOS` label):
                // to review, so a finder goes on to the next label.
                status = .needsReview
                problem = [problem, why].compactMap { $0 }.joined(separator: "; ")
            }
            return ExtractedValue(name: name, type: type, value: outcome.value, raw: raw ?? join(slice), box: box(slice),
                                  page: page, confidence: conf, status: status, problem: problem, rule: rule)
        }
        switch type {
        case .name, .text:
            while let l = ws.last, !l.text.contains(where: { $0.isLetter || $0.isNumber }) { ws.removeLast() }
            while let f = ws.first, !f.text.contains(where: { $0.isLetter || $0.isNumber }) { ws.removeFirst() }
            if type == .name, let cut = ws.indices.dropFirst().first(where: { ws[$0].text.filter(\.isNumber).count >= 3 }) {
                // A name has no run of digits: `BAPTISTE, DESMOND 1870282054` runs into the next value (an NPI).
                ws = Array(ws[..<cut])
                while let l = ws.last, !l.text.contains(where: { $0.isLetter || $0.isNumber }) { ws.removeLast() }
            }
            guard !ws.isEmpty else { return nil }
            let raw = join(ws[...])
            var v = FieldValues.fold(FieldValues.stripLead(raw)).trimmingCharacters(in: CharacterSet(charactersIn: "\"“”‘’|_~*°«»"))
            // `DOROTHY,.B`: a speck beside a comma.
            v = v.replacingOccurrences(of: "\\s*(,\\s*\\.|\\.\\s*,)\\s*", with: ", ", options: .regularExpression)
            // A trailing colon or comma is label punctuation, not part of a name.
            while let l = v.last, l == ":" || l == "," || l == ";" { v.removeLast() }
            // `SKILLED. NURSING`, `Home Health.`: a speck read as a period after a whole word
            // (abbreviations, `Assoc.`, `St.`, `Jr.`, are shorter and keep theirs).
            v = v.replacingOccurrences(of: "(?<=[A-Za-z]{6})\\.(?=\\s|$)", with: "", options: .regularExpression)
            if name.contains("account") || name.hasSuffix("_number") {
                // Identifiers: as printed, no spaces; only the first run of words close together.
                var run: [Word] = [ws[0]]
                for w in ws.dropFirst() {
                    if Double(w.x0 - run.last!.x1) < 0.6 * Double(max(1, w.box.height)) { run.append(w) } else { break }
                }
                var id = FieldValues.stripLead(run.map(\.text).joined()).filter { !$0.isWhitespace }
                while let l = id.last, ".,;:_|".contains(l) { id.removeLast() }
                return make(run[...], id.isEmpty ? ParseOutcome(value: nil, status: .needsReview, problem: "no value found")
                                                 : ParseOutcome(value: .string(id), status: .ok))
            }
            if type == .name {
                // `ABERNATHY,FATIMA`: a name's comma is followed by a space (the canonical form).
                v = v.replacingOccurrences(of: ",(?=[^\\s,])", with: ", ", options: .regularExpression)
                if let odd = v.first(where: { !($0.isLetter || $0 == " " || $0 == "," || $0 == "." || $0 == "'" || $0 == "-" || $0 == ";") }) {
                    // `WEBER, FATIMA)`: no name holds a bracket, a digit or a symbol; OCR misread a letter.
                    return make(ws[...], ParseOutcome(value: .string(v), status: .needsReview, problem: "'\(odd)' in a name"))
                }
            }
            if type == .name, v.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" }).filter({ $0.contains(where: \.isLetter) }).count < 2 {
                // `OAK`: a person is named by at least a first and a last name; one word is a cut
                // value or another box's text.
                return make(ws[...], ParseOutcome(value: .string(v), status: .needsReview, problem: "a name of one word"))
            }
            if type == .name, v.contains(";") {
                // `KEMP; IRENE`: no name has a semicolon; OCR read the comma's tail as one.
                let fixed = v.replacingOccurrences(of: "\\s*;\\s*", with: ", ", options: .regularExpression)
                return make(ws[...], ParseOutcome(value: .string(fixed), status: .repaired, problem: "';' in a name read as ','"))
            }
            return make(ws[...], v.isEmpty ? ParseOutcome(value: nil, status: .needsReview, problem: "no value found")
                                           : ParseOutcome(value: .string(v), status: .ok))
        case .icd10List:
            return readICDList(name: name, ws, page: page, rule: rule, reviewConfidence: reviewConfidence)
        case .modifierList:
            return readModifierList(name: name, ws, page: page, rule: rule, reviewConfidence: reviewConfidence)
        case .date:
            // Up to 6 words (`MM DD YY` and a `To` date after it); the longest prefix that parses.
            for n in stride(from: min(ws.count, 5), through: 1, by: -1) {
                let slice = ws[0..<n]
                if let (d, consumed) = FieldValues.parseDate(join(slice), formats: formats, birth: birth, today: today),
                   consumed >= join(slice).count - 1 {
                    return make(slice, ParseOutcome(value: .string(d.iso), status: .ok))
                }
            }
            // Prefix parse (a date followed by other text in one word group).
            let all = join(ws[...])
            if let (d, _) = FieldValues.parseDate(all, formats: formats, birth: birth, today: today) {
                let n = min(ws.count, 3)
                return make(ws[0..<n], ParseOutcome(value: .string(d.iso), status: .ok))
            }
            for n in stride(from: min(ws.count, 3), through: 1, by: -1) {
                let o = FieldValues.evaluate(join(ws[0..<n]), type: .date, formats: formats, birth: birth, today: today)
                if o.status == .repaired { return make(ws[0..<n], o) }
            }
            // `02 111974`: the spaces of `MM DD YYYY` misread, one lost; the digits alone, if
            // they are a whole date, are it.
            for n in stride(from: min(ws.count, 3), through: 2, by: -1) {
                let digits = ws[0..<n].map(\.text).joined()
                guard digits.count == 8 || digits.count == 6, digits.allSatisfy(\.isASCIIDigit) else { continue }
                if let (d, consumed) = FieldValues.parseDate(digits, formats: [digits.count == 8 ? "MMDDYYYY" : "MMDDYY"], birth: birth, today: today),
                   consumed == digits.count {
                    return make(ws[0..<n], ParseOutcome(value: .string(d.iso), status: .repaired, problem: "the date's separators were misread"))
                }
            }
            return make(ws[0..<min(ws.count, 3)], FieldValues.evaluate(join(ws[0..<min(ws.count, 3)]), type: .date, formats: formats, birth: birth, today: today))
        case .money:
            if splitCents {
                // One word of digits where dollars and cents columns ran together.
                let digits = ws.map(\.text).joined().filter { $0 != "$" && $0 != "," }
                if ws.count <= 2, digits.count >= 3, digits.allSatisfy(\.isASCIIDigit), let m = Money(parsing: String(digits.dropLast(2)) + "." + String(digits.suffix(2))),
                   !(ws.count == 2 && ws[1].text.count == 2) {
                    return make(ws[...], ParseOutcome(value: .string(m.decimalString), status: .ok))
                }
            }
            if let split = splitDollarsAndCents(ws) {
                // `306 | 85`: dollars and cents in columns of their own (the 1500's 24F and 28, and
                // any form drawn like it): the amount is both, never the dollars alone.
                return make(ws[split.range], ParseOutcome(value: .string(split.money.decimalString), status: .ok))
            }
            for n in stride(from: min(ws.count, 3), through: 1, by: -1) {
                let slice = ws[0..<n]
                if let m = FieldValues.parseMoney(join(slice)) { return make(slice, ParseOutcome(value: .string(m.decimalString), status: .ok)) }
            }
            for n in 1...min(ws.count, 2) {
                let o = FieldValues.evaluate(join(ws[0..<n]), type: .money)
                if o.status == .repaired { return make(ws[0..<n], o) }
            }
            return make(ws[0..<1], FieldValues.evaluate(ws[0].text, type: .money))
        default:
            // Single tokens; OCR may split one into two or three words.
            for n in 1...min(ws.count, 3) {
                let slice = ws[0..<n]
                if n > 1, Double(slice.last!.x0 - ws[n - 2].x1) > 1.2 * Double(max(1, slice.last!.box.height)) { break }
                let raw = slice.map(\.text).joined()
                if let v = FieldValues.normalize(raw, type: type, formats: formats, birth: birth, today: today) {
                    return make(slice, ParseOutcome(value: v, status: .ok), raw: raw)
                }
            }
            let o = FieldValues.evaluate(ws[0].text, type: type, formats: formats, birth: birth, today: today)
            return make(ws[0..<1], o, raw: ws[0].text)
        }
    }

    /// Whole dollars (`$` and thousands commas allowed, no decimal point) followed within
    /// `maxGap` word heights by a word of exactly two digits: split cents, the amount they make.
    /// Rulings glued to either (`|57`) are no part of them.
    static func splitCents(dollars d: Word, cents c: Word, maxGap: Double) -> Money? {
        let whole = cleanToken(d.text), cents = cleanToken(c.text)
        let digits = whole.filter { $0 != "$" && $0 != "," }
        guard !digits.isEmpty, digits.count <= 7, digits.allSatisfy(\.isASCIIDigit), !whole.contains("."),
              cents.count == 2, cents.allSatisfy(\.isASCIIDigit),
              Double(c.x0 - d.x1) < maxGap * Double(max(1, d.box.height)) else { return nil }
        return Money(parsing: digits + "." + cents)
    }

    /// Split cents at the start of a value's words (after a lone `$`).
    static func splitDollarsAndCents(_ ws: [Word]) -> (money: Money, range: Range<Int>)? {
        let i = ws.first?.text == "$" ? 1 : 0
        guard ws.count >= i + 2, let m = splitCents(dollars: ws[i], cents: ws[i + 1], maxGap: 3) else { return nil }
        return (m, 0..<(i + 2))
    }

    /// Does a token look like an ICD-10 code someone or OCR garbled (not a description word)?
    static func codeLike(_ s: String) -> Bool {
        guard (3...8).contains(s.count), let f = s.first else { return false }
        let digits = s.filter(\.isASCIIDigit).count
        return digits >= 2 && (f.isLetter || "0125|€£".contains(f)) && s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "€" || $0 == "£" }
    }

    static func splitTokens(_ ws: [Word]) -> [(String, Word)] {
        var enumerators: [Character] = []
        return splitTokens(ws, enumerators: &enumerators)
    }

    /// Tokens of a diagnosis list; `enumerators` collects the list letters seen (`A.`, `B.`…).
    static func splitTokens(_ ws: [Word], enumerators: inout [Character]) -> [(String, Word)] {
        var out: [(String, Word)] = []
        var pending: Character?
        for w in ws {
            // `L89,152`: a comma read for the dot inside a code.
            var t = w.text.replacingOccurrences(of: "^([A-Za-z0-9][0-9][A-Za-z0-9]),([A-Za-z0-9]{1,4})$", with: "$1.$2", options: .regularExpression)
            t = t.replacingOccurrences(of: "(", with: " ").replacingOccurrences(of: ")", with: " ")
            for sep in [",", ";", "|"] { t = t.replacingOccurrences(of: sep, with: " ") }
            for p in t.split(separator: " ") {
                var s = cleanToken(String(p))
                // List enumerators: `A.`, `1.`, `A)` before the code, or glued to it (`A.I10`).
                // `C.110`: a letter and a dot never start an ICD-10 code, so they are the enumerator.
                if let r = s.range(of: "^[A-La-l][.)](?=.{3,})", options: .regularExpression) {
                    enumerators.append(Character(s[s.startIndex].uppercased()))
                    s = String(s[r.upperBound...])
                } else if let r = s.range(of: "^[0-9]{1,2}[.)](?=[A-Za-z].{2,})", options: .regularExpression) {
                    s = String(s[r.upperBound...])
                }
                if s.range(of: "^[A-La-l][.)]$", options: .regularExpression) != nil {
                    enumerators.append(Character(s.prefix(1).uppercased())); pending = nil; continue
                }
                // A bare letter counts as a list letter only when a code follows it.
                if s.range(of: "^[A-La-l]$", options: .regularExpression) != nil { pending = Character(s.uppercased()); continue }
                if let p = pending, FieldValues.normalizeICD10(cleanToken(s)) != nil || codeLike(cleanToken(s)) { enumerators.append(p) }
                pending = nil
                if s.range(of: "^[0-9]{1,2}[.)]?$", options: .regularExpression) != nil { continue }
                s = cleanToken(s)
                while let l = s.last, l == "-" { s.removeLast() }
                while let l = s.last, l == "." || l == ":" { s.removeLast() }
                if !s.isEmpty { out.append((s, w)) }
            }
        }
        return out
    }

    static func readICDList(name: String, _ ws: [Word], page: Int, rule: String, reviewConfidence: Double) -> ExtractedValue? {
        var codes: [String] = []
        var used: [Word] = []
        var status = ParseOutcome.Status.ok
        var problems: [String] = []
        var raws: [String] = []
        var enumerators: [Character] = []
        let tokens = splitTokens(ws, enumerators: &enumerators).map { tok, w -> (String, Word) in
            // `£E87.1`: a speck read as a currency sign before a code that is whole without it.
            if let f = tok.first, "£€$§".contains(f), FieldValues.normalizeICD10(String(tok.dropFirst())) != nil {
                return (String(tok.dropFirst()), w)
            }
            return (tok, w)
        }
        for (read, w) in tokens {
            var tok = read
            if tok.first == "$", tok.count > 3 {
                // `$72.001A`: an S read as a dollar sign.
                tok = "S" + tok.dropFirst()
                if let c = FieldValues.normalizeICD10(tok) {
                    if !codes.contains(c) { codes.append(c) }
                    used.append(w); raws.append(read)
                    if w.confidence < reviewConfidence { status = .needsReview } else if status == .ok { status = .repaired }
                    problems.append("'\(read)': $ read as S")
                    continue
                }
            }
            if let c = FieldValues.normalizeICD10(tok) {
                if !codes.contains(c) { codes.append(c) }
                used.append(w); raws.append(tok)
                if w.confidence < reviewConfidence { status = .needsReview; problems.append("low OCR confidence on \(tok)") }
            } else if codeLike(tok) {
                let o = FieldValues.evaluate(tok, type: .icd10)
                used.append(w); raws.append(tok)
                if let v = o.value, case .string(let c) = v {
                    if !codes.contains(c) { codes.append(c) }
                    if w.confidence < reviewConfidence { status = .needsReview } else if status == .ok { status = .repaired }
                    problems.append(o.problem ?? "")
                } else {
                    status = .needsReview
                    problems.append(o.problem ?? "'\(tok)' is not an ICD-10 code")
                }
            }
        }
        guard !used.isEmpty else { return nil }
        // Letters A, B, D with C missing, or more letters than codes: an item was not read.
        let letters = Set(enumerators)
        if let maxL = letters.max(), let a = Character("A").asciiValue, let m = maxL.asciiValue {
            let expected = Int(m - a) + 1
            if letters.count < expected || codes.count < letters.count {
                status = .needsReview
                problems.append("list letters \(letters.sorted().map(String.init).joined()) but \(codes.count) codes read")
            }
        }
        // An empty slot between items (`1. R26.81 2. 3. L89.152`): a list is filled in order, so
        // an item there was not read.
        if status != .needsReview, emptySlotBetweenItems(ws.flatMap { $0.text.split(separator: " ").map(String.init) }) {
            status = .needsReview
            problems.append("an empty list slot between items: an item was not read")
        }
        let b = used.dropFirst().reduce(used[0].box) { $0.union($1.box) }
        var v = ExtractedValue(name: name, type: .icd10List, value: .list(codes), raw: raws.joined(separator: " "), box: b, page: page,
                               confidence: used.map(\.confidence).min() ?? 0, status: status,
                               problem: problems.isEmpty ? nil : problems.joined(separator: "; "), rule: rule)
        v.listRows = PageGeometry.lines(ws).map(\.box)
        return v
    }

    /// Does a list slot marker (`2.`, `C.`, `3)`) follow another with nothing between them,
    /// with an item after them?
    static func emptySlotBetweenItems(_ tokens: [String]) -> Bool {
        func isMarker(_ t: String) -> Bool { t.range(of: "^([1-9][0-9]?|[A-La-l])[.)]?$", options: .regularExpression) != nil }
        func isItem(_ t: String) -> Bool { FieldValues.normalizeICD10(cleanToken(t)) != nil || codeLike(cleanToken(t)) }
        for i in tokens.indices.dropLast() where isMarker(tokens[i]) && isMarker(tokens[i + 1]) {
            if tokens[(i + 2)...].contains(where: isItem) { return true }
        }
        return false
    }

    static func readModifierList(name: String, _ ws: [Word], page: Int, rule: String, reviewConfidence: Double) -> ExtractedValue? {
        var mods: [String] = []
        var status = ParseOutcome.Status.ok
        var problems: [String] = []
        var raws: [String] = []
        for w in ws {
            var t = w.text
            for sep in [",", ";", "|", "-", "/"] { t = t.replacingOccurrences(of: sep, with: " ") }
            for p in t.split(separator: " ") {
                var tok = String(p)
                raws.append(tok)
                // Four modifiers run together (`25 59` read as `2559`).
                if tok.count == 4, tok.allSatisfy({ $0.isLetter || $0.isNumber }) {
                    let a = String(tok.prefix(2)), b = String(tok.suffix(2))
                    if !tok.contains("l"), FieldValues.isModifier(a.uppercased()), FieldValues.isModifier(b.uppercased()) {
                        mods += [a.uppercased(), b.uppercased()]
                        if w.confidence < reviewConfidence { status = .needsReview; problems.append("low OCR confidence on \(tok)") }
                        continue
                    }
                }
                if tok.contains("l") {
                    // A lower-case l is OCR's 1 or I. In a sans-serif face I and l are one glyph
                    // while 1 has its flag, so an l beside a letter is an I (`Al` is AI) and one
                    // beside a digit a 1; otherwise only a single fitting reading is taken.
                    let cs = Array(tok)
                    if cs.count == 2, let i = cs.firstIndex(of: "l") {
                        let other = cs[1 - i]
                        if other.isLetter, other != "l" {
                            var t = cs; t[i] = "I"
                            mods.append(String(t).uppercased()); if status == .ok { status = .repaired }
                            problems.append("'\(tok)': l beside a letter read as I")
                            continue
                        }
                    }
                    let o = FieldValues.evaluate(tok, type: .modifier)
                    if case .string(let m)? = o.value { mods.append(m); if status == .ok { status = .repaired } }
                    else { status = .needsReview; problems.append(o.problem ?? "'\(tok)' is not a modifier") }
                    continue
                }
                tok = tok.uppercased()
                if FieldValues.isModifier(tok) {
                    mods.append(tok)
                    if w.confidence < reviewConfidence { status = .needsReview; problems.append("low OCR confidence on \(tok)") }
                } else {
                    status = .needsReview
                    problems.append("'\(p)' is not a modifier")
                }
            }
        }
        let b = ws.dropFirst().reduce(ws[0].box) { $0.union($1.box) }
        return ExtractedValue(name: name, type: .modifierList, value: .list(mods), raw: raws.joined(separator: " "), box: b, page: page,
                              confidence: ws.map(\.confidence).min() ?? 0, status: status,
                              problem: problems.isEmpty ? nil : problems.joined(separator: "; "), rule: rule)
    }
}

/// The label owner that names one finder of a field (finder `index` of `field`).
func finderOwner(_ field: String, _ index: Int) -> String { "\(field)@\(index)" }
