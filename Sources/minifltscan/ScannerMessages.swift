// SPDX-License-Identifier: MIT

/// The scanner's messages (docs/protocol.md section 8, "The scanner"), as Microsoft's scanner sample lays them out in its
/// shared header: SCANNER_NOTIFICATION `{u32 BytesToScan; u32 Reserved; u8 Contents[1024]}` to the client,
/// SCANNER_REPLY `{u8 SafeToOpen}` back.
enum ScannerMessages {
    /// SCANNER_READ_BUFFER_SIZE: how much of a file's beginning the client sees.
    static let contentsSize = 1024
    /// sizeof(SCANNER_NOTIFICATION).
    static let notificationSize = 8 + contentsSize
    /// sizeof(SCANNER_REPLY): the reply capacity of every scan.
    static let replySize = 1

    /// A SCANNER_NOTIFICATION for `contents` (at most ``contentsSize`` bytes; the rest of Contents is zero).
    static func notification(_ contents: ArraySlice<UInt8>) -> [UInt8] {
        let count = min(contents.count, contentsSize)
        var message = [UInt8](repeating: 0, count: notificationSize)
        withUnsafeBytes(of: UInt32(count).littleEndian) { message.replaceSubrange(0..<4, with: $0) }
        message.replaceSubrange(8..<(8 + count), with: contents.prefix(count))
        return message
    }

    /// sizeof the notification's header (BytesToScan and Reserved): the whole notification sent, with the file's
    /// descriptor, to a client that asked for descriptors when minifltscan runs with `--pass-descriptors`.
    static let headerSize = 8

    /// The notification of a scan through the descriptor: BytesToScan 0, no Contents; the client reads the file
    /// through the descriptor that comes with it (docs/protocol.md section 8, "The scanner").
    static let descriptorNotification = [UInt8](repeating: 0, count: headerSize)

    /// SafeToOpen from a reply: nil when the reply is not one byte (the client sent no verdict).
    static func safeToOpen(_ reply: [UInt8]) -> Bool? {
        reply.count == replySize ? reply[0] != 0 : nil
    }
}

/// Which files the scanner looks at: those whose name ends in one of the extensions, compared without
/// regard to ASCII case, as the sample does with its registry list. A name without a dot has no extension
/// and is never scanned; the extension is what follows the last dot of the last path component.
struct ScannedExtensions: Sendable, CustomStringConvertible {
    /// The sample's installation list (its default, without that list, is "doc" alone).
    static let sampleDefault = ["exe", "doc", "txt", "bat", "cmd", "inf"]

    private let extensions: Set<[UInt8]>

    init(_ extensions: [String]) {
        self.extensions = Set(extensions.map { Array($0.utf8).map(ScannedExtensions.lower) })
    }

    func matches(_ path: [UInt8]) -> Bool {
        let name = path.lastIndex(of: UInt8(ascii: "/")).map { path[(path.index(after: $0))...] } ?? path[...]
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")) else { return false }
        let suffix = name[name.index(after: dot)...]
        guard !suffix.isEmpty else { return false }
        return extensions.contains(suffix.map(ScannedExtensions.lower))
    }

    var description: String { extensions.map { String(decoding: $0, as: UTF8.self) }.sorted().joined(separator: ",") }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}
