import Foundation

/// Builds the sample ICE export that overlaps the sample paper sheets (Samples/sheets/*.json
/// ground truth): one row per service line, as ICE would write it (`Last, First`, US dates,
/// one CPT per row with its Units and Modifier), except for deliberate differences so the demo
/// and the end-to-end test show every kind of set:
/// - one line left out of ICE (a paper-only charge),
/// - one line with other units in ICE (a mismatch),
/// - a few ICE rows with no sheet (ICE-only).
public enum MatchSamples {
    public enum Change: Sendable, Equatable {
        /// The line never reached ICE.
        case leaveOut
        /// ICE has these units instead.
        case units(Int)
    }

    /// (truth file name, record index, line index) → change. Born-digital sheets carry a text
    /// layer, so what extraction reads from them is what the ground truth says.
    public static let changes: [String: Change] = [
        "born-digital-01-encounter-form.json/0/1": .leaveOut,    // 71046 on paper only
        "born-digital-01-encounter-form.json/0/2": .units(1),    // 93000: paper 2, ICE 1
    ]

    public static let headers = ["Patient Name", "DOB", "Date of Service", "Type of Care", "Type of Visit", "Facility", "Room",
                                 "Assessment", "CPT", "Units", "Modifier", "Chief Complaint", "Visit Type",
                                 "Servicing Provider", "Supervising Provider", "Time", "Code Status", "Observation",
                                 "Encounter Status", "Status Aux", "Export Date"]

    struct Truth: Decodable {
        struct Record: Decodable {
            var fields: [String: TruthValue]
            var lines: [[String: TruthValue]]
        }
        var records: [Record]
    }

    enum TruthValue: Decodable {
        case text(String), int(Int), list([String])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) { self = .int(i) }
            else if let l = try? c.decode([String].self) { self = .list(l) }
            else { self = .text(try c.decode(String.self)) }
        }
        var text: String {
            switch self { case .text(let s): return s; case .int(let i): return String(i); case .list(let l): return l.joined(separator: ", ") }
        }
    }

    /// `RIVERA, ANA` → `Rivera, Ana` (ICE's own spelling of the same name).
    static func iceName(_ s: String) -> String {
        s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).capitalized }.joined(separator: ", ")
    }

    static func us(_ iso: String) -> String {
        guard let d = CalendarDate(iso: iso) else { return iso }
        return d.usDashed
    }

    /// The export's rows (header first) from every `*.json` ground truth in `truthDir`.
    public static func iceRows(truthDir: String, exportDate: CalendarDate) throws -> [[String]] {
        let files = try FileManager.default.contentsOfDirectory(atPath: truthDir).filter { $0.hasSuffix(".json") }.sorted()
        var rows: [[String]] = [headers]
        var room = 100
        for f in files {
            let truth = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: URL(fileURLWithPath: "\(truthDir)/\(f)")))
            for (ri, r) in truth.records.enumerated() {
                let fv = { (k: String) in r.fields[k]?.text ?? "" }
                room += 1
                for (li, line) in r.lines.enumerated() {
                    let change = changes["\(f)/\(ri)/\(li)"]
                    if change == .leaveOut { continue }
                    var units = line["units"]?.text ?? "1"
                    if case .units(let u)? = change { units = String(u) }
                    let dos = line["date_of_service"]?.text ?? fv("date_of_service")
                    rows.append([iceName(fv("patient_name")), us(fv("patient_dob")), us(dos), "LTC", "Follow-up", fv("facility"),
                                 String(room), fv("diagnosis_codes"), line["code"]?.text ?? "", units,
                                 line["modifiers"]?.text ?? "", "Follow-up visit", "Follow-up", fv("rendering_provider"), "",
                                 "25", "Full Code", "No", "Completed", "", exportDate.usDashed])
                }
            }
        }
        // ICE-only: encounters with no paper sheet.
        let extra: [(String, String, String, String, String)] = [
            ("Lindqvist, Harper", "1948-04-11", "2026-11-02", "Cedar Hill Care Center", "99309"),
            ("Okafor, Bruno", "1939-12-01", "2026-11-03", "Willow Creek Rehabilitation", "99310"),
            ("Haldane, Rosa", "1952-08-19", "2026-11-03", "Riverside Medical Center", "99308"),
        ]
        for (name, dob, dos, facility, cpt) in extra {
            room += 1
            rows.append([name, us(dob), us(dos), "LTC", "Follow-up", facility, String(room), "I10", cpt, "1", "",
                         "Follow-up visit", "Follow-up", "Dr. Dana Mercer", "", "25", "Full Code", "No", "Completed", "",
                         exportDate.usDashed])
        }
        return rows
    }

    /// RFC 4180 CSV (quotes around cells holding a comma, quote or line break).
    public static func csv(_ rows: [[String]]) -> String {
        rows.map { r in
            r.map { c in
                c.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                    ? "\"" + c.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : c
            }.joined(separator: ",")
        }.joined(separator: "\r\n") + "\r\n"
    }
}
