/* SPDX-License-Identifier: MIT */
#include "port_name.h"

#include <CMiniFltLowercase.h>

/* Appends `scalar` as UTF-8 to `out`, which holds `limit` bytes; returns the new length, or -1 when it does not
 * fit. */
static int append_utf8(uint8_t *out, int length, int limit, uint32_t scalar) {
    uint8_t bytes[4];
    int count;
    if (scalar < 0x80) {
        bytes[0] = (uint8_t)scalar;
        count = 1;
    } else if (scalar < 0x800) {
        bytes[0] = (uint8_t)(0xC0 | scalar >> 6);
        bytes[1] = (uint8_t)(0x80 | (scalar & 0x3F));
        count = 2;
    } else if (scalar < 0x10000) {
        bytes[0] = (uint8_t)(0xE0 | scalar >> 12);
        bytes[1] = (uint8_t)(0x80 | ((scalar >> 6) & 0x3F));
        bytes[2] = (uint8_t)(0x80 | (scalar & 0x3F));
        count = 3;
    } else {
        bytes[0] = (uint8_t)(0xF0 | scalar >> 18);
        bytes[1] = (uint8_t)(0x80 | ((scalar >> 12) & 0x3F));
        bytes[2] = (uint8_t)(0x80 | ((scalar >> 6) & 0x3F));
        bytes[3] = (uint8_t)(0x80 | (scalar & 0x3F));
        count = 4;
    }
    if (length + count > limit) return -1;
    for (int i = 0; i < count; i++) out[length + i] = bytes[i];
    return length + count;
}

const wchar_t *flt_port_socket_path(const wchar_t *name) {
    if (wcsncmp(name, L"unix:", 5) == 0) name += 5;
    return name[0] == L'/' ? name : NULL;
}

int flt_port_address(const wchar_t *name, uint8_t address[FLT_MAX_ADDRESS_LENGTH], const char **why) {
    const wchar_t *path = flt_port_socket_path(name);
    if (path != NULL) {
        /* A socket file's path is taken as it is: file names are case-sensitive. */
        int length = 0;
        for (const wchar_t *character = path; *character != 0; character++) {
            uint32_t scalar = (uint32_t)*character;
            if (scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF)) {
                *why = "holds a wchar_t that is not a Unicode character";
                return -1;
            }
            length = append_utf8(address, length, FLT_MAX_ADDRESS_LENGTH, scalar);
            if (length < 0) {
                *why = "is longer than a socket file's path can be (107 bytes of UTF-8)";
                return -1;
            }
        }
        return length;
    }
    if (name[0] != L'\\') {
        *why = "must start with a backslash, as Windows object names do (for example \\MiniFilterPort_Example), "
               "or be a socket file's absolute path (/run/minifltd/port.sock, or unix:/run/minifltd/port.sock)";
        return -1;
    }
    int length = 0;
    for (const wchar_t *character = name; *character != 0; character++) {
        uint32_t scalar = (uint32_t)*character;
        if (scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF)) {
            *why = "holds a wchar_t that is not a Unicode character";
            return -1;
        }
        /* The daemon folds with the same table (docs/protocol.md section 1), whatever the locale says. */
        length = append_utf8(address, length, FLT_MAX_ADDRESS_LENGTH, CMiniFltLowercase_simpleLowercase(scalar));
        if (length < 0) {
            *why = "is longer than an abstract socket name can be (107 bytes of UTF-8)";
            return -1;
        }
    }
    return length;
}

void flt_port_name_utf8(const wchar_t *name, char *out, size_t size) {
    int length = 0;
    int limit = size > 0x7FFF ? 0x7FFF : (int)size - 1;
    for (const wchar_t *character = name; *character != 0 && limit > 0; character++) {
        uint32_t scalar = (uint32_t)*character;
        if (scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF)) scalar = '?';
        int grown = append_utf8((uint8_t *)out, length, limit, scalar);
        if (grown < 0) break;
        length = grown;
    }
    if (size > 0) out[length] = 0;
}
