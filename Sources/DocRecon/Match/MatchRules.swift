import Foundation
import Yams

/// The kinds of record a matching rule can link.
public enum MatchKind: String, Codable, Sendable, CaseIterable {
    /// One service line extracted from a paper charge sheet (a `charges` row with source paper).
    case paperCharge = "paper_charge"
    /// One row of an ICE export (a `charges` row with source ice).
    case iceRow = "ice_row"
    /// A charge posted in EBS (not stored yet: rules naming it are loaded and stay inactive).
    case ebsCharge = "ebs_charge"
    /// A whole paper sheet (not matched on its own yet: rules naming it stay inactive).
    case paperSheet = "paper_sheet"

    /// The kinds the `charges` table holds today.
    public var isStored: Bool { self == .paperCharge || self == .iceRow }

    public static func of(_ source: ChargeSource) -> MatchKind { source == .paper ? .paperCharge : .iceRow }
}

/// A field of a charge a rule may block on, test or compare.
public enum MatchField: String, Codable, Sendable, CaseIterable {
    case patientName = "patient_name"
    case patientDob = "patient_dob"
    case dateOfService = "date_of_service"
    case facility
    case cpt
    case modifiers
    case units
    case amount
    case servicingProvider = "servicing_provider"
    case providerNpi = "provider_npi"
    case accountNumber = "account_number"
    case typeOfCare = "type_of_care"
    case typeOfVisit = "type_of_visit"
    case diagnosisCodes = "diagnosis_codes"

    public enum ValueType: String, Sendable { case name, text, date, integer, money }

    public var valueType: ValueType {
        switch self {
        case .patientName, .servicingProvider: return .name
        case .patientDob, .dateOfService: return .date
        case .units: return .integer
        case .amount: return .money
        default: return .text
        }
    }
}

/// A scored test on one field of two records.
public enum MatchTest: Sendable, Equatable {
    /// Equal after the field's normalisation (names: `nameKey`, text: `normalise`).
    case equal
    /// Equal after name normalisation, whatever the field.
    case equalName
    /// Two dates at most `days` apart.
    case dateWithin(days: Int)
    /// Two amounts differing by at most `cents`, or by at most `basisPoints` of the larger one.
    case amountWithin(cents: Int64?, basisPoints: Int64?)
    /// Jaro-Winkler similarity of the normalised values at or above the threshold.
    case jaroWinkler(atLeast: Double)
    /// Normalised Levenshtein similarity of the normalised values at or above the threshold.
    case levenshtein(atLeast: Double)

    public var name: String {
        switch self {
        case .equal: return "equal"
        case .equalName: return "equal_name"
        case .dateWithin: return "date_within"
        case .amountWithin: return "amount_within"
        case .jaroWinkler: return "jaro_winkler"
        case .levenshtein: return "levenshtein"
        }
    }
    public static let names = ["equal", "equal_name", "date_within", "amount_within", "jaro_winkler", "levenshtein"]
}

public struct MatchPredicate: Sendable, Equatable {
    public var field: MatchField
    public var test: MatchTest
    public var weight: Double
    /// When true the predicate is skipped (neither passes nor fails) if either side has no value.
    public var whenPresent: Bool
    public init(field: MatchField, test: MatchTest, weight: Double = 1, whenPresent: Bool = false) {
        self.field = field; self.test = test; self.weight = weight; self.whenPresent = whenPresent
    }
}

public struct MatchRule: Sendable, Equatable {
    public var name: String
    public var links: (MatchKind, MatchKind)
    /// The encounter-level rule this line-level rule works inside: only records that rule linked
    /// are candidates, each code of a record takes at most one partner, and earlier line rules
    /// take precedence over later ones.
    public var within: String?
    public var blocking: [MatchField]
    public var predicates: [MatchPredicate]
    /// Accept a pair when (passed weight / evaluated weight) ≥ accept. No evaluated predicate = 1.
    public var accept: Double

    public var isActive: Bool { links.0.isStored && links.1.isStored }

    public init(name: String, links: (MatchKind, MatchKind), within: String? = nil, blocking: [MatchField],
                predicates: [MatchPredicate] = [], accept: Double = 1) {
        self.name = name; self.links = links; self.within = within; self.blocking = blocking
        self.predicates = predicates; self.accept = accept
    }

    public static func == (a: MatchRule, b: MatchRule) -> Bool {
        a.name == b.name && a.links == b.links && a.within == b.within && a.blocking == b.blocking
            && a.predicates == b.predicates && a.accept == b.accept
    }
}

/// A field compared across a linked paper/ICE pair; a failed comparison makes the set a mismatch.
public struct MatchComparison: Sendable, Equatable {
    public var field: MatchField
    public var test: MatchTest
    public var whenPresent: Bool
    public init(field: MatchField, test: MatchTest = .equal, whenPresent: Bool = false) {
        self.field = field; self.test = test; self.whenPresent = whenPresent
    }
}

public struct MatchRules: Sendable, Equatable {
    public var rules: [MatchRule]
    public var differences: [MatchComparison]
    /// A hash of the source text: stored sets remember which rules made them.
    public var fingerprint: String

    public init(rules: [MatchRule], differences: [MatchComparison], fingerprint: String = "") {
        self.rules = rules; self.differences = differences
        self.fingerprint = fingerprint.isEmpty ? String(MatchText.stableHash("\(rules.map(\.name))\(differences.map(\.field))")) : fingerprint
    }

    public var activeRules: [MatchRule] { rules.filter(\.isActive) }
    public var rootRules: [MatchRule] { activeRules.filter { $0.within == nil } }
    public func lineRules(within root: String) -> [MatchRule] { activeRules.filter { $0.within == root } }

    /// `Rules/matching.yaml` of the checkout (or of `rulesDir`).
    public static func shipped(rulesDir: String? = nil) throws -> MatchRules {
        guard let dir = rulesDir ?? ProjectPaths.rules else {
            throw MatchRulesError(file: "Rules/matching.yaml", line: nil, message: "cannot find the Rules/ folder")
        }
        return try load(path: "\(dir)/matching.yaml")
    }

    public static func load(path: String) throws -> MatchRules {
        let name = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MatchRulesError(file: name, line: nil, message: "cannot read the file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: name)
    }

    /// Parses the YAML text; every error names the file and the line.
    public static func parse(_ text: String, file: String = "matching.yaml") throws -> MatchRules {
        let p = RulesParser(file: file)
        let root: Node
        do {
            guard let n = try Yams.compose(yaml: text) else { throw p.error(nil, "the file is empty") }
            root = n
        } catch let e as YamlError {
            throw MatchRulesError(file: file, line: yamlLine(e), message: "not valid YAML: \(yamlProblem(e))")
        }
        return try p.rules(root, fingerprint: String(MatchText.stableHash(text)))
    }

    private static func yamlLine(_ e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let m, _), .parser(_, _, let m, _), .composer(_, _, let m, _): return m.line
        default: return nil
        }
    }
    private static func yamlProblem(_ e: YamlError) -> String {
        switch e {
        case .scanner(_, let p, _, _), .parser(_, let p, _, _), .composer(_, let p, _, _): return p
        default: return "\(e)"
        }
    }
}

public struct MatchRulesError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var message: String
    public var description: String { line.map { "\(file) line \($0): \(message)" } ?? "\(file): \(message)" }
}

/// Walks the YAML node tree so that errors can point at the line they come from.
private struct RulesParser {
    let file: String

    func error(_ node: Node?, _ message: String) -> MatchRulesError {
        MatchRulesError(file: file, line: node?.mark?.line, message: message)
    }

    func mapping(_ node: Node, _ what: String) throws -> [(String, Node, Node)] {
        guard let m = node.mapping else { throw error(node, "\(what) must be a mapping (key: value)") }
        return try m.map { k, v in
            guard let ks = k.string else { throw error(k, "keys of \(what) must be text") }
            return (ks, k, v)
        }
    }

    func sequence(_ node: Node, _ what: String) throws -> [Node] {
        guard let s = node.sequence else { throw error(node, "\(what) must be a list") }
        return Array(s)
    }

    func string(_ node: Node, _ what: String) throws -> String {
        guard let s = node.scalar?.string, !s.isEmpty else { throw error(node, "\(what) must be a text value") }
        return s
    }

    func number(_ node: Node, _ what: String, in range: ClosedRange<Double>? = nil) throws -> Double {
        guard let s = node.scalar?.string, let d = Double(s), d.isFinite else {
            throw error(node, "\(what) must be a number, not '\(node.scalar?.string ?? "…")'")
        }
        if let r = range, !r.contains(d) { throw error(node, "\(what) must be between \(r.lowerBound) and \(r.upperBound), not \(s)") }
        return d
    }

    func integer(_ node: Node, _ what: String) throws -> Int64 {
        guard let s = node.scalar?.string, let i = Int64(s), i >= 0 else {
            throw error(node, "\(what) must be a whole number ≥ 0, not '\(node.scalar?.string ?? "…")'")
        }
        return i
    }

    func bool(_ node: Node, _ what: String) throws -> Bool {
        guard let b = node.bool else { throw error(node, "\(what) must be true or false") }
        return b
    }

    func field(_ node: Node) throws -> MatchField {
        let s = try string(node, "a field")
        guard let f = MatchField(rawValue: s) else {
            throw error(node, "unknown field '\(s)' (known: \(MatchField.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return f
    }

    func kind(_ node: Node) throws -> MatchKind {
        let s = try string(node, "a kind")
        guard let k = MatchKind(rawValue: s) else {
            throw error(node, "unknown kind '\(s)' (known: \(MatchKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return k
    }

    func rules(_ root: Node, fingerprint: String) throws -> MatchRules {
        var rules: [MatchRule] = []
        var marks: [(rule: Node, within: Node?, blocking: Node?)] = []
        var differences: [MatchComparison] = []
        var sawRules = false
        for (key, keyNode, value) in try mapping(root, "the file") {
            switch key {
            case "version":
                guard value.int == 1 else { throw error(value, "version must be 1") }
            case "rules":
                sawRules = true
                for r in try sequence(value, "rules") {
                    rules.append(try rule(r))
                    let kv = try mapping(r, "a rule")
                    marks.append((r, kv.first { $0.0 == "within" }?.2, kv.first { $0.0 == "blocking" }?.2))
                }
            case "differences":
                for d in try sequence(value, "differences") { differences.append(try comparison(d)) }
            default:
                throw error(keyNode, "unknown key '\(key)' (expected version, rules, differences)")
            }
        }
        guard sawRules, !rules.isEmpty else { throw error(root, "no rules: add a 'rules:' list") }
        // Cross-rule checks.
        var names = Set<String>()
        for (r, m) in zip(rules, marks) {
            if !names.insert(r.name).inserted { throw error(m.rule, "two rules are named '\(r.name)'") }
        }
        for (r, m) in zip(rules, marks) {
            if let w = r.within {
                guard let parent = rules.first(where: { $0.name == w }) else {
                    throw error(m.within, "rule '\(r.name)': within names no rule '\(w)'")
                }
                guard parent.within == nil else {
                    throw error(m.within, "rule '\(r.name)': within must name an encounter rule (one without 'within'), '\(w)' has one")
                }
                guard parent.links == r.links else {
                    throw error(m.within, "rule '\(r.name)' links \(r.links.0.rawValue)/\(r.links.1.rawValue) but '\(w)' links \(parent.links.0.rawValue)/\(parent.links.1.rawValue)")
                }
            } else if r.blocking.isEmpty {
                throw error(m.blocking ?? m.rule, "rule '\(r.name)' has no blocking keys: every record would meet every other; block on at least one field")
            }
        }
        return MatchRules(rules: rules, differences: differences, fingerprint: fingerprint)
    }

    func rule(_ node: Node) throws -> MatchRule {
        var name: String?
        var links: (MatchKind, MatchKind)?
        var within: String?
        var blocking: [MatchField]?
        var predicates: [MatchPredicate] = []
        var accept: Double?
        for (key, keyNode, value) in try mapping(node, "a rule") {
            switch key {
            case "name": name = try string(value, "name")
            case "links":
                let ks = try sequence(value, "links")
                guard ks.count == 2 else { throw error(value, "links must name exactly two kinds, e.g. [paper_charge, ice_row]") }
                links = (try kind(ks[0]), try kind(ks[1]))
            case "within": within = try string(value, "within")
            case "blocking":
                blocking = try sequence(value, "blocking").map { try field($0) }
            case "predicates":
                predicates = try sequence(value, "predicates").map { try predicate($0) }
            case "accept": accept = try number(value, "accept", in: 0...1)
            default:
                throw error(keyNode, "unknown key '\(key)' in a rule (expected name, links, within, blocking, predicates, accept)")
            }
        }
        guard let name else { throw error(node, "a rule needs a name") }
        guard let links else { throw error(node, "rule '\(name)' needs links: [kind, kind]") }
        guard let blocking else { throw error(node, "rule '\(name)' needs blocking: [fields] (an empty list only inside 'within')") }
        return MatchRule(name: name, links: links, within: within, blocking: blocking, predicates: predicates, accept: accept ?? 1)
    }

    func test(_ node: Node, kv: [(String, Node, Node)], field f: MatchField, allowed: Set<String>) throws -> MatchTest {
        let testNode = kv.first(where: { $0.0 == "test" })?.2
        let t = try testNode.map { try string($0, "test") } ?? "equal"
        func param(_ k: String) -> Node? { kv.first(where: { $0.0 == k })?.2 }
        let test: MatchTest
        switch t {
        case "equal": test = .equal
        case "equal_name":
            guard [.name, .text].contains(f.valueType) else { throw error(testNode, "equal_name works on names, not \(f.rawValue)") }
            test = .equalName
        case "date_within":
            guard f.valueType == .date else { throw error(testNode, "date_within works on dates, not \(f.rawValue)") }
            guard let d = param("days") else { throw error(node, "date_within needs days: N") }
            test = .dateWithin(days: Int(try integer(d, "days")))
        case "amount_within":
            guard f.valueType == .money else { throw error(testNode, "amount_within works on amounts, not \(f.rawValue)") }
            let c = try param("cents").map { try integer($0, "cents") }
            let bp = try param("basis_points").map { try integer($0, "basis_points") }
            guard c != nil || bp != nil else { throw error(node, "amount_within needs cents: N or basis_points: N (money is whole cents, never a fraction)") }
            test = .amountWithin(cents: c, basisPoints: bp)
        case "jaro_winkler", "levenshtein":
            guard [.name, .text].contains(f.valueType) else { throw error(testNode, "\(t) works on names and text, not \(f.rawValue)") }
            guard let a = param("at_least") else { throw error(node, "\(t) needs at_least: 0…1") }
            let v = try number(a, "at_least", in: 0...1)
            test = t == "jaro_winkler" ? .jaroWinkler(atLeast: v) : .levenshtein(atLeast: v)
        default:
            throw error(testNode, "unknown test '\(t)' (known: \(MatchTest.names.joined(separator: ", ")))")
        }
        for (k, kn, _) in kv where !allowed.contains(k) && !["days", "cents", "basis_points", "at_least"].contains(k) {
            throw error(kn, "unknown key '\(k)' (expected \(allowed.sorted().joined(separator: ", ")) and the test's parameter)")
        }
        return test
    }

    func predicate(_ node: Node) throws -> MatchPredicate {
        let kv = try mapping(node, "a predicate")
        guard let fn = kv.first(where: { $0.0 == "field" })?.2 else { throw error(node, "a predicate needs a field") }
        let f = try field(fn)
        let t = try test(node, kv: kv, field: f, allowed: ["field", "test", "weight", "when_present"])
        let w = try kv.first(where: { $0.0 == "weight" }).map { try number($0.2, "weight", in: 0...1000) } ?? 1
        let wp = try kv.first(where: { $0.0 == "when_present" }).map { try bool($0.2, "when_present") } ?? false
        return MatchPredicate(field: f, test: t, weight: w, whenPresent: wp)
    }

    func comparison(_ node: Node) throws -> MatchComparison {
        let kv = try mapping(node, "a difference")
        guard let fn = kv.first(where: { $0.0 == "field" })?.2 else { throw error(node, "a difference needs a field") }
        let f = try field(fn)
        let t = try test(node, kv: kv, field: f, allowed: ["field", "test", "when_present"])
        let wp = try kv.first(where: { $0.0 == "when_present" }).map { try bool($0.2, "when_present") } ?? false
        return MatchComparison(field: f, test: t, whenPresent: wp)
    }
}
