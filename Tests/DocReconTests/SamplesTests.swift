import Foundation
import Testing
@testable import DocRecon

/// The synthetic sample generator: valid synthetic data, truth that matches what was drawn,
/// determinism, and the text layer (or its absence) of each variant.
@Suite struct SamplesTests {
    // MARK: data

    @Test(arguments: [("1234567893", true), ("1234567890", false), ("2234567890", false), ("0234567893", false),
                      ("123456789", false), ("12345678931", false), ("12345678A3", false)])
    func npiCheck(npi: String, valid: Bool) {
        #expect(NPI.isValid(npi) == valid)
    }

    @Test func generatedRecordsAreValid() {
        let icd = /^[A-Z][0-9][A-Z0-9](\.[A-Z0-9]{1,4})?$/
        let code = /^([0-9]{5}|[0-9]{4}[FT]|[A-V][0-9]{4})$/
        for seed in UInt64(0)..<300 {
            var rng = SeededRandom(seed: seed)
            let r = SampleData.record(using: &rng)
            #expect(NPI.isValid(r.providerNPI), "seed \(seed): \(r.providerNPI)")
            #expect(NPI.isValid(r.billingNPI), "seed \(seed): \(r.billingNPI)")
            #expect(r.total == r.lines.reduce(Money.zero) { $0 + $1.charge })
            #expect((1...6).contains(r.lines.count))
            #expect((1...4).contains(r.diagnosisCodes.count))
            #expect(r.diagnosisCodes.allSatisfy { $0.wholeMatch(of: icd) != nil })
            #expect(r.lines.allSatisfy { $0.code.wholeMatch(of: code) != nil && $0.units >= 1 && $0.charge.cents > 0 })
            #expect(r.lines.allSatisfy { l in l.modifiers.allSatisfy { $0.count == 2 } })
            #expect(r.placeOfService.count == 2)
            #expect(r.dob < r.dateOfService)
        }
    }

    @Test func sameSeedSameRecordDifferentSeedDifferent() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let ra = SampleData.record(using: &a), rb = SampleData.record(using: &b), rc = SampleData.record(using: &c)
        #expect(ra == rb)
        #expect(ra != rc)
    }

    // MARK: rendered documents

    /// Checks the canonical forms of one truth record and that it adds up.
    static func checkCanonical(_ rec: SampleTruth.Record, type: String) {
        let f = rec.fields
        #expect(f.patientName.map { !$0.isEmpty && $0.contains(", ") } == true)
        #expect(f.patientDob.flatMap(CalendarDate.init(iso:)) != nil)
        #expect(f.dateOfService.flatMap(CalendarDate.init(iso:)) != nil)
        if let npi = f.providerNpi { #expect(NPI.isValid(npi)) }
        if let pos = f.placeOfService { #expect(pos.count == 2 && pos.allSatisfy(\.isNumber)) }
        #expect(f.accountNumber.map { !$0.contains(" ") && !$0.isEmpty } == true)
        #expect(f.diagnosisCodes?.allSatisfy { $0.count <= 3 || $0.contains(".") } == true)
        let total = f.totalCharge.flatMap(Money.init(parsing:))
        #expect(total?.decimalString == f.totalCharge)
        let sum = rec.lines.reduce(Money.zero) { $0 + (Money(parsing: $1.charge) ?? Money(cents: -1_000_000)) }
        #expect(total == sum)
        for l in rec.lines {
            #expect(Money(parsing: l.charge)?.decimalString == l.charge)
            if let d = l.dateOfService { #expect(CalendarDate(iso: d) != nil) }
            if let p = l.dxPointer { #expect(!p.isEmpty && p.allSatisfy { "ABCDEFGHIJKL".contains($0) }) }
        }
        if type == "cms1500" {
            #expect(f.providerNpi != nil && f.placeOfService != nil)
            #expect(rec.lines.count <= 6 && rec.lines.allSatisfy { $0.dateOfService != nil && $0.dxPointer != nil })
        }
    }

    /// Every word box lies inside the page and covers ink in the page image.
    static func checkBoxesCoverInk(_ page: SampleTruth.PageWords, image: GrayImage) {
        #expect(image.width == page.width && image.height == page.height)
        var inked = 0
        for w in page.words {
            #expect(w.box[0] >= 0 && w.box[1] >= 0 && w.box[2] <= page.width && w.box[3] <= page.height && w.box[0] < w.box[2] && w.box[1] < w.box[3],
                    "\(w.text) \(w.box)")
            // Tight: ink reaches into the 2-px strip along each of the four edges.
            let (x0, y0, x1, y1) = (w.box[0], w.box[1], w.box[2], w.box[3])
            let strips = [[x0, y0, x1, y0 + 2], [x0, y1 - 2, x1, y1], [x0, y0, x0 + 2, y1], [x1 - 2, y0, x1, y1]]
            if strips.allSatisfy({ image.darkest($0) < 200 }) { inked += 1 }
        }
        // Light form captions (gray ink) still read darker than the paper: every box must fit its ink.
        #expect(inked == page.words.count, "\(page.words.count - inked) of \(page.words.count) word boxes do not fit their ink")
    }

    @Test(arguments: SampleLayout.allCases)
    func bornDigitalHasTextLayerWithThePatient(layout: SampleLayout) throws {
        let dir = try TestSupport.tempDir("samples")
        let url = dir.appendingPathComponent("bd.pdf")
        let truth = try SampleGenerator.writePDF([.random(seed: 11, layout: layout)], variant: .bornDigital, to: url)
        let texts = try PDFDocument(path: url.path).pageTexts()
        #expect(texts.count == 1)
        let name = try #require(truth.records.first?.fields.patientName)
        let folded = texts[0].split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(folded.contains(name))
        #expect(folded.contains(truth.records[0].lines[0].code))
        // Every word the truth lists is in the text layer.
        for w in truth.pages[0].words { #expect(folded.contains(w.text), "\(w.text)") }
        #expect(truth.pages[0].dpi == 300 && truth.pages[0].width == 2550)
        Self.checkCanonical(truth.records[0], type: layout.documentType)
    }

    @Test(arguments: [SampleVariant.clean, .degraded])
    func scannedHasNoTextLayerAndBoxesCoverInk(variant: SampleVariant) throws {
        let dir = try TestSupport.tempDir("samples")
        let url = dir.appendingPathComponent("scan.pdf")
        let truth = try SampleGenerator.writePDF([.random(seed: 5, layout: .superbill), .random(seed: 6, layout: .cms1500)],
                                                 variant: variant, to: url)
        let texts = try PDFDocument(path: url.path).pageTexts()
        #expect(texts.count == 2)
        #expect(texts.allSatisfy { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty })
        #expect(truth.records.map(\.pages) == [[1], [2]])
        #expect(truth.pages.map(\.dpi) == [variant.dpi, variant.dpi])
        if variant == .degraded {
            #expect(truth.pages.allSatisfy { ($0.rotation ?? 0) != 0 && abs($0.rotation!) <= 2 })
            // The rotated box of a word far from the centre is displaced from its upright box
            // the way the rotation says: clockwise moves points right of centre downwards.
            for p in truth.pages {
                let rad = p.rotation! * .pi / 180
                for w in p.words {
                    let u = try #require(w.upright)
                    let ux = Double(u[0] + u[2]) / 2 - Double(p.width) / 2, uy = Double(u[1] + u[3]) / 2 - Double(p.height) / 2
                    let rx = ux * cos(rad) - uy * sin(rad) + Double(p.width) / 2
                    let ry = ux * sin(rad) + uy * cos(rad) + Double(p.height) / 2
                    #expect(abs(rx - Double(w.box[0] + w.box[2]) / 2) < 2 && abs(ry - Double(w.box[1] + w.box[3]) / 2) < 2, "\(w.text)")
                }
            }
        } else {
            #expect(truth.pages.allSatisfy { $0.rotation == nil && $0.words.allSatisfy { $0.upright == nil } })
        }
        for (rec, type) in zip(truth.records, ["charge_sheet", "cms1500"]) { Self.checkCanonical(rec, type: type) }
        // Re-render page 1 and check its word boxes against its own pixels.
        let page = try SampleGenerator.rasterise(.random(seed: 5, layout: .superbill), page: 1, variant: variant)
        #expect(page.words == truth.pages[0])
        if variant == .clean { Self.checkBoxesCoverInk(page.words, image: page.image!) }
    }

    @Test func sameSeedGivesIdenticalTruth() throws {
        let a = try TestSupport.tempDir("samples"), b = try TestSupport.tempDir("samples")
        for dir in [a, b] {
            _ = try SampleGenerator.generateSet(out: dir, seed: 99, count: 3, layouts: SampleLayout.allCases,
                                                variants: [.clean, .degraded, .bornDigital])
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: a.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(names.count == 3)
        for n in names {
            let ja = try Data(contentsOf: a.appendingPathComponent(n)), jb = try Data(contentsOf: b.appendingPathComponent(n))
            #expect(ja == jb, "\(n) differs between two runs with one seed")
        }
        let c = try TestSupport.tempDir("samples")
        _ = try SampleGenerator.generateSet(out: c, seed: 100, count: 1, layouts: [.superbill], variants: [.clean])
        let other = try SampleTruth.decode(Data(contentsOf: c.appendingPathComponent("clean-01-superbill.json")))
        let first = try SampleTruth.decode(Data(contentsOf: a.appendingPathComponent(names.first { $0.hasPrefix("clean") }!)))
        #expect(other.records != first.records)
    }

    @Test func imageOutputsHaveTheirPagesAndTruth() throws {
        let dir = try TestSupport.tempDir("samples")
        let tif = dir.appendingPathComponent("two.tif")
        let truth = try SampleGenerator.writeImage([.random(seed: 1, layout: .encounterForm), .random(seed: 2, layout: .encounterForm)],
                                                   format: .tiff, to: tif)
        #expect(truth.records.count == 2 && truth.pages.count == 2)
        for p in 0..<2 {
            let img = try GrayImage.read(path: tif.path, page: p)
            Self.checkBoxesCoverInk(truth.pages[p], image: img)
        }
        #expect(throws: (any Error).self) { try GrayImage.read(path: tif.path, page: 2) }
        let json = try SampleTruth.decode(Data(contentsOf: dir.appendingPathComponent("two.json")))
        #expect(json == truth)
    }

    // MARK: committed files

    @Test func committedSamplesDecodeInCanonicalForm() throws {
        let dir = TestSupport.repoRoot.appendingPathComponent("Samples/sheets")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let truths = files.filter { $0.hasSuffix(".json") }
        #expect(truths.count >= 15)
        var layouts = Set<String>(), variants = Set<String>()
        for t in truths {
            let truth = try SampleTruth.decode(Data(contentsOf: dir.appendingPathComponent(t)))
            #expect(files.contains(truth.document.name), "\(t) describes a missing file")
            #expect(truth.document.synthetic)
            layouts.insert(truth.document.layout); variants.insert(truth.document.variant)
            for rec in truth.records { Self.checkCanonical(rec, type: truth.document.type) }
            #expect(truth.pages.count == truth.records.count && truth.pages.allSatisfy { !$0.words.isEmpty })
        }
        // Every layout the demo's set was drawn with. The claim-style form (issue 13) came after
        // the committed set and its ICE overlap: it is measured on generated seeds (`make eval`)
        // and read end to end by ExtractClaimLayoutTests.
        #expect(layouts.isSuperset(of: Set(SampleLayout.allCases.filter { $0 != .claimForm }.map(\.rawValue))))
        #expect(variants == ["clean", "degraded", "born-digital"])
        let bytes = try files.reduce(0) { $0 + (try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent($1).path)[.size] as! Int) }
        #expect(bytes <= 5_000_000)
    }

    @Test func ocrFixtureBoxesMatchItsPixels() throws {
        let png = TestSupport.fixture("ocr/words.png")
        let truth = try SampleTruth.decode(Data(contentsOf: TestSupport.fixture("ocr/words.json")))
        let image = try GrayImage.read(path: png.path)
        #expect(image.width == 1200 && image.height == 500)
        let page = try #require(truth.pages.first)
        #expect(page.words.map(\.text).contains("40917733"))
        Self.checkBoxesCoverInk(page, image: image)
        // Boxes are tight: a band 3 px outside each box's top and bottom is paper.
        for w in page.words {
            #expect(image.darkest([w.box[0], w.box[1] - 4, w.box[2], w.box[1] - 2]) > 200, "\(w.text) top")
            #expect(image.darkest([w.box[0], w.box[3] + 2, w.box[2], w.box[3] + 4]) > 200, "\(w.text) bottom")
        }
        let layer = try PDFDocument(path: TestSupport.fixture("ocr/textlayer.pdf").path).pageTexts()
        let ltruth = try SampleTruth.decode(Data(contentsOf: TestSupport.fixture("ocr/textlayer.json")))
        #expect(layer.count == 1 && layer[0].contains(ltruth.records[0].fields.accountNumber!))
    }

    // MARK: command

    @Test("generate-samples is a developer tool (docrecon-dev), not a clerk's command")
    func devCommandWritesAndRejects() throws {
        let dir = try TestSupport.tempDir("samples")
        let ok = try TestSupport.runDev(["generate-samples", "--out", dir.path, "--seed", "3", "--count", "2",
                                      "--layout", "cms1500", "--variant", "born-digital"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.split(separator: "\n") == ["born-digital-01-cms1500.pdf", "born-digital-02-cms1500.pdf"])
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("born-digital-02-cms1500.json").path))
        let bad = try TestSupport.runDev(["generate-samples", "--out", dir.path, "--layout", "napkin"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("unknown layout 'napkin'"))
        let help = try TestSupport.run(["--help"])
        for tool in ["generate-samples", "generate-ice", "generate-ice-sample", "render-pages", "bench-match"] {
            #expect(!help.stdout.contains(tool))
            #expect(try TestSupport.run([tool, "x"]).status == 64, "\(tool) is not in docrecon")
            #expect(try TestSupport.runDev([tool, "--help"]).status == 0, "\(tool) is in docrecon-dev")
        }
    }
}
