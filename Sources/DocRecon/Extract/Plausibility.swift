import Foundation

/// Checks that a value can be what its field says, independent of how well it was read: a wrong
/// value read cleanly from the wrong place must go to review rather than pass as `ok`.
public enum Plausibility {
    /// Services are billed within a few years (timely filing is one year at most payers).
    public static let serviceYearsBack = 3
    /// Nobody is older than this.
    public static let birthYearsBack = 120

    /// Why a date cannot be a date of service (or a birth date), or nil when it can.
    public static func date(_ d: CalendarDate, birth: Bool, today: CalendarDate) -> String? {
        if birth {
            if let oldest = CalendarDate(year: today.year - birthYearsBack, month: 1, day: 1), d < oldest {
                return "birth date \(d.iso) is more than \(birthYearsBack) years ago"
            }
            return nil
        }
        if let oldest = CalendarDate(year: today.year - serviceYearsBack, month: today.month, day: min(today.day, 28)), d < oldest {
            return "date of service \(d.iso) is more than \(serviceYearsBack) years before today"
        }
        return nil
    }
}
