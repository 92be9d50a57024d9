import Foundation

/// Synthetic data and timings for `bench/match` (no real patient data: names are built from
/// syllables, dates and codes are drawn from a seeded generator).
public enum MatchBench {
    /// SplitMix64 seeded with the seed itself (the bench's sequences stay as they were).
    public struct Random: RandomNumberGenerator, Sendable {
        var g: SplitMix64
        public init(seed: UInt64) { g = SplitMix64(state: seed) }
        public mutating func next() -> UInt64 { g.next() }
    }

    static let syllables = ["RA", "MO", "TI", "KE", "LA", "DO", "VIN", "SAR", "BEL", "NOR", "QUI", "ZAN", "PER", "LOW", "HAR", "MES", "TOV", "GRE", "WIL", "FEN"]
    public static let codes = ["99304", "99305", "99306", "99307", "99308", "99309", "99310", "99315", "99316", "99221", "99222", "99223", "99231", "99232", "99233", "G0439"]
    static let facilities = ["Maple Grove Care Center", "Riverside Rehab", "Oak Hill Nursing", "St. Elmo Manor", "Lakeview Health",
                             "Pine Ridge SNF", "Harbor Point LTC", "Cedar Court", "Willow Bend", "Summit Care"]

    static func word(_ r: inout Random, parts: Int) -> String {
        var s = ""
        for _ in 0..<parts { s += syllables[Int(r.next() % UInt64(syllables.count))] }
        return s
    }

    /// `iceRows` ICE rows and `paperCharges` paper charges that mostly describe the same charges:
    /// ~88% of paper lines have an ICE twin (names written `LAST, FIRST` vs `First M Last`, a few
    /// OCR slips), ~4% differ in units, ~3% in code, the rest are paper-only. Ids are 1…n.
    public static func generate(iceRows: Int, paperCharges: Int, seed: UInt64 = 42) -> [Charge] {
        var r = Random(seed: seed)
        let patients = max(1, iceRows / 6)
        var people: [(last: String, first: String, middle: String, dob: CalendarDate)] = []
        people.reserveCapacity(patients)
        let epoch = CalendarDate(year: 1930, month: 1, day: 1)!.daysSinceEpoch
        for _ in 0..<patients {
            let dob = CalendarDate(daysSinceEpoch: epoch + Int(r.next() % 25_000))
            people.append((word(&r, parts: 3), word(&r, parts: 2), String(syllables[Int(r.next() % 20)].prefix(1)), dob))
        }
        let dosBase = CalendarDate(year: 2026, month: 10, day: 1)!.daysSinceEpoch
        var out: [Charge] = []
        out.reserveCapacity(iceRows + paperCharges)
        let created = Date(timeIntervalSince1970: 1_790_000_000)
        for row in 0..<iceRows {
            let p = people[Int(r.next() % UInt64(patients))]
            let dos = CalendarDate(daysSinceEpoch: dosBase + Int(r.next() % 30))
            let fac = facilities[Int(r.next() % UInt64(facilities.count))]
            let code = codes[Int(r.next() % UInt64(codes.count))]
            out.append(Charge(source: .ice, importId: 1 + Int64(row / 5000), rowNumber: row % 5000 + 2,
                              patientName: "\(p.last), \(p.first)", patientDob: p.dob, dateOfService: dos, facility: fac,
                              typeOfCare: "LTC", typeOfVisit: "Follow-up", servicingProvider: "PROVIDER, TEST",
                              cpt: code, units: 1, createdAt: created))
        }
        for line in 0..<paperCharges {
            let roll = r.next() % 100
            var c: Charge
            if roll < 95 && iceRows > 0 {
                let twin = out[Int(r.next() % UInt64(iceRows))]
                c = twin
                c.source = .paper; c.importId = nil; c.rowNumber = nil
                c.documentId = 1 + Int64(line / 4); c.recordIndex = 0; c.lineIndex = line % 4
                // Paper writes the name the other way round, often with a middle initial.
                let parts = twin.patientName.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let mid = r.next() % 2 == 0 ? " \(parts[0].prefix(1))." : ""
                c.patientName = "\(parts[1].capitalized)\(mid) \(parts[0].capitalized)"
                if roll >= 88 && roll < 92 { c.units = 2 }
                if roll >= 92 { c.cpt = codes[(codes.firstIndex(of: twin.cpt)! + 1) % codes.count] }
                if r.next() % 50 == 0 { c.patientName = c.patientName.replacingOccurrences(of: "O", with: "0") }
            } else {
                let p = people[Int(r.next() % UInt64(patients))]
                c = Charge(source: .paper, documentId: 1 + Int64(line / 4), recordIndex: 0, lineIndex: line % 4,
                           patientName: "\(p.first.capitalized) \(p.last.capitalized)", patientDob: p.dob,
                           dateOfService: CalendarDate(daysSinceEpoch: dosBase + 30 + Int(r.next() % 30)),
                           facility: facilities[Int(r.next() % UInt64(facilities.count))],
                           cpt: codes[Int(r.next() % UInt64(codes.count))], createdAt: created)
            }
            out.append(c)
        }
        for i in out.indices { out[i].id = Int64(i + 1) }
        return out
    }

    /// Stores generated charges (keeping their ids) with a placeholder document row for every
    /// paper document id they name, so the foreign keys hold.
    public static func insert(_ charges: [Charge], into db: AppDatabase) throws {
        try db.write { db in
            let docs = Set(charges.compactMap(\.documentId))
            for d in docs.sorted() where try Document.fetchOne(db, key: d) == nil {
                var doc = Document(id: d, sha256: String(format: "%064d", d), originalName: "sheet-\(d).pdf",
                                   originalPath: "/generated/sheet-\(d).pdf", storedPath: "", kind: .pdf, byteSize: 0,
                                   pageCount: 1, status: .extracted, docType: "charge_sheet")
                try doc.insert(db)
            }
            for var c in charges { try c.insert(db) }
        }
    }

    /// The peer: the same rules without the blocking index, every paper charge against every
    /// ICE row (blocking keys compared pair by pair, as a naive matcher would).
    public static func naiveSets(_ engine: MatchEngine, _ charges: [Charge]) -> [MatchedSet] {
        engine.sets(for: charges, allPairs: true)
    }
}

extension MatchBench {
    public struct Options: Sendable {
        public var ice = 100_000
        public var paper = 20_000
        public var growth = [10_000, 100_000, 1_000_000]
        public var naiveIce = 5_000
        public var database = true
        public init() {}
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    static func fmt(_ s: Double) -> String { String(format: "%.3f s", s) }

    /// Runs the benchmark and returns its report (one line per measurement).
    public static func run(_ o: Options, rules: MatchRules, tempDir: String, log: (String) -> Void) throws {
        let engine = MatchEngine(rules: rules)
        func statusLine(_ sets: [MatchedSet]) -> String {
            var c: [MatchSetStatus: Int] = [:]
            for s in sets { c[s.status, default: 0] += 1 }
            return MatchSetStatus.allCases.map { "\($0.rawValue) \(c[$0] ?? 0)" }.joined(separator: ", ")
        }

        // 1. The target: 100k ICE rows × 20k paper charges, matching and grouping in memory.
        let charges = generate(iceRows: o.ice, paperCharges: o.paper)
        var sets: [MatchedSet] = []
        let t = seconds { sets = engine.sets(for: charges) }
        log("match+group \(o.ice) ICE × \(o.paper) paper (in memory): \(fmt(t))  [target ≤ 3 s: \(t <= 3 ? "met" : "NOT met")]")
        log("  sets: \(sets.count) — \(statusLine(sets))")

        // 2. The same through the database: load, match, group, store every set, link and key.
        if o.database {
            let path = "\(tempDir)/bench-match-\(getpid()).sqlite"
            defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) }
                    try? FileManager.default.removeItem(atPath: path + ".originals") }
            let db = try AppDatabase.open(path: path)
            try insert(charges, into: db)
            let matcher = Matcher(rules: rules)
            let tf = try seconds { try matcher.recomputeAll(db) }
            log("recomputeAll through SQLite (load + match + store): \(fmt(tf))")
            // An incremental update: one paper sheet (4 lines) corrected.
            let doc = Int64(o.paper / 8)
            try db.write { db in try db.execute(sql: "UPDATE charges SET units = units + 1 WHERE document_id = ?", arguments: [doc]) }
            var summary = MatchSummary(chargesMatched: 0, setsWritten: 0, full: false)
            let tu = try seconds { summary = try matcher.update(db, affecting: .documents([doc])) }
            log("update after correcting one sheet: \(fmt(tu)) (\(summary.chargesMatched) charges rematched)")
            let tr = try seconds { summary = try matcher.refresh(db) }
            log("refresh with nothing changed (one pass over the charges): \(fmt(tr))")
        }

        // 3. Growth: paper charges are a fifth of the ICE rows.
        var previous: (Int, Double)?
        for n in o.growth {
            let cs = generate(iceRows: n, paperCharges: n / 5, seed: 7)
            var k = 0
            let tg = seconds { k = engine.sets(for: cs).count }
            var growth = ""
            if let (pn, pt) = previous, pt > 0 {
                growth = String(format: "  ×%.1f rows → ×%.1f time", Double(n) / Double(pn), tg / pt)
            }
            log("growth: \(n) ICE × \(n / 5) paper: \(fmt(tg)), \(k) sets\(growth)")
            previous = (n, tg)
        }

        // 4. The peer: a naive all-pairs matcher on the small size, same rules, same result.
        let small = generate(iceRows: o.naiveIce, paperCharges: o.naiveIce / 5, seed: 11)
        var ours: [MatchedSet] = [], naive: [MatchedSet] = []
        let to = seconds { ours = engine.sets(for: small) }
        let tn = seconds { naive = naiveSets(engine, small) }
        log("peer at \(o.naiveIce) ICE × \(o.naiveIce / 5) paper: blocking \(fmt(to)), naive all-pairs \(fmt(tn)), ratio ×\(String(format: "%.0f", tn / max(to, 1e-9))); same sets: \(ours == naive ? "yes" : "NO")")
    }
}
