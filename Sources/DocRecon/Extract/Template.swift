import Foundation
import Yams

/// A charge-sheet template: which documents it applies to and how to find each field.
/// Loaded from YAML under `Rules/templates/` (see `charge-sheet.yaml` for the documented form).
public struct Template: Sendable {
    public var name: String
    public var file: String
    public var docType: String
    public var select: Selector
    /// Words below this confidence make a value go to review (and to the second look).
    public var reviewConfidence: Double
    /// Labels that belong to no field but end a value (`Sex`, `Phone`, ...).
    public var stopLabels: [String]
    public var fields: [FieldRule]
    public var lines: LineTable?
    /// A printed form the template's boxes are measured on: a page that registers against it is
    /// read box by box (`box` steps, `form_rows` tables); one that does not skips those steps.
    public var form: FormLayout?

    public struct Selector: Sendable {
        public var all: [String] = []
        public var any: [String] = []
        public var none: [String] = []
        /// How many `any` keywords must be present.
        public var minAny: Int = 1
        /// Added to the number of `any` keywords found; the highest total wins.
        public var score: Double = 0
        /// Patterns in page regions, each counting as one `any` keyword when some line of words
        /// inside the region matches (forms whose printed labels drop out of the scan).
        public var regions: [RegionPattern] = []
    }

    public struct RegionPattern: Sendable {
        public var x0: Double, y0: Double, x1: Double, y1: Double
        public var pattern: String
    }

    public enum Direction: String, Sendable { case right, below }

    public struct Anchor: Sendable {
        public var labels: [String]
        public var directions: [Direction] = [.right, .below]
        /// Farthest a value may start from its label, as a fraction of page width / height.
        public var maxDx: Double = 0.5
        public var maxDy: Double = 0.06
        /// For lists: how many lines below the label may still hold items.
        public var maxLines: Int = 1
    }

    public enum Finder: Sendable {
        case anchor(Anchor)
        /// Relative page coordinates x0, y0, x1, y1 in 0…1.
        case region(x0: Double, y0: Double, x1: Double, y1: Double)
        /// A regex run on every line's text; group 1 (or the whole match) is the value.
        case pattern(String)
        /// The value of a column of the first service line that has it (e.g. 24J NPI).
        case fromLines(String)
        /// The words typed in these boxes of the template's form (in this order), on a page that
        /// registered against the form.
        case boxes([String])
    }

    public struct FieldRule: Sendable {
        public var name: String
        public var type: FieldType
        public var formats: [String] = []
        /// Two-digit years are in the past (birth dates).
        public var birth = false
        /// Money printed with the cents in their own column: `5176` read as one word is 51.76.
        public var splitCents = false
        public var finders: [Finder] = []
        /// Finder steps whose values always go to review (a fallback that may find a look-alike value).
        public var reviewSteps: Set<Int> = []
        /// Index of this rule's YAML line, for the `rule` column (`charge-sheet.yaml:14`).
        public var line: Int = 0
    }

    public struct Column: Sendable {
        public var name: String
        public var type: FieldType
        public var labels: [String]
        public var formats: [String] = []
        public var required = false
        /// Value when the cell is empty (units: 1).
        public var defaultValue: String?
        public var splitCents = false
        /// For tables at fixed places (forms): the column's relative x-range instead of a header.
        public var x: (Double, Double)?
        /// For tables of a registered form: the boxes of row n (`{n}` stands for 1, 2, ...).
        public var boxes: [String] = []
        public var line: Int = 0

        /// The boxes of row `n` (1-based).
        public func boxes(row n: Int) -> [String] { boxes.map { $0.replacingOccurrences(of: "{n}", with: "\(n)") } }
    }

    public struct LineTable: Sendable {
        public var columns: [Column]
        public var footer: [String] = []
        /// A header must show at least this many distinct columns.
        public var minColumns = 2
        public var maxRows = 40
        /// Rows end after a vertical gap of this many line heights with no rows.
        public var maxGap = 8.0
        /// For tables at fixed places (forms): the table's relative region; columns by their `x`.
        public var region: (x0: Double, y0: Double, x1: Double, y1: Double)?
        /// For tables of a registered form: how many rows the form prints (columns by `boxes`).
        public var formRows: Int?
        public var line: Int = 0
    }
}

extension Template {
    /// The characters each box of the form may hold, from the type of the field or column that
    /// reads it: a date's boxes (MM, DD, YY) digits only, a code's letters and digits, and so on.
    static func boxCharsets(_ t: Template) -> [String: String] {
        func charset(_ type: FieldType, parts: Int) -> String? {
            if type == .date && parts > 1 { return "0123456789" }
            // A typed money box holds dollars and cents, with or without the point.
            if type == .money { return "0123456789." }
            // A lone digit (24G's units) read under a digits-only set comes out `4` for `1`
            // (Tesseract's LSTM without the context of a word): read it as it is.
            if type == .integer { return nil }
            return OCRRereader.whitelist(type)
        }
        var out: [String: String] = [:]
        for f in t.fields {
            for case .boxes(let names) in f.finders {
                if let cs = charset(f.type, parts: names.count) { for n in names where out[n] == nil { out[n] = cs } }
            }
        }
        if let lt = t.lines, let rows = lt.formRows {
            for c in lt.columns {
                guard let cs = charset(c.type, parts: c.boxes.count) else { continue }
                for r in 1...rows { for n in c.boxes(row: r) where out[n] == nil { out[n] = cs } }
            }
        }
        return out
    }
}

/// A rule file that cannot be used: file, line and what is wrong.
public struct TemplateError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file) line \(line): \(message)" }
}

public enum TemplateLoader {
    /// Loads every `*.yaml`/`*.yml` under `<rulesDirectory>/templates` (or the folder itself when
    /// it holds the files directly). The first broken file stops the load with its error.
    public static func loadAll(rulesDirectory: String) throws -> [Template] {
        let fm = FileManager.default
        var dir = rulesDirectory
        if fm.fileExists(atPath: dir + "/templates") { dir += "/templates" }
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else {
            throw TemplateError(file: dir, line: 0, message: "cannot read the templates folder")
        }
        let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        if files.isEmpty { throw TemplateError(file: dir, line: 0, message: "no template files (*.yaml)") }
        return try files.map { try load(path: dir + "/" + $0) }
    }

    public static func load(path: String) throws -> Template {
        let file = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw TemplateError(file: file, line: 0, message: "cannot read the file")
        }
        return try parse(text, file: file, directory: (path as NSString).deletingLastPathComponent)
    }

    /// `directory`: where the file is (a form's `reference` is relative to it).
    public static func parse(_ text: String, file: String, directory: String = ".") throws -> Template {
        let root: Node
        do {
            guard let n = try Yams.compose(yaml: text) else {
                throw TemplateError(file: file, line: 1, message: "the file is empty")
            }
            root = n
        } catch let e as TemplateError {
            throw e
        } catch let e as YamlError {
            throw yamlError(e, file: file)
        }
        return try Reader(file: file, directory: directory).template(root)
    }

    static func yamlError(_ e: YamlError, file: String) -> TemplateError {
        switch e {
        case let .scanner(ctx, problem, mark, _), let .parser(ctx, problem, mark, _), let .composer(ctx, problem, mark, _):
            let c = ctx.map { "\($0.text) " } ?? ""
            return TemplateError(file: file, line: mark.line, message: "not valid YAML: \(c)\(problem)")
        case let .duplicatedKeysInMapping(dups, ctx):
            return TemplateError(file: file, line: ctx.mark.line, message: "duplicate key \(dups.joined(separator: ", "))")
        default:
            return TemplateError(file: file, line: 0, message: "not valid YAML: \(e)")
        }
    }

    /// Walks the YAML node tree, checking every key and value, with the line of each node.
    struct Reader {
        let file: String
        var directory = "."

        func fail(_ n: Node?, _ msg: String) -> TemplateError {
            TemplateError(file: file, line: n?.mark?.line ?? 0, message: msg)
        }

        func mapping(_ n: Node, _ what: String, allowed: Set<String>) throws -> [(key: String, keyNode: Node, value: Node)] {
            guard let m = n.mapping else { throw fail(n, "\(what) must be a mapping (key: value)") }
            var out: [(String, Node, Node)] = []
            for (k, v) in m {
                guard let ks = k.string else { throw fail(k, "\(what): keys must be text") }
                guard allowed.contains(ks) else {
                    throw fail(k, "\(what): unknown key '\(ks)' (expected one of \(allowed.sorted().joined(separator: ", ")))")
                }
                out.append((ks, k, v))
            }
            return out
        }

        func string(_ n: Node, _ what: String) throws -> String {
            guard case .scalar(let s) = n, !s.string.isEmpty else { throw fail(n, "\(what) must be a non-empty text") }
            return s.string
        }

        func double(_ n: Node, _ what: String, _ range: ClosedRange<Double>) throws -> Double {
            guard case .scalar(let s) = n, let d = Double(s.string), range.contains(d) else {
                throw fail(n, "\(what) must be a number in \(range.lowerBound)…\(range.upperBound)")
            }
            return d
        }

        func int(_ n: Node, _ what: String, _ range: ClosedRange<Int>) throws -> Int {
            guard case .scalar(let s) = n, let d = Int(s.string), range.contains(d) else {
                throw fail(n, "\(what) must be a whole number in \(range.lowerBound)…\(range.upperBound)")
            }
            return d
        }

        func bool(_ n: Node, _ what: String) throws -> Bool {
            guard let b = n.bool else { throw fail(n, "\(what) must be true or false") }
            return b
        }

        func strings(_ n: Node, _ what: String, nonEmpty: Bool = true) throws -> [String] {
            if case .scalar = n { return [try string(n, what)] }
            guard case .sequence(let seq) = n else { throw fail(n, "\(what) must be a list of texts") }
            let out = try seq.map { try string($0, "every item of \(what)") }
            if nonEmpty && out.isEmpty { throw fail(n, "\(what) must not be empty") }
            return out
        }

        func type(_ n: Node, _ what: String) throws -> FieldType {
            let s = try string(n, what)
            guard let t = FieldType(rawValue: s) else {
                throw fail(n, "\(what): unknown type '\(s)' (expected one of \(FieldType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return t
        }

        func formats(_ n: Node, _ what: String) throws -> [String] {
            let fs = try strings(n, what)
            for f in fs where FieldValues.dateRegex(f) == nil || !(f.contains("Y") || f.contains("y")) {
                throw fail(n, "\(what): '\(f)' is not a date format (use MM, DD, YY, YYYY, MMM and separators)")
            }
            return fs
        }

        func template(_ root: Node) throws -> Template {
            let keys: Set<String> = ["name", "doc_type", "select", "review_confidence", "stop_labels", "fields", "lines", "form"]
            let m = try mapping(root, "the template", allowed: keys)
            var t = Template(name: "", file: file, docType: "", select: .init(), reviewConfidence: 0.6,
                             stopLabels: [], fields: [], lines: nil, form: nil)
            var seen = Set<String>()
            for (k, _, v) in m {
                seen.insert(k)
                switch k {
                case "name": t.name = try string(v, "name")
                case "doc_type": t.docType = try string(v, "doc_type")
                case "review_confidence": t.reviewConfidence = try double(v, "review_confidence", 0...1)
                case "stop_labels": t.stopLabels = try strings(v, "stop_labels")
                case "select": t.select = try selector(v)
                case "fields": t.fields = try fields(v)
                case "lines": t.lines = try lineTable(v)
                case "form": t.form = try form(v)
                default: break
                }
            }
            for req in ["name", "doc_type", "select", "fields"] where !seen.contains(req) {
                throw fail(root, "the template has no '\(req)'")
            }
            try checkBoxes(t, root)
            if t.form != nil { t.form!.charsets = Template.boxCharsets(t) }
            return t
        }

        /// Every box a step or a column names is one of the form's.
        func checkBoxes(_ t: Template, _ root: Node) throws {
            let known = Set(t.form?.boxes.keys.map { $0 } ?? [])
            func check(_ names: [String], _ what: String, _ line: Int) throws {
                for n in names where !known.contains(n) {
                    throw TemplateError(file: file, line: line, message: t.form == nil
                        ? "\(what) reads the box '\(n)' but the template has no form"
                        : "\(what) reads the box '\(n)', which the form does not have")
                }
            }
            for f in t.fields {
                for case .boxes(let names) in f.finders { try check(names, "field '\(f.name)'", f.line) }
            }
            if let lt = t.lines, let rows = lt.formRows {
                for c in lt.columns {
                    guard !c.boxes.isEmpty else {
                        throw TemplateError(file: file, line: c.line, message: "lines has form_rows, so column '\(c.name)' needs its boxes")
                    }
                    for r in 1...rows { try check(c.boxes(row: r), "column '\(c.name)'", c.line) }
                }
            }
        }

        func form(_ n: Node) throws -> FormLayout {
            let m = try mapping(n, "form", allowed: ["reference", "page", "size", "boxes", "drop_out"])
            guard let refNode = m.first(where: { $0.key == "reference" })?.value else { throw fail(n, "form has no 'reference' (the blank form's PDF)") }
            let ref = try string(refNode, "form reference")
            let path = ref.hasPrefix("/") ? ref : (directory as NSString).appendingPathComponent(ref)
            guard FileManager.default.fileExists(atPath: path) else { throw fail(refNode, "form reference \(ref): no such file") }
            var f = FormLayout(reference: (path as NSString).standardizingPath)
            for (k, _, v) in m {
                switch k {
                case "page": f.page = try int(v, "form page", 1...1000)
                case "size":
                    guard case .sequence(let xs) = v, xs.count == 2 else { throw fail(v, "form size must be [width, height] in points") }
                    let r = try xs.map { try double($0, "form size", 1...100_000) }
                    f.width = r[0]; f.height = r[1]
                case "drop_out":
                    for (dk, _, dv) in try mapping(v, "form drop_out", allowed: ["min_redness", "min_chroma"]) {
                        if dk == "min_redness" { f.dropOut.minRedness = try int(dv, "form drop_out min_redness", 0...255) }
                        else { f.dropOut.minChroma = try int(dv, "form drop_out min_chroma", 0...255) }
                    }
                case "boxes":
                    guard let bm = v.mapping else { throw fail(v, "form boxes must be a mapping of box name to [x0, y0, x1, y1] in points") }
                    for (bk, bv) in bm {
                        guard let name = bk.string else { throw fail(bk, "box names must be text") }
                        guard case .sequence(let xs) = bv, xs.count == 4 else { throw fail(bv, "box '\(name)' must be [x0, y0, x1, y1] in points") }
                        let r = try xs.map { try double($0, "box '\(name)'", 0...100_000) }
                        guard r[0] < r[2], r[1] < r[3] else { throw fail(bv, "box '\(name)' must have x0 < x1 and y0 < y1") }
                        f.boxes[name] = FormLayout.Box(r[0], r[1], r[2], r[3])
                    }
                default: break
                }
            }
            if f.boxes.isEmpty { throw fail(n, "form has no boxes") }
            return f
        }

        func selector(_ n: Node) throws -> Template.Selector {
            var s = Template.Selector()
            for (k, _, v) in try mapping(n, "select", allowed: ["all", "any", "none", "min_any", "score", "regions"]) {
                switch k {
                case "all": s.all = try strings(v, "select.all", nonEmpty: false)
                case "any": s.any = try strings(v, "select.any", nonEmpty: false)
                case "none": s.none = try strings(v, "select.none", nonEmpty: false)
                case "min_any": s.minAny = try int(v, "select.min_any", 0...100)
                case "score": s.score = try double(v, "select.score", -1000...1000)
                case "regions":
                    guard case .sequence(let seq) = v else { throw fail(v, "select.regions must be a list of {region, pattern}") }
                    for item in seq {
                        var r: [Double] = []
                        var pat = ""
                        for (rk, _, rv) in try mapping(item, "select.regions item", allowed: ["region", "pattern"]) {
                            if rk == "region" { r = try region(rv, "select.regions region") } else {
                                pat = try string(rv, "select.regions pattern")
                                do { _ = try NSRegularExpression(pattern: pat) } catch {
                                    throw fail(rv, "select.regions pattern is not a valid regular expression")
                                }
                            }
                        }
                        if r.isEmpty || pat.isEmpty { throw fail(item, "select.regions item needs region and pattern") }
                        s.regions.append(.init(x0: r[0], y0: r[1], x1: r[2], y1: r[3], pattern: pat))
                    }
                default: break
                }
            }
            if s.all.isEmpty && s.any.isEmpty && s.regions.isEmpty { throw fail(n, "select needs 'all' or 'any' keywords") }
            return s
        }

        func fields(_ n: Node) throws -> [Template.FieldRule] {
            guard let m = n.mapping else { throw fail(n, "fields must be a mapping of field name to its rule") }
            var out: [Template.FieldRule] = []
            for (k, v) in m {
                guard let name = k.string else { throw fail(k, "field names must be text") }
                let what = "field '\(name)'"
                var f = Template.FieldRule(name: name, type: .text, line: k.mark?.line ?? 0)
                var hasType = false
                for (fk, _, fv) in try mapping(v, what, allowed: ["type", "formats", "birth", "find", "split_cents"]) {
                    switch fk {
                    case "split_cents": f.splitCents = try bool(fv, "\(what) split_cents")
                    case "type": f.type = try type(fv, "\(what) type"); hasType = true
                    case "formats": f.formats = try formats(fv, "\(what) formats")
                    case "birth": f.birth = try bool(fv, "\(what) birth")
                    case "find":
                        f.finders = try finders(fv, what)
                        if case .sequence(let steps) = fv {
                            for (i, st) in steps.enumerated() where st["review"]?.bool == true { f.reviewSteps.insert(i) }
                        }
                    default: break
                    }
                }
                if !hasType { throw fail(v, "\(what) has no type") }
                if f.finders.isEmpty { throw fail(v, "\(what) has no 'find' (anchor, region, pattern or from_lines)") }
                out.append(f)
            }
            return out
        }

        func finders(_ n: Node, _ what: String) throws -> [Template.Finder] {
            let items: [Node]
            if case .sequence(let s) = n { items = Array(s) } else { items = [n] }
            return try items.map { item in
                let m = try mapping(item, "\(what) find", allowed: ["anchor", "region", "pattern", "from_lines", "box", "boxes", "review"])
                    .filter { $0.key != "review" }
                if let r = item["review"], r.bool == nil { throw fail(r, "\(what) review must be true or false") }
                guard m.count == 1, let (k, _, v) = m.first else {
                    throw fail(item, "\(what): each find step has exactly one of anchor, region, pattern, from_lines, box, boxes")
                }
                switch k {
                case "box": return .boxes([try string(v, "\(what) box")])
                case "boxes": return .boxes(try strings(v, "\(what) boxes"))
                case "anchor": return .anchor(try anchor(v, what))
                case "region":
                    let c = try region(v, "\(what) region")
                    return .region(x0: c[0], y0: c[1], x1: c[2], y1: c[3])
                case "pattern":
                    let p = try string(v, "\(what) pattern")
                    do { _ = try NSRegularExpression(pattern: p) } catch {
                        throw fail(v, "\(what) pattern is not a valid regular expression")
                    }
                    return .pattern(p)
                default:
                    return .fromLines(try string(v, "\(what) from_lines"))
                }
            }
        }

        func region(_ v: Node, _ what: String) throws -> [Double] {
            guard case .sequence(let s) = v, s.count == 4 else { throw fail(v, "\(what) must be [x0, y0, x1, y1] in 0…1") }
            let c = try s.map { try double($0, what, 0...1) }
            guard c[0] < c[2], c[1] < c[3] else { throw fail(v, "\(what) must have x0 < x1 and y0 < y1") }
            return c
        }

        func anchor(_ n: Node, _ what: String) throws -> Template.Anchor {
            var a = Template.Anchor(labels: [])
            for (k, _, v) in try mapping(n, "\(what) anchor", allowed: ["labels", "where", "max_dx", "max_dy", "max_lines"]) {
                switch k {
                case "labels": a.labels = try strings(v, "\(what) labels")
                case "where":
                    a.directions = try strings(v, "\(what) where").map { s in
                        guard let d = Template.Direction(rawValue: s) else { throw fail(v, "\(what) where: '\(s)' is not right or below") }
                        return d
                    }
                case "max_dx": a.maxDx = try double(v, "\(what) max_dx", 0...1)
                case "max_dy": a.maxDy = try double(v, "\(what) max_dy", 0...1)
                case "max_lines": a.maxLines = try int(v, "\(what) max_lines", 1...30)
                default: break
                }
            }
            if a.labels.isEmpty { throw fail(n, "\(what) anchor has no labels") }
            return a
        }

        func lineTable(_ n: Node) throws -> Template.LineTable {
            var t = Template.LineTable(columns: [], line: n.mark?.line ?? 0)
            for (k, _, v) in try mapping(n, "lines", allowed: ["columns", "footer", "min_columns", "max_rows", "max_gap", "region", "form_rows"]) {
                switch k {
                case "form_rows": t.formRows = try int(v, "lines.form_rows", 1...100)
                case "region":
                    let c = try region(v, "lines.region")
                    t.region = (c[0], c[1], c[2], c[3])
                case "footer": t.footer = try strings(v, "lines.footer")
                case "min_columns": t.minColumns = try int(v, "lines.min_columns", 1...20)
                case "max_rows": t.maxRows = try int(v, "lines.max_rows", 1...500)
                case "max_gap": t.maxGap = try double(v, "lines.max_gap", 0.5...100)
                case "columns":
                    guard let m = v.mapping else { throw fail(v, "lines.columns must be a mapping of column name to its rule") }
                    for (ck, cv) in m {
                        guard let name = ck.string else { throw fail(ck, "column names must be text") }
                        let what = "column '\(name)'"
                        var c = Template.Column(name: name, type: .text, labels: [], line: ck.mark?.line ?? 0)
                        var hasType = false
                        for (fk, _, fv) in try mapping(cv, what, allowed: ["type", "labels", "formats", "required", "default", "x", "split_cents", "boxes"]) {
                            switch fk {
                            case "boxes": c.boxes = try strings(fv, "\(what) boxes")
                            case "split_cents": c.splitCents = try bool(fv, "\(what) split_cents")
                            case "x":
                                guard case .sequence(let xs) = fv, xs.count == 2 else { throw fail(fv, "\(what) x must be [x0, x1] in 0…1") }
                                let r = try xs.map { try double($0, "\(what) x", 0...1) }
                                guard r[0] < r[1] else { throw fail(fv, "\(what) x must have x0 < x1") }
                                c.x = (r[0], r[1])
                            case "type": c.type = try type(fv, "\(what) type"); hasType = true
                            case "labels": c.labels = try strings(fv, "\(what) labels")
                            case "formats": c.formats = try formats(fv, "\(what) formats")
                            case "required": c.required = try bool(fv, "\(what) required")
                            case "default": c.defaultValue = try string(fv, "\(what) default")
                            default: break
                            }
                        }
                        if !hasType { throw fail(cv, "\(what) has no type") }
                        if c.labels.isEmpty && c.x == nil && c.boxes.isEmpty { throw fail(cv, "\(what) has no labels") }
                        t.columns.append(c)
                    }
                default: break
                }
            }
            if t.columns.isEmpty { throw fail(n, "lines has no columns") }
            if t.region != nil, let c = t.columns.first(where: { $0.x == nil }) {
                throw fail(n, "lines has a region, so every column needs its x range (column '\(c.name)' has none)")
            }
            if !t.columns.contains(where: \.required) { throw fail(n, "lines: one column must be required (the code)") }
            return t
        }
    }
}
