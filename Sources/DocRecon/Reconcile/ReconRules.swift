import Foundation
import Yams

/// A column of a source export (ICE or EBS): the field it feeds and the header spellings.
public struct SourceColumn: Codable, Sendable, Equatable {
    public var field: String
    public var header: String
    public var aliases: [String]
    public var required: Bool
    public var type: String?

    public init(field: String, header: String, aliases: [String] = [], required: Bool = false, type: String? = nil) {
        self.field = field; self.header = header; self.aliases = aliases; self.required = required; self.type = type
    }

    enum CodingKeys: String, CodingKey { case field, header, aliases, required, type }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        field = try c.decode(String.self, forKey: .field)
        header = try c.decodeIfPresent(String.self, forKey: .header) ?? field
        aliases = try c.decodeIfPresent([String].self, forKey: .aliases) ?? []
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
        type = try c.decodeIfPresent(String.self, forKey: .type)
    }

    public var isDate: Bool { type == "date" }
}

/// The column map of a source (Rules/sources/ice.yaml, ebs.yaml).
public struct SourceMap: Codable, Sendable {
    public var title: String
    public var columns: [SourceColumn]
    public var rejectedStatuses: [String]

    enum CodingKeys: String, CodingKey { case title, columns, rejectedStatuses = "rejected_statuses" }
    public init(title: String, columns: [SourceColumn], rejectedStatuses: [String] = []) {
        self.title = title; self.columns = columns; self.rejectedStatuses = rejectedStatuses
    }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        title = try c.decodeIfPresent(String.self, forKey: .title) ?? "export"
        columns = try c.decode([SourceColumn].self, forKey: .columns)
        rejectedStatuses = try c.decodeIfPresent([String].self, forKey: .rejectedStatuses) ?? []
    }

    /// Header spelling folded for matching: lower-case, without spaces, `_`, `-`, `.`.
    public static func fold(_ header: String) -> String {
        String(header.lowercased().unicodeScalars.filter { !" \t\r\n_-./".unicodeScalars.contains($0) }.map(Character.init))
    }

    /// For each header position, the index in `columns` it feeds (nil: kept, fed to no field).
    /// The first header matching a column wins; later duplicates are kept as plain columns.
    public func match(headers: [String]) -> (mapping: [Int?], missing: [SourceColumn]) {
        var byAlias: [String: Int] = [:]
        for (i, col) in columns.enumerated() {
            for a in [col.header] + col.aliases where byAlias[SourceMap.fold(a)] == nil { byAlias[SourceMap.fold(a)] = i }
        }
        var used = Set<Int>()
        var mapping: [Int?] = []
        for h in headers {
            if let i = byAlias[SourceMap.fold(h)], !used.contains(i) { mapping.append(i); used.insert(i) } else { mapping.append(nil) }
        }
        let missing = columns.enumerated().filter { $0.element.required && !used.contains($0.offset) }.map(\.element)
        return (mapping, missing)
    }
}

/// One billing check of Rules/billing.yaml.
public struct BillingCheck: Codable, Sendable {
    public enum Kind: String, Codable, Sendable { case diagnosis, cptPresent = "cpt_present", cptFormat = "cpt_format", facility, provider }
    public var check: Kind
    public var allowHcpcs: Bool
    public var roster: [String]
    public var rosterCsv: String?
    public var rosterColumn: String?

    enum CodingKeys: String, CodingKey { case check, allowHcpcs = "allow_hcpcs", roster, rosterCsv = "roster_csv", rosterColumn = "roster_column" }
    public init(check: Kind, allowHcpcs: Bool = true, roster: [String] = [], rosterCsv: String? = nil, rosterColumn: String? = nil) {
        self.check = check; self.allowHcpcs = allowHcpcs; self.roster = roster; self.rosterCsv = rosterCsv; self.rosterColumn = rosterColumn
    }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        let raw = try c.decode(String.self, forKey: .check)
        guard let k = Kind(rawValue: raw) else {
            throw SpreadsheetError("billing.yaml: unknown check '\(raw)' (known: diagnosis, cpt_present, cpt_format, facility, provider)")
        }
        check = k
        allowHcpcs = try c.decodeIfPresent(Bool.self, forKey: .allowHcpcs) ?? true
        roster = try c.decodeIfPresent([String].self, forKey: .roster) ?? []
        rosterCsv = try c.decodeIfPresent(String.self, forKey: .rosterCsv)
        rosterColumn = try c.decodeIfPresent(String.self, forKey: .rosterColumn)
    }
}

public struct BillingRules: Codable, Sendable {
    public var checks: [BillingCheck]
    public init(checks: [BillingCheck]) { self.checks = checks }
    public static let `default` = BillingRules(checks: [
        .init(check: .diagnosis), .init(check: .cptPresent), .init(check: .cptFormat),
        .init(check: .facility), .init(check: .provider),
    ])
}

/// Output settings (Rules/reconciliation.yaml); every value has the default users know.
public struct ReconciliationSettings: Codable, Sendable {
    public var generalTitle = "General Reconciliation {date}"
    public var masterTitle = "Master Missing to {date}"
    public var dataSheet = "Data"
    public var summarySheet = "Summary"
    public var masterSheet = "Master Missing"
    public var billedColumn = "Billed"
    public var reasonColumn = "Reason for not billed"
    public var yes = "Yes"
    public var no = "No"
    public var dateFormat = "mm/dd/yyyy"
    public var agingFrom = "date_of_service"
    public var agingBuckets = [30, 60, 90, 120]
    public var reasons: [String: String] = ReconciliationSettings.defaultReasons
    /// The Summary sheet's headers, by column (`summary_columns:`), in the order of `summaryFields`.
    public var summaryColumns: [String: String] = ReconciliationSettings.defaultSummaryColumns
    /// The Master Missing sheet's headers, by column (`master_columns:`; Billed and the reason
    /// are `billed_column` and `reason_column`).
    public var masterColumns: [String: String] = ReconciliationSettings.defaultMasterColumns

    public static let summaryFields = ["date", "facility", "provider", "type_of_care", "billed", "cpts"]
    /// The headers of the prototype the users know.
    public static let defaultSummaryColumns = [
        "date": "Date", "facility": "Facility", "provider": "Provider", "type_of_care": "Type of Care",
        "billed": "PRM Billing", "cpts": "CPTs",
    ]
    public static let masterFields = ["patient_name", "dob", "date_of_service", "type_of_care", "type_of_visit", "facility", "cpt",
                                      "last_attempt", "first_seen", "days_outstanding", "aging"]
    public static let defaultMasterColumns = [
        "patient_name": "Patient Name", "dob": "DOB", "date_of_service": "Date of Service", "type_of_care": "Type of Care",
        "type_of_visit": "Type of Visit", "facility": "Facility", "cpt": "CPT", "last_attempt": "Last Attempt to Process",
        "first_seen": "First Seen", "days_outstanding": "Days Outstanding", "aging": "Aging",
    ]
    public var summaryHeaders: [String] { ReconciliationSettings.summaryFields.map { summaryColumns[$0] ?? $0 } }
    public func masterHeader(_ field: String) -> String { masterColumns[field] ?? field }

    public static let defaultReasons = [
        "diagnosis": "Missing DX", "cpt_present": "Missing CPT", "cpt_format": "Invalid CPT",
        "facility": "Invalid Facility", "provider": "Provider validation failed",
        "not_posted": "Not posted in EBS", "rejected_in_ebs": "Rejected in EBS",
    ]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case generalTitle = "general_title", masterTitle = "master_title", dataSheet = "data_sheet"
        case summarySheet = "summary_sheet", masterSheet = "master_sheet", billedColumn = "billed_column"
        case reasonColumn = "reason_column", yes, no, dateFormat = "date_format", agingFrom = "aging_from"
        case agingBuckets = "aging_buckets", reasons, summaryColumns = "summary_columns", masterColumns = "master_columns"
    }
    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        let def = ReconciliationSettings()
        generalTitle = try c.decodeIfPresent(String.self, forKey: .generalTitle) ?? def.generalTitle
        masterTitle = try c.decodeIfPresent(String.self, forKey: .masterTitle) ?? def.masterTitle
        dataSheet = try c.decodeIfPresent(String.self, forKey: .dataSheet) ?? def.dataSheet
        summarySheet = try c.decodeIfPresent(String.self, forKey: .summarySheet) ?? def.summarySheet
        masterSheet = try c.decodeIfPresent(String.self, forKey: .masterSheet) ?? def.masterSheet
        billedColumn = try c.decodeIfPresent(String.self, forKey: .billedColumn) ?? def.billedColumn
        reasonColumn = try c.decodeIfPresent(String.self, forKey: .reasonColumn) ?? def.reasonColumn
        yes = try c.decodeIfPresent(String.self, forKey: .yes) ?? def.yes
        no = try c.decodeIfPresent(String.self, forKey: .no) ?? def.no
        dateFormat = try c.decodeIfPresent(String.self, forKey: .dateFormat) ?? def.dateFormat
        agingFrom = try c.decodeIfPresent(String.self, forKey: .agingFrom) ?? def.agingFrom
        agingBuckets = try c.decodeIfPresent([Int].self, forKey: .agingBuckets) ?? def.agingBuckets
        let r = try c.decodeIfPresent([String: String].self, forKey: .reasons) ?? [:]
        reasons = def.reasons.merging(r) { _, new in new }
        func columns(_ key: CodingKeys, known: [String], defaults: [String: String]) throws -> [String: String] {
            let given = try c.decodeIfPresent([String: String].self, forKey: key) ?? [:]
            for (k, v) in given {
                guard known.contains(k) else {
                    throw SpreadsheetError("reconciliation.yaml: \(key.rawValue): unknown column '\(k)' (known: \(known.joined(separator: ", ")))")
                }
                guard !v.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw SpreadsheetError("reconciliation.yaml: \(key.rawValue): the header of '\(k)' is empty")
                }
            }
            return defaults.merging(given) { _, new in new }
        }
        summaryColumns = try columns(.summaryColumns, known: Self.summaryFields, defaults: Self.defaultSummaryColumns)
        masterColumns = try columns(.masterColumns, known: Self.masterFields, defaults: Self.defaultMasterColumns)
    }

    public func reason(_ key: String) -> String { reasons[key] ?? ReconciliationSettings.defaultReasons[key] ?? key }

    /// The aging bucket label of a number of days ("0-30", ..., "120+").
    public func agingBucket(days: Int) -> String {
        var lower = 0
        for b in agingBuckets {
            if days <= b { return "\(lower)-\(b)" }
            lower = b + 1
        }
        return "\(agingBuckets.last ?? 0)+"
    }
}

/// Everything the reconciliation reads from Rules/.
public struct ReconRules: Sendable {
    public var ice: SourceMap
    public var ebs: SourceMap
    public var billing: BillingRules
    public var settings: ReconciliationSettings
    /// Rosters resolved from the billing checks (folded names), nil when not configured.
    public var facilityRoster: Set<String>?
    public var providerRoster: Set<String>?
    /// Rules/matching.yaml (paper charges against ICE rows), nil when the folder has none.
    public var matching: MatchRules?

    /// Loads Rules/ from `dir` (default: the checkout's Rules/).
    public static func load(dir explicit: String? = nil) throws -> ReconRules {
        guard let dir = explicit ?? ProjectPaths.rules else {
            throw SpreadsheetError("cannot find the Rules/ folder; pass --rules DIR")
        }
        func decode<T: Decodable>(_ type: T.Type, _ rel: String) throws -> T {
            let path = "\(dir)/\(rel)"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw SpreadsheetError("\(rel): cannot be read in \(dir)")
            }
            do { return try YAMLDecoder().decode(T.self, from: text) } catch let e as SpreadsheetError { throw e } catch {
                throw SpreadsheetError("\(rel): \(error)")
            }
        }
        var rules = ReconRules(ice: try decode(SourceMap.self, "sources/ice.yaml"),
                               ebs: try decode(SourceMap.self, "sources/ebs.yaml"),
                               billing: try decode(BillingRules.self, "billing.yaml"),
                               settings: try decode(ReconciliationSettings.self, "reconciliation.yaml"))
        if FileManager.default.fileExists(atPath: "\(dir)/matching.yaml") {
            rules.matching = try MatchRules.load(path: "\(dir)/matching.yaml")
        }
        for check in rules.billing.checks where check.check == .facility || check.check == .provider {
            var names = check.roster
            if let csv = check.rosterCsv {
                names += try ReconRules.readRoster(path: csv.hasPrefix("/") ? csv : "\(dir)/\(csv)", column: check.rosterColumn)
            }
            guard !names.isEmpty else { continue }
            let set = Set(names.map(Normalize.name))
            if check.check == .facility { rules.facilityRoster = set } else { rules.providerRoster = set }
        }
        return rules
    }

    public init(ice: SourceMap, ebs: SourceMap, billing: BillingRules, settings: ReconciliationSettings) {
        self.ice = ice; self.ebs = ebs; self.billing = billing; self.settings = settings
    }

    static func readRoster(path: String, column: String?) throws -> [String] {
        let reader = try CSVReader(path: path)
        var col = 0
        var names: [String] = []
        var first = true
        try reader.forEachRow { _, cells in
            if first {
                first = false
                if let column {
                    guard let i = cells.firstIndex(where: { SourceMap.fold($0.text) == SourceMap.fold(column) }) else {
                        throw SpreadsheetError("\((path as NSString).lastPathComponent): no column '\(column)'")
                    }
                    col = i
                    return
                }
            }
            if col < cells.count, !cells[col].isEmpty { names.append(cells[col].text) }
        }
        return names
    }
}

/// Rules being loaded on a thread of their own, so that a command opens its database meanwhile
/// (the YAML files, ~4 ms, and the database open, ~6 ms, need nothing of each other).
public final class PendingRules: @unchecked Sendable {
    private let worker: Worker
    private let loaded = ResultBox<ReconRules>()

    public init(dir: String?) {
        let loaded = self.loaded
        worker = Worker { loaded.value = try ReconRules.load(dir: dir) }
    }

    /// The rules, or the error loading them threw (the same as `ReconRules.load`).
    public func value() throws -> ReconRules {
        try worker.wait()
        guard let rules = loaded.value else { throw SpreadsheetError("the rules were not loaded") }
        return rules
    }
}
