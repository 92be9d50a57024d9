/// A developer tool's failure: one line on stderr, exit code 1 (as `docrecon`'s own errors).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    static func failure(_ message: String) -> CLIError { CLIError(description: message) }
}
