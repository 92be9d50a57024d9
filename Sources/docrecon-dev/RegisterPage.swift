import ArgumentParser
import DocRecon
import Foundation

/// Registers one page against a template's form and says how it fits; writes the page with the
/// form's boxes drawn where registration puts them and the data layer, for a person to look at.
struct RegisterPage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register a page image against a template's form; write the overlay and the data layer.")

    @Argument(help: "A page image (PNG, JPEG, TIFF).") var image: String
    @Option(name: .long, help: "The template with the form (YAML).") var template = "Rules/templates/cms1500.yaml"
    @Option(name: .long, help: "Resolution of the image when it does not say.") var dpi = 200
    @Option(name: .long, help: "Folder for the overlay and data layer PNGs.") var out: String?
    @Flag(name: .long, help: "Read the data layer and print its words.") var words = false
    @Flag(name: .long, help: "Take the page as the readers do: its colour only when it is colourful.") var asRead = false

    func run() throws {
        let t = try TemplateLoader.load(path: template)
        guard let layout = t.form else { throw ValidationError("\(template) has no form: section") }
        let reference = try FormReferences.shared.reference(layout)
        guard let pix = Pix.read(path: image) else { throw ValidationError("\(image): cannot read the image") }
        let colour = asRead ? (pix.rgbSampler().flatMap { RGBImage.isColourful($0, width: pix.width, height: pix.height) ? pix.rgbImage() : nil })
            : pix.rgbImage()
        if colour == nil { print("(read as gray)") }
        let gray = pix.raster()!
        var darkness = colour?.darkness() ?? gray
        let streaks = DataLayer.streakColumns(darkness)
        darkness = DataLayer.removingStreaks(darkness, columns: streaks)
        let res = pix.resolution > 0 ? pix.resolution : dpi
        let t0 = Date()
        guard let r = FormRegistration.register(darkness, form: reference) else {
            print("no registration (the profiles did not match)"); return
        }
        let t1 = Date()
        let data = DataLayer.extract(gray: colour == nil ? DataLayer.removingStreaks(gray, columns: streaks) : nil,
                                     colour: colour.map { DataLayer.removingStreaks($0, columns: streaks) }, mapping: r.mapping, form: reference)
        let t2 = Date()
        print(String(format: "inliers %.3f residual %.2f skew %.2f accepted %@ streaks %d; register %.0f ms, data layer %.0f ms",
                     r.inliers, r.residual, r.skew, r.accepted ? "yes" : "no", streaks.count, t1.timeIntervalSince(t0) * 1000,
                     t2.timeIntervalSince(t1) * 1000))
        if let out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let base = ((image as NSString).lastPathComponent as NSString).deletingPathExtension
            _ = data.pix(dpi: FormReference.frameDPI)?.write(path: "\(out)/\(base)-data.png", format: .png)
            var overlay = gray
            for (_, b) in layout.boxes {
                let s = Double(FormReference.frameDPI) / 72
                let pb = r.mapping.pageBox(b.x0 * s, b.y0 * s, b.x1 * s, b.y1 * s)
                for x in max(0, pb.x0)..<min(overlay.width, pb.x1) {
                    for y in [pb.y0, pb.y1 - 1] where y >= 0 && y < overlay.height { overlay.pixels[y * overlay.width + x] = 0 }
                }
                for y in max(0, pb.y0)..<min(overlay.height, pb.y1) {
                    for x in [pb.x0, pb.x1 - 1] where x >= 0 && x < overlay.width { overlay.pixels[y * overlay.width + x] = 0 }
                }
            }
            _ = overlay.pix(dpi: res)?.write(path: "\(out)/\(base)-boxes.png", format: .png)
        }
        if words {
            let ocr = try Tesseract(dataPath: try TessdataLocator.locate(explicit: nil, languages: ["eng"]))
            let t3 = Date()
            var strip = 0
            let ws = FormReader.read(data, bands: reference.bands, mapping: r.mapping, ocr: ocr) { band, pix, read in
                strip += 1
                let base = ((image as NSString).lastPathComponent as NSString).deletingPathExtension
                if let out { _ = pix.write(path: "\(out)/\(base)-strip-\(band)-\(strip).png", format: .png) }
                print("band \(band) strip \(strip): \(read.map { $0.text }.joined(separator: " "))")
            }
            print(String(format: "%d words in %.0f ms", ws.count, Date().timeIntervalSince(t3) * 1000))
            print(ws.map(\.text).joined(separator: " "))
        }
    }
}
