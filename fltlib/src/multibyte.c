/* SPDX-License-Identifier: MIT */
/* MultiByteToWideChar: UTF-8 (CP_UTF8) decoded here, the ANSI code pages (CP_ACP and friends) through the C
 * library's current locale. WCHAR is wchar_t, a UTF-32 code point on Linux. */
#include "fltUser.h"

#include <wchar.h>

#include "export.h"
#include "win_error.h"

#define REPLACEMENT 0xFFFD

/* The code point at bytes[0..available) and its length in *used; -1 for a sequence that is not valid UTF-8 (then
 * *used is 1: one byte is replaced). */
static long decode_utf8(const unsigned char *bytes, size_t available, size_t *used) {
    *used = 1;
    unsigned char lead = bytes[0];
    if (lead < 0x80) return lead;
    size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    if (length == 0 || lead > 0xF4 || length > available) return -1;
    long point = lead & (0x7F >> length);
    for (size_t i = 1; i < length; i++) {
        if ((bytes[i] & 0xC0) != 0x80) return -1;
        point = (point << 6) | (bytes[i] & 0x3F);
    }
    static const long smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (point < smallest[length] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) return -1;
    *used = length;
    return point;
}

/* The code point at bytes[0..available) in the locale's encoding; -1 when not valid there (*used is then 1). */
static long decode_locale(const unsigned char *bytes, size_t available, size_t *used, mbstate_t *state) {
    wchar_t character;
    size_t length = mbrtowc(&character, (const char *)bytes, available, state);
    if (length == (size_t)-1 || length == (size_t)-2) {
        *state = (mbstate_t){0};
        *used = 1;
        return -1;
    }
    /* A NUL byte: mbrtowc says 0. */
    *used = length == 0 ? 1 : length;
    return (long)character;
}

EXPORT int WINAPI MultiByteToWideChar(UINT CodePage, DWORD dwFlags, LPCSTR lpMultiByteStr, int cbMultiByte,
                                      LPWSTR lpWideCharStr, int cchWideChar) {
    if (lpMultiByteStr == NULL || cbMultiByte == 0 || cbMultiByte < -1 || cchWideChar < 0 ||
        (cchWideChar > 0 && lpWideCharStr == NULL)) {
        return flt_win32_fail(ERROR_INVALID_PARAMETER);
    }
    int utf8 = CodePage == CP_UTF8;
    if (!utf8 && CodePage != CP_ACP && CodePage != CP_OEMCP && CodePage != CP_THREAD_ACP) {
        return flt_win32_fail(ERROR_NOT_SUPPORTED);
    }
    /* -1: the string and its NUL. */
    size_t available = cbMultiByte == -1 ? strlen(lpMultiByteStr) + 1 : (size_t)cbMultiByte;
    const unsigned char *bytes = (const unsigned char *)lpMultiByteStr;
    mbstate_t state = {0};
    size_t written = 0;
    for (size_t at = 0; at < available;) {
        size_t used;
        long point = utf8 ? decode_utf8(bytes + at, available - at, &used)
                          : decode_locale(bytes + at, available - at, &used, &state);
        if (point < 0) {
            if (dwFlags & MB_ERR_INVALID_CHARS) return flt_win32_fail(ERROR_NO_UNICODE_TRANSLATION);
            point = REPLACEMENT;
        }
        if (cchWideChar > 0) {
            if (written >= (size_t)cchWideChar) return flt_win32_fail(ERROR_INSUFFICIENT_BUFFER);
            lpWideCharStr[written] = (WCHAR)point;
        }
        written++;
        at += used;
    }
    flt_set_win32_error(ERROR_SUCCESS);
    return (int)written;
}
