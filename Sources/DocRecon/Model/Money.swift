import Foundation
import GRDB

/// An amount of money in integer cents. Never a Double.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible,
                     AdditiveArithmetic, ExpressibleByIntegerLiteral {
    public var cents: Int64
    public init(cents: Int64) { self.cents = cents }
    public init(integerLiteral dollars: Int64) { self.cents = dollars * 100 }
    public static var zero: Money { Money(cents: 0) }

    /// Parses the forms money takes on paper and in exports: `$1,936.98`, `1936.98`, `1936`,
    /// `1936 98` (CMS-1500 split cents), `(12.00)` or `-12.00`. Returns nil for anything else.
    public init?(parsing raw: String) {
        var s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        var negative = false
        if s.hasPrefix("(") && s.hasSuffix(")") { negative = true; s = String(s.dropFirst().dropLast()) }
        if s.hasPrefix("-") { negative = true; s.removeFirst() }
        s = s.replacingOccurrences(of: "$", with: "").trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return nil }
        var dollarsPart: Substring
        var centsPart: Substring? = nil
        let spaceParts = s.split(separator: " ", omittingEmptySubsequences: true)
        if spaceParts.count == 2, spaceParts[1].count == 2, spaceParts[1].allSatisfy(\.isASCIIDigit),
           !spaceParts[0].contains(".") {
            dollarsPart = spaceParts[0]; centsPart = spaceParts[1]
        } else if spaceParts.count == 1 {
            let dot = s.split(separator: ".", omittingEmptySubsequences: false)
            guard dot.count <= 2 else { return nil }
            dollarsPart = dot[0]
            if dot.count == 2 {
                guard (1...2).contains(dot[1].count) else { return nil }
                centsPart = dot[1]
            }
        } else { return nil }
        // Thousands separators only in their proper places.
        if dollarsPart.contains(",") {
            let groups = dollarsPart.split(separator: ",", omittingEmptySubsequences: false)
            guard let first = groups.first, (1...3).contains(first.count),
                  groups.dropFirst().allSatisfy({ $0.count == 3 }) else { return nil }
            dollarsPart = Substring(groups.joined())
        }
        if dollarsPart.isEmpty && centsPart != nil { dollarsPart = "0" }
        guard !dollarsPart.isEmpty, dollarsPart.count <= 13, dollarsPart.allSatisfy(\.isASCIIDigit),
              let dollars = Int64(dollarsPart) else { return nil }
        var c: Int64 = 0
        if let cp = centsPart {
            guard cp.allSatisfy(\.isASCIIDigit), let v = Int64(cp) else { return nil }
            c = cp.count == 1 ? v * 10 : v
        }
        cents = (dollars * 100 + c) * (negative ? -1 : 1)
    }

    /// Canonical decimal string with two places: `1936.98`, `-0.50`.
    public var decimalString: String {
        let sign = cents < 0 ? "-" : ""
        let a = cents.magnitude
        return "\(sign)\(a / 100).\(String(format: "%02d", Int(a % 100)))"
    }
    public var description: String { decimalString }
    /// The amount as Decimal, for writers that need a number cell.
    public var decimal: Decimal { Decimal(cents) / 100 }

    public static func + (a: Money, b: Money) -> Money { Money(cents: a.cents + b.cents) }
    public static func - (a: Money, b: Money) -> Money { Money(cents: a.cents - b.cents) }
    public static func < (a: Money, b: Money) -> Bool { a.cents < b.cents }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let m = Money(parsing: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not money: \(s)"))
        }
        self = m
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(decimalString)
    }
}

extension Money: DatabaseValueConvertible {
    /// Stored as integer cents.
    public var databaseValue: DatabaseValue { cents.databaseValue }
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Money? {
        Int64.fromDatabaseValue(dbValue).map(Money.init(cents:))
    }
}

extension Character {
    /// 0-9 alone: a digit with a combining mark after it (`8` + U+0610) is one Character that
    /// sorts between "0" and "9" but is no digit (found by `make fuzz`, target values: isNPI
    /// then indexed past the digits it had).
    var isASCIIDigit: Bool { asciiValue.map { (48...57).contains($0) } ?? false }
    /// A-Z alone (not `É`, not `A` with a combining mark).
    var isASCIIUpper: Bool { asciiValue.map { (65...90).contains($0) } ?? false }
}
