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

    /// Below this confidence a procedure code with a look-alike reading that is also a code goes to review.
    public static let sureCodeConfidence = 0.85

    /// Leading digits OCR reads for the letter of a HCPCS Level II code (`J3420` read `33420`).
    static let letterLookAlikes: [Character: Character] = ["3": "J", "1": "J", "6": "G", "5": "S", "8": "B", "0": "Q"]

    /// The other code a CPT code's first digit may be a misreading of (or a HCPCS code's letter),
    /// when that reading is a code too.
    public static func lookAlikeCode(_ code: String) -> String? {
        guard code.count == 5, let f = code.first else { return nil }
        var alt: Character?
        let digitFor: [Character: Character] = ["J": "3", "G": "6", "S": "5", "B": "8", "Q": "0"]
        if let l = letterLookAlikes[f] { alt = l } else { alt = digitFor[f] }
        guard let a = alt else { return nil }
        let other = String(a) + code.dropFirst()
        return FieldValues.normalizeCode(other) == other ? other : nil
    }
}
