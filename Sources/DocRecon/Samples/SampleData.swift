import Foundation

/// A small deterministic random generator (SplitMix64): the same seed gives the same sequence on
/// every platform and Swift version, which `SystemRandomNumberGenerator` cannot promise.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var g: SplitMix64
    public init(seed: UInt64) { g = SplitMix64(state: seed &+ 0x9E37_79B9_7F4A_7C15) }
    public mutating func next() -> UInt64 { g.next() }
    /// Uniform in `range` (inclusive), without the platform-dependent paths of `Int.random(in:using:)`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound + 1)
        return range.lowerBound + Int(next() % span)
    }
    public mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
    /// True with probability `p` (0...1).
    public mutating func chance(_ p: Double) -> Bool { double() < p }
    /// Uniform in [0, 1).
    public mutating func double() -> Double { Double(next() >> 11) / Double(1 << 53) }
    public mutating func double(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * double() }
    /// `count` distinct items in random order.
    public mutating func sample<T>(_ items: [T], count: Int) -> [T] {
        var pool = items
        var out: [T] = []
        for _ in 0..<min(count, pool.count) { out.append(pool.remove(at: int(0...(pool.count - 1)))) }
        return out
    }
    /// A derived generator, so one part of a document can draw numbers without shifting another's.
    public mutating func fork() -> SeededRandom { SeededRandom(seed: next()) }
}

/// NPI check digit rules (DOMAIN.md): Luhn over the 9 base digits with the prefix 80840.
public enum NPI {
    /// The check digit for 9 base digits.
    public static func checkDigit(base9: String) -> Int? {
        guard base9.count == 9, base9.allSatisfy(\.isASCIIDigit) else { return nil }
        let digits = ("80840" + base9).compactMap { $0.wholeNumberValue }
        // Luhn: double every second digit from the right of the full number (check digit excluded,
        // so the rightmost base digit is doubled).
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            if i % 2 == 0 { let x = d * 2; sum += x > 9 ? x - 9 : x } else { sum += d }
        }
        return (10 - sum % 10) % 10
    }
    public static func isValid(_ npi: String) -> Bool {
        guard npi.count == 10, npi.allSatisfy(\.isASCIIDigit), let first = npi.first, first == "1" || first == "2",
              let c = checkDigit(base9: String(npi.prefix(9))) else { return false }
        return npi.last?.wholeNumberValue == c
    }
    public static func random(using rng: inout SeededRandom) -> String {
        var base = rng.chance(0.8) ? "1" : "2"
        for _ in 0..<8 { base += String(rng.int(0...9)) }
        return base + String(checkDigit(base9: base)!)
    }
}

/// One synthetic service line.
public struct SampleLine: Sendable, Hashable {
    public var code: String
    public var modifiers: [String]
    public var units: Int
    public var charge: Money
    public var dateOfService: CalendarDate
    /// Letters pointing into the record's diagnosis list (`A`, `AB`).
    public var dxPointer: String
    /// For drugs (J codes) an NDC printed in the shaded half of a CMS-1500 line.
    public var ndc: String?
}

/// One synthetic charge-sheet record. Every value is invented: no real patient, provider or
/// account appears anywhere.
public struct SampleRecord: Sendable, Hashable {
    public var patientLast: String
    public var patientFirst: String
    public var patientMiddle: String?
    public var dob: CalendarDate
    public var sex: String
    public var accountNumber: String
    public var insuredID: String
    public var dateOfService: CalendarDate
    public var facility: String
    public var facilityAddress: [String]
    public var placeOfService: String
    public var providerFirst: String
    public var providerLast: String
    public var providerCredential: String
    public var providerNPI: String
    public var billingName: String
    public var billingAddress: [String]
    public var billingNPI: String
    public var taxonomy: String
    public var diagnosisCodes: [String]
    public var lines: [SampleLine]

    /// `RIVERA, ANA` or `RIVERA, ANA M`.
    public var patientName: String {
        "\(patientLast), \(patientFirst)" + (patientMiddle.map { " \($0)" } ?? "")
    }
    public var total: Money { lines.reduce(Money.zero) { $0 + $1.charge } }
}

/// Word lists and code tables the generator draws from. Names are common words combined at
/// random; codes are real public code numbers (ICD-10-CM, HCPCS, POS) and CPT numbers only.
public enum SampleData {
    static let lastNames = [
        "RIVERA", "NGUYEN", "PATEL", "JOHNSON", "OKAFOR", "LINDQVIST", "MORALES", "CHEN", "WALSH",
        "KOWALSKI", "BROOKS", "HAMILTON", "FERREIRA", "DUBOIS", "YAMADA", "MCKENZIE", "ABERNATHY",
        "CASTILLO", "HOLLOWAY", "BENNETT", "SANTOS", "WEBER", "FITZGERALD", "ROMERO", "ADEYEMI",
        "PETERSEN", "CALDWELL", "NAKAMURA", "GALLAGHER", "VASQUEZ", "HUANG", "SUTHERLAND",
        "DELGADO", "MARSH", "KEMP", "TRAN", "BYRNE", "ESPINOZA", "WHITAKER", "ROSSI",
    ]
    static let firstNames = [
        "ANA", "JAMES", "MARIA", "ROBERT", "LINDA", "MICHAEL", "ELEANOR", "DAVID", "GRACE", "THOMAS",
        "HELEN", "WALTER", "DOROTHY", "GEORGE", "RUTH", "FRANK", "EVELYN", "HAROLD", "MARGARET",
        "ARTHUR", "ROSA", "LUIS", "MEI", "PRIYA", "KWAME", "INGRID", "SAMUEL", "NORA", "VICTOR",
        "IRENE", "CARLOS", "FATIMA", "BEATRICE", "RAYMOND", "LOUISE", "ERNEST", "JUNE", "OSCAR",
    ]
    static let providerFirst = [
        "Dana", "Marcus", "Priya", "Elena", "Jonah", "Keisha", "Tomas", "Hannah", "Rafael", "Aisha",
        "Colin", "Mira", "Desmond", "Leah", "Victor", "Naomi",
    ]
    static let providerLast = [
        "Whitfield", "Okonkwo", "Raman", "Sorensen", "Albright", "Castellano", "Yoon", "Mercer",
        "Halvorsen", "Baptiste", "Kaplan", "Abernathy", "Quintero", "Lindgren", "Prescott", "Osei",
    ]
    static let credentials = ["MD", "DO", "NP", "PA-C", "MD"]
    static let facilityStems = [
        "Maple Grove", "Riverside", "Cedar Hill", "Lakeview", "Oak Meadow", "Harbor Point",
        "Willow Creek", "Summit Ridge", "Pine Haven", "Bayside", "Greenfield", "Stonebridge",
    ]
    static let facilityKinds: [(String, [String])] = [
        ("Skilled Nursing", ["31"]), ("Nursing Center", ["32", "31"]), ("Care Center", ["31", "32"]),
        ("Medical Center", ["21", "22", "23"]), ("Family Clinic", ["11"]), ("Health Clinic", ["11", "02"]),
        ("Rehabilitation", ["31", "21"]), ("Home Health", ["12"]),
    ]
    static let streets = ["Main St", "Elm Ave", "Harbor Rd", "Oak Blvd", "Lincoln Way", "Mill St", "Park Ave"]
    static let cities = [("SPRINGFIELD", "IL", "62704"), ("FAIRVIEW", "OR", "97024"), ("MADISON", "WI", "53703"),
                         ("CLINTON", "NC", "28328"), ("GEORGETOWN", "TX", "78626"), ("SALEM", "MA", "01970")]
    /// Real ICD-10-CM codes (public domain), valid format, dot after the third character.
    public static let icd10 = [
        "I10", "E11.9", "J44.1", "N18.30", "Z79.4", "F03.90", "E78.5", "I50.9", "J18.9", "N39.0",
        "M17.11", "R26.81", "G30.9", "E03.9", "I48.91", "K21.9", "M81.0", "F32.A", "E11.65", "I25.10",
        "Z74.09", "R53.81", "L89.152", "S72.001A", "Z96.651", "E87.1", "D64.9", "R41.82", "J96.01", "I63.9",
    ]
    /// CPT code numbers (no descriptions) and HCPCS Level II codes, with a typical fee in cents.
    static let procedures: [(String, ClosedRange<Int>)] = [
        ("99213", 9_000...14_000), ("99214", 13_000...19_000), ("99309", 15_000...22_000),
        ("99308", 9_000...14_000), ("99310", 20_000...28_000), ("99304", 18_000...25_000),
        ("99232", 10_000...15_000), ("99233", 15_000...21_000), ("99222", 18_000...26_000),
        ("99223", 25_000...34_000), ("99495", 20_000...26_000), ("99497", 8_000...12_000),
        ("36415", 500...1_800), ("93000", 1_500...4_000), ("71046", 3_000...7_500),
        ("81002", 300...1_200), ("96372", 1_800...4_000), ("90686", 1_800...3_500),
        ("G0439", 11_000...17_000), ("G0438", 16_000...23_000), ("J1100", 100...900),
        ("J3420", 200...1_500),
    ]
    static let modifiers = ["25", "59", "LT", "RT", "GT", "95", "XS", "76", "GA", "AI"]
    static let ndcs = ["00409123401", "00641607725", "63323026201", "00143952810"]
    static let taxonomies = ["207Q00000X", "207R00000X", "363LF0000X", "363A00000X", "208D00000X"]

    /// One record from the generator's current state.
    public static func record(using rng: inout SeededRandom) -> SampleRecord {
        let last = rng.pick(lastNames)
        let first = rng.pick(firstNames)
        let middle: String? = rng.chance(0.25) ? String(rng.pick(Array("ABCDEJKLMRSTW"))) : nil
        let dob = CalendarDate(daysSinceEpoch: rng.int(CalendarDate(year: 1926, month: 1, day: 1)!.daysSinceEpoch
                                                       ... CalendarDate(year: 1998, month: 12, day: 31)!.daysSinceEpoch))
        let dos = CalendarDate(daysSinceEpoch: rng.int(CalendarDate(year: 2026, month: 1, day: 5)!.daysSinceEpoch
                                                       ... CalendarDate(year: 2026, month: 11, day: 13)!.daysSinceEpoch))
        let account: String
        switch rng.int(0...4) {
        case 0: account = String(rng.int(10_000_000...99_999_999))
        case 1: account = "AC-\(rng.int(100_000...999_999))"
        case 2: account = "\(rng.pick(["PT", "HX", "MR", "LTC"]))\(rng.int(100_000...9_999_999))"
        case 3: account = "\(rng.int(1000...9999))-\(rng.int(10_000...99_999))"
        default: account = String(rng.int(100_000...999_999))
        }
        let (kind, posChoices) = rng.pick(facilityKinds)
        let facility = "\(rng.pick(facilityStems)) \(kind)"
        let city = rng.pick(cities)
        let facilityAddress = ["\(rng.int(100...9899)) \(rng.pick(streets).uppercased())", "\(city.0) \(city.1) \(city.2)"]
        let pos = rng.pick(posChoices)
        let pFirst = rng.pick(providerFirst), pLast = rng.pick(providerLast)
        let dxCount = rng.int(1...4)
        let dx = rng.sample(icd10, count: dxCount)
        let lineCount = rng.pick([1, 1, 2, 2, 3, 3, 4, 5, 6])
        var lines: [SampleLine] = []
        let procs = rng.sample(procedures, count: lineCount)
        let letters = Array("ABCDEFGHIJKL").prefix(dx.count).map(String.init)
        for (code, fee) in procs {
            var mods: [String] = []
            if rng.chance(0.3) { mods = rng.sample(modifiers, count: rng.chance(0.8) ? 1 : 2) }
            let isDrug = code.hasPrefix("J")
            let units = isDrug ? rng.int(1...4) : (rng.chance(0.1) ? 2 : 1)
            let unitFee = rng.int(fee)
            let charge = Money(cents: Int64(unitFee * units))
            let pointer = rng.sample(letters, count: rng.int(1...min(letters.count, 3))).sorted().joined()
            let lineDOS = rng.chance(0.85) ? dos : dos.adding(days: -rng.int(1...5))
            lines.append(SampleLine(code: code, modifiers: mods, units: units, charge: charge,
                                    dateOfService: lineDOS, dxPointer: pointer,
                                    ndc: isDrug ? rng.pick(ndcs) : nil))
        }
        let billCity = rng.pick(cities)
        return SampleRecord(
            patientLast: last, patientFirst: first, patientMiddle: middle, dob: dob,
            sex: rng.chance(0.5) ? "F" : "M", accountNumber: account,
            insuredID: "\(rng.int(1...9))\(rng.pick(Array("ACEGHJKMNPQRTUVWXY")))\(rng.int(10...99))\(rng.pick(Array("ACEGHJKMNPQRTUVWXY")))\(rng.int(10...99))\(rng.pick(Array("ACEGHJKMNPQRTUVWXY")))\(rng.int(10...99))",
            dateOfService: dos, facility: facility, facilityAddress: facilityAddress, placeOfService: pos,
            providerFirst: pFirst, providerLast: pLast, providerCredential: rng.pick(credentials),
            providerNPI: NPI.random(using: &rng),
            billingName: "\(rng.pick(facilityStems).uppercased()) \(rng.pick(["HOSPITALIST GROUP", "PHYSICIANS PC", "MEDICAL ASSOCIATES", "SENIOR CARE PLLC"]))",
            billingAddress: ["\(rng.int(100...9899)) \(rng.pick(streets).uppercased())", "\(billCity.0) \(billCity.1) \(billCity.2)"],
            billingNPI: NPI.random(using: &rng), taxonomy: rng.pick(taxonomies),
            diagnosisCodes: dx, lines: lines)
    }
}
