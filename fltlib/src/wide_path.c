/* SPDX-License-Identifier: MIT */
/* File paths from wide text back to bytes (docs/protocol.md section 8): the inverse of the daemon's lossless
 * mapping, where each byte of ill-formed UTF-8 travels as the lone surrogate U+DC00 + byte. */
#include "fltUser.h"

#include <stdint.h>

#include "last_error.h"

#define EXPORT __attribute__((visibility("default")))

/* Writes the UTF-8 of `point` at out[*at] when it fits in `size`; counts it in *at either way. */
static void put_utf8(uint32_t point, char *out, size_t size, size_t *at) {
    unsigned char bytes[4];
    size_t count;
    if (point >= 0xDC80 && point <= 0xDCFF) {
        bytes[0] = (unsigned char)(point - 0xDC00);
        count = 1;
    } else {
        if ((point >= 0xD800 && point <= 0xDFFF) || point > 0x10FFFF) point = 0xFFFD;
        if (point < 0x80) {
            bytes[0] = (unsigned char)point;
            count = 1;
        } else if (point < 0x800) {
            bytes[0] = (unsigned char)(0xC0 | (point >> 6));
            bytes[1] = (unsigned char)(0x80 | (point & 0x3F));
            count = 2;
        } else if (point < 0x10000) {
            bytes[0] = (unsigned char)(0xE0 | (point >> 12));
            bytes[1] = (unsigned char)(0x80 | ((point >> 6) & 0x3F));
            bytes[2] = (unsigned char)(0x80 | (point & 0x3F));
            count = 3;
        } else {
            bytes[0] = (unsigned char)(0xF0 | (point >> 18));
            bytes[1] = (unsigned char)(0x80 | ((point >> 12) & 0x3F));
            bytes[2] = (unsigned char)(0x80 | ((point >> 6) & 0x3F));
            bytes[3] = (unsigned char)(0x80 | (point & 0x3F));
            count = 4;
        }
    }
    for (size_t i = 0; i < count; i++, (*at)++) {
        if (*at < size) out[*at] = (char)bytes[i];
    }
}

EXPORT HRESULT WINAPI FilterWidePathToBytes(LPCWSTR lpPath, char *lpBuffer, size_t cbBuffer, size_t *pcbPath) {
    if (pcbPath != NULL) *pcbPath = 0;
    if (lpPath == NULL) return flt_fail(E_INVALIDARG, "lpPath is NULL; pass the path a message carried");
    if (cbBuffer > 0 && lpBuffer == NULL) return flt_fail(E_INVALIDARG, "lpBuffer is NULL but cbBuffer is %zu", cbBuffer);
    size_t at = 0;
    /* wchar_t is UTF-32 on Linux: one unit is one code point or one escaped byte. */
    for (const wchar_t *unit = lpPath; *unit != 0; unit++) put_utf8((uint32_t)*unit, lpBuffer, cbBuffer, &at);
    if (pcbPath != NULL) *pcbPath = at;
    if (at >= cbBuffer) {
        if (cbBuffer > 0) lpBuffer[0] = 0;
        return flt_fail(HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER),
                        "the path needs %zu bytes and a NUL, but cbBuffer is %zu", at, cbBuffer);
    }
    lpBuffer[at] = 0;
    return S_OK;
}
