import Foundation

/// An EBS posted-charges export: per encounter key, posted or rejected (with EBS' reason).
public struct EbsExport: Sendable {
    public var file: String
    public var sha256: String
    public var statuses: [EncounterKey: EbsStatus]
    public var rejectedRows: [RowRejection]

    public static func load(path: String, rules: ReconRules, limits: SpreadsheetLimits = .init()) throws -> EbsExport {
        let name = (path as NSString).lastPathComponent
        let sha = try SHA256.hexOfFile(path)
        let source = try Spreadsheet.open(path: path, limits: limits)
        let map = rules.ebs
        let rejectedStatuses = Set(map.rejectedStatuses.map(Normalize.name))
        var pos: [String: Int] = [:]
        var headers: [String] = []
        var sawHeader = false
        var statuses: [EncounterKey: EbsStatus] = [:]
        var bad: [RowRejection] = []
        try source.forEachRow { rowNumber, cells in
            if !sawHeader {
                sawHeader = true
                headers = cells.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
                let (m, missing) = map.match(headers: headers)
                if !missing.isEmpty {
                    throw SpreadsheetError("\(name): missing required column\(missing.count > 1 ? "s" : "") "
                                           + missing.map { "'\($0.header)'" }.joined(separator: ", "))
                }
                for (i, ci) in m.enumerated() { if let ci { pos[map.columns[ci].field] = i } }
                return
            }
            func cell(_ f: String) -> CellValue { pos[f].flatMap { $0 < cells.count ? cells[$0] : nil } ?? .empty }
            func text(_ f: String) -> String { cell(f).text.trimmingCharacters(in: .whitespacesAndNewlines) }
            var dates: [CalendarDate] = []
            for f in ["patient_dob", "date_of_service"] {
                let c = cell(f)
                guard let d = DateText.from(c, system: source.dateSystem) else {
                    let h = headers[pos[f]!]
                    bad.append(RowRejection(row: rowNumber, reason: c.isEmpty ? "\(h) is empty" : "\(h) is not a date", value: c.isEmpty ? nil : c.text))
                    return
                }
                dates.append(d)
            }
            let key = EncounterKey.make(patientName: text("patient_name"), dob: dates[0], dateOfService: dates[1],
                                        facility: text("facility"), cpt: text("cpt"))
            let reason = text("rejection_reason")
            let status = Normalize.name(text("status"))
            let rejected = !reason.isEmpty || rejectedStatuses.contains(status)
            if rejected {
                // A posted row for the same encounter wins over a rejection (it was resubmitted).
                if statuses[key] != .posted {
                    statuses[key] = .rejected(reason.isEmpty ? rules.settings.reason("rejected_in_ebs") : reason)
                }
            } else {
                statuses[key] = .posted
            }
        }
        guard sawHeader else { throw SpreadsheetError("\(name): the sheet is empty (no header row)") }
        return EbsExport(file: name, sha256: sha, statuses: statuses, rejectedRows: bad)
    }
}
