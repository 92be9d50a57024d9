import Foundation

/// Reading a value's symbols under its format: the OCR gives, for every symbol, its alternatives
/// with confidences (`SymbolChoices`); a format says what each position may hold (an HCPCS code
/// is a letter A-V and four digits, CPT five digits or four and F/T/U, an ICD-10 code starts with a
/// letter). For each format the best allowed alternative is taken at every position; the
/// reading's score is its weakest position. A format reading is believed only when it is clearly
/// better than every other format's (a `6` read at 0 for a `G` read at 93 decides `G0438`; a `3`
/// at 84 against a `J` at 48 decides nothing).
public enum ConstrainedReading {
    /// What one position may hold.
    public enum Slot: Sendable, Equatable {
        case digit
        case letter(String)      // the letters allowed
        case alnum
        case oneOf(String)

        func allows(_ s: String) -> Bool {
            guard s.count == 1, let c = s.first, c.isASCII else { return false }
            switch self {
            case .digit: return c.isNumber
            case .letter(let set): return set.contains(c)
            case .alnum: return c.isNumber || (c.isLetter && c.isUppercase)
            case .oneOf(let set): return set.contains(c)
            }
        }
    }

    static let lettersAV = "ABCDEFGHIJKLMNOPQRSTUV"
    static let lettersAZ = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    /// The formats of a procedure code: CPT Category I, Category II/III, HCPCS Level II.
    public static let codeFormats: [[Slot]] = [
        Array(repeating: .digit, count: 5),
        Array(repeating: .digit, count: 4) + [.oneOf("FTU")],
        [.letter(lettersAV)] + Array(repeating: .digit, count: 4),
    ]

    /// ICD-10-CM without its dot: letter, digit, letter-or-digit, then 0-4 letters or digits.
    public static func icd10Formats(length: Int) -> [[Slot]] {
        guard (3...7).contains(length) else { return [] }
        return [[.letter(lettersAZ), .digit, .alnum] + Array(repeating: .alnum, count: length - 3)]
    }

    /// A symbol OCR may add at the edge of a crop (a ruling, a cut glyph of the next column) or a
    /// faint speck: it may be left out of a reading.
    static func droppable(_ s: SymbolChoices, crop: Box?) -> Bool {
        if s.best.confidence < 50 { return true }
        if let c = crop, s.box.x0 <= c.x0 + 1 || s.box.x1 >= c.x1 - 1 { return true }
        return false
    }

    /// The best reading of `symbols` under one format: the best allowed alternative at every
    /// position, over every window of consecutive symbols whose left-out symbols may be left out.
    /// Returns the text and its score (the weakest position's confidence, 0…100).
    public static func best(_ symbols: [SymbolChoices], format: [Slot], crop: Box? = nil) -> (text: String, score: Double)? {
        let n = format.count
        guard symbols.count >= n else { return nil }
        var top: (String, Double)?
        for start in 0...(symbols.count - n) {
            let left = symbols[..<start], right = symbols[(start + n)...]
            guard left.allSatisfy({ droppable($0, crop: crop) }), right.allSatisfy({ droppable($0, crop: crop) }) else { continue }
            var text = "", score = 100.0
            for (slot, s) in zip(format, symbols[start..<(start + n)]) {
                guard let c = s.choices.first(where: { slot.allows($0.text) }) else { score = -1; break }
                text += c.text; score = min(score, c.confidence)
            }
            if score >= 0, top == nil || score > top!.1 { top = (text, score) }
        }
        return top
    }

    /// The reading a format decides, when one does: the best format reading scores at least
    /// `minScore` and beats every other format's reading (of another text) by `margin`.
    public static func decide(_ symbols: [SymbolChoices], formats: [[Slot]], crop: Box? = nil,
                              minScore: Double = 60, margin: Double = 25) -> (text: String, score: Double)? {
        let readings = formats.compactMap { best(symbols, format: $0, crop: crop) }.sorted { $0.score > $1.score }
        guard let top = readings.first, top.score >= minScore else { return nil }
        if let other = readings.dropFirst().first(where: { $0.text != top.text }), top.score - other.score < margin { return nil }
        return top
    }

    /// Other readings the formats allow, seen with at least `minScore` (a `J` at 48 behind a `3` at
    /// 97: `J3420` is a rival of `33420`), best first; excludes the best reading's own text.
    public static func rivals(_ symbols: [SymbolChoices], formats: [[Slot]], crop: Box? = nil, minScore: Double = 30) -> [String] {
        let readings = formats.compactMap { best(symbols, format: $0, crop: crop) }.sorted { $0.score > $1.score }
        guard let top = readings.first else { return [] }
        return readings.dropFirst().filter { $0.text != top.text && $0.score >= minScore }.map(\.text)
    }

    /// Symbols split into words (a word starts where OCR says, and after a dot it reads as a
    /// separator only when a list is read).
    static func words(_ symbols: [SymbolChoices]) -> [[SymbolChoices]] {
        var out: [[SymbolChoices]] = []
        for s in symbols {
            if s.startsWord || out.isEmpty { out.append([s]) } else { out[out.count - 1].append(s) }
        }
        return out
    }

    /// A diagnosis list read under the ICD-10 format, word by word: a word that looks like a code
    /// (3-8 symbols, a digit among them) becomes the format's reading when the format decides
    /// one; other words (list letters, stray marks) stay as read. Nil when no word changed.
    public static func icd10List(_ symbols: [SymbolChoices], crop: Box? = nil) -> (text: String, score: Double)? {
        var parts: [String] = []
        var changed = false
        var score = 100.0
        for w in words(symbols) {
            let plain = w.map(\.best.text).joined()
            let core = w.filter { $0.best.text != "." && $0.best.text != "," }
            let looksCode = (3...7).contains(core.count) && core.contains { $0.best.text.first?.isNumber == true }
            if looksCode, let d = decide(core, formats: icd10Formats(length: core.count), crop: crop), d.text != plain.filter({ $0 != "." && $0 != "," }) {
                let text = d.text.count > 3 ? String(d.text.prefix(3)) + "." + String(d.text.dropFirst(3)) : d.text
                parts.append(text); changed = true; score = min(score, d.score)
            } else {
                parts.append(plain)
            }
        }
        return changed ? (parts.joined(separator: " "), score) : nil
    }
}

/// Choosing among several readings of one crop (`FieldRereader.readings`), each already parsed
/// and checked as the field's type.
public enum ReadingVote {
    public struct Parsed: Sendable, Equatable {
        public var value: FieldValue
        public var confidence: Double
        /// How the crop was read (`crop`, `2x-thick`, `crop-choices`…). A `-choices` reading comes
        /// from the same recognition as its plain reading, so the two are one source, not two.
        public var method: String
        /// Passed the field's checks (format, look-alike ambiguity, plausibility, confidence).
        public var passes: Bool
        public init(value: FieldValue, confidence: Double, method: String, passes: Bool) {
            self.value = value; self.confidence = confidence; self.method = method; self.passes = passes
        }
        var source: String { method.hasSuffix("-choices") ? String(method.dropLast("-choices".count)) : method }
    }

    /// The readings that parsed to a value, as votes (a reading passes when its value is not in review).
    static func votes(_ readings: [CropReading], _ parsed: [ExtractedValue?]) -> [Parsed] {
        zip(readings, parsed).compactMap { r, n in
            n.flatMap { n in n.value.map { Parsed(value: $0, confidence: n.confidence, method: r.method, passes: n.status != .needsReview) } }
        }
    }

    /// The confidence of the value `votes[chosen]` gives: the best of the passing votes for it.
    static func agreedConfidence(_ votes: [Parsed], _ chosen: Int) -> Double {
        votes.filter { $0.value == votes[chosen].value && $0.passes }.map(\.confidence).max() ?? votes[chosen].confidence
    }

    /// The reading to take, or nil when the readings do not decide. A value is taken when
    /// (1) readings from at least two independent sources give it, at least one of them passing,
    /// and no other value passes as surely; or (2) it is the only value that passes with at least
    /// `sure` confidence, every other passing value being `margin` below it. A list that holds
    /// fewer of the same items is no rival (OCR loses items more often than it invents them).
    public static func choose(_ rs: [Parsed], sure: Double = Plausibility.sureCodeConfidence, margin: Double = 0.25) -> Int? {
        func rivals(_ a: FieldValue, _ b: FieldValue) -> Bool {
            if case .list(let x) = a, case .list(let y) = b { return !Set(y).isSubset(of: Set(x)) }
            return a != b
        }
        var all: [(value: FieldValue, members: [Int])] = []
        for i in rs.indices {
            if let g = all.firstIndex(where: { $0.value == rs[i].value }) { all[g].members.append(i) }
            else { all.append((rs[i].value, [i])) }
        }
        let groups = all.map { ($0.value, $0.members.filter { rs[$0].passes }) }.filter { !$0.1.isEmpty }
        func best(_ g: (value: FieldValue, members: [Int])) -> Int { g.members.max { rs[$0].confidence < rs[$1].confidence }! }
        let agreed = all.filter { g in Set(g.members.map { rs[$0].source }).count >= 2 && g.members.contains { rs[$0].passes } }
        if agreed.count > 1 { return nil }
        if let a = agreed.first {
            let winner = best((a.value, a.members.filter { rs[$0].passes }))
            let rival = groups.filter { rivals(a.value, $0.0) }.map { rs[best($0)].confidence }.max() ?? -1
            return rival >= rs[winner].confidence ? nil : winner
        }
        let ranked = groups.sorted { rs[best($0)].confidence > rs[best($1)].confidence }
        guard let top = ranked.first, rs[best(top)].confidence >= sure else { return nil }
        if let second = ranked.dropFirst().first, rs[best(top)].confidence - rs[best(second)].confidence < margin { return nil }
        return best(top)
    }
}
