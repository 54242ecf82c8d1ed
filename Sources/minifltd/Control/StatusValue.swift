// SPDX-License-Identifier: MIT

/// A status report as a tree, written as JSON (`minifltctl status --json`) or as indented text.
indirect enum StatusValue: Sendable {
    case number(Double)
    case integer(Int)
    case string(String)
    case object([(String, StatusValue)])
    case array([StatusValue])

    /// Compact JSON (RFC 8259): strings escaped, keys in the report's order.
    var json: String {
        switch self {
        case .number(let value): value.isFinite ? "\(value)" : "null"
        case .integer(let value): "\(value)"
        case .string(let value): StatusValue.quoted(value)
        case .object(let members):
            "{" + members.map { "\(StatusValue.quoted($0.0)):\($0.1.json)" }.joined(separator: ",") + "}"
        case .array(let items): "[" + items.map(\.json).joined(separator: ",") + "]"
        }
    }

    /// `key: value` lines, nested objects indented by two spaces, array items numbered.
    func text(indent: String = "") -> String {
        switch self {
        case .object(let members):
            return members.map { key, value in
                switch value {
                case .object, .array: "\(indent)\(key):\n" + value.text(indent: indent + "  ")
                default: "\(indent)\(key): \(value.scalarText)"
                }
            }.joined(separator: "\n")
        case .array(let items):
            if items.isEmpty { return "\(indent)(none)" }
            return items.enumerated().map { index, item in
                "\(indent)[\(index + 1)]\n" + item.text(indent: indent + "  ")
            }.joined(separator: "\n")
        default:
            return indent + scalarText
        }
    }

    private var scalarText: String {
        switch self {
        case .number(let value): "\(value)"
        case .integer(let value): "\(value)"
        case .string(let value): value
        default: json
        }
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
