// SPDX-License-Identifier: MIT
import MiniFltWire
import Testing

@Suite("NTSTATUS to HRESULT")
struct StatusTests {
    /// docs/protocol.md section 7, row by row.
    static let table: [(UInt32, UInt32)] = [
        (0x0000_0000, 0x0000_0000),
        (0x0000_0102, 0x8007_0102),
        (0x8000_0005, 0x8007_00EA),
        (0x8000_001A, 0x8007_0103),
        (0xC000_000D, 0x8007_0057),
        (0xC000_0022, 0x8007_0005),
        (0xC000_0023, 0x8007_007A),
        (0xC000_0033, 0x8007_007B),
        (0xC000_0034, 0x8007_0002),
        (0xC000_0037, 0x8007_0006),
        (0xC000_009A, 0x8007_05AA),
        (0xC000_0246, 0x8007_04D6),
        (0xC01C_0020, 0x801F_0020),
    ]

    @Test("docs/protocol.md section 7's table", arguments: table)
    func specTable(status: UInt32, hresult: UInt32) {
        #expect(NTStatus(rawValue: status).hresult == HResult(rawValue: hresult))
    }

    @Test("Filter Manager statuses keep their code under facility 0x1F")
    func filterManagerFacility() {
        #expect(NTStatus(rawValue: 0xC01C_0004).hresult.rawValue == 0x801F_0004)
        #expect(NTStatus(rawValue: 0x801C_0001).hresult.rawValue == 0x801F_0001)
    }

    @Test("unknown statuses map by HRESULT_FROM_NT")
    func fromNT() {
        #expect(NTStatus(rawValue: 0xC000_0FFF).hresult.rawValue == 0xD000_0FFF)
        #expect(NTStatus(rawValue: 0xC000_0FFF).hresult.isFailure)
    }

    @Test(
        "a call a status fails reports a failure HRESULT, E_FAIL where the mapping gives none",
        arguments: [
            (0x4000_0000, 0x8000_4005), (0x3200_000D, 0x8000_4005), (0x0000_0102, 0x8007_0102),
            (0xC000_0022, 0x8007_0005), (0xC000_0FFF, 0xD000_0FFF), (0x8000_0005, 0x8007_00EA),
        ] as [(UInt32, UInt32)]
    )
    func failureHResult(status: UInt32, hresult: UInt32) {
        #expect(NTStatus(rawValue: status).failureHResult.rawValue == hresult)
        #expect(NTStatus(rawValue: status).failureHResult.isFailure)
    }

    @Test("the wire carries statuses as signed 32-bit values")
    func wireValue() {
        #expect(NTStatus.accessDenied.wireValue == Int32(bitPattern: 0xC000_0022))
        #expect(NTStatus(wireValue: -1_073_741_790) == .accessDenied)
    }

    @Test("HRESULTs print as the seed prints them")
    func hexFormat() {
        #expect(HResult.fileNotFound.hex == "0x80070002")
        #expect(HResult.ok.hex == "0x00000000")
        #expect(NTStatus.accessDenied.description == "STATUS_ACCESS_DENIED (0xc0000022)")
    }
}
