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
            let codes = Normalize.cptCodes(c.cpt)
            return !codes.isEmpty && codes.allSatisfy { BillingEvaluator.isValidCode($0, allowHcpcs: check.allowHcpcs) }
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

    /// CPT Category I (5 digits), II/III (4 digits + F/T), or HCPCS Level II (A-V + 4 digits),
    /// optionally followed by modifiers (`99309-25`, `99309-25-59`).
    public static func isValidCode(_ code: String, allowHcpcs: Bool) -> Bool {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        guard let base = parts.first else { return false }
        for m in parts.dropFirst() {
            guard m.utf8.count == 2, m.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) }) else { return false }
        }
        let b = Array(base.utf8)
        guard b.count == 5 else { return false }
        func digit(_ x: UInt8) -> Bool { x >= 48 && x <= 57 }
        if b[0..<4].allSatisfy(digit) {
            return digit(b[4]) || b[4] == UInt8(ascii: "F") || b[4] == UInt8(ascii: "T")
        }
        if allowHcpcs, b[0] >= UInt8(ascii: "A"), b[0] <= UInt8(ascii: "V"), b[1..<5].allSatisfy(digit) { return true }
        return false
    }
}
