import ArgumentParser
import DocRecon
import Foundation

/// Prints the boxes of a fillable blank form (its text fields, as poppler reads them from the
/// PDF) as the `form: boxes:` YAML of a template: points, origin top-left, 0.1 pt precision.
struct MeasureForm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure-form",
        abstract: "Measure the boxes of a blank fillable PDF form for a template's form: section.")

    @Argument(help: "The blank form (PDF).") var pdf: String
    @Option(name: .long, help: "Page (1-based).") var page = 1

    func run() throws {
        let doc = try PDFDocument(path: pdf)
        let size = try doc.pageSize(page)
        var seen: [String: Int] = [:]
        var lines: [String] = []
        for f in try doc.textFields(page) {
            // A field with several widgets (a name reused): number them after the first.
            let n = seen[f.name, default: 0]
            seen[f.name] = n + 1
            let name = n == 0 ? f.name : "\(f.name)#\(n + 1)"
            func r(_ v: Double) -> String { String(format: "%.1f", v) }
            let key = name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil ? name : "\"\(name)\""
            lines.append("    \(key): [\(r(f.x0)), \(r(f.y0)), \(r(f.x1)), \(r(f.y1))]")
        }
        print("  size: [\(String(format: "%.1f", size.width)), \(String(format: "%.1f", size.height))]")
        print("  boxes:   # measured with docrecon-dev measure-form \((pdf as NSString).lastPathComponent) (page \(page))")
        for l in lines.sorted() { print(l) }
    }
}
