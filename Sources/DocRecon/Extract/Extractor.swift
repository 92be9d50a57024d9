import Foundation
import GRDB

/// The second look: re-reads one value from its own crop (re-rendered region, single-line page
/// segmentation, a character whitelist for its type). The OCR module implements it.
public protocol FieldRereader: Sendable {
    func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)?
    /// The same crop read in more than one way (scale, binarisation); the first is `reread`'s.
    func readings(documentId: Int64, page: Int, box: Box, type: FieldType) -> [CropReading]
}

extension FieldRereader {
    public func readings(documentId: Int64, page: Int, box: Box, type: FieldType) -> [CropReading] {
        reread(documentId: documentId, page: page, box: box, type: type).map { [CropReading(text: $0.text, confidence: $0.confidence, method: "crop")] } ?? []
    }
}

/// One reading of a crop: the text, Tesseract's mean confidence (0-1) and how the crop was prepared.
public struct CropReading: Sendable, Equatable {
    public var text: String
    public var confidence: Double
    public var method: String
    /// Other values the symbols' alternatives allow under the field's format with some
    /// confidence (`J3420` behind `33420`): the reading does not exclude them.
    public var rivals: [String]
    public init(text: String, confidence: Double, method: String = "crop", rivals: [String] = []) {
        self.text = text; self.confidence = confidence; self.method = method; self.rivals = rivals
    }

    /// The reading as one word over `box`, for the value parsers.
    func word(_ box: Box, index: Int = 0) -> Word {
        Word(pageId: 0, text: text, box: box, confidence: confidence, block: 0, line: 0, wordIndex: index)
    }
}

/// What the second look did in one extraction.
public struct SecondLookStats: Codable, Sendable, Equatable {
    /// Values it was asked to re-read.
    public var attempted = 0
    /// Values whose canonical value it changed.
    public var changed = 0
    /// Re-read values that needed review (or failed a check) and no longer do after every check.
    public var resolved = 0
    /// Values read with confidence that were read again to confirm them (verification)…
    public var verified = 0
    /// …and those the second reading disagreed with, sent to review.
    public var disagreed = 0
    public init() {}
    public static func + (a: SecondLookStats, b: SecondLookStats) -> SecondLookStats {
        var s = SecondLookStats()
        s.attempted = a.attempted + b.attempted; s.changed = a.changed + b.changed; s.resolved = a.resolved + b.resolved
        s.verified = a.verified + b.verified; s.disagreed = a.disagreed + b.disagreed
        return s
    }
}

public struct ExtractionSummary: Codable, Sendable {
    public var documentId: Int64
    public var template: String?
    public var docType: String
    public var records: Int
    public var fields: Int
    public var lines: Int
    public var needsReview: Int
    public var repaired: Int
    public var charges: Int
    public var secondLook: SecondLookStats
}

/// The extraction stage: pages and words in, fields, lines and paper charges out.
public struct Extractor: Sendable {
    public let templates: [Template]
    public var rereader: (any FieldRereader)?
    public var today: CalendarDate
    /// With a rereader: also read every confident value a second time, and send a value the two
    /// readings disagree on to review (a wrong value must rather be in review than `ok`).
    public var verify = true
    /// A value only the second look could read is `ok` only at this confidence or above.
    public static let newValueConfidence = 0.85
    /// What a second look reads in a cell that looked empty counts from this confidence on.
    public static let emptyCellConfidence = 0.6

    public init(rulesDirectory: String, rereader: (any FieldRereader)? = nil, today: CalendarDate = .today()) throws {
        self.init(templates: try TemplateLoader.loadAll(rulesDirectory: rulesDirectory), rereader: rereader, today: today)
    }

    public init(templates: [Template], rereader: (any FieldRereader)? = nil, today: CalendarDate = .today()) {
        self.templates = templates; self.rereader = rereader; self.today = today
    }

    /// Pure extraction of a document's pages: one record per page a template applies to.
    public func extract(documentId: Int64, pages: [PageWords]) -> (template: Template?, records: [ExtractedRecord], secondLook: SecondLookStats) {
        var records: [ExtractedRecord] = []
        var chosen: Template?
        var stats = SecondLookStats()
        for page in pages {
            guard let (choice, reason, reading) = TemplateEngine.choose(templates, page: page, today: today) else { continue }
            if chosen == nil { chosen = choice.template }
            var r = reading
            if let rereader {
                // What the checks would flag (a total that does not add up flags its charges) is looked at again too.
                var probe = r
                Checks.apply(&probe, reviewConfidence: choice.template.reviewConfidence, today: today)
                stats = stats + secondLook(&r, flagged: probe, documentId: documentId, template: choice.template, rereader: rereader)
                // Fields taken from a line column follow what the second look read there.
                for i in r.fields.indices {
                    let fieldRule = choice.template.fields.first { $0.name == r.fields[i].name }
                    let fromLines = fieldRule?.finders.compactMap { f -> String? in if case .fromLines(let c) = f { return c }; return nil }.first
                    // Taken from a column, or not found where a column could give it now.
                    guard let col = r.fields[i].fromColumn ?? (r.fields[i].value == nil ? fromLines : nil),
                          let cell = PageContext.fromLines(r.lines, column: col) else { continue }
                    let name = r.fields[i].name, type = r.fields[i].type, rule = r.fields[i].rule
                    r.fields[i] = cell
                    r.fields[i].name = name; r.fields[i].type = type; r.fields[i].rule = rule; r.fields[i].fromColumn = col
                    r.fields[i].cellBox = nil
                }
            }
            Checks.apply(&r, reviewConfidence: choice.template.reviewConfidence, today: today)
            if rereader != nil {
                // Resolved: re-read values that no longer need review once every check has run.
                stats.resolved += (r.fields + r.lines.flatMap { $0 }).filter { $0.rule.hasSuffix("+reread") && $0.status != .needsReview }.count
            }
            // A page with neither fields nor lines is not a sheet (a blank back side).
            if r.lines.isEmpty && !r.fields.contains(where: { $0.value != nil }) { continue }
            r.template = choice.template.name
            r.choice = reason
            records.append(r)
        }
        return (chosen, records, stats)
    }

    func secondLook(_ r: inout ExtractedRecord, flagged probe: ExtractedRecord, documentId: Int64, template: Template,
                    rereader: any FieldRereader) -> SecondLookStats {
        var stats = SecondLookStats()
        func isBirth(_ name: String) -> Bool { template.fields.first { $0.name == name }?.birth ?? false }
        func look(_ v: inout ExtractedValue, flagged: Bool) {
            guard flagged || v.status == .needsReview || v.confidence < template.reviewConfidence, let box = v.cellBox ?? v.box,
                  v.type != .icd10List, v.type != .modifierList, v.type != .name, v.type != .text else { return }
            stats.attempted += 1
            let readings = rereader.readings(documentId: documentId, page: v.page, box: box, type: v.type)
            guard !readings.isEmpty else { return }
            let parsed = readings.map { r in
                ValueReader.read(name: v.name, type: v.type, words: [r.word(box)], birth: isBirth(v.name), page: v.page, rule: v.rule,
                                 reviewConfidence: template.reviewConfidence, today: today)
            }
            let votes = ReadingVote.votes(readings, parsed)
            // The readings decide (agree, or one alone passes surely); else the plain reading of the crop, as before.
            var first: ExtractedValue
            if let i = ReadingVote.choose(votes), let k = parsed.firstIndex(where: { $0?.value == votes[i].value && $0?.status != .needsReview }),
               let n = parsed[k] {
                first = n
                first.confidence = ReadingVote.agreedConfidence(votes, i)
            } else {
                guard let n = parsed[0] else { return }
                first = n
                // Another reading that passes as surely with a different value: not decided.
                if n.status != .needsReview, votes.contains(where: { $0.passes && $0.value != n.value && $0.confidence >= n.confidence }) {
                    first.status = .needsReview
                    first.problem = "readings of the crop disagree (" + readings.map(\.text).joined(separator: " / ") + ")"
                }
            }
            v.secondLook = readings.map(\.text).joined(separator: " / ")
            if first.status != .needsReview, case .string(let code)? = first.value,
               let rival = readings.flatMap(\.rivals).first(where: { $0 != code }) {
                // A reading saw another code there too (`J3420` behind `33420`): not decided.
                first.status = .needsReview
                first.problem = "'\(code)' could be '\(rival)' (a reading of the crop sees both)"
            }
            // A value the first reading could not give at all is believed from the crop alone only
            // when the crop reads it confidently; otherwise it is offered for a person to confirm.
            var n = first
            if v.value == nil, n.status != .needsReview, n.confidence < Extractor.newValueConfidence {
                n.status = .needsReview
                n.problem = "read only by the second look (confidence \(String(format: "%.2f", n.confidence)))"
            }
            if n.status == .needsReview {
                // Nothing could be read before and the crop gives a value, if a doubtful one: take
                // the value and keep it in review (a reviewer then confirms instead of typing).
                guard v.value == nil, let nv = n.value else { return }
                stats.changed += 1
                v.value = nv; v.raw = n.raw; v.confidence = n.confidence; v.box = box
                v.problem = "second look, to confirm: \(n.problem ?? "low confidence")"
                v.rule += "+reread"
                return
            }
            // A value only the checks doubted is replaced only by a different reading.
            if v.status != .needsReview && n.value == v.value { return }
            if n.value != v.value { stats.changed += 1 }
            v.value = n.value; v.raw = n.raw; v.confidence = n.confidence; v.status = n.status
            v.box = box // what was read again: the value's crop, or the whole cell
            v.problem = n.problem.map { "second look: \($0)" } ?? "second look"
            if v.sticky {
                // Review for where the value was found: a better reading does not change that.
                v.status = .needsReview
                v.problem = (v.problem ?? "") + "; found where it is not certain to be this field's"
            }
            v.rule += "+reread"
        }
        /// A list is re-read row by row across its whole span (items OCR missed sit there too).
        func lookList(_ v: inout ExtractedValue, flagged: Bool) {
            guard v.type == .icd10List, flagged || v.status == .needsReview, let span = v.listSpan, !v.listRows.isEmpty,
                  case .list(let before)? = v.value else { return }
            stats.attempted += 1
            // Every row read every way; the readings vote (a row's items parsed alone), and a row
            // they do not decide keeps its plain reading of the crop.
            var words: [Word] = []
            for row in v.listRows {
                let pad = max(4, row.height / 4)
                let box = Box(span.x0, max(0, row.y0 - pad), span.x1, row.y1 + pad)
                let rs = rereader.readings(documentId: documentId, page: v.page, box: box, type: .icd10List)
                let parsed = rs.map { r in
                    ValueReader.read(name: v.name, type: .icd10List, words: [r.word(box)], page: v.page, rule: v.rule,
                                     reviewConfidence: template.reviewConfidence, today: today)
                }
                let votes = ReadingVote.votes(rs, parsed).filter { if case .list(let items) = $0.value { return !items.isEmpty } else { return false } }
                var pick = rs.first { $0.method == "crop" } ?? rs.first
                if let i = ReadingVote.choose(votes), let r = rs.first(where: { $0.method == votes[i].method }) {
                    pick = r
                    pick?.confidence = ReadingVote.agreedConfidence(votes, i)
                }
                if let pick { words.append(pick.word(box, index: words.count)) }
            }
            guard !words.isEmpty,
                  let n = ValueReader.read(name: v.name, type: .icd10List, words: words, page: v.page, rule: v.rule,
                                           reviewConfidence: template.reviewConfidence, today: today) else { return }
            guard n.status != .needsReview, case .list(let after)? = n.value, after.count >= before.count, after != before else { return }
            stats.changed += 1
            v.secondLook = words.map(\.text).joined(separator: " | ")
            v.value = n.value; v.raw = n.raw; v.confidence = n.confidence; v.status = n.status
            v.box = words.dropFirst().reduce(words[0].box) { $0.union($1.box) }
            v.problem = n.problem.map { "second look: \($0)" } ?? "second look"
            v.rule += "+reread"
        }
        /// A confident value read again from its own words' crop: a different reading sends it to review.
        func confirm(_ v: inout ExtractedValue) {
            guard verify, v.status == .ok, let box = v.box, !v.raw.isEmpty,
                  v.type != .icd10List, v.type != .modifierList, v.type != .pointer else { return }
            guard let (text, conf) = rereader.reread(documentId: documentId, page: v.page, box: box, type: v.type) else { return }
            stats.verified += 1
            let w = Word(pageId: 0, text: text, box: box, confidence: conf, block: 0, line: 0, wordIndex: 0)
            guard let n = ValueReader.read(name: v.name, type: v.type, words: [w], birth: isBirth(v.name), page: v.page, rule: v.rule,
                                           reviewConfidence: 0, today: today), let nv = n.value else { return }
            func key(_ x: FieldValue?) -> String { (x?.description ?? "").uppercased().filter { $0.isLetter || $0.isNumber } }
            guard key(nv) != key(v.value) else { return }
            stats.disagreed += 1
            v.status = .needsReview
            v.secondLook = text
            v.problem = "a second reading of the crop gave '\(text)'"
        }
        /// An empty cell believed empty (no modifier, units by default) is read from its own crop:
        /// OCR may have lost a faint value there. What the crop reads goes to review.
        func lookEmpty(_ v: inout ExtractedValue) {
            guard v.status == .ok, v.raw.isEmpty, let box = v.cellBox,
                  v.type == .modifierList || v.rule.hasSuffix(":default") else { return }
            // A confident value (an empty cell) read again to confirm it: a verification.
            stats.verified += 1
            guard let (text, conf) = rereader.reread(documentId: documentId, page: v.page, box: box, type: v.type),
                  conf >= Extractor.emptyCellConfidence else { return }
            let w = Word(pageId: 0, text: text, box: box, confidence: conf, block: 0, line: 0, wordIndex: 0)
            guard let n = ValueReader.read(name: v.name, type: v.type, words: [w], page: v.page, rule: v.rule,
                                           reviewConfidence: 0, today: today), n.status != .needsReview,
                  let nv = n.value, nv != v.value, nv != .list([]) else { return }
            stats.disagreed += 1
            v.secondLook = text
            v.value = nv; v.raw = n.raw; v.confidence = conf; v.box = box
            v.status = .needsReview
            v.problem = "the cell looked empty; a second look reads '\(text)'"
            v.rule += "+reread"
        }
        for i in r.fields.indices {
            look(&r.fields[i], flagged: probe.fields[i].status == .needsReview)
            lookList(&r.fields[i], flagged: probe.fields[i].status == .needsReview)
            if probe.fields[i].status != .needsReview { confirm(&r.fields[i]) }
        }
        for l in r.lines.indices {
            for c in r.lines[l].indices {
                look(&r.lines[l][c], flagged: probe.lines[l][c].status == .needsReview)
                lookEmpty(&r.lines[l][c])
                if probe.lines[l][c].status != .needsReview { confirm(&r.lines[l][c]) }
            }
        }
        return stats
    }

    /// Reads a document's pages and words, extracts, and writes fields, lines and paper charges
    /// in one transaction; sets the document's type and status `extracted` (a `partial` document
    /// stays `partial`). Corrected values stay.
    public func extract(documentId: Int64, in db: AppDatabase) throws -> ExtractionSummary {
        let pages: [PageWords] = try db.read { db in
            let ps = try Page.filter(Column("document_id") == documentId).order(Column("number")).fetchAll(db)
            return try ps.map { p in
                let ws = try Word.filter(Column("page_id") == p.id!).order(Column("id")).fetchAll(db)
                let form = try PageForm.fetchOne(db, key: p.id!)
                return PageWords(number: p.number, width: p.width, height: p.height, words: ws, form: form)
            }
        }
        let (template, records, stats) = extract(documentId: documentId, pages: pages)
        let docType = template?.docType ?? "unknown"
        let templateName = template?.name ?? ""
        let charges = try db.write { db -> Int in
            try ExtractionStore.replace(db, documentId: documentId, template: templateName, records: records)
            let n = try ExtractionStore.writeCharges(db, documentId: documentId)
            // The matched sets follow the document's new paper charges (issue 5), same transaction.
            try MatchHooks.chargesChanged(db, [.documents([documentId])])
            // A partial document (some pages unreadable) stays partial: that is what a clerk must see.
            try db.execute(sql: "UPDATE documents SET doc_type = ?, status = CASE WHEN status = ? THEN status ELSE ? END, updated_at = ? WHERE id = ?",
                           arguments: [docType, DocumentStatus.partial.rawValue, DocumentStatus.extracted.rawValue, Date(), documentId])
            return n
        }
        let all = records.flatMap { $0.fields + $0.lines.flatMap { $0 } }
        return ExtractionSummary(documentId: documentId, template: template?.name, docType: docType, records: records.count,
                                 fields: records.map(\.fields.count).reduce(0, +), lines: records.map(\.lines.count).reduce(0, +),
                                 needsReview: all.filter { $0.status == .needsReview }.count,
                                 repaired: all.filter { $0.status == .repaired }.count, charges: charges, secondLook: stats)
    }
}
