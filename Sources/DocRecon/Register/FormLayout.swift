import Foundation

/// A printed form as a template describes it (`form:` in Rules/templates/*.yaml): its blank
/// (a PDF page, the reference for registration and for taking its ink out of the data), its
/// size, the boxes measured on that blank (points, origin top-left, as `docrecon-dev
/// measure-form` prints them), and how its ink is told from the data.
public struct FormLayout: Sendable, Equatable {
    public struct Box: Sendable, Equatable {
        public var x0: Double, y0: Double, x1: Double, y1: Double
        public init(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) { self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1 }
        /// In form-frame pixels at `dpi`.
        public func pixels(dpi: Int) -> (Double, Double, Double, Double) {
            let s = Double(dpi) / 72
            return (x0 * s, y0 * s, x1 * s, y1 * s)
        }
    }

    /// How the form's ink differs from what is typed on it. The 1500 is printed in red
    /// "drop-out" ink: a pixel whose red exceeds its green and blue by `minRedness` and whose
    /// channels spread by `minChroma` is form, whatever its darkness.
    public struct DropOut: Sendable, Equatable {
        public var minRedness: Int = 20
        public var minChroma: Int = 35
        public init() {}
    }

    public var reference: String
    public var page: Int = 1
    public var width: Double = 612
    public var height: Double = 792
    public var boxes: [String: Box] = [:]
    /// The characters each box may hold, from the types of the template's fields that read it
    /// (a box no field reads has none: anything).
    public var charsets: [String: String] = [:]
    public var dropOut = DropOut()

    public init(reference: String) { self.reference = reference }
}

/// The words printed on a blank form (its labels: `2. PATIENT'S NAME (Last Name, First Name)`,
/// `24A. DATE(S) OF SERVICE`), from the reference PDF's own text layer, or, when its labels are
/// outlines (the NUCC 1500 is), from `NAME.labels.tsv` beside it, in form points. A word
/// read where the form prints the same word, or two read in a row that the form prints in a
/// row, is the form's ink, never a value (issue 13: labels were taken as dates and names).
public struct FormLabels: Sendable {
    public struct Word: Sendable, Equatable {
        public var text: String
        public var x0: Double, y0: Double, x1: Double, y1: Double
    }
    public let words: [Word]
    /// Consecutive label words of one printed line, as "A B".
    public let pairs: Set<String>

    /// Upper case, letters and digits only; nil for what is no label word (box numbers,
    /// single letters, punctuation).
    public static func key(_ s: String) -> String? {
        let k = String(s.uppercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
        guard k.count >= 2, k.contains(where: \.isLetter) else { return nil }
        return k
    }

    public init(words: [Word]) {
        self.words = words
        var pairs = Set<String>()
        for (a, b) in zip(words, words.dropFirst()) where abs((a.y0 + a.y1) - (b.y0 + b.y1)) < 3 && b.x0 > a.x0 {
            pairs.insert(a.text + " " + b.text)
        }
        self.pairs = pairs
    }

    /// The labels of `layout`'s blank, read once per process (empty when it has no text layer).
    public static func of(_ layout: FormLayout) -> FormLabels {
        cacheLock.lock(); defer { cacheLock.unlock() }
        let key = layout.reference + "#\(layout.page)"
        if let l = cache[key] { return l }
        var words: [Word] = []
        if let doc = try? PDFDocument(path: layout.reference), let layer = try? doc.textLayerWords(layout.page, dpi: 72),
           PageReader.isRealTextLayer(layer) {
            for w in layer {
                guard let k = FormLabels.key(w.text) else { continue }
                words.append(Word(text: k, x0: Double(w.box.x0), y0: Double(w.box.y0), x1: Double(w.box.x1), y1: Double(w.box.y1)))
            }
        } else if let tsv = try? String(contentsOfFile: (layout.reference as NSString).deletingPathExtension + ".labels.tsv", encoding: .utf8) {
            // A blank whose labels are outlines: its words as read once from its pixels, beside it.
            for line in tsv.split(separator: "\n") where !line.hasPrefix("#") {
                let f = line.split(separator: "\t")
                guard f.count == 5, let k = FormLabels.key(String(f[0])),
                      let x0 = Double(f[1]), let y0 = Double(f[2]), let x1 = Double(f[3]), let y1 = Double(f[4]) else { continue }
                words.append(Word(text: k, x0: x0, y0: y0, x1: x1, y1: y1))
            }
        }
        let l = FormLabels(words: words)
        cache[key] = l
        return l
    }

    nonisolated(unsafe) private static var cache: [String: FormLabels] = [:]
    private static let cacheLock = NSLock()

    /// Whether a word read at form points (x0…x1, y0…y1) is the label printed there.
    public func isPrinted(_ text: String, x0: Double, y0: Double, x1: Double, y1: Double) -> Bool {
        guard let k = FormLabels.key(text) else { return false }
        let cx = (x0 + x1) / 2, cy = (y0 + y1) / 2
        return words.contains { $0.text == k && cx >= $0.x0 - 3 && cx <= $0.x1 + 3 && cy >= $0.y0 - 3 && cy <= $0.y1 + 3 }
    }
}
