import Foundation

/// Writes synthetic ICE exports (and a matching EBS export) for benchmarks, samples and tests.
/// Seeded and deterministic; every name, date and code is generated: no real patient data.
/// CPT values are code numbers only.
public struct IceGenerator {
    public var rows: Int
    public var seed: UInt64
    public var exportDate: CalendarDate
    /// Every `badDateEvery`-th data row gets a Date of Service that is not a date (0: none).
    public var badDateEvery = 0

    public init(rows: Int, seed: UInt64 = 42, exportDate: CalendarDate = CalendarDate(year: 2026, month: 11, day: 20)!) {
        self.rows = rows; self.seed = seed; self.exportDate = exportDate
    }

    public static let headers = ["Patient Name", "DOB", "Date of Service", "Type of Care", "Type of Visit", "Facility", "Room",
                                 "Assessment", "CPT", "Chief Complaint", "Visit Type", "Servicing Provider",
                                 "Supervising Provider", "Time", "Code Status", "Observation", "Encounter Status",
                                 "Status Aux", "Export Date"]

    typealias RNG = SplitMix64

    static let first = ["ALDA", "BRENNA", "CASPER", "DORIAN", "ELSPETH", "FENWICK", "GISELLE", "HOLLIS", "IVORY", "JASPER",
                        "KESTREL", "LUCAN", "MIRABEL", "NOLAN", "ORLA", "PERRIN", "QUILLA", "ROWAN", "SABLE", "TAMSIN",
                        "ULRIC", "VESNA", "WREN", "XANTHE", "YORICK", "ZELIE", "ANSEL", "BEATRIX", "CORMAC", "DELPHINE"]
    static let last = ["ABERNATHY", "BRIGHTWATER", "CALLOWAY", "DUNMORE", "ELLERBY", "FAIRCLOTH", "GALLOWAY", "HARTWELL",
                       "IVERSEN", "JESSOP", "KINGSLEY", "LOCKWOOD", "MERRIWEATHER", "NETHERCOTT", "OAKHURST", "PEMBERTON",
                       "QUARTERMAIN", "ROSSITER", "SOMERVILLE", "THORNBURY", "UNDERHILL", "VANTERPOOL", "WHITLOCK",
                       "YARBOROUGH", "ZANGWILL", "ASHCROFT", "BLACKWOOD", "CROMWELL", "DRAYTON", "EVERSLEY"]
    static let facilities = ["Maple Grove Care Center", "Riverbend Skilled Nursing", "Cedar Hollow Rehab", "Willow Creek Manor",
                             "Harbor View Health", "Pinecrest Assisted Living", "Sunfield Care Home", "Oak Terrace Nursing",
                             "Lakeside Medical Center", "Briarwood Senior Living", "Stonegate Hospital", "Meadowlark Gardens"]
    static let providers = ["Avery Quinlan MD", "Blake Ostrander DO", "Carmen Velasquez NP", "Dana Whitford MD",
                            "Elliot Marchetti PA", "Frances Okonkwo MD", "Gideon Thorne NP", "Harper Lindqvist MD"]
    static let care = ["LTC", "LTC", "LTC", "Acute", "SNF", "ALF"]
    static let visit = ["Follow-up", "Follow-up", "Initial", "Discharge", "Annual"]
    static let cpts = ["99304", "99305", "99306", "99307", "99308", "99309", "99310", "99221", "99222", "99231", "99232",
                       "99233", "99347", "99348", "99349", "99350", "G0439", "1111F"]
    static let dx = ["I10", "E11.9", "N18.3", "J44.9", "F03.90", "I50.9", "E78.5", "M17.11", "R26.81", "Z79.4", "G30.9", "L89.152"]
    static let complaints = ["Routine follow-up", "Shortness of breath", "Fall", "Wound check", "Cough", "Confusion",
                             "Medication review", "Pain"]

    /// The rows as cells (header first), in the kinds an ICE export uses: names and codes as
    /// text, DOB as a date cell, Date of Service as text in one of the usual forms, Room and
    /// Time as numbers.
    public func makeRows(_ body: (Int, [CellValue]) throws -> Void) rethrows {
        var rng = RNG(state: seed)
        try body(1, IceGenerator.headers.map { .text($0) })
        var cells = [CellValue](repeating: .empty, count: IceGenerator.headers.count)
        for i in 0..<rows {
            let rowNumber = i + 2
            let name = "\(rng.pick(IceGenerator.last)), \(rng.pick(IceGenerator.first))"
            let dob = CalendarDate(year: 1925 + rng.int(65), month: 1 + rng.int(12), day: 1 + rng.int(28))!
            let dos = exportDate.adding(days: -rng.int(7))
            cells[0] = .text(name)
            cells[1] = rng.chance(90) ? .date(dob) : .text(dob.usDashed)
            switch rng.int(3) {
            case 0: cells[2] = .text(dos.usDashed)
            case 1: cells[2] = .text(String(format: "%02d/%02d/%04d", dos.month, dos.day, dos.year))
            default: cells[2] = .date(dos)
            }
            if badDateEvery > 0 && (i + 1) % badDateEvery == 0 { cells[2] = .text("13-45-\(dos.year)") }
            cells[3] = .text(rng.pick(IceGenerator.care))
            cells[4] = .text(rng.pick(IceGenerator.visit))
            cells[5] = rng.chance(1) ? .empty : .text(rng.pick(IceGenerator.facilities))
            cells[6] = .number(Double(100 + rng.int(300)))
            if rng.chance(3) { cells[7] = .empty } else {
                let n = 1 + rng.int(3)
                cells[7] = .text((0..<n).map { _ in rng.pick(IceGenerator.dx) }.joined(separator: ", "))
            }
            if rng.chance(1.5) { cells[8] = .empty } else if rng.chance(1) { cells[8] = .text("9930") } else { cells[8] = .text(rng.pick(IceGenerator.cpts)) }
            cells[9] = .text(rng.pick(IceGenerator.complaints))
            cells[10] = .text(rng.chance(85) ? "In person" : "Telehealth")
            cells[11] = rng.chance(1) ? .empty : .text(rng.pick(IceGenerator.providers))
            cells[12] = rng.chance(70) ? .empty : .text(rng.pick(IceGenerator.providers))
            cells[13] = .number(Double(10 + 5 * rng.int(10)))
            cells[14] = .text(rng.chance(70) ? "Full Code" : "DNR")
            cells[15] = .text(rng.chance(90) ? "No" : "Yes")
            cells[16] = .text("Completed")
            cells[17] = .empty
            cells[18] = .date(exportDate)
            try body(rowNumber, cells)
        }
    }

    /// Writes the export as .xlsx (by libxlsxwriter) or .csv, by the path's extension.
    public func write(path: String) throws {
        if path.lowercased().hasSuffix(".csv") {
            var out = [UInt8]()
            out.reserveCapacity(rows * 200 + 1024)
            makeRows { _, cells in
                for (i, c) in cells.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    let t: String
                    if case .date(let d) = c { t = d.usDashed } else { t = c.text }
                    if t.contains(",") || t.contains("\"") || t.contains("\n") {
                        out.append(UInt8(ascii: "\""))
                        out.append(contentsOf: t.replacingOccurrences(of: "\"", with: "\"\"").utf8)
                        out.append(UInt8(ascii: "\""))
                    } else {
                        out.append(contentsOf: t.utf8)
                    }
                }
                out.append(contentsOf: "\r\n".utf8)
            }
            guard FileManager.default.createFile(atPath: path, contents: Data(out), attributes: [.posixPermissions: 0o600]) else {
                throw SpreadsheetError("\((path as NSString).lastPathComponent): cannot be written")
            }
            return
        }
        let wb = try XlsxWorkbook(path: path, constantMemory: rows > 100_000)
        let sheet = try wb.addSheet("Sheet1")
        makeRows { rowNumber, cells in
            if rowNumber == 1 { sheet.writeHeader(cells.map(\.text)); return }
            for (c, v) in cells.enumerated() { sheet.write(rowNumber - 1, c, v) }
        }
        try wb.close()
    }

    /// An EBS export for the same rows: most encounters that pass our checks are posted, some
    /// are rejected with an EBS reason, a few are missing (not posted yet).
    public func writeEbs(path: String, rules: ReconRules) throws {
        let evaluator = BillingEvaluator(rules: rules)
        var rng = RNG(state: seed ^ 0xEB5)
        let wb = try XlsxWorkbook(path: path, constantMemory: rows > 100_000)
        let sheet = try wb.addSheet("Posted Charges")
        sheet.writeHeader(["Patient Name", "DOB", "DOS", "Facility", "CPT Code", "Claim Status", "Rejection Reason"])
        var out = 0
        makeRows { rowNumber, cells in
            guard rowNumber > 1 else { return }
            guard let dob = DateText.from(cells[1], system: .excel1900), let dos = DateText.from(cells[2], system: .excel1900) else { return }
            let charge = Charge(source: .ice, patientName: cells[0].text, patientDob: dob, dateOfService: dos, facility: cells[5].text,
                                typeOfCare: cells[3].text, typeOfVisit: cells[4].text, servicingProvider: cells[11].text,
                                cpt: cells[8].text, diagnosisCodes: cells[7].text)
            guard evaluator.ownReason(charge) == nil else { return }
            let roll = rng.int(100)
            if roll < 4 { return }  // not posted yet
            out += 1
            sheet.write(out, 0, text: charge.patientName)
            sheet.write(out, 1, date: dob)
            sheet.write(out, 2, date: dos)
            sheet.write(out, 3, text: charge.facility)
            sheet.write(out, 4, text: charge.cpt)
            if roll < 7 {
                sheet.write(out, 5, text: "Rejected")
                sheet.write(out, 6, text: roll == 4 ? "Eligibility not verified" : "Provider validation failed")
            } else {
                sheet.write(out, 5, text: "Posted")
            }
        }
        try wb.close()
    }
}
