import Foundation
import Testing
@testable import DocRecon

/// Symbols from a compact notation: `G98/C0/60` is a symbol read `G` at 98 with alternatives
/// `C` at 0 and `6` at 0; a leading `_` starts a new word; a trailing `!` puts the symbol at the
/// crop's right edge.
func symbols(_ spec: String) -> [SymbolChoices] {
    var out: [SymbolChoices] = []
    for (i, token) in spec.split(separator: " ").enumerated() {
        var t = String(token)
        let newWord = t.hasPrefix("_"); if newWord { t.removeFirst() }
        let atEdge = t.hasSuffix("!"); if atEdge { t.removeLast() }
        let choices = t.split(separator: "/").map { c -> (String, Double) in
            (String(c.prefix(1)), Double(c.dropFirst()) ?? 0)
        }
        let x = atEdge ? 190 : 20 + 30 * i
        out.append(SymbolChoices(box: Box(x, 10, x + 10, 40), choices: choices, startsWord: newWord || i == 0))
    }
    return out
}

@Suite struct ConstrainedReadingTests {
    static let frame = Box(0, 0, 200, 50)

    @Test(arguments: [
        // (symbols, the code the formats decide, or nil)
        ("G98/C0/60 092/Q57/O50 499/60 399/20 899/S0", Optional("G0438")),        // 6 at 0 behind G: HCPCS
        ("698/G10 092/Q57 499 399 899", "60438"),                                  // G far behind 6: CPT
        ("397/554/J48 399 499 299 099", "33420"),                                  // J at 48, 3 at 97: margin 49
        ("370/J60 399 499 299 099", nil),                                          // 3 at 70, J at 60: undecided
        ("G98/C0/60 092/Q57/O50 499/60 399/20 899/S0 F33!", "G0438"),              // a cut glyph at the edge
        ("G98/C0/60 092/Q57/O50 499/60 399/20 899/S0 F93", nil),                   // a sure sixth symbol inside
        ("994 993 991 995 T80/F70", "9999T"),                                      // Category III
        ("998 992 113", nil),                                                      // too short for any code
    ])
    func procedureCodesDecidedByTheirFormat(spec: String, expected: String?) {
        let d = ConstrainedReading.decide(symbols(spec), formats: ConstrainedReading.codeFormats, crop: Self.frame)
        #expect(d?.text == expected)
    }

    @Test(arguments: [
        ("397/554/J48 399 499 299 099", ["J3420"]),          // the J is seen: a rival
        ("399/J28/10 399 499 299 099", [String]()),          // J at 28: too faint to count
        ("G98/C0/60 092 499 399 899", [String]()),
    ])
    func rivalCodesSeenBehindTheBestReading(spec: String, expected: [String]) {
        #expect(ConstrainedReading.rivals(symbols(spec), formats: ConstrainedReading.codeFormats, crop: Self.frame) == expected)
    }

    @Test(arguments: [
        // (symbols of a diagnosis list, the list's reading under the ICD-10 format, or nil when nothing changes)
        ("K98 298 199 999 _N98 198 899 399 099 _399/J63 999 698 099 199", Optional("K219 N1830 J96.01")),
        ("A99 _189/L85/.59 899 999 .98 199 599 299", "A L89.152"),
        ("K98 298 .95 199", nil),                                     // already a code
        ("394/119/J3 999 699 .99 099 199", nil),                      // J at 3: the format decides nothing
        ("E98 .98 F97", nil),                                         // list letters, no code
    ])
    func diagnosisListsReadUnderTheICD10Format(spec: String, expected: String?) {
        #expect(ConstrainedReading.icd10List(symbols(spec), crop: Self.frame)?.text == expected)
    }
}

@Suite struct ReadingVoteTests {
    typealias P = ReadingVote.Parsed
    static func s(_ v: String) -> FieldValue { .string(v) }

    @Test(arguments: [
        // (readings, the index chosen or nil)
        // Two independent readings agree and pass.
        ([P(value: s("1"), confidence: 0.90, method: "2x-thick", passes: true), P(value: s("1"), confidence: 0.96, method: "print", passes: true)], Optional(1)),
        // They agree, only one passes (the other read with low confidence): taken.
        ([P(value: s("I48.91"), confidence: 0.38, method: "crop", passes: false), P(value: s("I48.91"), confidence: 0.70, method: "crop-choices", passes: true),
          P(value: s("I48.91"), confidence: 0.0, method: "2x-thick", passes: false)], 1),
        // A reading and its own constrained reading are one source: not agreement; not sure either.
        ([P(value: s("81002"), confidence: 0.60, method: "crop", passes: true), P(value: s("81002"), confidence: 0.70, method: "crop-choices", passes: true)], nil),
        // One value alone passes surely; the other readings fail.
        ([P(value: s("4"), confidence: 0.45, method: "crop", passes: false), P(value: s("1"), confidence: 0.96, method: "print", passes: true)], 1),
        // One alone passes, not surely.
        ([P(value: s("4"), confidence: 0.45, method: "crop", passes: false), P(value: s("1"), confidence: 0.70, method: "print", passes: true)], nil),
        // Two sure values that differ: nothing decided.
        ([P(value: s("4"), confidence: 0.92, method: "crop", passes: true), P(value: s("1"), confidence: 0.96, method: "print", passes: true)], nil),
        // Agreement against a rival passing more surely: nothing decided.
        ([P(value: s("I89.152"), confidence: 0.60, method: "crop", passes: true), P(value: s("I89.152"), confidence: 0.30, method: "2x-thick", passes: false),
          P(value: s("L89.152"), confidence: 0.85, method: "crop-choices", passes: true)], nil),
        // Two agreements on different values: nothing decided.
        ([P(value: s("1"), confidence: 0.90, method: "crop", passes: true), P(value: s("1"), confidence: 0.90, method: "2x-thick", passes: true),
          P(value: s("7"), confidence: 0.90, method: "print", passes: true), P(value: s("7"), confidence: 0.90, method: "other", passes: true)], nil),
        // A list missing an item of the agreed list is no rival.
        ([P(value: .list(["K21.9", "N18.30"]), confidence: 0.75, method: "crop", passes: true),
          P(value: .list(["K21.9", "N18.30", "J96.01"]), confidence: 0.63, method: "crop-choices", passes: true),
          P(value: .list(["K21.9", "N18.30", "J96.01"]), confidence: 0.61, method: "2x-thick", passes: true)], 1),
        // Nothing passes.
        ([P(value: s("60438"), confidence: 0.37, method: "crop", passes: false)], nil),
    ] as [([P], Int?)])
    func readingsOfOneCropDecideOrNot(readings: [P], expected: Int?) {
        #expect(ReadingVote.choose(readings) == expected)
    }
}

/// The second look's readings of committed crops of degraded 200-dpi scans (rendered at 300 dpi).
@Suite struct SecondLookCropTests {
    static let tessdata = try! TessdataLocator.locate(explicit: nil)

    static func readings(_ file: String, _ type: FieldType) throws -> [CropReading] {
        let pix = try #require(Pix.read(path: TestSupport.fixture("extract/\(file)").path)?.gray8())
        let ocr = try Tesseract(dataPath: tessdata)
        return OCRRereader.readings(of: pix, dpi: 300, type: type, ocr: ocr)
    }

    @Test func aLoneUnitBesideASpeckReadsRightOnlyAsThePrintAlone() throws {
        let rs = try Self.readings("units-1-beside-a-speck.png", .integer)
        // As it is (and upscaled) the `1` reads `4`; without the speck and the background, `1`.
        #expect(rs.first { $0.method == "crop" }?.text == "4")
        let print = try #require(rs.first { $0.method == "print" })
        #expect(print.text == "1")
        #expect(print.confidence >= 0.85)
    }

    @Test func aPointerCellWithARulingAndSpecksReadsAsThePrintAlone() throws {
        let rs = try Self.readings("pointer-AB-ruling-specks.png", .pointer)
        #expect(rs.first { $0.method == "crop" }?.text != "AB")
        #expect(rs.first { $0.method == "print" }?.text == "AB")
    }

    @Test func aHCPCSCodeCellIsDecidedByTheCodeFormats() throws {
        let rs = try Self.readings("code-G0438-cell.png", .code)
        // The cell's plain reading carries a cut glyph of the next column; the formats read the code.
        #expect(rs.first { $0.method == "crop" }?.text != "G0438")
        #expect(rs.contains { $0.method == "crop-choices" && $0.text == "G0438" })
        #expect(!rs.contains { $0.text == "60438" })
    }
}

/// The extractor takes what the readings decide, and no more.
@Suite struct SecondLookVoteTests {
    /// Reads the units cell of the first line (y 660) in several ways.
    struct UnitsRereader: FieldRereader {
        let readings: [CropReading]
        func reread(documentId: Int64, page: Int, box: Box, type: FieldType) -> (text: String, confidence: Double)? {
            readings.first.map { ($0.text, $0.confidence) }
        }
        func readings(documentId: Int64, page: Int, box: Box, type: FieldType) -> [CropReading] {
            type == .integer && box.y0 <= 670 && box.y1 >= 660 ? readings : []
        }
    }

    @Test(arguments: [
        // (readings of the cell, the units then, their status)
        ([CropReading(text: "4", confidence: 0.45, method: "crop"), CropReading(text: "4", confidence: 0.43, method: "2x-thick"),
          CropReading(text: "1", confidence: 0.96, method: "print")], 1, ParseOutcome.Status.ok),
        ([CropReading(text: "4", confidence: 0.45, method: "crop"), CropReading(text: "1", confidence: 0.70, method: "print")], 4, .needsReview),
        ([CropReading(text: "4", confidence: 0.91, method: "crop"), CropReading(text: "1", confidence: 0.96, method: "print")], 4, .needsReview),
        ([CropReading(text: "1", confidence: 0.60, method: "crop"), CropReading(text: "1", confidence: 0.90, method: "print")], 1, .ok),
    ] as [([CropReading], Int, ParseOutcome.Status)])
    func unitsReadLowFromThePageFollowTheReadingsOfTheirCrop(readings: [CropReading], units: Int, status: ParseOutcome.Status) throws {
        var p = ExtractLayoutTests.superbill()
        p.words.removeAll { $0.text == "1" && $0.box.y0 == 660 }
        p.put("4", 1320, 660, confidence: 0.39)
        let ex = Extractor(templates: try ExtractFixtures.templates(), rereader: UnitsRereader(readings: readings), today: ExtractFixtures.today)
        let r = ex.extract(documentId: 1, pages: [p.page]).records[0]
        #expect(r.cell(0, "units")?.value == .int(units))
        #expect(r.cell(0, "units")?.status == status)
    }
}

@Suite struct NameFormTests {
    @Test(arguments: [
        // (name as read, value, status)
        ("ABERNATHY,FATIMA", "ABERNATHY, FATIMA", ParseOutcome.Status.ok),    // the canonical comma and space
        ("RIVERA, ANA", "RIVERA, ANA", .ok),
        ("O'BRIEN-SMITH, ANA M.", "O'BRIEN-SMITH, ANA M.", .ok),
        ("WEBER, FATIMA)", "WEBER, FATIMA)", .needsReview),                     // a bracket: a misread letter
        ("KEMP, 1RENE", "KEMP, 1RENE", .needsReview),                           // a digit in a name
        ("Dr. Lee Park", "Dr. Lee Park", .ok),
    ])
    func aNameHoldsLettersAndNamePunctuationOnly(read: String, value: String, status: ParseOutcome.Status) throws {
        let v = try #require(ExtractFixtures.readAlone(read, confidence: 0.9, name: "patient_name", type: .name))
        #expect(v.value == .string(value))
        #expect(v.status == status)
    }
}

@Suite struct LineTableGapTests {
    /// A superbill whose third row sits 90 px below the second (a lower-resolution scan spaces
    /// rows wider), with a speck read as a line of its own in the header.
    static func page(speck: Bool) -> PageWords {
        var p = ExtractLayoutTests.superbill()
        for i in p.words.indices where p.words[i].box.y0 == 780 {
            p.words[i].y0 = 840; p.words[i].y1 = 870; p.words[i].line = 840
        }
        if speck {
            p.words.append(Word(pageId: 1, text: "'", box: Box(1490, 596, 1495, 601), confidence: 0.2, block: 1, line: 596, wordIndex: p.words.count))
        }
        return p.page
    }

    @Test(arguments: [false, true])
    func aSpeckInTheHeaderDoesNotShrinkTheGapThatEndsTheTable(speck: Bool) throws {
        let ex = Extractor(templates: try ExtractFixtures.templates(), today: ExtractFixtures.today)
        let r = try #require(ex.extract(documentId: 1, pages: [Self.page(speck: speck)]).records.first)
        #expect(r.lines.count == 3)
        #expect(r.cell(2, "code")?.value == .string("G0439"))
    }
}

@Suite struct ListSlotTests {
    @Test(arguments: [
        // (list words as read, an empty slot between items?)
        ("1. R26.81 2. 3. L89.152", true),        // item 2 lost
        ("1 R26.81 2 3 L89.152", true),           // markers cleaned of their dots
        ("A. K21.9 B. N18.30 C. J96.01 D. E. F.", false), // empty slots after the items: a form's blanks
        ("1. R26.81 2. I10 3. L89.152", false),
        ("A B K21.9", true),
        ("R26.81 I10", false),
    ])
    func anEmptySlotBetweenItemsIsALostItem(text: String, lost: Bool) {
        #expect(ValueReader.emptySlotBetweenItems(text.split(separator: " ").map(String.init)) == lost)
    }

    @Test func aListWithAnEmptySlotBetweenItemsGoesToReview() throws {
        let v = try #require(ExtractFixtures.readAlone("1. R26.81 2. 3. L89.152", confidence: 0.93, name: "diagnosis_codes", type: .icd10List))
        #expect(v.value == .list(["R26.81", "L89.152"]))
        #expect(v.status == .needsReview)
    }
}

@Suite struct UnreadHeaderTests {
    @Test func aModifierUnderAnUnreadHeaderIsOfferedForReview() throws {
        var p = ExtractLayoutTests.superbill()
        // OCR read the `Mod` header as `mil`: no column label matches it.
        for i in p.words.indices where p.words[i].text == "Mod" { p.words[i].text = "mil" }
        let ex = Extractor(templates: try ExtractFixtures.templates(), today: ExtractFixtures.today)
        let r = try #require(ex.extract(documentId: 1, pages: [p.page]).records.first)
        #expect(r.cell(0, "code")?.value == .string("99309"))
        #expect(r.cell(0, "modifiers")?.value == .list(["25"]))
        #expect(r.cell(0, "modifiers")?.status == .needsReview)
        // A row with nothing under that header keeps its empty, believed cell.
        #expect(r.cell(1, "modifiers")?.value == .list([]))
        #expect(r.cell(1, "modifiers")?.status == .ok)
    }
}
