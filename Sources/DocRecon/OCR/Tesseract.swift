import CTesseract
import Foundation

/// A recognised word as Tesseract returns it: text, box in image pixels, confidence 0…100.
public struct RecognizedWord: Sendable, Equatable {
    public var text: String
    public var box: Box
    public var confidence: Double
    public var block: Int
    public var line: Int
    public var word: Int
}

public enum TesseractError: Error, CustomStringConvertible {
    case modelMissing(language: String, searched: [String])
    case initFailed(String)
    public var description: String {
        switch self {
        case .modelMissing(let lang, let searched):
            return "no Tesseract model \(lang).traineddata in \(searched.joined(separator: ", ")); run `make deps` or pass --tessdata DIR"
        case .initFailed(let s): return "Tesseract could not start: \(s)"
        }
    }
}

/// The one owner of a `TessBaseAPI` handle. Not thread-safe: one per worker thread, created once
/// and reused for every page that worker reads.
public final class Tesseract {
    private let handle: OpaquePointer
    public let language: String
    /// When set, recognition stops at this time (Tesseract's own monitor deadline, checked between
    /// words) and `deadlineHit` says so; the page reader turns that into a page deadline error.
    public var deadline: DispatchTime? { didSet { deadlineHit = false } }
    public private(set) var deadlineHit = false

    public init(dataPath: String, language: String = "eng") throws {
        guard let h = TessBaseAPICreate() else { throw TesseractError.initFailed("no handle") }
        handle = h
        self.language = language
        // The osd model has only the legacy engine; eng (Debian's fast model) only LSTM.
        let oem = language == "osd" ? OEM_TESSERACT_ONLY : OEM_LSTM_ONLY
        guard TessBaseAPIInit2(h, dataPath, language, oem) == 0 else {
            TessBaseAPIDelete(h)
            throw TesseractError.initFailed("cannot load \(language) from \(dataPath)")
        }
        // The C API defaults to a single block; charge sheets are forms: let Tesseract find the layout.
        TessBaseAPISetPageSegMode(h, PSM_AUTO)
        _ = TessBaseAPISetVariable(h, "debug_file", "/dev/null")
        // The legacy fixed-pitch (typewriter) test only shapes the word boxes the LSTM engine
        // re-reads line by line anyway: 2.4% of a page's CPU, the same fields on every sample.
        // (A process-wide Tesseract setting; orientation detection does not use it.)
        _ = TessBaseAPISetVariable(h, "textord_disable_pitch_test", "1")
    }

    /// A boolean setting as the handle has it (nil when Tesseract has no such setting).
    public func boolVariable(_ name: String) -> Bool? {
        var v: Int32 = 0
        return TessBaseAPIGetBoolVariable(handle, name, &v) != 0 ? v != 0 : nil
    }

    deinit {
        TessBaseAPIEnd(handle)
        TessBaseAPIDelete(handle)
    }

    public func setVariable(_ name: String, _ value: String) {
        _ = TessBaseAPISetVariable(handle, name, value)
    }

    public func setPageSegMode(_ mode: TessPageSegMode) { TessBaseAPISetPageSegMode(handle, mode) }

    /// Recognises `pix` and returns every word with its box and confidence.
    public func words(in pix: Pix, dpi: Int) -> [RecognizedWord] {
        TessBaseAPISetImage2(handle, pix.raw)
        TessBaseAPISetSourceResolution(handle, Int32(dpi))
        defer { TessBaseAPIClear(handle) }
        return recognisedWords()
    }

    /// Reads `pix` as one line of text (a strip of a form), every word with its box.
    public func lineWords(in pix: Pix, dpi: Int, whitelist: String? = nil) -> [RecognizedWord] {
        singleLine(pix, dpi: dpi, whitelist: whitelist, choices: false) { recognisedWords() }
    }

    private func recognisedWords() -> [RecognizedWord] {
        guard recognise(), let it = TessBaseAPIGetIterator(handle) else { return [] }
        defer { TessResultIteratorDelete(it) }
        let pageIt = TessResultIteratorGetPageIterator(it)
        var out: [RecognizedWord] = []
        var block = 0, line = 0, word = 0
        var first = true
        repeat {
            if !first {
                if TessPageIteratorIsAtBeginningOf(pageIt, RIL_BLOCK) != 0 { block += 1; line += 1; word = 0 }
                else if TessPageIteratorIsAtBeginningOf(pageIt, RIL_TEXTLINE) != 0 { line += 1; word = 0 }
                else { word += 1 }
            }
            first = false
            guard let cText = TessResultIteratorGetUTF8Text(it, RIL_WORD) else { continue }
            let text = String(cString: cText)
            TessDeleteText(cText)
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            var l: Int32 = 0, t: Int32 = 0, r: Int32 = 0, b: Int32 = 0
            _ = TessPageIteratorBoundingBox(pageIt, RIL_WORD, &l, &t, &r, &b)
            let conf = Double(TessResultIteratorConfidence(it, RIL_WORD))
            out.append(RecognizedWord(text: trimmed, box: Box(Int(l), Int(t), Int(r), Int(b)),
                                      confidence: conf, block: block, line: line, word: word))
        } while TessResultIteratorNext(it, RIL_WORD) != 0
        return out
    }

    /// Runs recognition, under the deadline when one is set (false: nothing was recognised).
    private func recognise() -> Bool {
        guard let deadline else { return TessBaseAPIRecognize(handle, nil) == 0 }
        let now = DispatchTime.now().uptimeNanoseconds
        guard deadline.uptimeNanoseconds > now else { deadlineHit = true; return false }
        guard let monitor = TessMonitorCreate() else { return TessBaseAPIRecognize(handle, nil) == 0 }
        defer { TessMonitorDelete(monitor) }
        TessMonitorSetDeadlineMSecs(monitor, Int32(clamping: (deadline.uptimeNanoseconds - now) / 1_000_000))
        let ok = TessBaseAPIRecognize(handle, monitor) == 0
        if DispatchTime.now() >= deadline { deadlineHit = true }
        return ok && !deadlineHit
    }

    /// Reads one line of text from a small image (a field's crop), optionally restricted to
    /// `whitelist` characters. Returns the text and its mean confidence (0…100).
    public func readLine(_ pix: Pix, dpi: Int, whitelist: String?) -> (String, Double) {
        singleLine(pix, dpi: dpi, whitelist: whitelist, choices: false) { (lineText(), Double(TessBaseAPIMeanTextConf(handle))) }
    }

    /// Sets the handle up to read `pix` as one line (with `whitelist`, and the LSTM's symbol
    /// alternatives when `choices`), runs `body`, and puts the handle back as the page reader wants it.
    private func singleLine<T>(_ pix: Pix, dpi: Int, whitelist: String?, choices: Bool, _ body: () -> T) -> T {
        TessBaseAPISetPageSegMode(handle, PSM_SINGLE_LINE)
        _ = TessBaseAPISetVariable(handle, "tessedit_char_whitelist", whitelist ?? "")
        if choices { _ = TessBaseAPISetVariable(handle, "lstm_choice_mode", "2") }
        defer {
            _ = TessBaseAPISetVariable(handle, "tessedit_char_whitelist", "")
            if choices { _ = TessBaseAPISetVariable(handle, "lstm_choice_mode", "0") }
            TessBaseAPISetPageSegMode(handle, PSM_AUTO)
        }
        TessBaseAPISetImage2(handle, pix.raw)
        TessBaseAPISetSourceResolution(handle, Int32(dpi))
        defer { TessBaseAPIClear(handle) }
        return body()
    }

    /// The recognised text, trimmed ("" when there is none).
    private func lineText() -> String {
        guard let c = TessBaseAPIGetUTF8Text(handle) else { return "" }
        defer { TessDeleteText(c) }
        return String(cString: c).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Reads one line like `readLine` (its text and mean confidence), and symbol by symbol: each symbol's box and the LSTM's
    /// alternatives for it (best first, confidence 0…100), and whether it starts a word. A caller
    /// can then choose, position by position, the best alternative a value's format allows.
    public func readLineSymbols(_ pix: Pix, dpi: Int, whitelist: String?) -> (text: String, confidence: Double, symbols: [SymbolChoices]) {
        singleLine(pix, dpi: dpi, whitelist: whitelist, choices: true) { symbolsOfLine() }
    }

    private func symbolsOfLine() -> (text: String, confidence: Double, symbols: [SymbolChoices]) {
        guard recognise(), let it = TessBaseAPIGetIterator(handle) else { return ("", 0, []) }
        let line = lineText()
        let mean = Double(TessBaseAPIMeanTextConf(handle))
        defer { TessResultIteratorDelete(it) }
        let pageIt = TessResultIteratorGetPageIterator(it)
        var out: [SymbolChoices] = []
        repeat {
            guard let c = TessResultIteratorGetUTF8Text(it, RIL_SYMBOL) else { continue }
            let text = String(cString: c)
            TessDeleteText(c)
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
            var l: Int32 = 0, t: Int32 = 0, r: Int32 = 0, b: Int32 = 0
            _ = TessPageIteratorBoundingBox(pageIt, RIL_SYMBOL, &l, &t, &r, &b)
            var choices = [(text, Double(TessResultIteratorConfidence(it, RIL_SYMBOL)))]
            if let ci = TessResultIteratorGetChoiceIterator(it) {
                repeat {
                    guard let ct = TessChoiceIteratorGetUTF8Text(ci) else { continue }
                    let alt = String(cString: ct)
                    if !alt.isEmpty, !choices.contains(where: { $0.0 == alt }) {
                        choices.append((alt, Double(TessChoiceIteratorConfidence(ci))))
                    }
                } while TessChoiceIteratorNext(ci) != 0
                TessChoiceIteratorDelete(ci)
            }
            let startsWord = out.isEmpty || TessPageIteratorIsAtBeginningOf(pageIt, RIL_WORD) != 0
            out.append(SymbolChoices(box: Box(Int(l), Int(t), Int(r), Int(b)), choices: choices, startsWord: startsWord))
        } while TessResultIteratorNext(it, RIL_SYMBOL) != 0
        return (line, mean, out)
    }

    /// Orientation and script detection (needs a handle created with language "osd").
    /// Returns the clockwise rotation that makes the page upright, and the confidence.
    public func detectOrientation(_ pix: Pix, dpi: Int) -> (degrees: Int, confidence: Double)? {
        TessBaseAPISetPageSegMode(handle, PSM_OSD_ONLY)
        TessBaseAPISetImage2(handle, pix.raw)
        TessBaseAPISetSourceResolution(handle, Int32(dpi))
        defer { TessBaseAPIClear(handle) }
        var deg: Int32 = 0
        var conf: Float = 0
        var script: UnsafePointer<CChar>? = nil
        var scriptConf: Float = 0
        // capi.h says to free the script name, but Tesseract 5 points it into the model's own
        // unicharset: freeing it corrupts the heap. Leave it alone.
        guard TessBaseAPIDetectOrientationScript(handle, &deg, &conf, &script, &scriptConf) != 0 else { return nil }
        return (Int(deg), Double(conf))
    }
}

/// Where the Tesseract models are: `--tessdata DIR`, then `$TESSDATA_PREFIX`, then the
/// checkout's `tessdata/`, then the system directory.
public enum TessdataLocator {
    public static let systemDirectories = ["/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata", "/usr/share/tessdata"]

    public static func candidates(explicit: String?) -> [String] {
        var c: [String] = []
        if let e = explicit { c.append(e) }
        if let env = ProcessInfo.processInfo.environment["TESSDATA_PREFIX"], !env.isEmpty { c.append(env) }
        if let repo = ProjectPaths.folder("tessdata") { c.append(repo) }
        c += systemDirectories
        return c
    }

    /// The first folder holding `<language>.traineddata` for every language asked for.
    public static func locate(explicit: String?, languages: [String] = ["eng", "osd"]) throws -> String {
        let cands = candidates(explicit: explicit)
        // An explicit --tessdata must itself hold the models: never fall through silently.
        let searched = explicit != nil ? [explicit!] : cands
        for dir in searched {
            if languages.allSatisfy({ FileManager.default.fileExists(atPath: "\(dir)/\($0).traineddata") }) { return dir }
        }
        let missing = languages.first { lang in
            !searched.contains { FileManager.default.fileExists(atPath: "\($0)/\(lang).traineddata") }
        } ?? languages[0]
        throw TesseractError.modelMissing(language: missing, searched: searched)
    }
}

/// One symbol of a line read with alternatives: where it is, what it may be (best first,
/// confidence 0…100), and whether a new word starts with it.
public struct SymbolChoices: Sendable, Equatable {
    public var box: Box
    public var choices: [Choice]
    public var startsWord: Bool
    public struct Choice: Sendable, Equatable {
        public var text: String
        public var confidence: Double
        public init(_ text: String, _ confidence: Double) { self.text = text; self.confidence = confidence }
    }
    public init(box: Box, choices: [(String, Double)], startsWord: Bool) {
        self.box = box; self.choices = choices.map { Choice($0.0, $0.1) }; self.startsWord = startsWord
    }
    public var best: Choice { choices[0] }
}
