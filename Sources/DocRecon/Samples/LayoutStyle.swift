import Foundation

/// How one document prints its labels and values: wording, case, colons, date and money forms.
/// Chosen at random per document so no two sheets share one fixed form.
struct LayoutStyle {
    enum Case { case title, upper, lower }
    var labelCase: Case
    var colon: Bool
    /// 0 MM/DD/YYYY, 1 MM-DD-YYYY, 2 YYYY-MM-DD
    var dateFormat: Int
    var dollarSign: Bool
    var icdDot: Bool
    var providerForm: Int
    var facilityUpper: Bool

    init(using rng: inout SeededRandom) {
        labelCase = rng.pick([.title, .title, .upper, .upper, .lower])
        colon = rng.chance(0.6)
        dateFormat = rng.pick([0, 0, 1, 2])
        dollarSign = rng.chance(0.5)
        icdDot = rng.chance(0.75)
        providerForm = rng.int(0...2)
        facilityUpper = rng.chance(0.3)
    }

    static let patient = ["Patient", "Patient Name", "Name"]
    static let dob = ["DOB", "Date of Birth", "Birth Date"]
    static let account = ["Account #", "Account No.", "Acct No.", "Account Number", "Patient Account No.", "MRN"]
    static let dos = ["Date of Service", "DOS", "Service Date", "Visit Date"]
    static let facility = ["Facility", "Location", "Service Location"]
    static let pos = ["POS", "Place of Service"]
    static let provider = ["Provider", "Rendering Provider", "Physician"]
    static let npi = ["NPI", "Provider NPI"]
    static let diagnoses = ["Diagnoses", "Diagnosis", "ICD-10", "ICD-10 Codes", "Dx"]
    static let code = ["CPT", "CPT/HCPCS", "Code", "Procedure", "CPT Code"]
    static let modifier = ["Modifier", "Mod", "Modifiers"]
    static let units = ["Units", "Qty", "Days or Units"]
    static let charge = ["Charge", "Charges", "Fee", "Amount"]
    static let pointer = ["Dx Ptr", "Pointer", "Dx Pointer", "Diag Ptr"]
    static let lineDate = ["DOS", "Date", "Service Date"]
    static let total = ["Total", "Total Charges", "Total Charge"]

    /// A label in this document's case, with or without a colon.
    func label(_ s: String, colon withColon: Bool? = nil) -> String {
        cased(s) + ((withColon ?? colon) ? ":" : "")
    }
    func cased(_ s: String) -> String {
        switch labelCase {
        case .title: return s
        case .upper: return s.uppercased()
        case .lower: return s.lowercased()
        }
    }
    func date(_ d: CalendarDate) -> String {
        switch dateFormat {
        case 1: return String(format: "%02d-%02d-%04d", d.month, d.day, d.year)
        case 2: return d.iso
        default: return String(format: "%02d/%02d/%04d", d.month, d.day, d.year)
        }
    }
    func money(_ m: Money) -> String {
        guard dollarSign else { return m.decimalString }
        let dollars = String(m.cents / 100)
        var grouped = ""
        for (i, ch) in dollars.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { grouped.append(",") }
            grouped.append(ch)
        }
        return "$" + String(grouped.reversed()) + String(format: ".%02d", Int(m.cents % 100))
    }
    func icd(_ code: String) -> String { icdDot ? code : code.replacingOccurrences(of: ".", with: "") }
    func provider(_ r: SampleRecord) -> String {
        switch providerForm {
        case 0: return "\(r.providerFirst) \(r.providerLast), \(r.providerCredential)"
        case 1: return "\(r.providerLast.uppercased()), \(r.providerFirst.uppercased())"
        default: return "Dr. \(r.providerFirst) \(r.providerLast)"
        }
    }
    func facility(_ r: SampleRecord) -> String { facilityUpper ? r.facility.uppercased() : r.facility }
}

/// What a layout printed, in canonical forms: becomes the record of the truth file.
struct PrintedRecord {
    var fields = SampleTruth.Fields()
    var lines: [SampleTruth.Line] = []
}

/// The sample layouts. Each draws one record onto a Sketch at exact positions.
public enum SampleLayout: String, CaseIterable, Sendable {
    case superbill
    case encounterForm = "encounter-form"
    case cms1500
    case chargeTicket = "charge-ticket"
    case claimForm = "claim-form"

    var documentType: String { self == .cms1500 ? "cms1500" : "charge_sheet" }

    func draw(_ r: SampleRecord, on s: Sketch, using rng: inout SeededRandom) -> PrintedRecord {
        switch self {
        case .superbill: return SuperbillLayout.draw(r, on: s, using: &rng)
        case .encounterForm: return EncounterFormLayout.draw(r, on: s, using: &rng)
        case .chargeTicket: return ChargeTicketLayout.draw(r, on: s, using: &rng)
        case .cms1500: return CMS1500Layout.draw(r, on: s, using: &rng)
        case .claimForm: return ClaimFormLayout.draw(r, on: s, using: &rng)
        }
    }
}

/// One column of a service-line table.
struct TableColumn {
    enum Kind: Equatable { case date, code, modifier, pointer, units, charge
        /// One modifier slot of a table that gives each modifier its own column (0-based).
        case modifierSlot(Int)
    }
    var kind: Kind
    var header: String
    var align: Sketch.Align
    var x = 0.0, width = 0.0
}

extension TableColumn.Kind {
    func value(_ l: SampleLine, style: LayoutStyle, modSeparator: String) -> String {
        switch self {
        case .date: return style.date(l.dateOfService)
        case .code: return l.code
        case .modifier: return l.modifiers.joined(separator: modSeparator)
        case .modifierSlot(let i): return i < l.modifiers.count ? l.modifiers[i] : ""
        case .pointer: return l.dxPointer
        case .units: return String(l.units)
        case .charge: return style.money(l.charge)
        }
    }
}

extension PrintedRecord {
    /// Truth lines for the columns a table printed.
    static func lines(_ r: SampleRecord, printedDates: Bool, printedPointers: Bool) -> [SampleTruth.Line] {
        r.lines.map { l in
            SampleTruth.Line(code: l.code, modifiers: l.modifiers, units: l.units, charge: l.charge.decimalString,
                             dateOfService: printedDates ? l.dateOfService.iso : nil,
                             dxPointer: printedPointers ? l.dxPointer : nil)
        }
    }
}
