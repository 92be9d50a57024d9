import Foundation

/// What the billing evaluation says about one charge.
public struct BillingOutcome: Sendable, Equatable {
    public var billed: Bool
    /// The reason as users know it; nil when billed.
    public var reason: String?
    public static let billedOutcome = BillingOutcome(billed: true, reason: nil)
}

/// The EBS side of an encounter: posted, or rejected with EBS' reason.
public enum EbsStatus: Sendable, Equatable {
    case posted
    case rejected(String)
}

/// Evaluates a Charge (ICE row or paper line alike) against Rules/billing.yaml: the checks in
/// order, the first failure gives the reason. With an EBS export, an EBS rejection wins over our
/// reason, and a charge that passes our checks is billed only when EBS posted its encounter key.
public struct BillingEvaluator: Sendable {
    public let rules: ReconRules
    public let ebs: [EncounterKey: EbsStatus]?

    public init(rules: ReconRules, ebs: [EncounterKey: EbsStatus]? = nil) {
        self.rules = rules; self.ebs = ebs
    }

    public func evaluate(_ charge: Charge, key: EncounterKey? = nil) -> BillingOutcome {
        if let ebs {
            let k = key ?? EncounterKey.of(charge)
            if case .rejected(let reason)? = ebs[k] { return BillingOutcome(billed: false, reason: reason) }
            if let r = ownReason(charge) { return BillingOutcome(billed: false, reason: r) }
            if ebs[k] == .posted { return .billedOutcome }
            return BillingOutcome(billed: false, reason: rules.settings.reason("not_posted"))
        }
        if let r = ownReason(charge) { return BillingOutcome(billed: false, reason: r) }
        return .billedOutcome
    }

    /// The reason of the first failing check, or nil.
    public func ownReason(_ c: Charge) -> String? {
        for check in rules.billing.checks {
            if !passes(check, c) { return rules.settings.reason(check.check.rawValue) }
        }
        return nil
    }

    func passes(_ check: BillingCheck, _ c: Charge) -> Bool {
        switch check.check {
        case .diagnosis:
            return !BillingEvaluator.blank(c.diagnosisCodes)
        case .cptPresent:
            return !BillingEvaluator.blank(c.cpt)
        case .cptFormat:
            return BillingEvaluator.allCodesValid(c.cpt, allowHcpcs: check.allowHcpcs)
        case .facility:
            if BillingEvaluator.blank(c.facility) { return false }
            if let roster = rules.facilityRoster { return roster.contains(Normalize.name(c.facility)) }
            return true
        case .provider:
            if BillingEvaluator.blank(c.servicingProvider) { return false }
            if let roster = rules.providerRoster { return roster.contains(Normalize.name(c.servicingProvider)) }
            return true
        }
    }

    @inline(__always) static func blank(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// Every code of a CPT cell is valid (and there is at least one).
    static func allCodesValid(_ cell: String, allowHcpcs: Bool) -> Bool {
        var code = [UInt8]()
        var count = 0
        var ok = true
        func finish() {
            guard !code.isEmpty else { return }
            count += 1
            if ok { ok = isValidCode(code, allowHcpcs: allowHcpcs) }
            code.removeAll(keepingCapacity: true)
        }
        for var b in cell.utf8 {
            if Normalize.isCPTSeparator(b) { finish(); continue }
            if b >= 0x61 && b <= 0x7A { b -= 32 }
            code.append(b)
        }
        finish()
        return ok && count > 0
    }

    public static func isValidCode(_ code: String, allowHcpcs: Bool) -> Bool {
        isValidCode(Array(code.uppercased().utf8), allowHcpcs: allowHcpcs)
    }

    /// CPT Category I (5 digits), II/III (4 digits + F/T), or HCPCS Level II (A-V + 4 digits),
    /// optionally followed by modifiers (`99309-25`, `99309-25-59`).
    static func isValidCode(_ c: [UInt8], allowHcpcs: Bool) -> Bool {
        guard c.count >= 5, (c.count - 5) % 3 == 0 else { return false }
        func digit(_ x: UInt8) -> Bool { x >= 48 && x <= 57 }
        func alnum(_ x: UInt8) -> Bool { digit(x) || (x >= 65 && x <= 90) }
        var i = 5
        while i < c.count {  // modifiers: -25, -59, -LT
            guard c[i] == 0x2D, alnum(c[i + 1]), alnum(c[i + 2]) else { return false }
            i += 3
        }
        if digit(c[0]) && digit(c[1]) && digit(c[2]) && digit(c[3]) {
            return digit(c[4]) || c[4] == UInt8(ascii: "F") || c[4] == UInt8(ascii: "T")
        }
        if allowHcpcs, c[0] >= UInt8(ascii: "A"), c[0] <= UInt8(ascii: "V"), digit(c[1]), digit(c[2]), digit(c[3]), digit(c[4]) {
            return true
        }
        return false
    }
}
