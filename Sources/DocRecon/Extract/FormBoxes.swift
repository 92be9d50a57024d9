import Foundation

/// The words of a registered page sorted into the boxes of its form: each word goes to the one
/// box its centre falls in (mapped back into the form's frame through the page's registration),
/// or, just outside every box, to the nearest within a small margin (typing that overruns its
/// box by a little, a registration a pixel or two off). A word belongs to one box only.
enum FormBoxes {
    /// Margin around a box, in points (1 pt ≈ 0.35 mm): horizontally, and vertically.
    static let marginX = 3.0, marginY = 3.5

    static func assign(_ words: [Word], form: FormLayout, mapping: FormMapping) -> [String: [Word]] {
        let toPoints = 72 / Double(mapping.frameDPI)
        let boxes = form.boxes.sorted { $0.key < $1.key }
        var out: [String: [Word]] = [:]
        for w in words.flatMap({ splitAcrossBoxes($0, boxes: boxes, mapping: mapping, toPoints: toPoints) }) {
            guard let (fx, fy) = mapping.toForm(w.box.midX, w.box.midY) else { continue }
            let x = fx * toPoints, y = fy * toPoints
            var best: (String, Double)?
            for (name, b) in boxes {
                guard x >= b.x0 - marginX, x <= b.x1 + marginX, y >= b.y0 - marginY, y <= b.y1 + marginY else { continue }
                // Inside beats near; among boxes holding the point, the one whose middle line is closest.
                let outside = max(b.x0 - x, 0, x - b.x1) + max(b.y0 - y, 0, y - b.y1)
                let score = outside * 100 + abs(y - (b.y0 + b.y1) / 2)
                if best == nil || score < best!.1 { best = (name, score) }
            }
            if let (name, _) = best { out[name, default: []].append(w) }
        }
        for k in out.keys { out[k]!.sort { $0.x0 < $1.x0 } }
        return withoutLabels(out, labels: FormLabels.of(form), mapping: mapping, toPoints: toPoints)
    }

    /// Each box's words without the form's printed labels: a word read where the blank prints
    /// the same word, and two neighbours the blank prints side by side anywhere (another box's
    /// label taken for this one's value).
    static func withoutLabels(_ boxes: [String: [Word]], labels: FormLabels, mapping: FormMapping, toPoints: Double) -> [String: [Word]] {
        guard !labels.words.isEmpty else { return boxes }
        var out: [String: [Word]] = [:]
        for (name, words) in boxes {
            var drop = Set<Int>()
            for (i, w) in words.enumerated() {
                guard let (ax, ay) = mapping.toForm(Double(w.x0), Double(w.y0)),
                      let (bx, by) = mapping.toForm(Double(w.x1), Double(w.y1)) else { continue }
                if labels.isPrinted(w.text, x0: ax * toPoints, y0: ay * toPoints, x1: bx * toPoints, y1: by * toPoints) { drop.insert(i) }
            }
            for i in words.indices.dropLast() {
                guard let a = FormLabels.key(words[i].text), let b = FormLabels.key(words[i + 1].text),
                      a.allSatisfy(\.isLetter), b.allSatisfy(\.isLetter), labels.pairs.contains(a + " " + b) else { continue }
                drop.insert(i); drop.insert(i + 1)
            }
            let kept = words.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
            if !kept.isEmpty { out[name] = kept }
        }
        return out
    }

    /// A word OCR read across several boxes of one row (`091426` over 24A's MM, DD and YY) cut
    /// into one word per box: each character goes to the box under its share of the word's
    /// width (typed digits and capitals are near enough to even widths). A word within one box,
    /// or only grazing its neighbours, is left whole.
    static func splitAcrossBoxes(_ w: Word, boxes: [(key: String, value: FormLayout.Box)], mapping: FormMapping,
                                 toPoints: Double) -> [Word] {
        let chars = Array(w.text)
        guard chars.count >= 2, let (lx, ly) = mapping.toForm(Double(w.x0), w.box.midY),
              let (rx, _) = mapping.toForm(Double(w.x1), w.box.midY) else { return [w] }
        let x0 = lx * toPoints, x1 = rx * toPoints, y = ly * toPoints
        guard x1 > x0 else { return [w] }
        // The boxes of this row the word covers a good part of.
        let row = boxes.filter { y >= $0.value.y0 - marginY && y <= $0.value.y1 + marginY }
            .filter { b in
                let ov = min(x1, b.value.x1) - max(x0, b.value.x0)
                return ov > 0.4 * (b.value.x1 - b.value.x0) || ov > 0.4 * (x1 - x0)
            }
            .sorted { $0.value.x0 < $1.value.x0 }
        guard row.count >= 2 else { return [w] }
        var pieces: [(String, Int)] = []  // (text, box index)
        for (i, c) in chars.enumerated() {
            let cx = x0 + (Double(i) + 0.5) * (x1 - x0) / Double(chars.count)
            let bi = row.indices.min { a, b in
                func d(_ k: Int) -> Double { let bx = row[k].value; return cx < bx.x0 ? bx.x0 - cx : (cx > bx.x1 ? cx - bx.x1 : 0) }
                return d(a) < d(b)
            }!
            if let last = pieces.last, last.1 == bi { pieces[pieces.count - 1].0.append(c) } else { pieces.append((String(c), bi)) }
        }
        guard pieces.count >= 2 else { return [w] }
        let pxPerChar = Double(w.x1 - w.x0) / Double(chars.count)
        var out: [Word] = []
        var start = 0
        for (text, _) in pieces {
            var p = w
            p.text = text
            p.x0 = w.x0 + Int((Double(start) * pxPerChar).rounded())
            p.x1 = w.x0 + Int((Double(start + text.count) * pxPerChar).rounded())
            start += text.count
            out.append(p)
        }
        return out
    }

    /// A form box as a page box (for boxes drawn in the report and cells for the second look).
    static func pageBox(_ b: FormLayout.Box, mapping: FormMapping) -> Box {
        let s = Double(mapping.frameDPI) / 72
        return mapping.pageBox(b.x0 * s, b.y0 * s, b.x1 * s, b.y1 * s)
    }
}

extension FormBoxes {
    /// The words a value is read from when it is typed in several boxes, one box after the
    /// other: a date's MM, DD and YY boxes hold digits only (look-alikes read as digits, rulings
    /// and specks dropped) and become one `MM DD YY` word; each of box 21's boxes holds one
    /// diagnosis code, joined without spaces (a dot lost in the scan splits a code in two). Other
    /// types read the boxes' words as they are.
    static func compose(_ perBox: [[Word]], type: FieldType) -> [Word] {
        let filled = perBox.filter { !$0.isEmpty }
        guard !filled.isEmpty else { return [] }
        func merged(_ ws: [Word], _ text: String) -> Word {
            var w = ws[0]
            w.text = text
            let b = ws.dropFirst().reduce(ws[0].box) { $0.union($1.box) }
            w.x0 = b.x0; w.y0 = b.y0; w.x1 = b.x1; w.y1 = b.y1
            w.confidence = ws.map(\.confidence).min() ?? w.confidence
            return w
        }
        switch type {
        case .date where perBox.count >= 2:
            let parts = filled.map { ws in String(ws.map(\.text).joined().compactMap(digitLike)) }.filter { !$0.isEmpty }
            guard !parts.isEmpty else { return [] }
            return [merged(filled.flatMap { $0 }, parts.joined(separator: " "))]
        case .icd10List:
            return filled.map { ws in
                let text = ws.map(\.text).joined().filter { $0.isLetter || $0.isNumber || $0 == "." }
                return merged(ws, text)
            }.filter { !$0.text.isEmpty }
        default:
            return filled.flatMap { $0 }
        }
    }

    /// A character of a digits-only box as the digit it stands for (nil: not a digit at all).
    static func digitLike(_ c: Character) -> Character? {
        if c.isASCIIDigit { return c }
        switch c {
        case "O", "o", "D", "Q": return "0"
        case "I", "l", "|", "i", "!": return "1"
        case "S", "s": return "5"
        case "B": return "8"
        case "Z", "z": return "2"
        case "G", "b": return "6"
        default: return nil
        }
    }
}
