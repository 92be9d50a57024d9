import Foundation

/// Service-line tables: found by header keywords, columns by the header words' x-ranges,
/// rows by y, ending at a footer keyword, the next label, or a wide empty gap.
extension PageContext {
    struct HeaderEntry {
        var column: String? // nil: a header the template does not extract (Description, ...)
        var box: Box
    }

    func table(_ t: Template.LineTable) -> (rows: [[ExtractedValue]], lineRange: ClosedRange<Int>, x0: Double)? {
        if let r = t.region { return regionTable(t, r) }
        func colOwners(_ h: LabelHit) -> [String] {
            h.owners.filter { $0.hasPrefix("col:") }.map { String($0.dropFirst(4)) }.sorted()
        }
        // 1. Header bands: one line, or two close lines (wrapped headers), best first.
        var bands: [(range: ClosedRange<Int>, cols: [String: Box], score: Int)] = []
        for li in lines.indices {
            for k in 0...1 where li + k < lines.count {
                if k == 1 {
                    let gap = Double(lines[li + 1].box.y0 - lines[li].box.y1)
                    if gap > 1.2 * lines[li].height { continue }
                }
                let range = li...(li + k)
                var cols: [String: Box] = [:]
                // Labels that are only column headers first; a label a field shares (`Dx`, `DOS`)
                // heads a column only when no header-only label names that column.
                let inBand = hits.filter { range.contains($0.lineIndex) && !colOwners($0).isEmpty }
                let exclusive = inBand.filter { $0.owners.allSatisfy { $0.hasPrefix("col:") } }
                let shared = inBand.filter { !$0.owners.allSatisfy { $0.hasPrefix("col:") } }
                var sharedUsed = false
                var sharedFor: [String: Bool] = [:]
                for h in exclusive + shared {
                    let owners = colOwners(h)
                    let isShared = !h.owners.allSatisfy { $0.hasPrefix("col:") }
                    if !isShared, let c = owners.first(where: { cols[$0] != nil && sharedFor[$0] == nil }) ?? owners.first(where: { cols[$0] == nil }) {
                        // `Mod 1`, `Mod 2`: one column spanning both headers.
                        cols[c] = cols[c].map { $0.union(h.box) } ?? h.box
                        continue
                    }
                    guard let c = owners.first(where: { cols[$0] == nil }) else { continue }
                    cols[c] = h.box
                    sharedFor[c] = true
                    if isShared { sharedUsed = true }
                }
                _ = sharedUsed
                if cols.count >= t.minColumns { bands.append((range, cols, cols.count)) }
            }
        }
        bands.sort { ($0.score, -$0.range.lowerBound) > ($1.score, -$1.range.lowerBound) }
        let required = t.columns.first(where: \.required)!
        for header in bands.prefix(6) {
            guard var bounds = columnBounds(header.range, header.cols, colOwners: colOwners) else { continue }
            if !bounds.contains(where: { $0.0 == required.name }) {
                // The code header was misread: the code column is the one whose cells hold codes.
                var best: (Int, Int)? = nil
                for (i, b) in bounds.enumerated() where b.0 == nil {
                    var n = 0
                    for li in (header.range.upperBound + 1)..<min(lines.count, header.range.upperBound + 1 + t.maxRows) {
                        n += lines[li].words.filter { $0.box.midX >= b.1 && $0.box.midX < b.2 && ValueReader.codeCandidate($0.text) }.count
                    }
                    if n > 0, best == nil || n > best!.1 { best = (i, n) }
                }
                guard let (i, _) = best else { continue }
                bounds[i].0 = required.name
            }
            // A column label twice in the header (`Dx` over the diagnosis list and over the
            // pointers): the column taken, and the one under the other occurrence, are in doubt.
            var doubtful = Set<String>()
            let bandHits = hits.filter { header.range.contains($0.lineIndex) }
            for c in t.columns {
                guard let chosen = header.cols[c.name] else { continue }
                for h in bandHits where colOwners(h).contains(c.name) && chosen.union(h.box) != chosen {
                    doubtful.insert(c.name)
                    if let other = bounds.first(where: { h.box.midX >= $0.1 && h.box.midX < $0.2 })?.0 { doubtful.insert(other) }
                }
            }
            return rows(t, header: header.range, bounds: bounds, required: required, doubtful: doubtful,
                        headerX0: header.cols.mapValues { Double($0.x0) })
        }
        return nil
    }

    /// Column x-ranges from the template's headers and the other header words, clustered.
    func columnBounds(_ range: ClosedRange<Int>, _ cols: [String: Box], colOwners: (LabelHit) -> [String]) -> [(String?, Double, Double)]? {
        var entries = cols.map { HeaderEntry(column: $0.key, box: $0.value) }
        for li in range {
            let line = lines[li]
            var cluster: Box?
            func flush() {
                guard let c = cluster else { return }
                if let i = entries.firstIndex(where: { min($0.box.x1, c.x1) - max($0.box.x0, c.x0) > 0 }) {
                    if entries[i].column == nil { entries[i].box = entries[i].box.union(c) }
                } else {
                    entries.append(HeaderEntry(column: nil, box: c))
                }
                cluster = nil
            }
            for (wi, w) in line.words.enumerated() {
                // Column labels are placed already; other labels (a field's, beside the table) are no header.
                if hits.contains(where: { $0.lineIndex == li && ($0.first...$0.last).contains(wi) }) {
                    flush(); continue
                }
                // Marks that are not words (rulings read as | or *) make no column.
                if ValueReader.cleanToken(w.text).count < 2 && !w.text.contains(where: \.isLetter) { continue }
                if let c = cluster, Double(w.x0 - c.x1) <= 1.0 * line.height { cluster = c.union(w.box) } else { flush(); cluster = w.box }
            }
            flush()
        }
        entries.sort { $0.box.x0 < $1.box.x0 }
        var bounds: [(String?, Double, Double)] = []
        for (i, e) in entries.enumerated() {
            let lo = i == 0 ? Double(e.box.x0) - 3 * lines[range.lowerBound].height : (Double(entries[i - 1].box.x1) + Double(e.box.x0)) / 2
            let hi = i == entries.count - 1 ? Double.infinity : (Double(e.box.x1) + Double(entries[i + 1].box.x0)) / 2
            bounds.append((e.column, lo, hi))
        }
        return bounds
    }

    func rows(_ t: Template.LineTable, header: ClosedRange<Int>, bounds: [(String?, Double, Double)],
              required: Template.Column, doubtful: Set<String> = [],
              headerX0: [String: Double] = [:]) -> (rows: [[ExtractedValue]], lineRange: ClosedRange<Int>, x0: Double)? {
        func columnOf(_ w: Word) -> String? {
            bounds.first { w.box.midX >= $0.1 && w.box.midX < $0.2 }?.0
        }
        let moneyColumns = Set(t.columns.filter { $0.type == .money }.map(\.name))
        let numberColumns = Set(t.columns.filter { $0.type == .money || $0.type == .integer }.map(\.name))
        /// A number set flush right in its column (units, an amount) can end past the midpoint
        /// between its header and the next one: a number that ends before the next column's
        /// header begins is the left column's when that column holds numbers.
        func rightAlignedNumber(_ w: Word, column c: String?) -> String? {
            guard let c, let x0 = headerX0[c], Double(w.x1) < x0,
                  let bi = bounds.firstIndex(where: { $0.0 == c }), bi > 0, let left = bounds[bi - 1].0, numberColumns.contains(left),
                  w.text.contains(where: \.isNumber), w.text.allSatisfy({ $0.isNumber || "$,.".contains($0) }) else { return nil }
            return left
        }
        /// Split cents (`306 | 85`): two digits just right of whole dollars in a money column,
        /// ending before the next column's header begins, are that amount's cents, wherever the
        /// midpoint between the headers falls (headers sit left, amounts right).
        func splitCents(_ w: Word, after prev: Word?, in prevColumn: String?, column c: String?) -> Bool {
            guard let prev, let m = prevColumn, moneyColumns.contains(m), c != m,
                  ValueReader.splitCents(dollars: prev, cents: w, maxGap: 2.5) != nil else { return false }
            if let c, let x0 = headerX0[c] { return Double(w.x1) <= x0 }
            return true
        }
        // Rows.
        var rows: [[ExtractedValue]] = []
        var lastY = Double(lines[header.upperBound].box.y1)
        var end = header.upperBound
        // The header's text height (its tallest line: a speck read as a line of its own is no unit).
        let unit = header.map { lines[$0].height }.max() ?? lines[header.lowerBound].height
        for li in (header.upperBound + 1)..<lines.count {
            let line = lines[li]
            if Double(line.box.y0) - lastY > t.maxGap * unit { break }
            let lineHits = hits.filter { $0.lineIndex == li }
            if lineHits.contains(where: { $0.owners.contains("#footer") }) { break }
            var cells: [String: [Word]] = [:]
            var prev: (Word, String?)?
            for w in line.words {
                var c = columnOf(w)
                if splitCents(w, after: prev?.0, in: prev?.1, column: c) { c = prev?.1 }
                else if let left = rightAlignedNumber(w, column: c) { c = left }
                if let c { cells[c, default: []].append(w) }
                // A ruling read as `|` between dollars and cents is no word between them.
                if w.text.contains(where: { $0.isLetter || $0.isNumber }) { prev = (w, c) }
            }
            let codeWords = cells[required.name] ?? []
            let codeLooksValid = codeWords.contains { FieldValues.normalizeCode(String($0.text.prefix(5))) != nil }
            if lineHits.contains(where: { h in h.colon && h.owners.contains { !$0.hasPrefix("col:") && !$0.hasPrefix("#") } }) && !codeLooksValid {
                break
            }
            end = li
            guard !codeWords.isEmpty else { continue }
            var colBounds: [String: (Double, Double)] = [:]
            for b in bounds { if let n = b.0 { colBounds[n] = (max(0, b.1), min(W, b.2)) } }
            if var row = readRow(t, cells: cells, required: required, bounds: colBounds, rowBox: line.box) {
                // Under a header word no column's label matched (`mil` read for `M1`): a modifier
                // there is not lost, but offered for review in the row's empty modifier cell.
                let orphans = line.words.filter { w in
                    bounds.contains { $0.0 == nil && w.box.midX >= $0.1 && w.box.midX < $0.2 } && FieldValues.isModifier(w.text.uppercased())
                }
                if !orphans.isEmpty, let mi = row.firstIndex(where: { $0.type == .modifierList && $0.raw.isEmpty }) {
                    row[mi].value = .list(orphans.map { $0.text.uppercased() })
                    row[mi].raw = orphans.map(\.text).joined(separator: " ")
                    row[mi].box = orphans.dropFirst().reduce(orphans[0].box) { $0.union($1.box) }
                    row[mi].confidence = orphans.map(\.confidence).min() ?? 0
                    row[mi].status = .needsReview
                    row[mi].sticky = true
                    row[mi].problem = "modifier under a header that was not recognised"
                }
                for i in row.indices where doubtful.contains(row[i].name) && row[i].name != required.name {
                    if row[i].status != .needsReview {
                        row[i].status = .needsReview
                        row[i].problem = "its column's header label appears twice; check the column"
                    }
                    row[i].sticky = true
                }
                rows.append(row)
                lastY = Double(line.box.y1)
                if rows.count >= t.maxRows { break }
            }
        }
        return (rows, header.lowerBound...end, bounds.first?.1 ?? 0)
    }

    /// A table at a fixed place (a form's box 24): rows by y inside the region, columns by x.
    func regionTable(_ t: Template.LineTable, _ r: (x0: Double, y0: Double, x1: Double, y1: Double)) -> (rows: [[ExtractedValue]], lineRange: ClosedRange<Int>, x0: Double)? {
        let required = t.columns.first(where: \.required)!
        var rows: [[ExtractedValue]] = []
        var first: Int?, last = 0
        for (li, line) in lines.enumerated() {
            let my = line.box.midY / H
            guard my >= r.y0, my <= r.y1 else { continue }
            if first == nil { first = li }
            last = li
            var cells: [String: [Word]] = [:]
            for w in line.words {
                let mx = w.box.midX / W
                guard mx >= r.x0, mx <= r.x1 else { continue }
                // The column the word overlaps most (OCR may glue a date to the next column's value).
                let wx0 = Double(w.x0) / W, wx1 = Double(w.x1) / W
                var best: (String, Double)?
                for c in t.columns {
                    guard let x = c.x else { continue }
                    let ov = min(wx1, x.1) - max(wx0, x.0)
                    if ov > 0, best == nil || ov > best!.1 { best = (c.name, ov) }
                }
                if let b = best { cells[b.0, default: []].append(w) }
            }
            guard cells[required.name] != nil else { continue }
            var colBounds: [String: (Double, Double)] = [:]
            for c in t.columns { if let x = c.x { colBounds[c.name] = (x.0 * W, x.1 * W) } }
            if let row = readRow(t, cells: cells, required: required, bounds: colBounds, rowBox: line.box) {
                rows.append(row)
                if rows.count >= t.maxRows { break }
            }
        }
        guard let f = first else { return nil }
        return (rows, f...last, r.x0 * W)
    }

    func readRow(_ t: Template.LineTable, cells: [String: [Word]], required: Template.Column,
                 bounds: [String: (Double, Double)] = [:], rowBox: Box? = nil) -> [ExtractedValue]? {
        // Dates, places of service and pointers are expected in every row of a table that has their column.
        let present = Set(bounds.keys).intersection(["date_of_service", "place_of_service", "dx_pointer"])
        let row = readRowCells(t, cells: cells, required: required, present: present)
        guard var row, let rowBox else { return row }
        for i in row.indices {
            guard let b = bounds[row[i].name] else { continue }
            let y0 = min(rowBox.y0, row[i].box?.y0 ?? rowBox.y0), y1 = max(rowBox.y1, row[i].box?.y1 ?? rowBox.y1)
            row[i].cellBox = Box(Int(b.0), y0, Int(b.1), y1)
        }
        return row
    }

    /// Does the row's money column read as an amount?
    func rowHasCharge(_ t: Template.LineTable, cells: [String: [Word]]) -> Bool {
        for c in t.columns where c.type == .money {
            let ws = (cells[c.name] ?? []).filter { $0.text.contains(where: \.isNumber) }
            guard !ws.isEmpty, let v = ValueReader.read(name: c.name, type: .money, words: ws, splitCents: c.splitCents, page: page.number,
                                                       rule: "", reviewConfidence: 0, today: today), v.value != nil else { continue }
            return true
        }
        return false
    }

    func readRowCells(_ t: Template.LineTable, cells: [String: [Word]], required: Template.Column,
                      present: Set<String> = []) -> [ExtractedValue]? {
        var codeWords = (cells[required.name] ?? []).compactMap { w -> Word? in
            var w = w
            w.text = ValueReader.cleanToken(w.text)
            // A ruling or speck read as `-|` or `—` is no code (and must not hide the code beside it).
            return w.text.contains(where: { $0.isLetter || $0.isNumber }) ? w : nil
        }
        var extraMods: [Word] = []
        // `99213-25` or `99213 25` in the code cell: the rest are modifiers.
        if let first = codeWords.first, first.text.contains("-") {
            let parts = first.text.split(separator: "-").map(String.init)
            if parts.count >= 2, FieldValues.normalizeCode(parts[0]) != nil {
                var c = first; c.text = parts[0]
                var m = first; m.text = parts.dropFirst().joined(separator: " ")
                codeWords[0] = c
                extraMods.append(m)
            }
        }
        let tokenText = codeWords.first?.text ?? ""
        let codeOK = FieldValues.normalizeCode(tokenText) != nil
        let digits = tokenText.filter(\.isNumber).count
        let codeLike = (4...6).contains(tokenText.count) && digits >= 3
        // A code OCR garbled beyond repair in a row that has a charge: still a service line (its
        // code to review), so the lines after it keep their places and nothing is silently lost.
        guard codeOK || codeLike || (!codeWords.isEmpty && rowHasCharge(t, cells: cells)) else { return nil }
        if codeWords.count > 1 {
            extraMods += codeWords.dropFirst().filter { FieldValues.isModifier($0.text.uppercased()) }
            codeWords = [codeWords[0]]
        }
        var row: [ExtractedValue] = []
        let rule = { (c: Template.Column) in "\(self.template.file):\(c.line)" }
        for c in t.columns {
            var ws = c.name == required.name ? codeWords : (cells[c.name] ?? [])
            if c.type == .modifierList, ws.isEmpty { ws = extraMods }
            // Rulings and specks read as `|`, `-`, `—` are not a cell's value.
            if c.type != .text && c.type != .name { ws = ws.filter { $0.text.contains(where: { $0.isLetter || $0.isNumber }) } }
            if ws.isEmpty {
                let conf = codeWords.map(\.confidence).min() ?? 0
                // An empty cell is believed only in a row that was read well: in a row whose code
                // OCR could hardly read, the cell's value may just as well have been lost.
                let doubtful = conf < template.reviewConfidence
                let status: ParseOutcome.Status = doubtful ? .needsReview : .ok
                let why: String? = doubtful ? "empty cell in a row read with low confidence" : nil
                if let d = c.defaultValue {
                    let v: FieldValue? = c.type == .modifierList ? .list([]) : FieldValues.normalize(d, type: c.type)
                    row.append(ExtractedValue(name: c.name, type: c.type, value: v, raw: "", box: nil, page: page.number,
                                              confidence: conf, status: status, problem: why, rule: rule(c) + ":default"))
                } else if c.type == .modifierList {
                    row.append(ExtractedValue(name: c.name, type: c.type, value: .list([]), raw: "", box: nil, page: page.number,
                                              confidence: conf, status: status, problem: why, rule: rule(c) + ":empty"))
                } else if c.type == .money || c.required || present.contains(c.name) {
                    // A column the table has, empty in this row: to review (and to the second look).
                    row.append(ExtractedValue(name: c.name, type: c.type, value: nil, raw: "", box: nil, page: page.number,
                                              confidence: 0, status: .needsReview, problem: "empty cell", rule: rule(c)))
                }
                continue
            }
            if let v = ValueReader.read(name: c.name, type: c.type, words: ws, formats: c.formats, splitCents: c.splitCents, page: page.number,
                                        rule: rule(c) + ":cell", reviewConfidence: template.reviewConfidence, today: today) {
                row.append(v)
            }
        }
        return row
    }
}

/// Checks across fields of one record: date sanity and total = sum of line charges.
public enum Checks {
    public static func apply(_ r: inout ExtractedRecord, reviewConfidence: Double, today: CalendarDate = .today()) {
        func idx(_ n: String) -> Int? { r.fields.firstIndex { $0.name == n } }
        func date(_ n: String) -> CalendarDate? {
            guard let i = idx(n), case .string(let s)? = r.fields[i].value else { return nil }
            return CalendarDate(iso: s)
        }
        func flag(_ i: Int, _ why: String) {
            r.fields[i].status = .needsReview
            r.fields[i].problem = [r.fields[i].problem, why].compactMap { $0 }.joined(separator: "; ")
        }
        repairCutYears(&r)
        if let dos = date("date_of_service"), let i = idx("date_of_service"), dos > today {
            flag(i, "date of service is in the future")
        }
        if let dob = date("patient_dob"), let i = idx("patient_dob") {
            if dob > today { flag(i, "date of birth is in the future") }
            else if let dos = date("date_of_service"), let si = idx("date_of_service"), dob >= dos {
                // One of the two was read from the other's place (or misread): neither can be trusted.
                let why = dob == dos ? "date of birth and date of service are the same date" : "date of birth is not before the date of service"
                flag(i, why); flag(si, why)
            }
        }
        // A service line dated on the birth date took the wrong date.
        if let dob = date("patient_dob") {
            for li in r.lines.indices {
                guard let ci = r.lines[li].firstIndex(where: { $0.name == "date_of_service" }),
                      case .string(let s)? = r.lines[li][ci].value, let d = CalendarDate(iso: s), d <= dob else { continue }
                r.lines[li][ci].status = .needsReview
                r.lines[li][ci].problem = [r.lines[li][ci].problem, "line date is not after the date of birth"].compactMap { $0 }.joined(separator: "; ")
            }
        }
        // A pointer led by a stroke letter (I, J, L: a ruling read as a letter) that points past
        // the diagnoses read: the stroke is the ruling, the rest is the pointer.
        if let di = idx("diagnosis_codes"), case .list(let codes)? = r.fields[di].value, !codes.isEmpty {
            for li in r.lines.indices {
                guard let pi = r.lines[li].firstIndex(where: { $0.name == "dx_pointer" }),
                      case .string(let p)? = r.lines[li][pi].value, p.count > 1, let f = p.first, "IJL".contains(f),
                      let a = f.asciiValue, Int(a) - 64 > codes.count else { continue }
                let rest = String(p.dropFirst())
                guard rest.allSatisfy({ ($0.asciiValue.map { Int($0) - 64 } ?? 99) <= codes.count }) else { continue }
                r.lines[li][pi].value = .string(rest)
                r.lines[li][pi].status = r.lines[li][pi].status == .needsReview ? .needsReview : .repaired
                r.lines[li][pi].problem = "'\(p)': \(f) points past the \(codes.count) diagnoses; read as a ruling"
            }
        }
        // Diagnosis pointers must point at diagnoses that were read: letter C needs three codes.
        if let di = idx("diagnosis_codes"), case .list(let codes)? = r.fields[di].value {
            var maxLetter = 0
            for line in r.lines {
                guard case .string(let p)? = line.first(where: { $0.name == "dx_pointer" })?.value else { continue }
                for ch in p { if let a = ch.asciiValue, ch.isLetter { maxLetter = max(maxLetter, Int(a) - 64) } else if let d = ch.wholeNumberValue { maxLetter = max(maxLetter, d) } }
            }
            if maxLetter > codes.count { flag(di, "service lines point at diagnosis \(maxLetter) but \(codes.count) were read") }
        }
        for li in r.lines.indices {
            if let ui = r.lines[li].firstIndex(where: { $0.name == "units" }), case .int(let u)? = r.lines[li][ui].value, u > 30,
               r.lines[li][ui].status != .needsReview {
                r.lines[li][ui].status = .needsReview
                r.lines[li][ui].problem = "\(u) units is unusual for one service line"
            }
            if let ci = r.lines[li].firstIndex(where: { $0.name == "date_of_service" }),
               case .string(let s)? = r.lines[li][ci].value, let d = CalendarDate(iso: s), d > today {
                r.lines[li][ci].status = .needsReview
                r.lines[li][ci].problem = "date of service is in the future"
            }
        }
        checkTotal(&r)
    }

    /// A four-digit year typed into a two-character year box prints its first half: "2026" in
    /// 24A's YY shows "20". A line date whose printed year is the century of the claim's signature
    /// date (box 31, `signature_date`) and falls years before it cannot be that year (claims are
    /// filed within a year of the service): the signature's year is proposed instead, the line
    /// sent to review with the reason (a reviewer confirms it; it is never `ok`).
    static func repairCutYears(_ r: inout ExtractedRecord) {
        guard let si = r.fields.firstIndex(where: { $0.name == "signature_date" }),
              case .string(let ss)? = r.fields[si].value, let sig = CalendarDate(iso: ss) else { return }
        for li in r.lines.indices {
            guard let ci = r.lines[li].firstIndex(where: { $0.name == "date_of_service" }),
                  case .string(let s)? = r.lines[li][ci].value, let d = CalendarDate(iso: s),
                  let printed = r.lines[li][ci].raw.split(separator: " ").last, printed.count == 2, let yy = Int(printed),
                  yy == sig.year / 100, d.year != sig.year, sig.days(since: d) > 366 else { continue }
            guard var fixed = CalendarDate(year: sig.year, month: d.month, day: d.day) else { continue }
            if fixed > sig, let before = CalendarDate(year: sig.year - 1, month: d.month, day: d.day) { fixed = before }
            guard sig.days(since: fixed) <= 366 else { continue }
            r.lines[li][ci].value = .string(fixed.iso)
            r.lines[li][ci].status = .needsReview
            r.lines[li][ci].sticky = true
            r.lines[li][ci].problem = "the year printed is '\(printed)', the first half of a four-digit year cut to two digits: "
                + "\(fixed.year) taken from the signature date \(sig.iso) (a service \(sig.year - d.year) years before its claim cannot be filed)"
        }
        // The record's date of service follows its first line's.
        if let first = r.lines.first?.first(where: { $0.name == "date_of_service" }),
           let di = r.fields.firstIndex(where: { $0.name == "date_of_service" }), r.fields[di].fromColumn == "date_of_service",
           first.status == .needsReview, first.sticky, first.value != r.fields[di].value {
            let (name, type, rule) = (r.fields[di].name, r.fields[di].type, r.fields[di].rule)
            r.fields[di] = first
            r.fields[di].name = name; r.fields[di].type = type; r.fields[di].rule = rule; r.fields[di].fromColumn = "date_of_service"
            r.fields[di].cellBox = nil
        }
    }

    static func money(_ v: ExtractedValue?) -> Money? {
        guard case .string(let s)? = v?.value else { return nil }
        return Money(parsing: s)
    }

    /// Total = sum of the line charges. When it does not add up, exactly one look-alike
    /// substitution in the total or in one line charge that makes it add up is applied
    /// (`repaired`); otherwise the total and every line charge go to review.
    static func checkTotal(_ r: inout ExtractedRecord) {
        guard let ti = r.fields.firstIndex(where: { $0.name == "total_charge" }), !r.lines.isEmpty else { return }
        let chargeIdx = r.lines.map { $0.firstIndex { $0.name == "charge" } }
        let charges = zip(r.lines, chargeIdx).map { line, i in i.flatMap { money(line[$0]) } }
        let total = money(r.fields[ti])
        guard !charges.contains(where: { $0 == nil }) || total != nil else { return }
        let sum = charges.compactMap { $0 }.reduce(Money.zero, +)
        if let total, total == sum, !charges.contains(where: { $0 == nil }) { return }
        // Look for the single substitution that makes it add up.
        var fixes: [(line: Int?, raw: String, value: Money)] = []
        let rawTotal = r.fields[ti].raw
        if !charges.contains(where: { $0 == nil }) {
            for c in FieldValues.lookAlikeCandidates(rawTotal, passes: { FieldValues.parseMoney($0).map { .string($0.decimalString) } }) {
                if case .string(let s) = c.value, let m = Money(parsing: s), m == sum { fixes.append((nil, c.raw, m)) }
            }
        }
        if let total {
            for (li, ci) in chargeIdx.enumerated() {
                guard let ci else { continue }
                let others = charges.enumerated().filter { $0.offset != li }.compactMap { $0.element }
                guard others.count == charges.count - 1 else { continue }
                let need = total - others.reduce(Money.zero, +)
                for c in FieldValues.lookAlikeCandidates(r.lines[li][ci].raw, passes: { FieldValues.parseMoney($0).map { .string($0.decimalString) } }) {
                    if case .string(let s) = c.value, let m = Money(parsing: s), m == need { fixes.append((li, c.raw, m)) }
                }
            }
        }
        if fixes.count == 1 {
            let f = fixes[0]
            if let li = f.line, let ci = chargeIdx[li] {
                r.lines[li][ci].value = .string(f.value.decimalString)
                r.lines[li][ci].status = .repaired
                r.lines[li][ci].problem = "look-alike repaired '\(r.lines[li][ci].raw)' → '\(f.raw)' so the total adds up"
            } else {
                r.fields[ti].value = .string(f.value.decimalString)
                r.fields[ti].status = .repaired
                r.fields[ti].problem = "look-alike repaired '\(rawTotal)' → '\(f.raw)' so the total adds up"
            }
            return
        }
        let why = "total \(total?.decimalString ?? "?") is not the sum of the line charges \(sum.decimalString)"
        r.fields[ti].status = .needsReview
        r.fields[ti].problem = why
        for (li, ci) in chargeIdx.enumerated() {
            guard let ci else { continue }
            if r.lines[li][ci].status != .needsReview {
                r.lines[li][ci].status = .needsReview
                r.lines[li][ci].problem = why
            }
        }
        // Lines that add up to less than the total may be missing one: then the lines read may
        // each be the next one's (code, date, pointer and units too), so every line value goes to
        // review, not only the charges. (A held-out degraded CMS-1500 lost its first line this way
        // and its second line's values were taken, confidently, as the first's.)
        if let total, !charges.contains(where: { $0 == nil }), sum < total {
            let incomplete = "the lines add up to \(sum.decimalString), less than the total \(total.decimalString): a line may be missing"
            for li in r.lines.indices {
                for k in r.lines[li].indices where r.lines[li][k].value != nil && r.lines[li][k].status != .needsReview {
                    r.lines[li][k].status = .needsReview
                    r.lines[li][k].problem = incomplete
                }
            }
        }
    }
}
