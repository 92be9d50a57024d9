import Foundation

/// Layout 5: a claim-style form a practice's own software prints: NOT the NUCC 1500 (no red
/// blank under it, no fixed boxes) but borrowing its words: box-numbered labels
/// (`2. PATIENT'S NAME (Last Name, First Name)`) with the value below them, in cells placed in
/// an order and at widths of its own; the distractors a real claim carries (insured's name and
/// ID, tax ID, billing provider and its NPI); a service table headed `24A. DATE(S) OF SERVICE`,
/// `D. CPT/HCPCS`, `F. $ CHARGES`, `G. DAYS OR UNITS`… with columns in any order, sometimes
/// dollars and cents split by a rule.
enum ClaimFormLayout {
    static let titles = ["HEALTH INSURANCE CLAIM FORM", "CLAIM FORM", "PROFESSIONAL CLAIM", "CLAIM FOR MEDICAL SERVICES",
                         "PHYSICIAN CLAIM FORM", "Health Insurance Claim"]
    static let patient = ["2. PATIENT'S NAME (Last Name, First Name)", "2. PATIENT'S NAME (Last Name, First Name, Middle Initial)",
                          "2. PATIENT NAME", "2. PATIENT'S NAME"]
    static let dob = ["3. PATIENT'S BIRTH DATE", "3. BIRTH DATE (MM DD YYYY)", "3. PATIENT'S DATE OF BIRTH", "3. DOB"]
    static let account = ["26. PATIENT'S ACCOUNT NO.", "26. PATIENT ACCOUNT NUMBER", "26. ACCOUNT NO.", "26. PATIENT'S ACCOUNT #"]
    static let facility = ["32. SERVICE FACILITY LOCATION INFORMATION", "32. SERVICE FACILITY", "32. FACILITY NAME",
                           "32. SERVICE FACILITY LOCATION"]
    static let provider = ["31. SIGNATURE OF PHYSICIAN OR SUPPLIER", "31. RENDERING PROVIDER", "31. PHYSICIAN OR SUPPLIER",
                           "31. RENDERING PHYSICIAN"]
    static let npi = ["24J. RENDERING PROVIDER NPI", "RENDERING PROVIDER NPI", "24J. RENDERING NPI", "RENDERING NPI"]
    static let pos = ["24B. PLACE OF SERVICE", "PLACE OF SERVICE", "24B. POS"]
    static let diagnoses = ["21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY", "21. DIAGNOSIS CODES (ICD-10)", "21. ICD-10 DIAGNOSIS",
                            "21. DIAGNOSIS OR NATURE OF ILLNESS"]
    static let total = ["28. TOTAL CHARGE", "28. TOTAL CHARGES", "28. TOTAL", "TOTAL CHARGE"]
    static let insuredID = ["1a. INSURED'S I.D. NUMBER", "1a. INSURED'S ID NUMBER", "1a. MEMBER ID"]
    static let insuredName = ["4. INSURED'S NAME (Last Name, First Name)", "4. INSURED'S NAME", "4. SUBSCRIBER NAME"]
    static let address = ["5. PATIENT'S ADDRESS (No., Street)", "5. PATIENT'S ADDRESS", "5. ADDRESS"]
    static let taxID = ["25. FEDERAL TAX I.D. NUMBER", "25. FEDERAL TAX ID", "25. TAX ID (EIN)"]
    static let billing = ["33. BILLING PROVIDER INFO & PH #", "33. BILLING PROVIDER", "33. BILLING PROVIDER NAME"]
    static let billingNPI = ["33a. NPI", "33a. BILLING PROVIDER NPI", "33a. BILLING NPI"]

    enum Column: CaseIterable { case date, pos, code, modifier, pointer, charge, units, npi }
    static func headers(_ c: Column) -> [String] {
        switch c {
        case .date: return ["24A. DATE(S) OF SERVICE", "24A. DATE OF SERVICE", "A. DATE OF SERVICE", "24A. FROM"]
        case .pos: return ["B. POS", "B. PLACE OF SERVICE", "24B. POS"]
        case .code: return ["D. CPT/HCPCS", "D. PROCEDURES, SERVICES, OR SUPPLIES", "D. CPT/HCPCS CODE", "24D. CPT/HCPCS"]
        case .modifier: return ["MODIFIER", "D. MODIFIER", "MOD."]
        case .pointer: return ["E. DIAGNOSIS POINTER", "E. DX POINTER", "24E. DIAG. POINTER"]
        case .charge: return ["F. $ CHARGES", "F. CHARGES", "24F. $ CHARGES"]
        case .units: return ["G. DAYS OR UNITS", "G. UNITS", "24G. DAYS OR UNITS"]
        case .npi: return ["J. RENDERING PROVIDER ID. #", "J. RENDERING NPI", "24J. RENDERING PROVIDER NPI"]
        }
    }

    struct Cell { var label: String; var value: String; var extra: String? = nil }

    static func draw(_ r: SampleRecord, on s: Sketch, using rng: inout SeededRandom) -> PrintedRecord {
        var printed = PrintedRecord()
        let margin = rng.double(30, 52), right = Sketch.pageWidth - rng.double(30, 52)
        var y = rng.double(38, 62)
        let mono = rng.chance(0.4)
        let labelSize = rng.double(6.2, 7.4), valueSize = rng.double(9, 10.5)
        let upperValues = rng.chance(0.7)
        func v(_ t: String) -> String { upperValues ? t.uppercased() : t }
        // 0 MM DD YYYY, 1 MM/DD/YYYY, 2 MM-DD-YYYY
        let dobForm = rng.int(0...2)
        func dobText(_ d: CalendarDate) -> String {
            switch dobForm {
            case 0: return String(format: "%02d %02d %04d", d.month, d.day, d.year)
            case 1: return String(format: "%02d/%02d/%04d", d.month, d.day, d.year)
            default: return String(format: "%02d-%02d-%04d", d.month, d.day, d.year)
            }
        }
        // 0 MM DD YY, 1 MM/DD/YY, 2 MM/DD/YYYY
        let lineDateForm = rng.int(0...2)
        func lineDate(_ d: CalendarDate) -> String {
            switch lineDateForm {
            case 0: return String(format: "%02d %02d %02d", d.month, d.day, d.year % 100)
            case 1: return String(format: "%02d/%02d/%02d", d.month, d.day, d.year % 100)
            default: return String(format: "%02d/%02d/%04d", d.month, d.day, d.year)
            }
        }
        let dollarSign = rng.chance(0.5)
        func money(_ m: Money) -> String { (dollarSign ? "$" : "") + m.decimalString }

        // Title.
        let title = rng.pick(titles)
        let centered = rng.chance(0.6)
        s.text(title, x: centered ? Sketch.pageWidth / 2 : margin, y: y, size: rng.double(12, 15), bold: true,
               align: centered ? .center : .left)
        y += rng.double(12, 18)
        if rng.chance(0.5) {
            s.text(r.billingName, x: centered ? Sketch.pageWidth / 2 : margin, y: y, size: 8, align: centered ? .center : .left, gray: 0.25)
            y += 12
        }
        y += rng.double(4, 12)

        // The header cells: the fields, and what a claim carries besides them.
        let providerName = "\(r.providerFirst) \(r.providerLast) \(r.providerCredential)"
        let name = r.patientName
        var cells: [Cell] = []
        cells.append(Cell(label: rng.pick(insuredID), value: r.insuredID))
        cells.append(Cell(label: rng.pick(patient), value: name))
        printed.fields.patientName = name
        cells.append(Cell(label: rng.pick(dob), value: dobText(r.dob)))
        printed.fields.patientDob = r.dob.iso
        if rng.chance(0.6) { cells.append(Cell(label: rng.pick(insuredName), value: rng.chance(0.5) ? "SAME" : name)) }
        if rng.chance(0.5) {
            cells.append(Cell(label: rng.pick(address), value: v("\(rng.int(10...999)) \(rng.pick(SampleData.streets))")))
        }
        if rng.chance(0.6) { cells.append(Cell(label: rng.pick(taxID), value: "\(rng.int(10...99))-\(rng.int(1_000_000...9_999_999))")) }
        cells.append(Cell(label: rng.pick(account), value: r.accountNumber))
        printed.fields.accountNumber = r.accountNumber
        let fac = v(r.facility)
        cells.append(Cell(label: rng.pick(facility), value: fac, extra: rng.chance(0.6) ? v(r.facilityAddress.joined(separator: " ")) : nil))
        printed.fields.facility = fac
        cells.append(Cell(label: rng.pick(provider), value: v(providerName)))
        printed.fields.renderingProvider = v(providerName)
        if rng.chance(0.5) { cells.append(Cell(label: rng.pick(billing), value: v(r.billingName))) }
        if rng.chance(0.35) { cells.append(Cell(label: rng.pick(billingNPI), value: r.billingNPI)) }

        // Service-table columns: the 1500's order, or any order.
        var columns: [Column] = [.date, .pos, .code, .modifier, .pointer, .charge, .units]
        let npiInTable = rng.chance(0.5)
        if npiInTable { columns.append(.npi) } else { cells.append(Cell(label: rng.pick(npi), value: r.providerNPI)) }
        printed.fields.providerNpi = r.providerNPI
        let posInTable = rng.chance(0.5)
        if !posInTable {
            columns.removeAll { $0 == .pos }
            cells.append(Cell(label: rng.pick(pos), value: r.placeOfService))
        }
        printed.fields.placeOfService = r.placeOfService
        if rng.chance(0.5) { columns.shuffle(using: &rng) }
        if rng.chance(0.4) { cells.shuffle(using: &rng) }

        // Cells in rows of two or three, boxed or open.
        let boxed = rng.chance(0.6)
        let cellH = labelSize + valueSize + rng.double(11, 16)
        let width = right - margin
        var i = 0
        func need(_ c: Cell) -> Double {
            max(s.width(c.label, size: labelSize), s.width(c.value, size: valueSize, mono: mono),
                c.extra.map { s.width($0, size: valueSize - 1, mono: mono) } ?? 0) + 14
        }
        while i < cells.count {
            var n = min(cells.count - i, rng.pick([2, 2, 3]))
            // A cell holds its label and its value: fewer to a row when they do not fit.
            while n > 1, cells[i..<(i + n)].map(need).reduce(0, +) > width { n -= 1 }
            let needs = cells[i..<(i + n)].map(need)
            let spare = width - needs.reduce(0, +)
            let weights = (0..<n).map { _ in rng.double(0.8, 1.4) }
            let sum = weights.reduce(0, +)
            var x = margin
            let rowH = cells[i..<(i + n)].contains { $0.extra != nil } ? cellH + valueSize + 3 : cellH
            for k in 0..<n {
                let c = cells[i + k]
                let w = needs[k] + max(0, spare) * weights[k] / sum
                if boxed { s.rect(x, y, w, rowH, width: 0.7) }
                s.text(c.label, x: x + 3, y: y + labelSize + 2, size: labelSize, gray: 0.1)
                s.text(c.value, x: x + 6, y: y + labelSize + valueSize + 6, size: valueSize, mono: mono)
                if let e = c.extra { s.text(e, x: x + 6, y: y + labelSize + 2 * valueSize + 9, size: valueSize - 1, mono: mono) }
                x += w
            }
            if !boxed { s.line(margin, y + rowH, right, y + rowH, width: 0.4, gray: 0.4) }
            y += rowH
            i += n
        }
        y += rng.double(8, 16)

        // 21: lettered diagnosis codes, in one or two rows.
        let icdDot = rng.chance(0.5)
        let dxLabel = rng.pick(diagnoses)
        let perRow = rng.pick([3, 4, 6])
        let dxRows = (r.diagnosisCodes.count + perRow - 1) / perRow
        let dxH = labelSize + Double(dxRows) * (valueSize + 5) + 10
        if boxed { s.rect(margin, y, width, dxH, width: 0.7) }
        s.text(dxLabel, x: margin + 3, y: y + labelSize + 2, size: labelSize, gray: 0.1)
        let slot = (width - 12) / Double(perRow)
        for (k, code) in r.diagnosisCodes.enumerated() {
            let row = k / perRow, col = k % perRow
            let letter = String(Array("ABCDEFGHIJKL")[k])
            let text = "\(letter). \(icdDot ? code : code.replacingOccurrences(of: ".", with: ""))"
            s.text(text, x: margin + 6 + Double(col) * slot, y: y + labelSize + 4 + Double(row) * (valueSize + 5) + valueSize + 2,
                   size: valueSize, mono: mono)
        }
        printed.fields.diagnosisCodes = r.diagnosisCodes
        y += dxH + rng.double(10, 18)

        // 24: the service table.
        let splitCents = rng.chance(0.4)
        let tsize = valueSize - rng.double(0, 0.8)
        let modSep = rng.pick([" ", "  "])
        func cellText(_ c: Column, _ l: SampleLine) -> String {
            switch c {
            case .date: return lineDate(l.dateOfService)
            case .pos: return r.placeOfService
            case .code: return l.code
            case .modifier: return l.modifiers.joined(separator: modSep)
            case .pointer: return l.dxPointer
            case .charge: return splitCents ? String(l.charge.cents / 100) : money(l.charge)
            case .units: return String(l.units)
            case .npi: return r.providerNPI
            }
        }
        var headerText = columns.map { rng.pick(headers($0)) }
        var pad = rng.double(12, 22)
        var hsize = labelSize
        func columnWidths() -> [Double] {
            columns.indices.map { k -> Double in
                var w = s.width(headerText[k], size: hsize, bold: true)
                for l in r.lines { w = max(w, s.width(cellText(columns[k], l), size: tsize, mono: mono) + (columns[k] == .charge && splitCents ? 22 : 0)) }
                return w + pad
            }
        }
        var widths = columnWidths()
        // A printer's table fits its page: narrower padding, then smaller headers, then the shortest wording.
        var shortened = false
        while widths.reduce(0, +) > width {
            if pad > 7 { pad -= 2 } else if hsize > 5.6 { hsize -= 0.3 } else if !shortened {
                headerText = columns.map { c in headers(c).min { $0.count < $1.count }! }
                shortened = true
            } else { break }
            widths = columnWidths()
        }
        let used = widths.reduce(0, +)
        if used < width { for k in widths.indices { widths[k] += (width - used) / Double(widths.count) } }
        var xs: [Double] = []
        var x = margin
        for w in widths { xs.append(x); x += w }
        let tableRight = x
        let rowH = tsize * rng.double(2.0, 2.5)
        let tableTop = y
        let headerH = hsize * 2.6
        for (k, h) in headerText.enumerated() {
            s.text(h, x: xs[k] + 3, y: y + hsize + 3, size: hsize, bold: true)
        }
        y += headerH
        s.line(margin, y, tableRight, y, width: 0.8)
        let ruled = rng.chance(0.6)
        for l in r.lines {
            for (k, c) in columns.enumerated() {
                let t = cellText(c, l)
                let base = y + rowH * 0.68
                if c == .charge && splitCents {
                    let centsX = xs[k] + widths[k] - 16
                    s.text(t, x: centsX - 4, y: base, size: tsize, mono: mono, align: .right)
                    s.text(String(format: "%02d", Int(l.charge.cents % 100)), x: centsX + 3, y: base, size: tsize, mono: mono)
                } else if c == .charge || c == .units {
                    s.text(t, x: xs[k] + widths[k] - 6, y: base, size: tsize, mono: mono, align: .right)
                } else {
                    s.text(t, x: xs[k] + 5, y: base, size: tsize, mono: mono)
                }
            }
            y += rowH
            if ruled { s.line(margin, y, tableRight, y, width: 0.4, gray: 0.35) }
        }
        if boxed || ruled {
            s.rect(margin, tableTop, tableRight - margin, y - tableTop, width: 0.8)
            for k in xs.indices.dropFirst() { s.line(xs[k], tableTop, xs[k], y, width: 0.4) }
        }
        if splitCents, let k = columns.firstIndex(of: .charge) {
            let centsX = xs[k] + widths[k] - 16
            s.line(centsX, tableTop + headerH, centsX, y, width: 0.4, gray: 0.2)
        }
        printed.lines = r.lines.map { l in
            SampleTruth.Line(code: l.code, modifiers: l.modifiers, units: l.units, charge: l.charge.decimalString,
                             dateOfService: l.dateOfService.iso, dxPointer: l.dxPointer)
        }
        printed.fields.dateOfService = r.lines[0].dateOfService.iso
        y += rng.double(10, 18)

        // 28: the total, in a cell of its own at the right, split like the table's charges.
        let totalLabel = rng.pick(total)
        let tw = max(150, s.width(totalLabel, size: labelSize) + 20)
        let tx = right - tw
        if boxed { s.rect(tx, y, tw, cellH, width: 0.7) }
        s.text(totalLabel, x: tx + 3, y: y + labelSize + 2, size: labelSize, gray: 0.1)
        let ty = y + labelSize + valueSize + 6
        if splitCents {
            s.text((dollarSign ? "$ " : "") + String(r.total.cents / 100), x: tx + tw - 24, y: ty, size: valueSize, mono: mono, align: .right)
            s.line(tx + tw - 20, y + labelSize + 4, tx + tw - 20, y + cellH - 2, width: 0.4, gray: 0.2)
            s.text(String(format: "%02d", Int(r.total.cents % 100)), x: tx + tw - 16, y: ty, size: valueSize, mono: mono)
        } else {
            s.text(money(r.total), x: tx + tw - 8, y: ty, size: valueSize, mono: mono, align: .right)
        }
        printed.fields.totalCharge = r.total.decimalString
        ChargeSheetParts.syntheticFooter(s, y: Sketch.pageHeight - rng.double(20, 34))
        return printed
    }
}
