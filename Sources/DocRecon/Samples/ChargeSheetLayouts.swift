import Foundation

/// Shared pieces of the charge-sheet layouts.
enum ChargeSheetParts {
    /// The header fields a charge sheet may print, with label and printed value, in a random
    /// subset (POS and NPI are sometimes left off) — and the truth they produce.
    static func headerItems(_ r: SampleRecord, style: LayoutStyle, using rng: inout SeededRandom,
                            into printed: inout PrintedRecord) -> [(label: String, value: String)] {
        var items: [(String, String)] = []
        items.append((rng.pick(LayoutStyle.patient), r.patientName))
        printed.fields.patientName = r.patientName
        items.append((rng.pick(LayoutStyle.dob), style.date(r.dob)))
        printed.fields.patientDob = r.dob.iso
        items.append((rng.pick(LayoutStyle.account), r.accountNumber))
        printed.fields.accountNumber = r.accountNumber
        items.append((rng.pick(LayoutStyle.dos), style.date(r.dateOfService)))
        printed.fields.dateOfService = r.dateOfService.iso
        items.append((rng.pick(LayoutStyle.facility), style.facility(r)))
        printed.fields.facility = style.facility(r)
        if rng.chance(0.85) {
            items.append((rng.pick(LayoutStyle.pos), r.placeOfService))
            printed.fields.placeOfService = r.placeOfService
        }
        items.append((rng.pick(LayoutStyle.provider), style.provider(r)))
        printed.fields.renderingProvider = style.provider(r)
        if rng.chance(0.9) {
            items.append((rng.pick(LayoutStyle.npi), r.providerNPI))
            printed.fields.providerNpi = r.providerNPI
        }
        return items.map { (style.label($0.0), $0.1) }
    }

    /// Table columns in one of a few orders, with random header wording.
    static func columns(style: LayoutStyle, dates: Bool, pointers: Bool, using rng: inout SeededRandom) -> [TableColumn] {
        var cols: [TableColumn] = []
        if dates { cols.append(TableColumn(kind: .date, header: style.cased(rng.pick(LayoutStyle.lineDate)), align: .left)) }
        cols.append(TableColumn(kind: .code, header: style.cased(rng.pick(LayoutStyle.code)), align: .left))
        let mod = TableColumn(kind: .modifier, header: style.cased(rng.pick(LayoutStyle.modifier)), align: .left)
        let units = TableColumn(kind: .units, header: style.cased(rng.pick(LayoutStyle.units)), align: rng.chance(0.5) ? .center : .right)
        let ptr = TableColumn(kind: .pointer, header: style.cased(rng.pick(LayoutStyle.pointer)), align: .left)
        if rng.chance(0.7) {
            cols.append(mod); if pointers { cols.append(ptr) }; cols.append(units)
        } else {
            cols.append(units); cols.append(mod); if pointers { cols.append(ptr) }
        }
        cols.append(TableColumn(kind: .charge, header: style.cased(rng.pick(LayoutStyle.charge)), align: .right))
        return cols
    }

    /// Lays the columns out from `left`, each as wide as its widest cell plus padding, then
    /// spread over `available` width when `spread`.
    static func place(_ cols: inout [TableColumn], lines: [SampleLine], style: LayoutStyle, modSep: String,
                      s: Sketch, size: Double, headerBold: Bool, left: Double, available: Double,
                      spread: Bool, using rng: inout SeededRandom) {
        let pad = rng.double(14, 26)
        for i in cols.indices {
            var w = s.width(cols[i].header, size: size, bold: headerBold)
            for l in lines { w = max(w, s.width(cols[i].kind.value(l, style: style, modSeparator: modSep), size: size)) }
            cols[i].width = w + pad
        }
        let used = cols.reduce(0) { $0 + $1.width }
        if spread && used < available {
            let extra = (available - used) / Double(cols.count)
            for i in cols.indices { cols[i].width += extra }
        }
        var x = left
        for i in cols.indices { cols[i].x = x; x += cols[i].width }
    }

    static func cellX(_ c: TableColumn, _ w: Double) -> (Double, Sketch.Align) {
        switch c.align {
        case .left: return (c.x + 5, .left)
        case .right: return (c.x + c.width - 5, .right)
        case .center: return (c.x + c.width / 2, .center)
        }
    }

    /// A footer marking the sheet as test data.
    static func syntheticFooter(_ s: Sketch, y: Double) {
        s.text("Synthetic sample for software testing - all data invented", x: Sketch.pageWidth / 2, y: y,
               size: 6.5, align: .center, gray: 0.35)
    }
}

/// Layout 1: a superbill / charge ticket. Labels BESIDE their values in one or two columns,
/// diagnosis list on one line, a service-line table with a header row and a total line.
enum SuperbillLayout {
    static func draw(_ r: SampleRecord, on s: Sketch, using rng: inout SeededRandom) -> PrintedRecord {
        let style = LayoutStyle(using: &rng)
        var printed = PrintedRecord()
        let margin = rng.double(38, 62)
        let right = Sketch.pageWidth - rng.double(38, 62)
        var y = rng.double(48, 76)

        // Title block.
        let titleSize = rng.double(13, 16)
        let centered = rng.chance(0.5)
        s.text(r.billingName, x: centered ? Sketch.pageWidth / 2 : margin, y: y, size: titleSize, bold: true,
               align: centered ? .center : .left)
        y += titleSize * 1.35
        s.text(r.billingAddress.joined(separator: "  "), x: centered ? Sketch.pageWidth / 2 : margin, y: y, size: 8,
               align: centered ? .center : .left, gray: 0.2)
        y += 16
        let title = style.cased(rng.pick(["Superbill", "Charge Ticket", "Charge Sheet", "Physician Charge Ticket", "Encounter Charges"]))
        s.text(title, x: centered ? Sketch.pageWidth / 2 : right, y: y, size: 11, bold: true, align: centered ? .center : .right)
        y += 8
        s.line(margin, y, right, y, width: 1.2)
        y += rng.double(20, 30)

        // Labels beside values.
        let items = ChargeSheetParts.headerItems(r, style: style, using: &rng, into: &printed)
        let size = rng.double(9.5, 11)
        let boldLabels = rng.chance(0.5), boldValues = !boldLabels && rng.chance(0.4)
        let lineStep = size * rng.double(1.75, 2.2)
        let wantTwo = rng.chance(0.65)
        let tabbed = rng.chance(0.5)
        let split = rng.double(0.5, 0.56)
        // Two columns only when both fit side by side (random draws above do not depend on
        // measured widths, so the truth stays the same whatever the font metrics).
        let half = (items.count + 1) / 2
        func need(_ part: ArraySlice<(label: String, value: String)>) -> Double {
            part.map { s.width($0.label, size: size, bold: boldLabels) }.max()! + 10
                + part.map { s.width($0.value, size: size, bold: boldValues) }.max()! + s.width(" ", size: size) * 2.5
        }
        let twoColumns = wantTwo && need(items[..<half]) + 24 + need(items[half...]) <= right - margin
        var colX = [margin, margin]
        if twoColumns {
            colX[1] = max(margin + need(items[..<half]) + 24, min(margin + (right - margin) * split, right - need(items[half...])))
        }
        let perColumn = twoColumns ? half : items.count
        var columnY = [y, y]
        for (i, item) in items.enumerated() {
            let col = twoColumns ? (i < perColumn ? 0 : 1) : 0
            let colItems = twoColumns ? (col == 0 ? Array(items[..<perColumn]) : Array(items[perColumn...])) : items
            let labelW = s.text(item.label, x: colX[col], y: columnY[col], size: size, bold: boldLabels).width
            let tab = colItems.map { s.width($0.label, size: size, bold: boldLabels) }.max()! + 10
            let vx = tabbed ? colX[col] + tab : colX[col] + labelW + s.width(" ", size: size) * rng.double(1, 2.5)
            s.text(item.value, x: vx, y: columnY[col], size: size, bold: boldValues)
            columnY[col] += lineStep
        }
        y = max(columnY[0], columnY[1]) + rng.double(6, 16)

        // Diagnoses on one line, lettered when the table points at them.
        let pointers = rng.chance(0.6)
        let dxLabel = style.label(rng.pick(LayoutStyle.diagnoses))
        let dxW = s.text(dxLabel, x: margin, y: y, size: size, bold: boldLabels).width
        var dx = margin + dxW + 10
        let sep = rng.pick([", ", "   ", "; "])
        for (i, code) in r.diagnosisCodes.enumerated() {
            let letter = String(Array("ABCDEFGHIJKL")[i])
            let piece = pointers ? "\(letter). \(style.icd(code))" : style.icd(code) + (i < r.diagnosisCodes.count - 1 && sep != "   " ? sep.trimmingCharacters(in: .whitespaces) : "")
            dx = s.text(piece, x: dx, y: y, size: size).x + s.width(piece, size: size) + (pointers ? 18 : s.width(" ", size: size) * 2)
        }
        printed.fields.diagnosisCodes = r.diagnosisCodes
        y += rng.double(26, 38)

        // Service-line table.
        let dates = rng.chance(0.4)
        var cols = ChargeSheetParts.columns(style: style, dates: dates, pointers: pointers, using: &rng)
        let tsize = rng.double(9.5, 10.5)
        let modSep = rng.pick([" ", ", "])
        ChargeSheetParts.place(&cols, lines: r.lines, style: style, modSep: modSep, s: s, size: tsize, headerBold: true,
                               left: margin, available: right - margin, spread: rng.chance(0.6), using: &rng)
        let tableRight = cols.last!.x + cols.last!.width
        let grid = rng.int(0...2)
        let rowH = tsize * rng.double(1.9, 2.3)
        let tableTop = y
        if grid == 2 { s.fill(margin, y, tableRight - margin, rowH, gray: 0.88) }
        for c in cols {
            let (cx, al) = ChargeSheetParts.cellX(c, 0)
            s.text(c.header, x: cx, y: y + rowH * 0.68, size: tsize, bold: true, align: al)
        }
        y += rowH
        s.line(margin, y, tableRight, y, width: 1)
        for l in r.lines {
            for c in cols {
                let v = c.kind.value(l, style: style, modSeparator: modSep)
                let (cx, al) = ChargeSheetParts.cellX(c, 0)
                s.text(v, x: cx, y: y + rowH * 0.68, size: tsize, align: al)
            }
            y += rowH
            if grid >= 1 { s.line(margin, y, tableRight, y, width: 0.5, gray: 0.3) }
        }
        if grid == 1 {
            s.rect(margin, tableTop, tableRight - margin, y - tableTop, width: 0.8)
            for c in cols.dropFirst() { s.line(c.x, tableTop, c.x, y, width: 0.5) }
        } else if grid == 0 {
            s.line(margin, y, tableRight, y, width: 0.8)
        }
        printed.lines = PrintedRecord.lines(r, printedDates: dates, printedPointers: pointers)

        // Total line under the charge column.
        y += rowH * rng.double(0.9, 1.4)
        let chargeCol = cols.last!
        let totalText = style.money(r.total)
        s.text(totalText, x: chargeCol.x + chargeCol.width - 5, y: y, size: tsize + 0.5, bold: true, align: .right)
        s.text(style.label(rng.pick(LayoutStyle.total)), x: chargeCol.x - rng.double(8, 30), y: y, size: tsize + 0.5,
               bold: true, align: .right)
        printed.fields.totalCharge = r.total.decimalString

        // Signature line and footer.
        y += rng.double(60, 110)
        s.line(margin, y, margin + 200, y, width: 0.6)
        s.text(style.cased("Signature"), x: margin, y: y + 11, size: 7.5, gray: 0.25)
        ChargeSheetParts.syntheticFooter(s, y: Sketch.pageHeight - rng.double(24, 40))
        return printed
    }
}

/// Layout 2: an encounter form. A grid of boxed cells, each with a small label ABOVE its value,
/// a boxed diagnosis list, a ruled service table and a total row.
enum EncounterFormLayout {
    static func draw(_ r: SampleRecord, on s: Sketch, using rng: inout SeededRandom) -> PrintedRecord {
        let style = LayoutStyle(using: &rng)
        var printed = PrintedRecord()
        let margin = rng.double(34, 54)
        let right = Sketch.pageWidth - rng.double(34, 54)
        let width = right - margin
        var y = rng.double(40, 64)

        // Title bar.
        let barH = rng.double(26, 34)
        let darkBar = rng.chance(0.4)
        if darkBar { s.fill(margin, y, width, barH, gray: 0.82) } else { s.rect(margin, y, width, barH, width: 1.4) }
        let title = style.cased(rng.pick(["Encounter Form", "Patient Encounter Form", "Visit Encounter", "Encounter Record"]))
        s.text(title, x: margin + 10, y: y + barH * 0.66, size: rng.double(13, 15), bold: true)
        s.text(r.billingName, x: right - 10, y: y + barH * 0.66, size: 9, bold: true, align: .right)
        y += barH + rng.double(10, 18)

        // Grid of boxed cells, packed into rows.
        let labelSize = rng.double(6.5, 7.5)
        let valueSize = rng.double(10, 11.5)
        let cellH = labelSize + valueSize + rng.double(12, 17)
        var items = ChargeSheetParts.headerItems(r, style: LayoutStyle(copying: style, colon: rng.chance(0.2)), using: &rng, into: &printed)
        if rng.chance(0.5) { items.shuffle(using: &rng) }
        var rows: [[(label: String, value: String, need: Double)]] = [[]]
        var rowUsed = 0.0
        for it in items {
            let need = max(s.width(it.label, size: labelSize), s.width(it.value, size: valueSize)) + rng.double(16, 40)
            if rowUsed + need > width || rows[rows.count - 1].count >= 4 {
                rows.append([]); rowUsed = 0
            }
            rows[rows.count - 1].append((it.label, it.value, need))
            rowUsed += need
        }
        let valueBold = rng.chance(0.3)
        // 0: boxed cells; 1: no boxes, the value on an underline with its label above;
        // 2: boxed cells whose label sits in a shaded strip.
        let cellStyle = rng.pick([0, 0, 1, 2])
        let rowGap = cellStyle == 1 ? rng.double(4, 10) : 0
        for row in rows where !row.isEmpty {
            let used = row.reduce(0) { $0 + $1.need }
            var x = margin
            for cell in row {
                let w = cell.need + (width - used) * cell.need / used
                switch cellStyle {
                case 1:
                    s.line(x + 2, y + cellH - 2, x + w - 10, y + cellH - 2, width: 0.6)
                case 2:
                    s.fill(x, y, w, labelSize + 5, gray: 0.88)
                    s.rect(x, y, w, cellH, width: 0.7)
                default:
                    s.rect(x, y, w, cellH, width: 0.7)
                }
                s.text(cell.label, x: x + 4, y: y + labelSize + 3, size: labelSize, gray: 0.15)
                s.text(cell.value, x: x + 6, y: y + cellH - 6, size: valueSize, bold: valueBold)
                x += w
            }
            y += cellH + rowGap
        }
        y += rng.double(12, 22)

        // Diagnosis box: label above, codes numbered or lettered.
        let pointers = rng.chance(0.7)
        let dxH = labelSize + valueSize + 16
        s.rect(margin, y, width, dxH, width: 0.7)
        s.text(style.label(rng.pick(LayoutStyle.diagnoses), colon: false), x: margin + 4, y: y + labelSize + 3,
               size: labelSize, gray: 0.15)
        var dx = margin + 8
        for (i, code) in r.diagnosisCodes.enumerated() {
            let tag = pointers ? "\(Array("ABCDEFGHIJKL")[i])." : "\(i + 1)."
            let tw = s.text(tag, x: dx, y: y + dxH - 6, size: valueSize - 1, gray: 0.2).width
            let cw = s.text(style.icd(code), x: dx + tw + 5, y: y + dxH - 6, size: valueSize).width
            dx += tw + cw + rng.double(24, 40)
        }
        printed.fields.diagnosisCodes = r.diagnosisCodes
        y += dxH + rng.double(14, 24)

        // Ruled service table with a total row.
        let dates = rng.chance(0.5)
        var cols = ChargeSheetParts.columns(style: style, dates: dates, pointers: pointers, using: &rng)
        let tsize = rng.double(9.5, 10.5)
        let modSep = rng.pick([" ", ","])
        ChargeSheetParts.place(&cols, lines: r.lines, style: style, modSep: modSep, s: s, size: tsize, headerBold: rng.chance(0.6),
                               left: margin, available: width, spread: true, using: &rng)
        let rowH = tsize * rng.double(1.9, 2.2)
        let top = y
        s.fill(margin, y, width, rowH, gray: rng.pick([0.9, 0.93, 1.0]))
        for c in cols {
            let (cx, al) = ChargeSheetParts.cellX(c, 0)
            s.text(c.header, x: cx, y: y + rowH * 0.68, size: tsize - 0.5, bold: true, align: al)
        }
        y += rowH
        // Blank rows are printed on forms; fill the first ones.
        let blankRows = rng.int(0...2)
        for i in 0..<(r.lines.count + blankRows) {
            if i < r.lines.count {
                for c in cols {
                    let (cx, al) = ChargeSheetParts.cellX(c, 0)
                    s.text(c.kind.value(r.lines[i], style: style, modSeparator: modSep), x: cx, y: y + rowH * 0.68,
                           size: tsize, align: al)
                }
            }
            s.line(margin, y, right, y, width: 0.5)
            y += rowH
        }
        s.line(margin, y, right, y, width: 1)
        let chargeCol = cols.last!
        s.text(style.label(rng.pick(LayoutStyle.total)), x: chargeCol.x - 6, y: y + rowH * 0.68, size: tsize, bold: true, align: .right)
        s.text(style.money(r.total), x: chargeCol.x + chargeCol.width - 5, y: y + rowH * 0.68, size: tsize, bold: true, align: .right)
        y += rowH
        s.rect(margin, top, width, y - top, width: 0.9)
        for c in cols.dropFirst() { s.line(c.x, top, c.x, y - (c.kind == .charge ? 0 : rowH), width: 0.5) }
        printed.lines = PrintedRecord.lines(r, printedDates: dates, printedPointers: pointers)
        printed.fields.totalCharge = r.total.decimalString

        // Signature cells and footer.
        y += rng.double(24, 50)
        s.rect(margin, y, width * 0.6, cellH, width: 0.7)
        s.text(style.cased("Signature"), x: margin + 4, y: y + labelSize + 3, size: labelSize, gray: 0.15)
        s.rect(margin + width * 0.6, y, width * 0.4, cellH, width: 0.7)
        s.text(style.cased("Signed On"), x: margin + width * 0.6 + 4, y: y + labelSize + 3, size: labelSize, gray: 0.15)
        ChargeSheetParts.syntheticFooter(s, y: Sketch.pageHeight - rng.double(24, 40))
        return printed
    }
}

extension LayoutStyle {
    init(copying other: LayoutStyle, colon: Bool) {
        self = other
        self.colon = colon
    }
}
