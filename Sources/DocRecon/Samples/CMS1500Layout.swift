import Foundation

/// Layout 3: a page modelled on the NUCC 1500 (02/12) claim form. The form's boxes and captions
/// are drawn in a light ink (as the red drop-out form prints in gray on a scan), the claim data
/// in black, offset a little as a printer that is not perfectly aligned would put it.
/// Boxes filled: 1a, 2, 3, 5, 21 (A-L), 24A-24J (up to 6 lines; shaded upper halves carry an NDC
/// or a qualifier and a non-NPI id), 25, 26, 28, 31, 32, 32a, 33, 33a.
enum CMS1500Layout {
    static let capSize = 5.2

    static func draw(_ r: SampleRecord, on s: Sketch, using rng: inout SeededRandom) -> PrintedRecord {
        var printed = PrintedRecord()
        let L = 30.0, R = 582.0
        // The form's own ink: a drop-out colour scanned to gray comes out light.
        let formGray = rng.double(0.5, 0.7)
        // Where the printer put the data relative to the form.
        let ox = rng.double(-3, 3), oy = rng.double(-2.5, 2.5)
        let dsize = rng.double(9, 10)
        let mono = rng.chance(0.6)
        func data(_ t: String, _ x: Double, _ y: Double, align: Sketch.Align = .left) {
            s.text(t, x: x + ox, y: y + oy, size: dsize, mono: mono, align: align)
        }
        func cap(_ t: String, _ x: Double, _ y: Double, size: Double = capSize, bold: Bool = false) {
            s.text(t, x: x, y: y, size: size, bold: bold, gray: formGray)
        }
        func box(_ x: Double, _ y: Double, _ w: Double, _ h: Double) { s.rect(x, y, w, h, width: 0.6, gray: formGray) }
        func hline(_ x0: Double, _ x1: Double, _ y: Double, _ w: Double = 0.5) { s.line(x0, y, x1, y, width: w, gray: formGray) }
        func vline(_ x: Double, _ y0: Double, _ y1: Double) { s.line(x, y0, x, y1, width: 0.5, gray: formGray) }

        // Heading.
        cap("HEALTH INSURANCE CLAIM FORM", L, 52, size: 13, bold: true)
        cap("APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12", L, 62, size: 5.5)
        cap("CARRIER", R - 40, 40, size: 6)

        // Row: 1 / 1a.
        var y = 72.0
        box(L, y, R - L, 24)
        vline(372, y, y + 24)
        cap("1. MEDICARE   MEDICAID   TRICARE   CHAMPVA   GROUP HEALTH PLAN   FECA BLK LUNG   OTHER", L + 3, y + 7)
        cap("1a. INSURED'S I.D. NUMBER", 375, y + 7)
        data(rng.chance(0.5) ? "X" : "", L + 10, y + 19)
        data(r.insuredID, 380, y + 19)

        // Row: 2 / 3 / 4.
        y += 24
        box(L, y, R - L, 24)
        vline(232, y, y + 24); vline(372, y, y + 24)
        cap("2. PATIENT'S NAME (Last Name, First Name, Middle Initial)", L + 3, y + 7)
        cap("3. PATIENT'S BIRTH DATE", 235, y + 7)
        cap("MM", 240, y + 13); cap("DD", 262, y + 13); cap("YY", 286, y + 13); cap("SEX", 330, y + 7)
        cap("4. INSURED'S NAME (Last Name, First Name, Middle Initial)", 375, y + 7)
        let cmsName = "\(r.patientLast), \(r.patientFirst)" + (r.patientMiddle.map { ", \($0)" } ?? "")
        data(cmsName, L + 8, y + 20)
        printed.fields.patientName = cmsName
        data(String(format: "%02d", r.dob.month), 238, y + 21)
        data(String(format: "%02d", r.dob.day), 260, y + 21)
        data(String(format: "%04d", r.dob.year), 282, y + 21)
        printed.fields.patientDob = r.dob.iso
        cap("M", 328, y + 20); cap("F", 352, y + 20)
        data("X", r.sex == "M" ? 336 : 360, y + 21)
        data(rng.chance(0.5) ? "SAME" : cmsName, 380, y + 20)

        // Row: 5 / 6 / 7 and the middle boxes (kept mostly empty, as on many claims).
        y += 24
        box(L, y, R - L, 72)
        vline(232, y, y + 72); vline(372, y, y + 72)
        cap("5. PATIENT'S ADDRESS (No., Street)", L + 3, y + 7)
        cap("6. PATIENT RELATIONSHIP TO INSURED", 235, y + 7)
        cap("7. INSURED'S ADDRESS (No., Street)", 375, y + 7)
        cap("CITY", L + 3, y + 31); cap("STATE", 190, y + 31); cap("ZIP CODE", L + 3, y + 55)
        data("\(rng.int(10...999)) \(rng.pick(["ASPEN CT", "BIRCH LN", "HILLTOP DR", "RIVER RD"]))", L + 8, y + 20)
        let city = r.facilityAddress[1].split(separator: " ")
        data(String(city[0]), L + 8, y + 44); data(String(city[1]), 196, y + 44)
        data(String(city[2]), L + 8, y + 68)
        data("X", 244, y + 20); cap("Self", 252, y + 20)

        // Rows 9-17 collapsed into captioned empty boxes.
        y += 72
        box(L, y, R - L, 110)
        vline(232, y, y + 110); vline(372, y, y + 110)
        let lefts = ["9. OTHER INSURED'S NAME", "9a. OTHER INSURED'S POLICY OR GROUP NUMBER", "9b. RESERVED FOR NUCC USE",
                     "9c. RESERVED FOR NUCC USE", "9d. INSURANCE PLAN NAME OR PROGRAM NAME"]
        for (i, t) in lefts.enumerated() { cap(t, L + 3, y + 7 + Double(i) * 18); hline(L, 232, y + Double(i + 1) * 18 + 6) }
        cap("10. IS PATIENT'S CONDITION RELATED TO:", 235, y + 7)
        cap("11. INSURED'S POLICY GROUP OR FECA NUMBER", 375, y + 7)
        cap("12. PATIENT'S OR AUTHORIZED PERSON'S SIGNATURE", L + 3, y + 98)
        data("SIGNATURE ON FILE", L + 40, y + 107)
        y += 110

        // Rows 14-20, then 21.
        box(L, y, R - L, 44)
        vline(232, y, y + 44); vline(372, y, y + 44)
        cap("14. DATE OF CURRENT ILLNESS, INJURY, OR PREGNANCY (LMP)", L + 3, y + 7)
        cap("17. NAME OF REFERRING PROVIDER OR OTHER SOURCE", L + 3, y + 29)
        cap("16. DATES PATIENT UNABLE TO WORK IN CURRENT OCCUPATION", 375, y + 7)
        cap("18. HOSPITALIZATION DATES RELATED TO CURRENT SERVICES", 375, y + 29)
        y += 44

        // 21: diagnoses A-L, 3 rows of 4.
        let dxTop = y
        box(L, y, 372 - L, 52)
        cap("21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY Relate A-L to service line below (24E)", L + 3, y + 7)
        cap("ICD Ind.", 300, y + 7)
        data("0", 330, y + 9)
        let icdDot = rng.chance(0.35)
        for i in 0..<12 {
            let col = i % 4, row = i / 4
            let x = L + 6 + Double(col) * 85
            let yy = y + 20 + Double(row) * 12
            cap("\(Array("ABCDEFGHIJKL")[i]).", x, yy)
            hline(x + 8, x + 70, yy + 1, 0.4)
            if i < r.diagnosisCodes.count {
                let c = r.diagnosisCodes[i]
                data(icdDot ? c : c.replacingOccurrences(of: ".", with: ""), x + 12, yy)
            }
        }
        printed.fields.diagnosisCodes = r.diagnosisCodes
        box(372, y, R - 372, 26)
        cap("22. RESUBMISSION CODE", 375, y + 7)
        box(372, y + 26, R - 372, 26)
        cap("23. PRIOR AUTHORIZATION NUMBER", 375, y + 33)
        y = dxTop + 52

        // 24: service lines. Column edges.
        let cx: [Double] = [L, 50, 68, 88, 108, 126, 146, 166, 184, 228, 246, 264, 282, 300, 338, 384, 402, 428, 444, 466, R]
        // 0 From MM, 1 DD, 2 YY, 3 To MM, 4 DD, 5 YY, 6 POS, 7 EMG, 8 CPT, 9-12 mods, 13 ptr,
        // 14 $ dollars, 15 cents, 16 units, 17 EPSDT, 18 qual, 19 rendering id
        let headH = 26.0, lineH = 24.0
        box(L, y, R - L, headH + lineH * 6)
        cap("24. A.  DATE(S) OF SERVICE", L + 3, y + 7)
        cap("From", L + 8, y + 14); cap("To", 96, y + 14)
        for (i, t) in ["MM", "DD", "YY", "MM", "DD", "YY"].enumerated() { cap(t, cx[i] + 4, y + 22) }
        cap("B.", cx[6] + 2, y + 10, size: 4); cap("PLACE OF", cx[6] + 1, y + 16, size: 3.4); cap("SERVICE", cx[6] + 1, y + 21, size: 3.4)
        cap("C.", cx[7] + 3, y + 14, size: 4); cap("EMG", cx[7] + 2, y + 20, size: 4)
        cap("D. PROCEDURES, SERVICES, OR SUPPLIES", cx[8] + 2, y + 7)
        cap("CPT/HCPCS", cx[8] + 3, y + 22); cap("MODIFIER", cx[9] + 6, y + 22)
        cap("E. DIAGNOSIS", cx[13] + 2, y + 14, size: 4.2); cap("POINTER", cx[13] + 4, y + 20, size: 4.2)
        cap("F.  $ CHARGES", cx[14] + 4, y + 14)
        cap("G. DAYS", cx[16] + 1, y + 12, size: 4.2); cap("OR", cx[16] + 4, y + 17, size: 4.2); cap("UNITS", cx[16] + 2, y + 22, size: 4.2)
        cap("H.", cx[17] + 2, y + 14, size: 4); cap("EPSDT", cx[17] + 1, y + 20, size: 3.4)
        cap("I. ID.", cx[18] + 2, y + 14, size: 4.2); cap("QUAL.", cx[18] + 2, y + 20, size: 4.2)
        cap("J. RENDERING", cx[19] + 6, y + 14); cap("PROVIDER ID. #", cx[19] + 6, y + 20)
        hline(L, R, y + headH, 0.7)
        // Major columns are divided by lines in the lower halves (24I/24J full height); the parts
        // of one field (MM|DD|YY, the four modifiers, dollars|cents) only by short ticks.
        let ticks: Set<Int> = [1, 2, 4, 5, 10, 11, 12, 15]
        for (k, c) in cx.enumerated() where k > 0 && k < cx.count - 1 {
            if k == 18 || k == 19 { vline(c, y + headH, y + headH + lineH * 6); continue }
            for i in 0..<6 {
                let bottom = y + headH + Double(i + 1) * lineH
                vline(c, ticks.contains(k) ? bottom - 3.5 : bottom - lineH / 2, bottom)
            }
        }
        let firstLineTop = y + headH
        let npiShadedID: String = rng.chance(0.5) ? r.taxonomy : String(rng.int(10_000_000...999_999_999))
        let shadedQual = npiShadedID == r.taxonomy ? "ZZ" : "G2"
        for i in 0..<6 {
            let top = firstLineTop + Double(i) * lineH
            s.fill(cx[0] + 0.4, top + 0.4, cx[18] - cx[0] - 0.8, lineH / 2 - 0.8, gray: 0.93)
            s.fill(cx[18] + 0.4, top + 0.4, R - cx[18] - 0.8, lineH / 2 - 0.8, gray: 0.93)
            hline(L, R, top + lineH / 2, 0.3)
            hline(L, R, top + lineH, 0.6)
            cap("NPI", cx[18] + 5, top + lineH - 4)
            cap("\(i + 1)", L - 11, top + lineH - 4, size: 7)
            guard i < r.lines.count else { continue }
            let l = r.lines[i]
            let upper = top + lineH / 2 - 3, lower = top + lineH - 3
            // Shaded half: NDC for drugs, and a qualifier + non-NPI id in 24I/24J.
            if let ndc = l.ndc { data("N4\(ndc) UN\(l.units)", cx[0] + 3, upper) }
            data(shadedQual, cx[18] + 4, upper)
            data(npiShadedID, cx[19] + 6, upper)
            let d = l.dateOfService
            let mm = String(format: "%02d", d.month), dd = String(format: "%02d", d.day), yy = String(format: "%02d", d.year % 100)
            for (j, t) in [mm, dd, yy, mm, dd, yy].enumerated() { data(t, cx[j] + 2, lower) }
            data(r.placeOfService, cx[6] + 3, lower)
            data(l.code, cx[8] + 4, lower)
            for (j, m) in l.modifiers.prefix(4).enumerated() { data(m, cx[9 + j] + 2, lower) }
            data(l.dxPointer, cx[13] + 4, lower)
            data(String(l.charge.cents / 100), cx[15] - 3, lower, align: .right)
            data(String(format: "%02d", Int(l.charge.cents % 100)), cx[15] + 3, lower)
            data(String(l.units), cx[17] - 4, lower, align: .right)
            data(r.providerNPI, cx[19] + 6, lower)
        }
        printed.lines = r.lines.map { l in
            SampleTruth.Line(code: l.code, modifiers: Array(l.modifiers.prefix(4)), units: l.units, charge: l.charge.decimalString,
                             dateOfService: l.dateOfService.iso, dxPointer: l.dxPointer)
        }
        printed.fields.dateOfService = r.lines[0].dateOfService.iso
        printed.fields.placeOfService = r.placeOfService
        printed.fields.providerNpi = r.providerNPI
        y = firstLineTop + lineH * 6

        // 25-30.
        box(L, y, R - L, 24)
        for x in [190.0, 300.0, 384, 466, 530] { vline(x, y, y + 24) }
        cap("25. FEDERAL TAX I.D. NUMBER", L + 3, y + 7); cap("SSN EIN", 150, y + 7)
        cap("26. PATIENT'S ACCOUNT NO.", 193, y + 7)
        cap("27. ACCEPT ASSIGNMENT?", 303, y + 7)
        cap("28. TOTAL CHARGE", 387, y + 7)
        cap("29. AMOUNT PAID", 469, y + 7)
        cap("30. Rsvd for NUCC Use", 533, y + 7, size: 4.2)
        data("\(rng.int(10...99))-\(rng.int(1_000_000...9_999_999))", L + 8, y + 20)
        data(r.accountNumber, 196, y + 20)
        printed.fields.accountNumber = r.accountNumber
        data("X", 310, y + 20); cap("YES", 320, y + 20)
        cap("$", 388, y + 20)
        vline(448, y + 12, y + 24)
        data(String(r.total.cents / 100), 445, y + 20, align: .right)
        data(String(format: "%02d", Int(r.total.cents % 100)), 451, y + 20)
        printed.fields.totalCharge = r.total.decimalString
        y += 24

        // 31 / 32 / 33.
        box(L, y, R - L, 62)
        vline(190, y, y + 62); vline(384, y, y + 62)
        cap("31. SIGNATURE OF PHYSICIAN OR SUPPLIER", L + 3, y + 7)
        cap("INCLUDING DEGREES OR CREDENTIALS", L + 3, y + 13)
        cap("32. SERVICE FACILITY LOCATION INFORMATION", 193, y + 7)
        cap("33. BILLING PROVIDER INFO & PH #", 387, y + 7)
        let provider = "\(r.providerFirst.uppercased()) \(r.providerLast.uppercased()) \(r.providerCredential)"
        data(provider, L + 6, y + 32)
        printed.fields.renderingProvider = provider
        cap("SIGNED", L + 3, y + 46); cap("DATE", 120, y + 46)
        data(String(format: "%02d %02d %02d", r.dateOfService.month, r.dateOfService.day, r.dateOfService.year % 100), 136, y + 46)
        let facility = r.facility.uppercased()
        data(facility, 196, y + 22)
        data(r.facilityAddress[0], 196, y + 33)
        data(r.facilityAddress[1], 196, y + 44)
        printed.fields.facility = facility
        data(r.billingName, 390, y + 22)
        data(r.billingAddress[0], 390, y + 33)
        data(r.billingAddress[1], 390, y + 44)
        hline(190, R, y + 50, 0.4)
        cap("a.", 193, y + 58); cap("b.", 290, y + 58); cap("a.", 387, y + 58); cap("b.", 484, y + 58)
        var facRng = rng.fork()
        data(NPI.random(using: &facRng), 200, y + 59)
        data(r.billingNPI, 394, y + 59)
        y += 62
        cap("NUCC Instruction Manual available at: www.nucc.org", L, y + 10, size: 5.5)
        cap("PLEASE PRINT OR TYPE", 270, y + 10, size: 6, bold: true)
        ChargeSheetParts.syntheticFooter(s, y: Sketch.pageHeight - 22)
        return printed
    }
}
