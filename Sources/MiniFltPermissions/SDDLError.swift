// SPDX-License-Identifier: MIT
/// Why an SDDL string does not parse, and where.
public struct SDDLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The SDDL string that failed.
    public var sddl: String
    /// The 1-based character position of the error.
    public var position: Int
    /// What is wrong there.
    public var reason: String

    public init(sddl: String, position: Int, reason: String) {
        self.sddl = sddl
        self.position = position
        self.reason = reason
    }

    /// `SDDL error at character 12: ...`, then the string and a caret under the position.
    public var description: String {
        let caret = String(repeating: " ", count: max(0, position - 1)) + "^"
        return "SDDL error at character \(position): \(reason)\n  \(sddl)\n  \(caret)"
    }
}
