/* SPDX-License-Identifier: MIT */
/* Prints how libfltlib folds every code point in a port name: one line "HEX ADDRESS-HEX" for each scalar
 * whose address (of the name "\" followed by that scalar, less the backslash) is not the scalar's own UTF-8,
 * or "HEX invalid" when such a name is refused. NUL (the terminator) and the surrogates (not scalars) are
 * skipped. Tests/IntegrationTests/PortNameAgreementTests.swift compares this with the Swift libraries over every
 * code point, so the two can never fold a name differently. */
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "port_name.h"

int main(void) {
    for (uint32_t scalar = 1; scalar <= 0x10FFFF; scalar++) {
        if (scalar >= 0xD800 && scalar <= 0xDFFF) continue;
        wchar_t name[3] = {L'\\', (wchar_t)scalar, 0};
        uint8_t address[FLT_MAX_ADDRESS_LENGTH];
        const char *why = NULL;
        int length = flt_port_address(name, address, &why);
        if (length < 0) {
            printf("%04X invalid\n", (unsigned)scalar);
            continue;
        }
        char itself[8]; /* the name as it is, in UTF-8 */
        flt_port_name_utf8(name, itself, sizeof itself);
        if ((size_t)length == strlen(itself) && memcmp(address, itself, (size_t)length) == 0) continue;
        printf("%04X ", (unsigned)scalar);
        for (int i = 1; i < length; i++) printf("%02x", address[i]);
        putchar('\n');
    }
    return ferror(stdout) ? 1 : 0;
}
