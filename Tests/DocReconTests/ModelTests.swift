import Foundation
import Testing
@testable import DocRecon

@Suite struct MoneyTests {
    @Test(arguments: [
        ("$1,936.98", 193698), ("1936.98", 193698), ("1936 98", 193698), ("1936", 193600),
        ("737 01", 73701), ("0.5", 50), (".50", 50), ("(12.00)", -1200), ("-3.10", -310),
        ("1,000,000.00", 100000000), (" 212.40 ", 21240),
    ] as [(String, Int64)])
    func parses(_ raw: String, _ cents: Int64) {
        #expect(Money(parsing: raw)?.cents == cents)
    }

    @Test(arguments: ["", "abc", "12.345", "1,23.00", "12 3", "1.2.3", "$", "12,34"])
    func rejects(_ raw: String) {
        #expect(Money(parsing: raw) == nil)
    }

    @Test func formats() {
        #expect(Money(cents: 193698).decimalString == "1936.98")
        #expect(Money(cents: -50).decimalString == "-0.50")
        #expect(Money(cents: 5).decimalString == "0.05")
    }
}

@Suite struct CalendarDateTests {
    @Test func validates() {
        #expect(CalendarDate(year: 2024, month: 2, day: 29) != nil)
        #expect(CalendarDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 2025, month: 13, day: 1) == nil)
        #expect(CalendarDate(iso: "2025-11-03")?.usDashed == "11-03-2025")
        #expect(CalendarDate(iso: "2025-1-03") == nil)
    }

    @Test(arguments: [0, 1, -1, 18000, 20000, 59, 60, -719468, 2932896])
    func epochRoundTrip(_ days: Int) {
        #expect(CalendarDate(daysSinceEpoch: days).daysSinceEpoch == days)
    }

    @Test func knownEpochDays() {
        #expect(CalendarDate(iso: "1970-01-01")!.daysSinceEpoch == 0)
        #expect(CalendarDate(iso: "2000-03-01")!.daysSinceEpoch == 11017)
        #expect(CalendarDate(iso: "2025-12-31")!.days(since: CalendarDate(iso: "2025-01-01")!) == 364)
    }
}

@Suite struct PinnedTodayTests {
    /// `$DOCRECON_TODAY` pins "today" for the whole binary (the suite pins it so answers that
    /// depend on today do not drift with the calendar).
    @Test func reconcileWithoutADateUsesThePinnedToday() throws {
        let dir = try TestSupport.tempDir("pin")
        let r = try TestSupport.run(["--db", dir.appendingPathComponent("db.sqlite").path, "reconcile",
                                     "--out", dir.appendingPathComponent("out").path],
                                    env: ["DOCRECON_TODAY": "2031-01-02"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/General Reconciliation 01-02-2031.xlsx").path))
    }
}
