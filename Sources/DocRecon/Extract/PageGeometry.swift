import Foundation

/// The words of one page with its size, as the extractor sees them (OCR and text layer alike).
public struct PageWords: Sendable {
    public var number: Int
    public var width: Int
    public var height: Int
    public var words: [Word]
    /// How the page registered against a template's printed form (boxes are read through it).
    public var form: PageForm?
    public init(number: Int, width: Int, height: Int, words: [Word], form: PageForm? = nil) {
        self.number = number; self.width = width; self.height = height; self.words = words; self.form = form
    }
}

/// Words that sit on one visual line, left to right.
public struct TextLine: Sendable {
    public var words: [Word]
    public var box: Box
    public var text: String { words.map(\.text).joined(separator: " ") }
    /// Median word height: the unit distances are measured in.
    public var height: Double {
        let hs = words.map { Double($0.box.height) }.sorted()
        return hs.isEmpty ? 1 : max(1, hs[hs.count / 2])
    }
}

public enum PageGeometry {
    /// Groups words into lines by vertical overlap (at least half the smaller height), then
    /// sorts each line by x and the lines by y. Robust to words of one line at slightly
    /// different heights and to two columns sharing a row.
    public static func lines(_ words: [Word]) -> [TextLine] {
        let sorted = words.filter { !$0.text.trimmingCharacters(in: .whitespaces).isEmpty }
            .sorted { ($0.box.midY, $0.x0) < ($1.box.midY, $1.x0) }
        // Specks (marks without a letter or digit, under half the page's usual word height) join
        // the line they sit in after the other words made the lines: a speck first in y order
        // would otherwise start a thin line that splits the words around it between two lines.
        let heights = sorted.filter { $0.text.contains(where: { $0.isLetter || $0.isNumber }) }.map(\.box.height)
        let usual = median(heights)
        let isMark = { (w: Word) in 2 * w.box.height < usual && !w.text.contains(where: { $0.isLetter || $0.isNumber }) }
        var groups: [[Word]] = []
        var boxes: [Box] = []
        func bestLine(for w: Word, among range: StrideThrough<Int>) -> Int {
            var best = -1
            var bestOverlap = 0.0
            for i in range {
                let b = boxes[i]
                let lineH = Double(median(groups[i].map { $0.box.height }))
                let ov = Double(min(b.y1, w.y1) - max(b.y0, w.y0))
                let minH = Double(max(1, min(Int(lineH), w.box.height)))
                // Centre of the word within the line band, and real overlap.
                if ov / minH >= 0.5, abs(w.box.midY - centreY(groups[i])) <= max(lineH, Double(w.box.height)) * 0.6,
                   ov / minH > bestOverlap {
                    best = i; bestOverlap = ov / minH
                }
            }
            return best
        }
        for w in sorted where !isMark(w) {
            // Only recent lines can overlap (words are sorted by centre y).
            let best = groups.isEmpty ? -1 : bestLine(for: w, among: stride(from: groups.count - 1, through: max(0, groups.count - 6), by: -1))
            if best >= 0 {
                groups[best].append(w); boxes[best] = boxes[best].union(w.box)
            } else {
                groups.append([w]); boxes.append(w.box)
            }
        }
        let lineCount = groups.count
        for w in sorted where isMark(w) {
            let best = lineCount == 0 ? -1 : bestLine(for: w, among: stride(from: lineCount - 1, through: 0, by: -1))
            if best >= 0 {
                groups[best].append(w) // a mark does not widen its line's band
            } else {
                groups.append([w]); boxes.append(w.box)
            }
        }
        return zip(groups, boxes).map { g, b in TextLine(words: g.sorted { $0.x0 < $1.x0 }, box: b) }
            .sorted { ($0.box.midY, Double($0.box.x0)) < ($1.box.midY, Double($1.box.x0)) }
    }

    static func centreY(_ ws: [Word]) -> Double {
        let ys = ws.map(\.box.midY).sorted()
        return ys[ys.count / 2]
    }

    static func median(_ xs: [Int]) -> Int {
        let s = xs.sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }

    /// The comparable key of a label or of words: lower case letters, digits and `#`.
    /// `No.`, `No:` and `#` all end an account label; apostrophes and dots disappear.
    public static func labelKey(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.filter {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "#"
        }.map(Character.init))
    }

    /// Levenshtein distance, bounded: returns > limit early.
    public static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a), b = Array(b)
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            var rowMin = cur[0]
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                rowMin = min(rowMin, cur[j])
            }
            if rowMin > limit { return limit + 1 }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    /// How many OCR errors a label of this key length tolerates.
    static func tolerance(_ n: Int) -> Int { n >= 12 ? 2 : n >= 6 ? 1 : 0 }

    /// Whether the words' key is the label's key (exactly or within the OCR tolerance).
    public static func keyMatches(_ words: String, label: String) -> (Bool, exact: Bool) {
        if words == label { return (true, true) }
        let t = tolerance(label.count)
        if t == 0 { return (false, false) }
        return (editDistance(words, label, limit: t) <= t, false)
    }
}

/// A label found on a page: which words, who it belongs to, and whether it ended with a colon.
public struct LabelHit: Sendable {
    public var lineIndex: Int
    /// Word indices within the line, first...last.
    public var first: Int
    public var last: Int
    public var box: Box
    /// Field names, column names, `#footer` or `#stop`.
    public var owners: Set<String>
    public var keyLength: Int
    /// Label length less 4 per OCR slip: how much to trust this reading as this label.
    public var rank: Int
    public var exact: Bool
    public var colon: Bool
    /// Text after a colon inside the last word (`DOB:01/02/1950`), the start of an inline value.
    public var inlineValue: String?
}

public struct LabelIndex: Sendable {
    /// label key → owners
    var keys: [String: Set<String>] = [:]
    var maxWords = 1
    static let genericWords: Set<String> = ["name", "date", "code", "number", "no", "id", "#", "codes"]

    public init() {}

    /// Labels with digits (`M1`, `Mod 2`) by their look-alike folded key: OCR reads `M1` as `Ml`.
    var digitKeys: [String: Set<String>] = [:]

    /// A label key with the letters OCR confuses with digits folded to the digits.
    static func foldDigits(_ k: String) -> String {
        String(k.map { c -> Character in
            switch c { case "l", "i", "|": return "1"; case "o": return "0"; case "z": return "2"; case "s": return "5"; default: return c }
        })
    }

    public mutating func add(_ label: String, owner: String) {
        let k = PageGeometry.labelKey(label)
        guard !k.isEmpty else { return }
        keys[k, default: []].insert(owner)
        if k.contains(where: \.isNumber) { digitKeys[LabelIndex.foldDigits(k), default: []].insert(owner) }
        maxWords = max(maxWords, label.split(whereSeparator: { $0 == " " || $0 == "/" }).count + 1)
    }

    /// Every label occurrence on the lines, longest labels first, never two on one word; a label
    /// right after a colon-less label with no gap is taken as part of it (`Physician Name`).
    /// A form's box number before its label (`2.`, `24A.`, `33a.`, `D.`): part of the label, not a value.
    static func isBoxNumber(_ t: String) -> Bool {
        guard let last = t.last, last == "." || last == ",", t.count >= 2, t.count <= 4 else { return false }
        let body = Array(t.dropLast())
        if body.count == 1, let c = body.first, c.isASCII, c.isUppercase { return true }
        // OCR reads a box number's 1 as l, I or | (`la.` for `1a.`).
        let digits = body.prefix { $0.isASCII && $0.isNumber || "lI|".contains($0) }
        guard (1...2).contains(digits.count) else { return false }
        let rest = body.dropFirst(digits.count)
        return rest.isEmpty || (rest.count == 1 && rest.first!.isASCII && rest.first!.isLetter)
    }

    /// The label part of a word that begins with a box number (`3.DOB`, `26.PATIENT'S`).
    static func afterGluedBoxNumber(_ t: String) -> String? {
        guard let dot = t.firstIndex(where: { $0 == "." || $0 == "," }), dot != t.startIndex else { return nil }
        let head = String(t[...dot]), rest = String(t[t.index(after: dot)...])
        guard head.count >= 2, isBoxNumber(head), rest.count >= 2, rest.first!.isLetter else { return nil }
        return rest
    }

    /// A parenthesis that belongs to the label ending at word j: one opened in the label's own
    /// words and not closed (`Name (Last,` of `Name (Last, First, MI)`), or one right after it
    /// holding words (`(Last Name, First Name)`, `(MM DD YYYY)`), the label's format hint.
    /// Returns the index of the word that closes it and whether a colon follows.
    static func parenthesis(_ ws: [Word], _ i: Int, _ j: Int, height h: Double) -> (last: Int, colon: Bool)? {
        let text = ws[i...j].map(\.text).joined()
        let opened = text.filter { $0 == "(" }.count > text.filter { $0 == ")" }.count
        guard opened || (j + 1 < ws.count && ws[j + 1].text.hasPrefix("(")) else { return nil }
        var letters = opened
        for k in (j + 1)..<min(ws.count, j + 9) {
            if Double(ws[k].x0 - ws[k - 1].x1) > 1.6 * h { return nil }
            let t = ws[k].text
            letters = letters || t.contains { $0.isLetter }
            if let close = t.firstIndex(of: ")") {
                let after = t[t.index(after: close)...]
                guard letters, !after.contains(where: { $0.isLetter || $0.isNumber }) else { return nil }
                return (k, after.contains(":"))
            }
        }
        return nil
    }

    public func find(in lines: [TextLine]) -> [LabelHit] {
        var cands: [LabelHit] = []
        for (li, line) in lines.enumerated() {
            let ws = line.words
            let h = line.height
            for i0 in ws.indices {
                // A label is looked for from each word, and from after a box number (whose words
                // the hit then covers): `26. PATIENT'S ACCOUNT NO.` is the label `Patient's Account No.`;
                // a label that has the number in it (`33a. NPI`) is longer and wins.
                var starts: [(Int, String?)] = [(i0, nil)]
                if LabelIndex.isBoxNumber(ws[i0].text) && i0 + 1 < ws.count && Double(ws[i0 + 1].x0 - ws[i0].x1) < 1.6 * h {
                    starts.append((i0 + 1, nil))
                } else if let rest = LabelIndex.afterGluedBoxNumber(ws[i0].text) {
                    starts.append((i0, rest)) // `3.DOB`: the number and the label in one word
                }
                for (i, firstText) in starts {
                var key = ""
                for j in i..<min(ws.count, i + maxWords + 1) {
                    if j > i, Double(ws[j].x0 - ws[j - 1].x1) > 1.6 * h { break }
                    let text = j == i ? firstText ?? ws[j].text : ws[j].text
                    // A colon inside the word ends the label there; the rest is an inline value.
                    if let colon = text.firstIndex(of: ":"), text.index(after: colon) < text.endIndex {
                        let before = key + PageGeometry.labelKey(String(text[..<colon]))
                        let after = String(text[text.index(after: colon)...])
                        if let hit = match(before) {
                            cands.append(LabelHit(lineIndex: li, first: i0, last: j, box: box(ws, i0, j), owners: hit.0,
                                                  keyLength: before.count, rank: hit.2, exact: hit.1, colon: true, inlineValue: after))
                        }
                        break
                    }
                    key += PageGeometry.labelKey(text)
                    if key.isEmpty { continue }
                    if let hit = match(key) {
                        var colon = text.hasSuffix(":") || (j + 1 < ws.count && ws[j + 1].text == ":")
                        var last = j
                        if !colon, let p = LabelIndex.parenthesis(ws, i, j, height: h) { last = p.last; colon = p.colon }
                        cands.append(LabelHit(lineIndex: li, first: i0, last: last, box: box(ws, i0, last), owners: hit.0,
                                              keyLength: key.count, rank: hit.2, exact: hit.1, colon: colon, inlineValue: nil))
                    }
                    if text.hasSuffix(":") { break }
                }
                }
            }
        }
        // Longest, exact first; no overlaps.
        // Longest, exact first; of equals, the one that covers more (its box number, its parenthesis).
        cands.sort { ($0.rank, $0.exact ? 1 : 0, $0.keyLength, $0.last - $0.first) > ($1.rank, $1.exact ? 1 : 0, $1.keyLength, $1.last - $1.first) }
        var taken = Set<[Int]>()
        var out: [LabelHit] = []
        for c in cands {
            let ids = (c.first...c.last).map { [c.lineIndex, $0] }
            if ids.contains(where: taken.contains) { continue }
            ids.forEach { taken.insert($0) }
            out.append(c)
        }
        out.sort { ($0.lineIndex, $0.first) < ($1.lineIndex, $1.first) }
        // A colon-less label directly followed by a generic one-word label (`Physician Name`,
        // `Service Date`): the second word is part of the first label, not a label of its own.
        var merged: [LabelHit] = []
        for hit in out {
            if var prev = merged.last, prev.lineIndex == hit.lineIndex, prev.last + 1 == hit.first, !prev.colon,
               prev.inlineValue == nil, hit.first == hit.last,
               LabelIndex.genericWords.contains(PageGeometry.labelKey(lines[hit.lineIndex].words[hit.first].text)),
               Double(hit.box.x0 - prev.box.x1) < 0.8 * lines[hit.lineIndex].height,
               prev.owners.isDisjoint(with: hit.owners), !prev.owners.contains("#footer") {
                prev.last = hit.last; prev.box = prev.box.union(hit.box); prev.colon = hit.colon
                prev.inlineValue = hit.inlineValue
                merged[merged.count - 1] = prev
                continue
            }
            merged.append(hit)
        }
        return merged
    }

    /// Owners, exact?, rank (label length less 4 per slip) of the best label for these words.
    func match(_ key: String) -> (Set<String>, Bool, Int)? {
        if let o = keys[key] { return (o, true, key.count) }
        // `Ml` for `M1`: one look-alike away from a label with digits, where edit distance allows no slip.
        if key.contains(where: \.isNumber) || key.count <= 4, let o = digitKeys[LabelIndex.foldDigits(key)] { return (o, false, key.count - 1) }
        var best: (Set<String>, Int)? = nil
        for (k, o) in keys where abs(k.count - key.count) <= 2 {
            let t = PageGeometry.tolerance(k.count)
            guard t > 0 else { continue }
            let d = PageGeometry.editDistance(key, k, limit: t)
            if d <= t {
                let rank = k.count - 4 * d
                if best == nil || rank > best!.1 { best = (o, rank) }
            }
        }
        return best.map { ($0.0, false, $0.1) }
    }

    func box(_ ws: [Word], _ i: Int, _ j: Int) -> Box {
        ws[i...j].dropFirst().reduce(ws[i].box) { $0.union($1.box) }
    }
}
