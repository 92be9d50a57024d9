import Foundation
import Testing
@testable import DocRecon

/// Issue 13, drop-out: the real blank 1500 in its red ink, faded as a worn copy, turned gray-red
/// by a copier, and as a plain gray page (a fax), with black "typed" strokes inside its boxes:
/// the data layer keeps the typed strokes and takes out the form's ink, in every case.
@Suite(.serialized) struct DropOutTests {
    static let template: Template = try! ExtractFixtures.template("cms1500")
    static let reference = try! FormReferences.shared.reference(template.form!)
    static let blank: RGBImage = {
        let doc = try! PDFDocument(path: template.form!.reference)
        return try! doc.renderColour(1, dpi: FormReference.frameDPI, maxPixels: 60_000_000, keep: .always).colour!
    }()

    /// Typed strokes: a 9 × 15 block (a glyph's size at 200 dpi) in the middle of each box whose
    /// middle is clear of the form's ink by 6 pixels.
    static let typed: [(Int, Int)] = {
        let ink = reference.frameInk
        var out: [(Int, Int)] = []
        for (_, box) in template.form!.boxes.sorted(by: { $0.key < $1.key }) {
            let (x0, y0, x1, y1) = box.pixels(dpi: FormReference.frameDPI)
            let cx = Int((x0 + x1) / 2) - 4, cy = Int((y0 + y1) / 2) - 7
            guard cx > 10, cy > 10, cx + 15 < ink.width, cy + 21 < ink.height else { continue }
            var clear = true
            for y in (cy - 6)..<(cy + 21) { for x in (cx - 6)..<(cx + 15) where ink.bits[y * ink.width + x] != 0 { clear = false } }
            if clear { out.append((cx, cy)) }
        }
        return out
    }()

    enum Ink: String, CaseIterable { case red, fadedRed = "faded red", grayRed = "gray-red", grayPage = "gray page (fax)" }

    /// The blank in `ink`, with the typed strokes in black.
    static func page(_ ink: Ink) -> (colour: RGBImage?, gray: Raster?) {
        var b = blank.bytes
        for i in stride(from: 0, to: b.count, by: 3) {
            let (r, g, bl) = (Double(b[i]), Double(b[i + 1]), Double(b[i + 2]))
            let luma = 0.299 * r + 0.587 * g + 0.114 * bl
            func set(_ nr: Double, _ ng: Double, _ nb: Double) { b[i] = UInt8(nr.rounded()); b[i + 1] = UInt8(ng.rounded()); b[i + 2] = UInt8(nb.rounded()) }
            switch ink {
            case .red, .grayPage: break
            case .fadedRed: set(255 - (255 - r) * 0.45, 255 - (255 - g) * 0.45, 255 - (255 - bl) * 0.45)
            case .grayRed: set(luma * 0.8 + r * 0.2, luma * 0.8 + g * 0.2, luma * 0.8 + bl * 0.2)
            }
        }
        let w = blank.width
        for (x0, y0) in typed { for y in y0..<(y0 + 15) { for x in x0..<(x0 + 9) { let k = (y * w + x) * 3; b[k] = 20; b[k + 1] = 20; b[k + 2] = 20 } } }
        let colour = RGBImage(width: w, height: blank.height, bytes: b)
        if ink == .grayPage { return (nil, colour.darkness()) }
        return (colour, nil)
    }

    @Test("typed black kept, the form's ink taken out", arguments: Ink.allCases)
    func dropOut(ink: Ink) throws {
        #expect(Self.typed.count > 40, "boxes with room for a typed stroke: \(Self.typed.count)")
        let (colour, gray) = Self.page(ink)
        let identity = FormMapping(frameDPI: FormReference.frameDPI, homography: .identity,
                                   grid: .zero(columns: 1, rows: 1, width: Double(Self.blank.width), height: Double(Self.blank.height)))
        let data = DataLayer.extract(gray: gray, colour: colour, mapping: identity, form: Self.reference)
        let w = data.width
        var typedPixels = 0, typedKept = 0
        var nearTyped = Mask(width: w, height: data.height)
        for (x0, y0) in Self.typed {
            for y in y0..<(y0 + 15) { for x in x0..<(x0 + 9) {
                typedPixels += 1
                if data.pixels[y * w + x] < 160 { typedKept += 1 }
            } }
            for y in max(0, y0 - 4)..<min(data.height, y0 + 19) { for x in max(0, x0 - 4)..<min(w, x0 + 13) { nearTyped.bits[y * w + x] = 1 } }
        }
        var formPixels = 0, formLeft = 0
        let formInk = Self.reference.frameInk
        for i in formInk.bits.indices where formInk.bits[i] != 0 && nearTyped.bits[i] == 0 {
            formPixels += 1
            if data.pixels[i] < 200 { formLeft += 1 }
        }
        #expect(Double(typedKept) >= 0.95 * Double(typedPixels), "\(ink.rawValue): typed kept \(typedKept) of \(typedPixels)")
        #expect(Double(formLeft) <= 0.005 * Double(formPixels), "\(ink.rawValue): form ink left \(formLeft) of \(formPixels)")
    }
}
