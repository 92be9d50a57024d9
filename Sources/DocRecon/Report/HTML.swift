import Foundation

/// Small helpers for writing XHTML-clean HTML (every element closed, every attribute quoted and
/// escaped), so the pages parse as XML as well as HTML.
enum HTML {
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters are not allowed in XML 1.0: OCR text may carry them.
                if c.value < 0x20 && c != "\n" && c != "\t" { out += " " } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>\(esc(title))</title>
        <style>\(css)</style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    static func table(_ header: [String], _ rows: [[String]], rawCells: Bool = false, cls: String = "") -> String {
        var s = "<table\(cls.isEmpty ? "" : " class=\"\(cls)\"")><thead><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows { s += "<tr>" + r.map { "<td>\(rawCells ? $0 : esc($0))</td>" }.joined() + "</tr>" }
        return s + "</tbody></table>"
    }

    /// A horizontal bar chart as inline SVG: one bar per item, its value at the end.
    static func barChart(_ items: [(label: String, value: Double, color: String)], unit: String = "", format: String = "%.0f") -> String {
        guard !items.isEmpty else { return "<p class=\"muted\">nothing yet</p>" }
        let maxV = max(items.map(\.value).max() ?? 1, 1e-9)
        let rowH = 26, labelW = 130, barW = 170, w = labelW + barW + 70, h = items.count * rowH + 6
        // Sized by its viewBox: it shrinks with the card instead of being cut off.
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" role=\"img\">"
        for (i, it) in items.enumerated() {
            let y = i * rowH + 3
            let w = max(it.value > 0 ? 2 : 0, Int((it.value / maxV * Double(barW)).rounded()))
            let v = String(format: format, it.value) + unit
            s += "<g><title>\(esc(it.label)): \(esc(v))</title>"
            s += "<text x=\"\(labelW - 8)\" y=\"\(y + 17)\" text-anchor=\"end\" class=\"lbl\">\(esc(it.label))</text>"
            s += "<rect x=\"\(labelW)\" y=\"\(y + 3)\" width=\"\(w)\" height=\"\(rowH - 8)\" rx=\"3\" fill=\"\(it.color)\" />"
            s += "<text x=\"\(labelW + w + 6)\" y=\"\(y + 17)\" class=\"val\">\(esc(v))</text></g>"
        }
        return s + "</svg>"
    }

    static let statusColors: [String: String] = [
        "ok": "#2e7d32", "repaired": "#1565c0", "needs_review": "#c62828", "corrected": "#7b1fa2",
        "extracted": "#2e7d32", "ocred": "#1565c0", "partial": "#ef6c00", "stored": "#757575", "failed": "#c62828",
        "complete": "#2e7d32", "paper-only": "#ef6c00", "ice-only": "#f9a825", "mismatch": "#d84315", "conflict": "#c62828",
        "open": "#c62828", "resolved": "#2e7d32",
    ]
    static func color(_ status: String) -> String { statusColors[status] ?? "#546e7a" }

    static let css = """
    :root { color-scheme: light; }
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; color: #1d2327; background: #f6f7f9; }
    header.top { background: #1f2d3d; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; }
    header.top h1 { font-size: 18px; margin: 0; }
    header.top a { color: #cfe3ff; text-decoration: none; }
    header.top .muted { color: #b7c3cf; }
    main { padding: 16px 24px 40px; max-width: 1400px; }
    h2 { font-size: 16px; margin: 28px 0 8px; }
    section.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
    .card { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 12px 16px; overflow-x: auto; }
    .card h2 { margin-top: 0; }
    table { border-collapse: collapse; background: #fff; font-size: 13px; }
    th, td { border-bottom: 1px solid #e3e6ea; padding: 4px 10px; text-align: left; vertical-align: top; }
    th { background: #eef1f4; font-weight: 600; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    .muted { color: #6b7785; }
    .pill { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px; }
    svg.chart { display: block; width: 100%; max-width: 370px; height: auto; }
    svg.chart text { font-size: 14px; fill: #1d2327; }
    .legend { display: flex; gap: 14px; flex-wrap: wrap; margin: 6px 0 10px; font-size: 13px; }
    .legend span.sw { display: inline-block; width: 12px; height: 12px; border: 2px solid; margin-right: 4px; vertical-align: -2px; }
    figure.page { margin: 0 0 24px; background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 8px; }
    figure.page figcaption { font-size: 13px; color: #6b7785; margin: 0 0 6px; }
    figure.page svg.overlay { display: block; width: 100%; max-width: 1000px; height: auto; background: #fff; }
    svg.overlay rect.box { fill-opacity: 0.12; stroke-width: 2; vector-effect: non-scaling-stroke; }
    svg.overlay g.f:hover rect.box { fill-opacity: 0.35; stroke-width: 3; }
    svg.overlay text.tag { font-size: 26px; font-family: sans-serif; paint-order: stroke; stroke: #fff; stroke-width: 5px; display: none; }
    svg.overlay g.f:hover text.tag { display: inline; }
    .doclayout { display: grid; grid-template-columns: minmax(0, 860px) minmax(440px, 1fr); gap: 20px; align-items: start; }
    table.values td { padding: 3px 8px; }
    table.batches td:first-child { white-space: nowrap; }
    table.ledger td { white-space: nowrap; }
    table.values td:first-child { border-left: 4px solid transparent; white-space: nowrap; color: #6b7785; }
    table.values .why { font-size: 12px; color: #8a3b32; }
    table.values .raw { font-size: 12px; color: #6b7785; }
    table.values tr.s-ok td:first-child { border-left-color: #2e7d32; }
    table.values tr.s-repaired td:first-child { border-left-color: #1565c0; }
    table.values tr.s-needs_review td:first-child { border-left-color: #c62828; }
    table.values tr.s-corrected td:first-child { border-left-color: #7b1fa2; }
    @media (max-width: 1100px) { .doclayout { grid-template-columns: 1fr; } }
    tr.s-needs_review td { background: #fdecea; }
    tr.s-corrected td { background: #f3e5f5; }
    """
}
