import Foundation

/// The value types a template field may have. Each type knows how to turn OCR text into its
/// canonical form (DESIGN.md "Canonical fields") and how to check it (DOMAIN.md "Validation rules").
public enum FieldType: String, Codable, Sendable, CaseIterable {
    case text, name, date, money, integer, npi, code, modifier, icd10, pos
    /// A list of ICD-10 codes (diagnosis codes): the value is a JSON array.
    case icd10List = "icd10_list"
    /// A list of modifiers: the value is a JSON array.
    case modifierList = "modifier_list"
    /// Diagnosis pointer letters / numbers (`AB`, `1,2`), canonical: upper-case, no separators.
    case pointer
}

/// A canonical value: a string, an integer, or a list of strings.
public enum FieldValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case list([String])

    public var description: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .list(let l): return l.joined(separator: ", ")
        }
    }

    /// Stored form in SQLite: plain text for strings and integers, a JSON array for lists.
    public var storageText: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .list(let l):
            let data = (try? JSONSerialization.data(withJSONObject: l, options: [])) ?? Data("[]".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }

    public static func fromStorage(_ text: String, type: FieldType) -> FieldValue {
        switch type {
        case .icd10List, .modifierList:
            if let d = text.data(using: .utf8), let a = try? JSONSerialization.jsonObject(with: d) as? [String] { return .list(a) }
            return .list([])
        case .integer:
            return Int(text).map(FieldValue.int) ?? .string(text)
        default:
            return .string(text)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        self = .list(try c.decode([String].self))
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .int(let i): try c.encode(i)
        case .list(let l): try c.encode(l)
        }
    }
}

/// How one value came out of parsing, checking and look-alike repair.
public struct ParseOutcome: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case ok, repaired, needsReview = "needs_review", corrected }
    public var value: FieldValue?
    public var status: Status
    /// Why a value needs review (for people, not for machines).
    public var problem: String?
    public init(value: FieldValue?, status: Status, problem: String? = nil) {
        self.value = value; self.status = status; self.problem = problem
    }
}

/// Value parsing, normalisation and format checks, one function per type. Everything here is pure.
public enum FieldValues {
    // MARK: whitespace and text

    public static func fold(_ s: String) -> String {
        s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// `JOHN KELLERMD` → `JOHN KELLER MD`: OCR glues a typed credential to the surname before it
    /// (the space of a monospaced or tight font is narrow). Only `MD`, only after a first name.
    static func separatingCredential(_ s: String) -> String {
        var parts = s.split(separator: " ").map(String.init)
        guard parts.count >= 2, let last = parts.last, last.count >= 5, last.hasSuffix("MD"),
              last.dropLast(2).allSatisfy({ $0.isUppercase && $0.isLetter }) else { return s }
        parts[parts.count - 1] = String(last.dropLast(2))
        parts.append("MD")
        return parts.joined(separator: " ")
    }

    /// Strips label leftovers OCR may leave at the start of a value (`: `, `#`, `-`).
    static func stripLead(_ s: String) -> String {
        var t = Substring(s)
        while let f = t.first, f == ":" || f == "#" || f == "|" || f == "—" || f == "_" || f == "‘" || f == "'"
                || (f == "-" && t.dropFirst().first.map { !$0.isNumber } ?? false)
                || f == "." && t.count > 1 && !(t.dropFirst().first?.isNumber ?? false) || f.isWhitespace {
            t = t.dropFirst()
        }
        return String(t)
    }

    // MARK: dates

    /// The formats tried when a template gives none.
    public static let defaultDateFormats = ["MM/DD/YYYY", "MM-DD-YYYY", "yyyy-MM-dd", "MM DD YYYY", "MM DD YY",
                                            "MMDDYYYY", "MMDDYY", "MM/DD/YY", "MM-DD-YY", "MM.DD.YYYY", "MMM DD YYYY"]

    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Turns a format such as `MM DD YY` into a regex anchored at the start of the text, with
    /// named parts in order. `MM`/`DD` take 1-2 digits when a separator follows, exactly 2 when
    /// digits follow directly (`MMDDYYYY`).
    static func dateRegex(_ format: String) -> (NSRegularExpression, [String])? {
        var pattern = "^"
        var parts: [String] = []
        var i = format.startIndex
        let tokens = ["YYYY", "yyyy", "MMM", "YY", "yy", "MM", "DD", "dd", "M", "D", "d"]
        while i < format.endIndex {
            let rest = format[i...]
            if let tok = tokens.first(where: { rest.hasPrefix($0) }) {
                let after = format.index(i, offsetBy: tok.count)
                let digitFollows = after < format.endIndex && "MDdYy".contains(format[after])
                switch tok {
                case "YYYY", "yyyy": pattern += "(\\d{4})"; parts.append("Y4")
                case "YY", "yy": pattern += "(\\d{2})"; parts.append("Y2")
                case "MMM": pattern += "([A-Za-z]{3,9})\\.?"; parts.append("Mname")
                case "MM", "M": pattern += digitFollows ? "(\\d{2})" : "(\\d{1,2})"; parts.append("M")
                default: pattern += digitFollows ? "(\\d{2})" : "(\\d{1,2})"; parts.append("D")
                }
                i = after
            } else {
                let c = format[i]
                switch c {
                // Separators mean nothing by themselves (the order of the parts does): OCR reads
                // the spaces of `MM DD YY` as commas or dots and a slash as a dash.
                case " ", "/", "-", ".": pattern += "(?:\\s*[,./\\-]\\s*|\\s+)"
                default: pattern += NSRegularExpression.escapedPattern(for: String(c))
                }
                i = format.index(after: i)
            }
        }
        pattern += "(?![0-9])"
        guard let re = try? NSRegularExpression(pattern: pattern) else { return nil }
        return (re, parts)
    }

    /// Parses a date at the start of `raw` with the first format that yields a real date.
    /// Two-digit years: birth dates are in the past (`44` is 1944), other dates are 20yy.
    public static func parseDate(_ raw: String, formats: [String] = defaultDateFormats, birth: Bool = false,
                                 today: CalendarDate = .today()) -> (date: CalendarDate, consumed: Int)? {
        let s = stripLead(raw.trimmingCharacters(in: .whitespaces))
        let ns = s as NSString
        for f in formats.isEmpty ? defaultDateFormats : formats {
            guard let (re, parts) = dateRegex(f),
                  let m = re.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)) else { continue }
            var y = 0, mo = 0, d = 0
            var ok = true
            for (k, p) in parts.enumerated() {
                let g = ns.substring(with: m.range(at: k + 1))
                switch p {
                case "Y4": y = Int(g) ?? 0
                case "Y2":
                    let yy = Int(g) ?? 0
                    if birth { y = 2000 + yy > today.year ? 1900 + yy : 2000 + yy } else { y = 2000 + yy }
                case "Mname":
                    guard let idx = monthNames.firstIndex(of: String(g.lowercased().prefix(3))) else { ok = false; break }
                    mo = idx + 1
                case "M": mo = Int(g) ?? 0
                default: d = Int(g) ?? 0
                }
            }
            if ok, let date = CalendarDate(year: y, month: mo, day: d) {
                let consumedPrefix = (s.count - raw.trimmingCharacters(in: .whitespaces).count)
                return (date, m.range.length - consumedPrefix)
            }
        }
        return nil
    }

    // MARK: money

    /// Money from OCR text: `$1,936.98`, `1936.98`, `1936 98`, `$ 1,936.98`. Spaces around the
    /// decimal point and a space after `$` are OCR artefacts and are closed up.
    public static func parseMoney(_ raw: String) -> Money? {
        var s = fold(stripLead(raw))
        s = s.replacingOccurrences(of: "$ ", with: "$")
        s = s.replacingOccurrences(of: " . ", with: ".").replacingOccurrences(of: " .", with: ".")
            .replacingOccurrences(of: ". ", with: ".").replacingOccurrences(of: " , ", with: ",")
            .replacingOccurrences(of: ", ", with: ",")
        if s.hasSuffix(".") { s.removeLast() }
        // OCR sometimes gives `1,936,98` for `1,936.98`.
        if let m = Money(parsing: s) { return m }
        let parts = s.split(separator: ",", omittingEmptySubsequences: false)
        if parts.count >= 2, parts.last!.count == 2, !s.contains(".") {
            let fixed = parts.dropLast().joined(separator: ",") + "." + parts.last!
            return Money(parsing: fixed)
        }
        return nil
    }

    // MARK: checks (format, not existence)

    public static func isNPI(_ s: String) -> Bool {
        guard s.count == 10, s.allSatisfy(\.isASCIIDigit), s.first == "1" || s.first == "2" else { return false }
        let digits = s.compactMap { $0.wholeNumberValue }
        // Luhn over "80840" + first 9 digits, check digit is the 10th.
        let body = [8, 0, 8, 4, 0] + digits.prefix(9)
        var sum = 0
        for (i, d) in body.reversed().enumerated() {
            if i % 2 == 0 { let x = d * 2; sum += x > 9 ? x - 9 : x } else { sum += d }
        }
        return (10 - sum % 10) % 10 == digits[9]
    }

    public static func isProcedureCode(_ s: String) -> Bool {
        let c = Array(s)
        guard c.count == 5 else { return false }
        if c.allSatisfy(\.isASCIIDigit) { return true }
        if c[0..<4].allSatisfy(\.isASCIIDigit), c[4] == "F" || c[4] == "T" { return true }
        if c[0].isASCIIUpper && c[0] <= "V", c[1...].allSatisfy(\.isASCIIDigit) { return true }
        return false
    }

    public static func isModifier(_ s: String) -> Bool {
        s.count == 2 && s.allSatisfy { $0.isASCIIDigit || $0.isASCIIUpper }
    }

    /// ICD-10-CM with the dot: letter, digit, letter-or-digit, then optionally `.` and 1-4 alnum.
    public static func isICD10(_ s: String) -> Bool {
        let c = Array(s)
        guard c.count >= 3, c[0].isASCIIUpper, c[1].isASCIIDigit,
              c[2].isASCIIDigit || c[2].isASCIIUpper else { return false }
        if c.count == 3 { return true }
        guard c[3] == ".", (5...8).contains(c.count) else { return false }
        return c[4...].allSatisfy { $0.isASCIIDigit || $0.isASCIIUpper }
    }

    // MARK: normalisers: text → canonical candidate (nil when it cannot be one)

    static func compact(_ s: String) -> String {
        String(stripLead(s).filter { !$0.isWhitespace })
    }

    public static func normalizeICD10(_ raw: String) -> String? {
        var s = compact(raw).uppercased()
        while let l = s.last, l == "," || l == ";" || l == "." { s.removeLast() }
        if s.count > 3, !s.contains(".") { s.insert(".", at: s.index(s.startIndex, offsetBy: 3)) }
        return isICD10(s) ? s : nil
    }

    public static func normalizeCode(_ raw: String) -> String? {
        var s = compact(raw).uppercased()
        while let l = s.last, l == "," || l == "." { s.removeLast() }
        return isProcedureCode(s) ? s : nil
    }

    public static func normalizeNPI(_ raw: String) -> String? {
        let s = compact(raw).replacingOccurrences(of: "-", with: "")
        return isNPI(s) ? s : nil
    }

    public static func normalizePOS(_ raw: String) -> String? {
        let s = compact(raw)
        guard (1...2).contains(s.count), s.allSatisfy(\.isASCIIDigit), let v = Int(s), v > 0 else { return nil }
        return String(format: "%02d", v)
    }

    public static func normalizeModifier(_ raw: String) -> String? {
        let s = compact(raw).uppercased()
        return isModifier(s) ? s : nil
    }

    public static func normalizeInteger(_ raw: String) -> Int? {
        var s = compact(raw)
        if s.hasSuffix(".00") || s.hasSuffix(".0") { s = String(s.prefix(upTo: s.firstIndex(of: ".")!)) }
        guard !s.isEmpty, s.count <= 6, s.allSatisfy(\.isASCIIDigit), let v = Int(s), v > 0 else { return nil }
        return v
    }

    /// Pointer letters (`A`, `AB`, `A,B`, `1 2`) → `AB` / `12`.
    public static func normalizePointer(_ raw: String) -> String? {
        let s = compact(raw).uppercased().filter { $0 != "," && $0 != ";" && $0 != "-" }
        guard !s.isEmpty, s.count <= 4,
              s.allSatisfy({ ("A"..."L").contains($0) }) || s.allSatisfy({ ("1"..."9").contains($0) }) else { return nil }
        // A line points at different diagnoses: `CC` is a misreading.
        guard Set(s).count == s.count else { return nil }
        return s
    }

    /// The canonical value of `raw` for `type`, or nil when it is not one (before any repair).
    public static func normalize(_ raw: String, type: FieldType, formats: [String] = [], birth: Bool = false,
                                 today: CalendarDate = .today()) -> FieldValue? {
        // Forms print codes in upper case: a lower-case l in a code is OCR's reading of 1 or I,
        // never a letter L, so it goes through look-alike repair instead of being upper-cased.
        if [.icd10, .code, .modifier, .npi, .pos, .integer, .pointer].contains(type), raw.contains("l") { return nil }
        switch type {
        case .text:
            let s = fold(stripLead(raw))
            return s.isEmpty ? nil : .string(s)
        case .name:
            let s = separatingCredential(fold(stripLead(raw)))
            return s.isEmpty ? nil : .string(s)
        case .date:
            return parseDate(raw, formats: formats, birth: birth, today: today).map { .string($0.date.iso) }
        case .money:
            return parseMoney(raw).map { .string($0.decimalString) }
        case .integer:
            return normalizeInteger(raw).map(FieldValue.int)
        case .npi:
            return normalizeNPI(raw).map(FieldValue.string)
        case .code:
            return normalizeCode(raw).map(FieldValue.string)
        case .modifier:
            return normalizeModifier(raw).map(FieldValue.string)
        case .icd10:
            return normalizeICD10(raw).map(FieldValue.string)
        case .pos:
            return normalizePOS(raw).map(FieldValue.string)
        case .pointer:
            return normalizePointer(raw).map(FieldValue.string)
        case .icd10List, .modifierList:
            return nil // lists are assembled item by item (see TemplateEngine)
        }
    }

    // MARK: look-alike repair

    /// OCR look-alike classes (DOMAIN.md): a character may be read as any other of its class.
    /// Lower-case `l` is only ever a source (it reads as `1` or `I`), never a target.
    static let lookAlikes: [Character: [Character]] = [
        "O": ["0"], "0": ["O"], "o": ["0"],
        "I": ["1"], "1": ["I"], "l": ["1", "I"], "|": ["1", "I"],
        "S": ["5"], "5": ["S"], "s": ["5"],
        "B": ["8"], "8": ["B"],
        "Z": ["2"], "2": ["Z"], "z": ["2"],
        "G": ["6"], "6": ["G"],
        // Degraded scans read a capital E as a currency sign.
        "€": ["E"], "£": ["E"],
    ]

    /// Tries every single look-alike substitution of `raw`; returns the canonical values that
    /// pass, de-duplicated. The caller repairs only when there is exactly one.
    public static func lookAlikeCandidates(_ raw: String, passes: (String) -> FieldValue?) -> [(raw: String, value: FieldValue)] {
        let chars = Array(raw)
        var out: [(String, FieldValue)] = []
        for (i, c) in chars.enumerated() {
            guard let subs = lookAlikes[c] else { continue }
            for s in subs {
                var t = chars
                t[i] = s
                let cand = String(t)
                if let v = passes(cand), !out.contains(where: { $0.1 == v }) { out.append((cand, v)) }
            }
        }
        return out
    }

    /// Parses, checks and if needed repairs `raw` as `type`:
    /// passes → `ok`; fails but exactly one look-alike substitution passes → `repaired`;
    /// otherwise `needs_review` (value nil, or for text types the folded text).
    public static func evaluate(_ raw: String, type: FieldType, formats: [String] = [], birth: Bool = false,
                                today: CalendarDate = .today()) -> ParseOutcome {
        let norm: (String) -> FieldValue? = { normalize($0, type: type, formats: formats, birth: birth, today: today) }
        if let v = norm(raw) { return ParseOutcome(value: v, status: .ok) }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return ParseOutcome(value: nil, status: .needsReview, problem: "no value found") }
        switch type {
        case .text, .name:
            return ParseOutcome(value: nil, status: .needsReview, problem: "no value found")
        default:
            let cands = lookAlikeCandidates(trimmed, passes: norm)
            if cands.count == 1 { return ParseOutcome(value: cands[0].value, status: .repaired, problem: "look-alike repaired '\(trimmed)' → '\(cands[0].raw)'") }
            if cands.count > 1 {
                return ParseOutcome(value: nil, status: .needsReview,
                                    problem: "'\(trimmed)' is not a valid \(type.rawValue); \(cands.count) look-alike readings fit")
            }
            return ParseOutcome(value: nil, status: .needsReview, problem: "'\(trimmed)' is not a valid \(type.rawValue)")
        }
    }
}
