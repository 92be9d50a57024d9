import Foundation

/// What a matched set is.
public enum MatchSetStatus: String, Codable, Sendable, CaseIterable {
    /// Paper and ICE agree.
    case complete
    /// On paper, not in the ICE export.
    case paperOnly = "paper-only"
    /// In the ICE export, no paper sheet for it.
    case iceOnly = "ice-only"
    /// Linked, but units, modifiers, code or amount differ.
    case mismatch
    /// A member was pulled into a set whose other members disagree on patient or date.
    case conflict
}

public struct MatchMember: Codable, Sendable, Hashable, Comparable {
    public var kind: MatchKind
    public var id: Int64
    public init(kind: MatchKind, id: Int64) { self.kind = kind; self.id = id }
    public static func < (a: MatchMember, b: MatchMember) -> Bool { a.id < b.id }
}

/// An accepted link between two records, with the rule that made it and its score.
public struct MatchLink: Codable, Sendable, Hashable {
    public var rule: String
    public var a: MatchMember
    public var b: MatchMember
    /// The codes the link pairs (line rules) or nil (encounter rules with no line rules).
    public var aCode: String?
    public var bCode: String?
    public var score: Double
    /// The encounter rule a line rule worked within, and that rule's score for the pair.
    public var parentRule: String?
    public var parentScore: Double?
}

/// A value in a difference: text, a whole number or nothing.
public enum MatchValue: Codable, Sendable, Hashable, CustomStringConvertible {
    case text(String)
    case int(Int)
    case none

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .none } else if let i = try? c.decode(Int.self) { self = .int(i) } else { self = .text(try c.decode(String.self)) }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .text(let s): try c.encode(s)
        case .int(let i): try c.encode(i)
        case .none: try c.encodeNil()
        }
    }
    public var description: String {
        switch self { case .text(let s): return s.isEmpty ? "(none)" : s; case .int(let i): return String(i); case .none: return "(none)" }
    }
}

/// One field that differs between the paper and the ICE side of a set: from what to what.
public struct MatchDifference: Codable, Sendable, Hashable {
    public var field: String
    public var paper: MatchValue
    public var ice: MatchValue
    public var paperId: Int64?
    public var iceId: Int64?
}

/// Members of one kind in a set disagree on a field that names the encounter.
public struct MatchConflict: Codable, Sendable, Hashable {
    public var field: String
    public var kind: MatchKind
    public var values: [String]
}

public struct MatchedSet: Codable, Sendable, Equatable {
    /// The smallest member id: stable as long as that member stays in the set, and identical
    /// whether the set came from an incremental update or a full recomputation.
    public var id: Int64
    public var status: MatchSetStatus
    public var members: [MatchMember]
    public var links: [MatchLink]
    public var differences: [MatchDifference]
    public var conflicts: [MatchConflict]
}

/// The in-memory matcher: blocking, scoring, line pairing, union-find and statuses. Pure: the
/// same charges always give the same sets, in any order and in any partition into blocking
/// components (which is what makes incremental updates equal to full recomputation).
public struct MatchEngine: Sendable {
    public let rules: MatchRules
    public init(rules: MatchRules) { self.rules = rules }

    // MARK: prepared records

    /// A class so that passing a record around costs one retain, not one per string field.
    final class Rec {
        let charge: Charge
        let id: Int64
        let kind: MatchKind
        let nameKey: String
        let codes: [String]
        init(charge: Charge, id: Int64, kind: MatchKind, nameKey: String, codes: [String]) {
            self.charge = charge; self.id = id; self.kind = kind; self.nameKey = nameKey; self.codes = codes
        }
    }

    enum Val: Equatable {
        case none, text(String), date(CalendarDate), int(Int), money(Money)
    }

    static func prepare(_ c: Charge) -> Rec {
        // (nameKey is computed for every record: it is cheap on the ASCII path and every
        // conflict check and name predicate needs it.)
        let codes = MatchText.codes(c.cpt)
        return Rec(charge: c, id: c.id ?? 0, kind: MatchKind.of(c.source), nameKey: MatchText.nameKey(c.patientName),
                   codes: codes.isEmpty ? [""] : codes)
    }

    /// The field's value, normalised for comparison. `item` selects one code of a multi-code record.
    static func value(_ f: MatchField, _ r: Rec, item: Int?) -> Val {
        let c = r.charge
        func text(_ s: String?) -> Val {
            guard let s else { return .none }
            let n = MatchText.normalise(s)
            return n.isEmpty ? .none : .text(n)
        }
        switch f {
        case .patientName: return r.nameKey.isEmpty ? .none : .text(r.nameKey)
        case .servicingProvider:
            let k = MatchText.nameKey(c.servicingProvider)
            return k.isEmpty ? .none : .text(k)
        case .patientDob: return c.patientDob.map(Val.date) ?? .none
        case .dateOfService: return c.dateOfService.map(Val.date) ?? .none
        case .facility: return text(c.facility)
        case .cpt:
            let code = item.map { r.codes[$0] } ?? r.codes.joined(separator: ",")
            return code.isEmpty ? .none : .text(code)
        case .modifiers:
            let m = MatchText.modifiers(c.modifiers)
            return m.isEmpty ? .none : .text(m)
        case .units: return .int(c.units)
        case .amount: return c.amount.map(Val.money) ?? .none
        case .providerNpi: return text(c.providerNpi)
        case .accountNumber: return text(c.accountNumber)
        case .typeOfCare: return text(c.typeOfCare)
        case .typeOfVisit: return text(c.typeOfVisit)
        case .diagnosisCodes:
            let d = MatchText.codes(c.diagnosisCodes.replacingOccurrences(of: ".", with: "")).sorted().joined(separator: ",")
            return d.isEmpty ? .none : .text(d)
        }
    }

    static func keyPart(_ v: Val) -> String? {
        switch v {
        case .none: return nil
        case .text(let s): return s
        case .date(let d): return String(d.daysSinceEpoch)
        case .int(let i): return String(i)
        case .money(let m): return String(m.cents)
        }
    }

    /// The blocking key of a record under a rule, or nil when a blocking field is empty.
    static func blockKey(_ rule: MatchRule, _ r: Rec, item: Int?) -> String? {
        var parts: [String] = []
        parts.reserveCapacity(rule.blocking.count)
        for f in rule.blocking {
            guard let p = keyPart(value(f, r, item: item)) else { return nil }
            parts.append(p)
        }
        return parts.joined(separator: "\u{1F}")
    }

    /// Hashed blocking keys of a charge under every active encounter rule: the store indexes
    /// these so an update finds the blocks a changed charge was in and is now in.
    public func blockingKeyHashes(_ c: Charge) -> [Int64] {
        let r = MatchEngine.prepare(c)
        var out: [Int64] = []
        for rule in rules.rootRules where rule.links.0 == r.kind || rule.links.1 == r.kind {
            if let k = MatchEngine.blockKey(rule, r, item: nil) {
                out.append(MatchText.stableHash(rule.name + "\u{1E}" + k))
            }
        }
        return out
    }

    // MARK: tests

    /// nil when the test cannot be evaluated (a side has no value).
    static func passes(_ test: MatchTest, _ f: MatchField, _ a: Val, _ b: Val, comparing: Bool) -> Bool? {
        if a == .none || b == .none {
            if comparing, a == .none, b == .none { return true }
            return nil
        }
        switch test {
        case .equal: return a == b
        case .equalName:
            guard case .text(let x) = a, case .text(let y) = b else { return a == b }
            return f.valueType == .name ? x == y : MatchText.nameKey(x) == MatchText.nameKey(y)
        case .dateWithin(let days):
            guard case .date(let x) = a, case .date(let y) = b else { return false }
            return abs(x.days(since: y)) <= days
        case .amountWithin(let cents, let bp):
            guard case .money(let x) = a, case .money(let y) = b else { return false }
            return MatchEngine.amountWithin(x, y, cents: cents, basisPoints: bp)
        case .jaroWinkler(let t):
            guard case .text(let x) = a, case .text(let y) = b else { return false }
            return MatchText.jaroWinkler(x, y) >= t
        case .levenshtein(let t):
            guard case .text(let x) = a, case .text(let y) = b else { return false }
            return MatchText.levenshteinSimilarity(x, y) >= t
        }
    }

    /// |a − b| ≤ cents, or |a − b| ≤ basisPoints/10000 of the larger magnitude. Integer arithmetic only.
    public static func amountWithin(_ a: Money, _ b: Money, cents: Int64?, basisPoints: Int64?) -> Bool {
        let d = (a.cents - b.cents).magnitude
        if let c = cents, d <= UInt64(c) { return true }
        if let bp = basisPoints {
            let base = max(a.cents.magnitude, b.cents.magnitude)
            // d / base ≤ bp / 10000  ⇔  d·10000 ≤ bp·base (in 128 bits to avoid overflow)
            let lhs = d.multipliedFullWidth(by: 10_000)
            let rhs = base.multipliedFullWidth(by: UInt64(bp))
            return (lhs.high, lhs.low) <= (rhs.high, rhs.low)
        }
        return false
    }

    /// Weighted share of the evaluated predicates that pass (1 when none could be evaluated).
    static func score(_ rule: MatchRule, _ a: Rec, _ ai: Int?, _ b: Rec, _ bi: Int?) -> Double {
        var passed = 0.0, evaluated = 0.0
        for p in rule.predicates {
            let r = passes(p.test, p.field, value(p.field, a, item: ai), value(p.field, b, item: bi), comparing: false)
            if r == nil && p.whenPresent { continue }
            evaluated += p.weight
            if r == true { passed += p.weight }
        }
        return evaluated == 0 ? 1 : passed / evaluated
    }

    /// Scores one pair of charges under one rule (for tests and explanations).
    public func score(rule name: String, _ a: Charge, _ b: Charge) -> Double? {
        guard let rule = rules.rules.first(where: { $0.name == name }) else { return nil }
        return MatchEngine.score(rule, MatchEngine.prepare(a), nil, MatchEngine.prepare(b), nil)
    }

    // MARK: matching

    struct UnionFind {
        var parent: [Int]
        init(_ n: Int) { parent = Array(0..<n) }
        mutating func find(_ x: Int) -> Int {
            var r = x
            while parent[r] != r { r = parent[r] }
            var y = x
            while parent[y] != r { let n = parent[y]; parent[y] = r; y = n }
            return r
        }
        mutating func union(_ a: Int, _ b: Int) {
            let ra = find(a), rb = find(b)
            if ra != rb { if ra < rb { parent[rb] = ra } else { parent[ra] = rb } }
        }
    }

    struct Edge { let i: Int; let j: Int; let ci: Int?; let cj: Int?; let link: MatchLink }

    /// Every set the charges form. Each charge is in exactly one set (alone if nothing links it).
    public func sets(for charges: [Charge]) -> [MatchedSet] { sets(for: charges, allPairs: false) }

    /// `allPairs` skips the blocking index and compares every pair of kinds, checking the
    /// blocking keys pair by pair: the naive peer of the benchmark (same result, quadratic).
    func sets(for charges: [Charge], allPairs: Bool) -> [MatchedSet] {
        let recs = charges.map(MatchEngine.prepare).sorted { $0.id < $1.id }
        let n = recs.count
        var uf = UnionFind(n)
        var edges: [Edge] = []
        var used: [[Bool]] = recs.map { [Bool](repeating: false, count: $0.codes.count) }

        for root in rules.rootRules {
            let (ka, kb) = root.links
            var blocks: [String: ([Int], [Int])] = [:]
            for i in 0..<n {
                let k = recs[i].kind
                guard k == ka || k == kb, let key = allPairs ? "" : MatchEngine.blockKey(root, recs[i], item: nil) else { continue }
                if k == ka { blocks[key, default: ([], [])].0.append(i) }
                if k == kb && ka != kb { blocks[key, default: ([], [])].1.append(i) }
            }
            var encounter: [(Int, Int, Double)] = []
            for (_, (xs, ys)) in blocks {
                if ka == kb {
                    for x in 0..<xs.count { for y in (x + 1)..<max(x + 1, xs.count) {
                        let s = MatchEngine.score(root, recs[xs[x]], nil, recs[xs[y]], nil)
                        if s >= root.accept { encounter.append((xs[x], xs[y], s)) }
                    } }
                } else {
                    for i in xs { for j in ys {
                        if allPairs {
                            guard let ki = MatchEngine.blockKey(root, recs[i], item: nil),
                                  ki == MatchEngine.blockKey(root, recs[j], item: nil) else { continue }
                        }
                        let s = MatchEngine.score(root, recs[i], nil, recs[j], nil)
                        if s >= root.accept { encounter.append((i, j, s)) }
                    } }
                }
            }
            let lineRules = rules.lineRules(within: root.name)
            if lineRules.isEmpty {
                for (i, j, s) in encounter {
                    uf.union(i, j)
                    edges.append(Edge(i: i, j: j, ci: nil, cj: nil, link: MatchLink(
                        rule: root.name, a: MatchMember(kind: recs[i].kind, id: recs[i].id),
                        b: MatchMember(kind: recs[j].kind, id: recs[j].id), score: s)))
                }
                continue
            }
            for line in lineRules {
                var cands: [(s: Double, ps: Double, i: Int, ci: Int, j: Int, cj: Int)] = []
                for (i, j, ps) in encounter {
                    for ci in 0..<recs[i].codes.count where !used[i][ci] {
                        let ki = MatchEngine.blockKey(line, recs[i], item: ci)
                        guard ki != nil || line.blocking.isEmpty else { continue }
                        for cj in 0..<recs[j].codes.count where !used[j][cj] {
                            if !line.blocking.isEmpty { guard MatchEngine.blockKey(line, recs[j], item: cj) == ki else { continue } }
                            let s = MatchEngine.score(line, recs[i], ci, recs[j], cj)
                            if s >= line.accept { cands.append((s, ps, i, ci, j, cj)) }
                        }
                    }
                }
                cands.sort { x, y in
                    if x.s != y.s { return x.s > y.s }
                    if x.ps != y.ps { return x.ps > y.ps }
                    if x.i != y.i { return x.i < y.i }
                    if x.ci != y.ci { return x.ci < y.ci }
                    if x.j != y.j { return x.j < y.j }
                    return x.cj < y.cj
                }
                for c in cands where !used[c.i][c.ci] && !used[c.j][c.cj] {
                    used[c.i][c.ci] = true; used[c.j][c.cj] = true
                    uf.union(c.i, c.j)
                    edges.append(Edge(i: c.i, j: c.j, ci: c.ci, cj: c.cj, link: MatchLink(
                        rule: line.name, a: MatchMember(kind: recs[c.i].kind, id: recs[c.i].id),
                        b: MatchMember(kind: recs[c.j].kind, id: recs[c.j].id),
                        aCode: recs[c.i].codes[c.ci], bCode: recs[c.j].codes[c.cj], score: c.s,
                        parentRule: root.name, parentScore: c.ps)))
                }
            }
        }

        // Group by root with flat arrays (counting sort on the root index): no per-set dictionary
        // entries, and a record that nothing linked becomes its set without any work.
        var root = [Int](repeating: 0, count: n)
        var size = [Int32](repeating: 0, count: n)
        for i in 0..<n { let r = uf.find(i); root[i] = r; size[r] += 1 }
        var edgesByRoot: [Int: [Edge]] = [:]
        for e in edges { edgesByRoot[root[e.i], default: []].append(e) }
        var start = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { start[i + 1] = start[i] + Int(size[i]) }
        var fill = start
        var order = [Int](repeating: 0, count: n)
        for i in 0..<n { let r = root[i]; order[fill[r]] = i; fill[r] += 1 }

        var out: [MatchedSet] = []
        out.reserveCapacity(n)
        for r in 0..<n where size[r] > 0 {
            if size[r] == 1 {
                let rec = recs[r]
                out.append(MatchedSet(id: rec.id, status: rec.kind == .paperCharge ? .paperOnly : .iceOnly,
                                      members: [MatchMember(kind: rec.kind, id: rec.id)], links: [], differences: [], conflicts: []))
            } else {
                out.append(makeSet(recs: recs, idx: Array(order[start[r]..<start[r + 1]]), edges: edgesByRoot[r] ?? [], used: used))
            }
        }
        // Roots are the smallest index of their set and records are sorted by id, so sets come
        // out in id order already.
        return out
    }

    private func makeSet(recs: [Rec], idx: [Int], edges: [Edge], used: [[Bool]]) -> MatchedSet {
        let members = idx.map { MatchMember(kind: recs[$0].kind, id: recs[$0].id) }.sorted()
        let links = edges.map(\.link).sorted { ($0.a.id, $0.b.id, $0.aCode ?? "", $0.bCode ?? "") < ($1.a.id, $1.b.id, $1.aCode ?? "", $1.bCode ?? "") }
        let hasPaper = members.contains { $0.kind == .paperCharge }
        let hasIce = members.contains { $0.kind == .iceRow }
        var set = MatchedSet(id: members[0].id, status: .complete, members: members, links: links, differences: [], conflicts: [])
        if !hasIce { set.status = .paperOnly; return set }
        if !hasPaper { set.status = .iceOnly; return set }

        // Conflict: members of one kind disagree on who or when.
        for kind in [MatchKind.paperCharge, .iceRow] {
            let ofKind = idx.filter { recs[$0].kind == kind }
            guard ofKind.count > 1 else { continue }
            let checks: [(String, (Rec) -> String)] = [
                ("patient_name", { $0.nameKey }),
                ("patient_dob", { $0.charge.patientDob?.iso ?? "" }),
                ("date_of_service", { $0.charge.dateOfService?.iso ?? "" }),
            ]
            for (field, get) in checks {
                let values = Set(ofKind.map { get(recs[$0]) })
                if values.count > 1 {
                    let shown = field == "patient_name" ? Set(ofKind.map { recs[$0].charge.patientName }) : values
                    set.conflicts.append(MatchConflict(field: field, kind: kind, values: shown.sorted()))
                }
            }
        }
        if !set.conflicts.isEmpty { set.status = .conflict }

        // Differences on each linked pair, oriented paper → ICE.
        let perLine: Set<MatchField> = [.units, .modifiers, .amount]
        for e in edges {
            var (p, pi, q, qi) = (e.i, e.ci, e.j, e.cj)
            if recs[p].kind != .paperCharge { swap(&p, &q); swap(&pi, &qi) }
            guard recs[p].kind == .paperCharge, recs[q].kind == .iceRow else { continue }
            let singleCodes = recs[p].codes.count == 1 && recs[q].codes.count == 1
            for cmp in rules.differences {
                if perLine.contains(cmp.field) && !singleCodes { continue }
                let a = MatchEngine.value(cmp.field, recs[p], item: pi)
                let b = MatchEngine.value(cmp.field, recs[q], item: qi)
                let ok = MatchEngine.passes(cmp.test, cmp.field, a, b, comparing: true)
                if ok == true || (ok == nil && cmp.whenPresent) { continue }
                set.differences.append(MatchDifference(
                    field: cmp.field.rawValue, paper: MatchEngine.shown(cmp.field, recs[p], item: pi),
                    ice: MatchEngine.shown(cmp.field, recs[q], item: qi), paperId: recs[p].id, iceId: recs[q].id))
            }
        }
        // Codes of a linked multi-code record that found no partner.
        if rules.differences.contains(where: { $0.field == .cpt }) {
            for i in idx where edges.contains(where: { $0.ci != nil && ($0.i == i || $0.j == i) }) {
                for ci in 0..<recs[i].codes.count where !used[i][ci] {
                    let code = MatchValue.text(recs[i].codes[ci])
                    let paper = recs[i].kind == .paperCharge
                    set.differences.append(MatchDifference(field: "cpt", paper: paper ? code : .none, ice: paper ? .none : code,
                                                           paperId: paper ? recs[i].id : nil, iceId: paper ? nil : recs[i].id))
                }
            }
        }
        set.differences.sort { ($0.paperId ?? 0, $0.iceId ?? 0, $0.field) < ($1.paperId ?? 0, $1.iceId ?? 0, $1.field) }
        if set.status != .conflict && !set.differences.isEmpty { set.status = .mismatch }
        return set
    }

    /// The value shown in a difference: canonical form, not the comparison key.
    static func shown(_ f: MatchField, _ r: Rec, item: Int?) -> MatchValue {
        let c = r.charge
        switch f {
        case .units: return .int(c.units)
        case .amount: return c.amount.map { .text($0.decimalString) } ?? .none
        case .patientDob: return c.patientDob.map { .text($0.iso) } ?? .none
        case .dateOfService: return c.dateOfService.map { .text($0.iso) } ?? .none
        case .patientName: return .text(c.patientName)
        case .servicingProvider: return .text(c.servicingProvider)
        case .facility: return .text(c.facility)
        case .modifiers: return .text(MatchText.modifiers(c.modifiers))
        default:
            if case .text(let s) = value(f, r, item: item) { return .text(s) }
            return .none
        }
    }
}
