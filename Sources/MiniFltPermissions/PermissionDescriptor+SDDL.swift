// SPDX-License-Identifier: MIT
extension PermissionDescriptor {
    /// Parses an SDDL security descriptor.
    ///
    /// Understood: the `D:` part with the `P`, `AI`, `AR` flags (or `NO_ACCESS_CONTROL` for a NULL DACL) and
    /// ACEs `(type;flags;rights;;;sid)` where type is `A` or `D`; flags are two-letter inheritance flags (`IO`
    /// makes an ACE inherit-only, so skipped); rights are hex (`0x1F0001`), decimal, or codes (`GA`, `GR`, `GW`,
    /// `GX`, `RC`, `SD`, `WD`, `WO`, `CC`); SIDs are `SY`, `BA`, `WD`, `S-1-5-18`, `S-1-5-32-544`, `S-1-1-0`,
    /// `S-1-22-1-N` (uid N) and `S-1-22-2-N` (gid N). `O:`, `G:` and `S:` parts are parsed and ignored.
    /// No `D:` part at all is a NULL DACL (everyone), as on Windows.
    /// - Throws: ``SDDLError`` naming the position of the first error.
    public init(sddl: String) throws(SDDLError) {
        var parser = SDDLParser(sddl)
        self = try parser.parseDescriptor()
    }
}

/// A recursive-descent parser over the SDDL's characters.
struct SDDLParser {
    private let text: String
    private let characters: [Character]
    private var index = 0

    init(_ text: String) {
        self.text = text
        self.characters = Array(text)
    }

    mutating func parseDescriptor() throws(SDDLError) -> PermissionDescriptor {
        var dacl: [AccessControlEntry]?
        var isProtected = false
        var seen: Set<Character> = []
        skipSpaces()
        guard index < characters.count else {
            throw error("empty security descriptor; the default is D:P(A;;0x1F0001;;;SY)(A;;0x1F0001;;;BA)")
        }
        while index < characters.count {
            let start = index
            guard index + 1 < characters.count, characters[index + 1] == ":",
                let part = Optional(characters[index]), "OGDS".contains(part)
            else { throw error("expected O:, G:, D: or S:") }
            guard seen.insert(part).inserted else { throw error("a second \(part): part") }
            index += 2
            switch part {
            case "O", "G":
                _ = try parseSID()
            case "D":
                let (entries, protected) = try parseACL()
                dacl = entries
                isProtected = protected
            default:
                _ = try parseACL()
            }
            skipSpaces()
            if index == start { throw error("unexpected character") }
        }
        return PermissionDescriptor(dacl: dacl, isProtected: isProtected)
    }

    /// Flags then ACEs; nil entries for `NO_ACCESS_CONTROL`.
    private mutating func parseACL() throws(SDDLError) -> ([AccessControlEntry]?, Bool) {
        var isProtected = false
        var nullACL = false
        while index < characters.count, characters[index] != "(" {
            if characters[index] == " " {
                index += 1
                continue
            }
            if let next = peekPartStart(), next { break }
            if consume("NO_ACCESS_CONTROL") {
                nullACL = true
                continue
            }
            if consume("P") {
                isProtected = true
                continue
            }
            if consume("AI") || consume("AR") { continue }
            throw error("unknown ACL flag; expected P, AI, AR or NO_ACCESS_CONTROL")
        }
        var entries: [AccessControlEntry] = []
        while index < characters.count, characters[index] == "(" {
            entries.append(try parseACE())
            skipSpaces()
        }
        if nullACL {
            guard entries.isEmpty else { throw error("NO_ACCESS_CONTROL cannot be followed by ACEs") }
            return (nil, isProtected)
        }
        return (entries, isProtected)
    }

    private mutating func parseACE() throws(SDDLError) -> AccessControlEntry {
        index += 1  // "("
        let typeStart = index
        let type = readField()
        let kind: AccessControlEntry.Kind
        switch type {
        case "A": kind = .allow
        case "D": kind = .deny
        default:
            throw error(at: typeStart, "ACE type '\(type)' is not supported; a port's DACL takes A (allow) or D (deny)")
        }
        try expect(";")
        let flagsStart = index
        let flags = readField()
        try validateFlags(flags, at: flagsStart)
        try expect(";")
        let rightsStart = index
        let mask = try parseRights(readField(), at: rightsStart)
        try expect(";")
        if !readField().isEmpty { throw error(at: index - 1, "object GUIDs are not supported; leave the field empty") }
        try expect(";")
        if !readField().isEmpty {
            throw error(at: index - 1, "inherited object GUIDs are not supported; leave the field empty")
        }
        try expect(";")
        let sid = try parseSID()
        guard index < characters.count, characters[index] == ")" else {
            throw error("expected ')' to close the ACE (conditional ACEs are not supported)")
        }
        index += 1
        return AccessControlEntry(kind: kind, mask: mask, sid: sid, flags: flags)
    }

    private func validateFlags(_ flags: String, at start: Int) throws(SDDLError) {
        let known: Set<String> = ["CI", "OI", "NP", "IO", "ID", "SA", "FA"]
        let letters = Array(flags)
        var offset = 0
        while offset < letters.count {
            let code = offset + 1 < letters.count ? String(letters[offset...offset + 1]) : String(letters[offset])
            guard known.contains(code) else {
                throw error(at: start + offset, "unknown ACE flag '\(code)'; expected CI, OI, NP, IO, ID, SA or FA")
            }
            offset += 2
        }
    }

    private func parseRights(_ field: String, at start: Int) throws(SDDLError) -> AccessMask {
        if field.isEmpty { throw error(at: start, "empty access rights; write 0x1F0001 or GA for full access") }
        let lower = field.lowercased()
        if lower.hasPrefix("0x") {
            guard let value = UInt32(lower.dropFirst(2), radix: 16) else {
                throw error(at: start, "'\(field)' is not a 32-bit hex mask")
            }
            return AccessMask(rawValue: value)
        }
        if field.allSatisfy(\.isNumber) {
            guard let value = UInt32(field) else { throw error(at: start, "'\(field)' is not a 32-bit mask") }
            return AccessMask(rawValue: value)
        }
        let codes: [String: UInt32] = [
            "GA": 0x1000_0000, "GX": 0x2000_0000, "GW": 0x4000_0000, "GR": 0x8000_0000,
            "SD": 0x0001_0000, "RC": 0x0002_0000, "WD": 0x0004_0000, "WO": 0x0008_0000, "CC": 0x0000_0001,
        ]
        let letters = Array(field)
        var mask: UInt32 = 0
        var offset = 0
        while offset < letters.count {
            let code = offset + 1 < letters.count ? String(letters[offset...offset + 1]) : String(letters[offset])
            guard let bits = codes[code] else {
                throw error(
                    at: start + offset,
                    "unknown right '\(code)'; use a hex mask or GA, GR, GW, GX, RC, SD, WD, WO, CC"
                )
            }
            mask |= bits
            offset += 2
        }
        return AccessMask(rawValue: mask)
    }

    private mutating func parseSID() throws(SDDLError) -> SecurityIdentifier {
        let start = index
        var token = ""
        while index < characters.count, characters[index] != ")", characters[index] != ";" {
            if token.count >= 2, !token.hasPrefix("S-"), peekPartStart() == true { break }
            token.append(characters[index])
            index += 1
        }
        switch token {
        case "SY", "S-1-5-18": return .localSystem
        case "BA", "S-1-5-32-544": return .builtinAdministrators
        case "WD", "S-1-1-0": return .everyone
        default: break
        }
        for (prefix, make) in [("S-1-22-1-", SecurityIdentifier.unixUser), ("S-1-22-2-", SecurityIdentifier.unixGroup)]
        where token.hasPrefix(prefix) {
            let digits = token.dropFirst(prefix.count)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let id = UInt32(digits)
            else { throw error(at: start + prefix.count, "'\(digits)' is not a Unix id (0 to 4294967295)") }
            return make(id)
        }
        if token.isEmpty { throw error(at: start, "missing SID") }
        throw error(
            at: start,
            "SID '\(token)' has no meaning here; use SY, BA (uid 0), WD (everyone), S-1-22-1-UID or S-1-22-2-GID"
        )
    }

    /// True when the next two characters start an `O:`/`G:`/`D:`/`S:` part.
    private func peekPartStart() -> Bool? {
        guard index + 1 < characters.count else { return nil }
        return "OGDS".contains(characters[index]) && characters[index + 1] == ":"
    }

    private mutating func readField() -> String {
        var field = ""
        while index < characters.count, characters[index] != ";", characters[index] != ")" {
            field.append(characters[index])
            index += 1
        }
        return field.trimmingSpaces()
    }

    private mutating func expect(_ character: Character) throws(SDDLError) {
        guard index < characters.count, characters[index] == character else {
            throw error(
                index < characters.count ? "expected '\(character)'" : "the ACE ends early; expected '\(character)'"
            )
        }
        index += 1
    }

    private mutating func consume(_ word: String) -> Bool {
        let letters = Array(word)
        guard index + letters.count <= characters.count, Array(characters[index..<index + letters.count]) == letters
        else { return false }
        index += letters.count
        return true
    }

    private mutating func skipSpaces() {
        while index < characters.count, characters[index] == " " { index += 1 }
    }

    private func error(_ reason: String) -> SDDLError { error(at: index, reason) }

    private func error(at offset: Int, _ reason: String) -> SDDLError {
        SDDLError(sddl: text, position: offset + 1, reason: reason)
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var slice = Substring(self)
        while slice.first == " " { slice.removeFirst() }
        while slice.last == " " { slice.removeLast() }
        return String(slice)
    }
}
