import Foundation

/// Layout 3: the NUCC 1500 (02/12) claim form itself: the blank (Rules/forms/cms1500-02-12.pdf,
/// rendered by poppler under the data, in its red drop-out ink) filled in its own boxes (the
/// template's, measured on the blank), the whole print shifted a little as a printer that is not
/// perfectly aligned puts it. Boxes filled: 1a, 2, 3, 4, 5, 11, 12, 21 (A-L), 24A-24J (up to 6
/// lines; shaded upper halves carry an NDC), 25, 26, 27, 28, 31, 32, 32a, 33, 33a.
enum CMS1500Layout {
    /// The blank and its boxes, from the rules (the same the reader registers against).
    struct Form {
        let blank: String
        let boxes: [String: FormLayout.Box]
    }

    static let form: Form? = {
        guard let rules = ProjectPaths.rules,
              let t = try? TemplateLoader.load(path: rules + "/templates/cms1500.yaml"), let f = t.form else { return nil }
        return Form(blank: f.reference, boxes: f.boxes)
    }()

    static func draw(_ r: SampleRecord, on s: Sketch, using rng: inout SeededRandom) -> PrintedRecord {
        var printed = PrintedRecord()
        guard let form = form else { return printed }
        s.pdfPage(form.blank, page: 1)
        // Where the printer put the data relative to the form.
        let ox = rng.double(-2.5, 2.5), oy = rng.double(-2, 2)
        let size = rng.double(9, 10)
        let mono = rng.chance(0.5)
        /// Types `t` in box `name`: left-aligned (or right-aligned, for dollars), on the box's lower part.
        func put(_ name: String, _ t: String, align: Sketch.Align = .left, at x: Double? = nil) {
            guard let b = form.boxes[name], !t.isEmpty else { return }
            let baseline = b.y1 - max(1.5, (b.y1 - b.y0 - size * 0.72) / 2)
            let xx = x ?? (align == .right ? b.x1 - 1.5 : b.x0 + 1.5)
            s.text(t, x: xx + ox, y: baseline + oy, size: size, mono: mono, align: align)
        }
        func two(_ n: Int) -> String { String(format: "%02d", n) }

        put("insurance_id", r.insuredID)
        let name = r.patientName
        put("pt_name", name)
        printed.fields.patientName = name
        put("birth_mm", two(r.dob.month)); put("birth_dd", two(r.dob.day)); put("birth_yy", String(format: "%04d", r.dob.year))
        printed.fields.patientDob = r.dob.iso
        put("ins_name", rng.chance(0.5) ? "SAME" : name)
        put("pt_street", "\(rng.int(10...999)) \(rng.pick(["ASPEN CT", "BIRCH LN", "HILLTOP DR", "RIVER RD"]))")
        let city = r.facilityAddress[1].split(separator: " ").map(String.init)
        put("pt_city", city[0]); put("pt_state", city.count > 1 ? city[1] : ""); put("pt_zip", city.count > 2 ? city[2] : "")
        put("ins_policy", "GRP\(rng.int(10_000...99_999))")
        put("pt_signature", "SIGNATURE ON FILE")
        put("99icd", "0")
        let icdDot = rng.chance(0.35)
        for (i, c) in r.diagnosisCodes.prefix(12).enumerated() {
            put("diagnosis\(i + 1)", icdDot ? c : c.replacingOccurrences(of: ".", with: ""))
        }
        printed.fields.diagnosisCodes = Array(r.diagnosisCodes.prefix(12))
        let shaded = ["Suppl", "Suppla", "Supplb", "Supplc", "Suppld", "Supple"]
        for (i, l) in r.lines.prefix(6).enumerated() {
            let n = i + 1
            if let ndc = l.ndc { put(shaded[i], "N4\(ndc) UN\(l.units)") }
            let d = l.dateOfService
            for side in ["from", "end"] {
                put("sv\(n)_mm_\(side)", two(d.month)); put("sv\(n)_dd_\(side)", two(d.day)); put("sv\(n)_yy_\(side)", two(d.year % 100))
            }
            put("place\(n)", r.placeOfService)
            put("cpt\(n)", l.code)
            for (j, m) in l.modifiers.prefix(4).enumerated() { put(["mod\(n)", "mod\(n)a", "mod\(n)b", "mod\(n)c"][j], m) }
            put("diag\(n)", l.dxPointer)
            // 24F: dollars up to the cents line (at 416 pt), cents after it.
            put("ch\(n)", String(l.charge.cents / 100), align: .right, at: 414.5)
            put("ch\(n)", two(Int(l.charge.cents % 100)), at: 418.5)
            put("day\(n)", String(l.units))
            put("local\(n)", r.providerNPI)
        }
        printed.lines = r.lines.prefix(6).map { l in
            SampleTruth.Line(code: l.code, modifiers: Array(l.modifiers.prefix(4)), units: l.units, charge: l.charge.decimalString,
                             dateOfService: l.dateOfService.iso, dxPointer: l.dxPointer)
        }
        printed.fields.dateOfService = r.lines[0].dateOfService.iso
        printed.fields.placeOfService = r.placeOfService
        printed.fields.providerNpi = r.providerNPI
        put("tax_id", "\(rng.int(10...99))-\(rng.int(1_000_000...9_999_999))")
        put("pt_account", r.accountNumber)
        printed.fields.accountNumber = r.accountNumber
        // 28: dollars up to its cents line (at 432.5 pt).
        put("t_charge", String(r.total.cents / 100), align: .right, at: 431)
        put("t_charge", two(Int(r.total.cents % 100)), at: 435)
        printed.fields.totalCharge = r.total.decimalString
        put("amt_paid", "0 00")
        let provider = "\(r.providerFirst.uppercased()) \(r.providerLast.uppercased()) \(r.providerCredential)"
        put("physician_signature", provider)
        printed.fields.renderingProvider = provider
        let signed = r.lines.map(\.dateOfService).max() ?? r.dateOfService
        put("physician_date", "\(two(signed.month))-\(two(signed.day))-\(two(signed.year % 100))")
        let facility = r.facility.uppercased()
        put("fac_name", facility)
        printed.fields.facility = facility
        put("fac_street", r.facilityAddress[0]); put("fac_location", r.facilityAddress[1])
        put("doc_name", r.billingName); put("doc_street", r.billingAddress[0]); put("doc_location", r.billingAddress[1])
        var facRng = rng.fork()
        put("pin1", NPI.random(using: &facRng))
        put("pin", r.billingNPI)
        ChargeSheetParts.syntheticFooter(s, y: Sketch.pageHeight - 6)
        return printed
    }
}
