// SPDX-License-Identifier: MIT
internal import CMiniFltLowercase

extension PortName {
    /// The Unicode version whose simple lowercase mapping turns names into addresses: "17.0.0"
    /// (docs/protocol.md section 1). libfltlib folds with the same table.
    public static let unicodeVersion = String(cString: CMiniFltLowercase_unicodeVersion())

    /// `name` with each scalar replaced by its simple lowercase mapping, as UTF-8. Not `String.lowercased()`:
    /// that applies full mappings (U+0130 becomes two scalars) from whichever Unicode the toolchain ships.
    static func lowercasedUTF8(_ name: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count)
        for scalar in name.unicodeScalars {
            let folded = Unicode.Scalar(CMiniFltLowercase_simpleLowercase(scalar.value)) ?? scalar
            UTF8.encode(folded) { bytes.append($0) }
        }
        return bytes
    }
}
