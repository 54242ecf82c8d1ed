// SPDX-License-Identifier: MIT
import Foundation
import Logging
import MiniFltServer
import MiniFltSystemd
import Testing

@Suite("Journal fields and the message catalog")
struct JournalFieldTests {
    @Test(
        "metadata keys become valid journal field names",
        arguments: [
            ("client.pid", "MINIFLT_CLIENT_PID"), ("status", "MINIFLT_STATUS"), ("port", "MINIFLT_PORT"),
            ("event", "MINIFLT_EVENT"), ("weird-key é", "MINIFLT_WEIRD_KEY__"),
        ]
    )
    func fieldNames(key: String, field: String) {
        #expect(JournalEntry.fieldName(key, prefix: "MINIFLT_") == field)
    }

    @Test("levels map to syslog priorities")
    func priorities() {
        #expect(JournalEntry.priority(.critical) == 2)
        #expect(JournalEntry.priority(.error) == 3)
        #expect(JournalEntry.priority(.warning) == 4)
        #expect(JournalEntry.priority(.notice) == 5)
        #expect(JournalEntry.priority(.info) == 6)
        #expect(JournalEntry.priority(.debug) == 7)
    }

    @Test("every event kind has its own MESSAGE_ID, and the catalog explains exactly those")
    func catalogMatchesEvents() throws {
        let catalogURL = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("systemd/minifltd.catalog")
        let catalog = try String(contentsOf: catalogURL, encoding: .utf8)
        let catalogIDs = catalog.split(separator: "\n").filter { $0.hasPrefix("-- ") }.map { String($0.dropFirst(3)) }
        let eventIDs = PortEvent.allCases.map(\.messageID)
        #expect(Set(eventIDs).count == eventIDs.count, "two event kinds share a MESSAGE_ID")
        #expect(eventIDs.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
        #expect(Set(catalogIDs) == Set(eventIDs))
        #expect(catalogIDs.count == eventIDs.count)
    }
}
