import Foundation

/// Layout 4: a hospital charge ticket. The header is a ruled grid of shaded label cells with the
/// value in the next cell (beside, but in boxes); a ticket number that is not the account; the
/// diagnoses listed down a side panel; a service table beside it whose modifiers each have their
/// own column (Mod 1, Mod 2); the total in a box at the bottom right.
enum ChargeTicketLayout {
    static func draw(_ r: SampleRecord, on s: Sketch, using rng: inout SeededRandom) -> PrintedRecord {
        let style = LayoutStyle(using: &rng)
        var printed = PrintedRecord()
        let margin = rng.double(32, 50)
        let right = Sketch.pageWidth - rng.double(32, 50)
        let width = right - margin
        var y = rng.double(44, 66)

        // Heading: practice left, ticket title and a ticket number right.
        s.text(r.billingName, x: margin, y: y, size: rng.double(11, 13), bold: true)
        s.text(style.cased(rng.pick(["Charge Ticket", "Hospital Charge Ticket", "Inpatient Charge Ticket", "Rounding Charge Ticket"])),
               x: right, y: y, size: 12, bold: true, align: .right)
        y += 14
        s.text(r.billingAddress.joined(separator: ", "), x: margin, y: y, size: 7.5, gray: 0.25)
        s.text("\(style.cased("Ticket")) \(rng.pick(["#", "No."])) \(rng.int(100_000...999_999))", x: right, y: y, size: 8.5,
               align: .right, gray: 0.1)
        y += rng.double(14, 22)

        // Grid: [label | value] × 2 per row.
        let size = rng.double(9, 10.5)
        let labelSize = size - rng.double(0.5, 1.5)
        let rowH = size * rng.double(2.0, 2.4)
        let items = ChargeSheetParts.headerItems(r, style: LayoutStyle(copying: style, colon: rng.chance(0.3)), using: &rng,
                                                 into: &printed)
        let labelW = items.map { s.width($0.label, size: labelSize, bold: true) }.max()! + 12
        let valueW = items.map { s.width($0.value, size: size) }.max()! + 14
        // Two pairs per row when the widest value fits, else one.
        let perRow = labelW + valueW <= width / 2 ? 2 : 1
        let half = width / Double(perRow)
        let shade = rng.pick([0.86, 0.9, 0.94])
        let top = y
        var i = 0
        while i < items.count {
            for col in 0..<perRow where i + col < items.count {
                let item = items[i + col]
                let x = margin + Double(col) * half
                s.fill(x, y, labelW, rowH, gray: shade)
                s.text(item.label, x: x + 5, y: y + rowH * 0.66, size: labelSize, bold: true)
                s.text(item.value, x: x + labelW + 6, y: y + rowH * 0.66, size: size)
            }
            y += rowH
            s.line(margin, y, right, y, width: 0.5)
            i += perRow
        }
        s.rect(margin, top, width, y - top, width: 0.9)
        for col in 0..<perRow {
            if col > 0 { s.line(margin + Double(col) * half, top, margin + Double(col) * half, y, width: 0.7) }
            s.line(margin + Double(col) * half + labelW, top, margin + Double(col) * half + labelW, y, width: 0.4)
        }
        y += rng.double(16, 26)

        // Side panel: diagnoses down the left, numbered 1-4 or lettered A-D.
        let panelW = rng.double(120, 150)
        let lettered = rng.chance(0.6)
        let panelTop = y
        s.fill(margin, y, panelW, rowH, gray: shade)
        s.text(style.label(rng.pick(LayoutStyle.diagnoses), colon: false), x: margin + 5, y: y + rowH * 0.66, size: size, bold: true)
        var py = y + rowH
        for (k, code) in r.diagnosisCodes.enumerated() {
            let tag = lettered ? "\(Array("ABCD")[k])" : "\(k + 1)"
            s.text(tag, x: margin + 6, y: py + rowH * 0.66, size: size - 1, gray: 0.2)
            s.text(style.icd(code), x: margin + 24, y: py + rowH * 0.66, size: size)
            py += rowH
        }
        printed.fields.diagnosisCodes = r.diagnosisCodes
        let panelBottom = max(py, panelTop + rowH * 5)
        s.rect(margin, panelTop, panelW, panelBottom - panelTop, width: 0.8)

        // Service table to the right: separate modifier columns, pointer column only when lettered.
        let tableLeft = margin + panelW + rng.double(10, 18)
        let maxMods = max(1, r.lines.map(\.modifiers.count).max() ?? 1)
        var cols: [TableColumn] = []
        cols.append(TableColumn(kind: .code, header: style.cased(rng.pick(["CPT", "CPT/HCPCS", "Code", "HCPCS"])), align: .left))
        let modWord = style.cased(rng.pick(["Mod", "Modifier", "M"]))
        for m in 0..<max(2, maxMods) { cols.append(TableColumn(kind: .modifierSlot(m), header: "\(modWord) \(m + 1)", align: .left)) }
        if lettered { cols.append(TableColumn(kind: .pointer, header: style.cased(rng.pick(["Dx", "Dx Ptr", "Diag"])), align: .left)) }
        cols.append(TableColumn(kind: .units, header: style.cased(rng.pick(["Units", "Qty", "Unit"])), align: .right))
        cols.append(TableColumn(kind: .charge, header: style.cased(rng.pick(["Charge", "Charges", "Amount", "Fee"])), align: .right))
        let tsize = size
        ChargeSheetParts.place(&cols, lines: r.lines, style: style, modSep: " ", s: s, size: tsize - 0.5, headerBold: true,
                               left: tableLeft, available: right - tableLeft, spread: true, using: &rng)
        var ty = panelTop
        s.fill(tableLeft, ty, right - tableLeft, rowH, gray: shade)
        for c in cols {
            let (cx, al) = ChargeSheetParts.cellX(c, 0)
            s.text(c.header, x: cx, y: ty + rowH * 0.66, size: tsize - 0.5, bold: true, align: al)
        }
        ty += rowH
        for l in r.lines {
            for c in cols {
                let (cx, al) = ChargeSheetParts.cellX(c, 0)
                s.text(c.kind.value(l, style: style, modSeparator: " "), x: cx, y: ty + rowH * 0.66, size: tsize, align: al)
            }
            ty += rowH
            s.line(tableLeft, ty, right, ty, width: 0.4, gray: 0.4)
        }
        let tableBottom = max(ty, panelBottom)
        s.rect(tableLeft, panelTop, right - tableLeft, tableBottom - panelTop, width: 0.8)
        for c in cols.dropFirst() { s.line(c.x, panelTop, c.x, tableBottom, width: 0.4) }
        printed.lines = PrintedRecord.lines(r, printedDates: false, printedPointers: lettered)

        // Total box at the bottom right.
        y = tableBottom + rng.double(12, 20)
        let totalLabel = style.label(rng.pick(LayoutStyle.total))
        let money = style.money(r.total)
        let boxW = s.width(totalLabel, size: size + 1, bold: true) + s.width(money, size: size + 1, bold: true) + 34
        s.rect(right - boxW, y, boxW, rowH + 4, width: 1.2)
        s.text(totalLabel, x: right - boxW + 8, y: y + rowH * 0.7 + 2, size: size + 1, bold: true)
        s.text(money, x: right - 8, y: y + rowH * 0.7 + 2, size: size + 1, bold: true, align: .right)
        printed.fields.totalCharge = r.total.decimalString

        y += rowH + rng.double(50, 90)
        s.line(margin, y, margin + 220, y, width: 0.6)
        s.text(style.cased("Signature"), x: margin, y: y + 11, size: 7.5, gray: 0.25)
        ChargeSheetParts.syntheticFooter(s, y: Sketch.pageHeight - rng.double(24, 40))
        return printed
    }
}
