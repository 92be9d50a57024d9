import Foundation

/// Normalisers and string similarity measures used by the matching rules.
/// Everything works on upper-cased ASCII-folded text so `Watson` and `WATSON` compare equal.
public enum MatchText {
    /// Upper-case, diacritics folded, punctuation removed (hyphens and slashes become spaces),
    /// whitespace folded to single spaces: `St. Mary's  Hospital` → `ST MARYS HOSPITAL`.
    public static func normalise(_ s: String) -> String {
        // Fast path for plain ASCII (nearly every value): bytes in, bytes out, no Foundation.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var ascii = true
        var pending = false
        for b in s.utf8 {
            if b >= 0x80 { ascii = false; break }
            switch b {
            case 0x30...0x39, 0x41...0x5A:
                if pending && !bytes.isEmpty { bytes.append(0x20) }
                pending = false; bytes.append(b)
            case 0x61...0x7A:
                if pending && !bytes.isEmpty { bytes.append(0x20) }
                pending = false; bytes.append(b - 0x20)
            case 0x20, 0x09, 0x0A, 0x0D, 0x2D, 0x2F, 0x5F, 0x2C, 0x3B:
                pending = true
            default: break
            }
        }
        if ascii { return String(decoding: bytes, as: UTF8.self) }
        let folded = s.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).uppercased()
        var out = ""
        out.reserveCapacity(folded.utf8.count)
        var pendingSpace = false
        for ch in folded.unicodeScalars {
            if CharacterSet.alphanumerics.contains(ch) {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(ch)
            } else if ch == " " || ch == "\t" || ch == "\n" || ch == "\r" || ch == "-" || ch == "/" || ch == "_" || ch == "," || ch == ";" {
                pendingSpace = true
            }
            // other punctuation (. ' " etc.) is dropped without splitting the word
        }
        return out
    }

    private static let nameSuffixes: Set<String> = ["JR", "SR", "II", "III", "IV", "MD", "DO", "NP", "PA"]

    /// A patient's name as a key that ignores order, case, punctuation, middle initials and
    /// generational suffixes: `WATSON, AMY`, `Amy Watson`, `Watson, Amy J.` all give `AMY WATSON`.
    /// The tokens (after dropping one-letter initials and suffixes) are sorted, so the
    /// `LAST, FIRST` and `First Last` forms meet; multi-word family names survive either form.
    public static func nameKey(_ s: String) -> String {
        // Apostrophes and periods join (O'Brien → OBRIEN); commas, hyphens and spaces split.
        let tokens = normalise(s).split(separator: " ").map(String.init)
        var kept = tokens.filter { $0.count > 1 && !nameSuffixes.contains($0) }
        if kept.isEmpty { kept = tokens }   // a name made only of initials keeps them
        return kept.sorted().joined(separator: " ")
    }

    /// Codes in a CPT cell: `99309, 99358` → [`99309`, `99358`]; upper-cased, order kept, duplicates kept.
    public static func codes(_ s: String) -> [String] {
        s.uppercased().split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " || $0 == "\t" || $0 == "\n" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Modifiers as a canonical set: `lt, 59` → `59,LT`.
    public static func modifiers(_ s: String) -> String {
        codes(s).sorted().joined(separator: ",")
    }

    /// Jaro-Winkler similarity in 0…1 (prefix scale 0.1, prefix up to 4, boost above 0.7).
    public static func jaroWinkler(_ a: String, _ b: String) -> Double {
        let s = Array(a.unicodeScalars), t = Array(b.unicodeScalars)
        if s.isEmpty && t.isEmpty { return 1 }
        if s.isEmpty || t.isEmpty { return 0 }
        let window = max(0, max(s.count, t.count) / 2 - 1)
        var sMatched = [Bool](repeating: false, count: s.count)
        var tMatched = [Bool](repeating: false, count: t.count)
        var matches = 0
        for i in 0..<s.count {
            let lo = max(0, i - window), hi = min(t.count - 1, i + window)
            if lo > hi { continue }
            for j in lo...hi where !tMatched[j] && s[i] == t[j] {
                sMatched[i] = true; tMatched[j] = true; matches += 1
                break
            }
        }
        if matches == 0 { return 0 }
        var transpositions = 0
        var k = 0
        for i in 0..<s.count where sMatched[i] {
            while !tMatched[k] { k += 1 }
            if s[i] != t[k] { transpositions += 1 }
            k += 1
        }
        let m = Double(matches)
        let jaro = (m / Double(s.count) + m / Double(t.count) + (m - Double(transpositions / 2)) / m) / 3
        guard jaro > 0.7 else { return jaro }
        var prefix = 0
        while prefix < min(4, s.count, t.count) && s[prefix] == t[prefix] { prefix += 1 }
        return jaro + Double(prefix) * 0.1 * (1 - jaro)
    }

    /// Levenshtein edit distance (insert, delete, substitute, each cost 1).
    public static func levenshtein(_ a: String, _ b: String) -> Int {
        let s = Array(a.unicodeScalars), t = Array(b.unicodeScalars)
        if s.isEmpty { return t.count }
        if t.isEmpty { return s.count }
        var prev = Array(0...t.count)
        var cur = [Int](repeating: 0, count: t.count + 1)
        for i in 1...s.count {
            cur[0] = i
            for j in 1...t.count {
                let cost = s[i - 1] == t[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            }
            swap(&prev, &cur)
        }
        return prev[t.count]
    }

    /// 1 − distance / length of the longer string, in 0…1 (two empty strings are identical).
    public static func levenshteinSimilarity(_ a: String, _ b: String) -> Double {
        let n = max(a.unicodeScalars.count, b.unicodeScalars.count)
        if n == 0 { return 1 }
        return 1 - Double(levenshtein(a, b)) / Double(n)
    }

    /// FNV-1a 64-bit: a hash that is the same in every process (Swift's Hasher is seeded per run).
    public static func stableHash(_ s: String) -> Int64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h ^= UInt64(b); h = h &* 0x100000001b3 }
        return Int64(bitPattern: h)
    }
}
