/* SPDX-License-Identifier: MIT */
/*
 * strsafe.h: the bounded string calls of the Windows SDK that Win32 programs use (StringCchCopy, StringCchCat,
 * StringCchLength, StringCchPrintf, in A and W forms), inline here as in MinGW-w64's strsafe.h. Sizes count
 * characters; the destination is always NUL-terminated; a result that does not fit is cut short and reported as
 * STRSAFE_E_INSUFFICIENT_BUFFER (0x8007007A). The names without a suffix are the W forms (a UNICODE build, as
 * TEXT is). Strsafe.h is the same header.
 */
#ifndef FLTLIB_STRSAFE_H
#define FLTLIB_STRSAFE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "fltWinTypes.h"

#define STRSAFE_MAX_CCH 2147483647
#define STRSAFE_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007A)
#define STRSAFE_E_INVALID_PARAMETER ((HRESULT)0x80070057)
#define STRSAFE_E_END_OF_FILE ((HRESULT)0x80070026)

typedef const char *STRSAFE_LPCSTR;
typedef char *STRSAFE_LPSTR;
typedef const wchar_t *STRSAFE_LPCWSTR;
typedef wchar_t *STRSAFE_LPWSTR;

/* strnlen and wcsnlen are POSIX, not C: a program built with -std=c11 has no declaration of them. */
static inline size_t FltStrsafeLengthA(const char *text, size_t most) {
    size_t length = 0;
    while (length < most && text[length] != 0) length++;
    return length;
}

static inline size_t FltStrsafeLengthW(const wchar_t *text, size_t most) {
    size_t length = 0;
    while (length < most && text[length] != 0) length++;
    return length;
}

static inline HRESULT StringCchLengthA(STRSAFE_LPCSTR psz, size_t cchMax, size_t *pcchLength) {
    size_t length = (psz != NULL && cchMax > 0 && cchMax <= STRSAFE_MAX_CCH) ? FltStrsafeLengthA(psz, cchMax) : cchMax;
    int valid = psz != NULL && cchMax > 0 && cchMax <= STRSAFE_MAX_CCH && length < cchMax;
    if (pcchLength != NULL) *pcchLength = valid ? length : 0;
    return valid ? S_OK : STRSAFE_E_INVALID_PARAMETER;
}

static inline HRESULT StringCchLengthW(STRSAFE_LPCWSTR psz, size_t cchMax, size_t *pcchLength) {
    size_t length = (psz != NULL && cchMax > 0 && cchMax <= STRSAFE_MAX_CCH) ? FltStrsafeLengthW(psz, cchMax) : cchMax;
    int valid = psz != NULL && cchMax > 0 && cchMax <= STRSAFE_MAX_CCH && length < cchMax;
    if (pcchLength != NULL) *pcchLength = valid ? length : 0;
    return valid ? S_OK : STRSAFE_E_INVALID_PARAMETER;
}

static inline HRESULT StringCchCopyA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszSrc) {
    if (pszDest == NULL || cchDest == 0 || cchDest > STRSAFE_MAX_CCH) return STRSAFE_E_INVALID_PARAMETER;
    size_t length = FltStrsafeLengthA(pszSrc, cchDest);
    size_t copied = length < cchDest ? length : cchDest - 1;
    memcpy(pszDest, pszSrc, copied);
    pszDest[copied] = 0;
    return copied == length ? S_OK : STRSAFE_E_INSUFFICIENT_BUFFER;
}

static inline HRESULT StringCchCopyW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszSrc) {
    if (pszDest == NULL || cchDest == 0 || cchDest > STRSAFE_MAX_CCH) return STRSAFE_E_INVALID_PARAMETER;
    size_t length = FltStrsafeLengthW(pszSrc, cchDest);
    size_t copied = length < cchDest ? length : cchDest - 1;
    wmemcpy(pszDest, pszSrc, copied);
    pszDest[copied] = 0;
    return copied == length ? S_OK : STRSAFE_E_INSUFFICIENT_BUFFER;
}

static inline HRESULT StringCchCatA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszSrc) {
    size_t used;
    if (FAILED(StringCchLengthA(pszDest, cchDest, &used))) return STRSAFE_E_INVALID_PARAMETER;
    return StringCchCopyA(pszDest + used, cchDest - used, pszSrc);
}

static inline HRESULT StringCchCatW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszSrc) {
    size_t used;
    if (FAILED(StringCchLengthW(pszDest, cchDest, &used))) return STRSAFE_E_INVALID_PARAMETER;
    return StringCchCopyW(pszDest + used, cchDest - used, pszSrc);
}

static inline HRESULT StringCchVPrintfA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszFormat,
                                        va_list arguments) {
    if (pszDest == NULL || cchDest == 0 || cchDest > STRSAFE_MAX_CCH) return STRSAFE_E_INVALID_PARAMETER;
    int written = vsnprintf(pszDest, cchDest, pszFormat, arguments);
    if (written < 0) {
        pszDest[0] = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    return (size_t)written < cchDest ? S_OK : STRSAFE_E_INSUFFICIENT_BUFFER;
}

/* vswprintf writes nothing useful when the result does not fit; the destination then holds what fitted of it,
 * formatted again into a scratch buffer, so that it is cut short as Windows cuts it. */
static inline HRESULT StringCchVPrintfW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszFormat,
                                        va_list arguments) {
    if (pszDest == NULL || cchDest == 0 || cchDest > STRSAFE_MAX_CCH) return STRSAFE_E_INVALID_PARAMETER;
    va_list again;
    va_copy(again, arguments);
    int written = vswprintf(pszDest, cchDest, pszFormat, arguments);
    HRESULT result = S_OK;
    if (written < 0) {
        pszDest[0] = 0;
        result = STRSAFE_E_INSUFFICIENT_BUFFER;
        for (size_t size = cchDest * 2; size <= (size_t)STRSAFE_MAX_CCH; size *= 2) {
            wchar_t *scratch = (wchar_t *)malloc(size * sizeof(wchar_t));
            if (scratch == NULL) break;
            va_list attempt;
            va_copy(attempt, again);
            int full = vswprintf(scratch, size, pszFormat, attempt);
            va_end(attempt);
            if (full >= 0) StringCchCopyW(pszDest, cchDest, scratch);
            free(scratch);
            if (full >= 0) break;
        }
    }
    va_end(again);
    return result;
}

static inline HRESULT StringCchPrintfA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszFormat, ...) {
    va_list arguments;
    va_start(arguments, pszFormat);
    HRESULT result = StringCchVPrintfA(pszDest, cchDest, pszFormat, arguments);
    va_end(arguments);
    return result;
}

static inline HRESULT StringCchPrintfW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszFormat, ...) {
    va_list arguments;
    va_start(arguments, pszFormat);
    HRESULT result = StringCchVPrintfW(pszDest, cchDest, pszFormat, arguments);
    va_end(arguments);
    return result;
}

#define StringCchLength StringCchLengthW
#define StringCchCopy StringCchCopyW
#define StringCchCat StringCchCatW
#define StringCchPrintf StringCchPrintfW
#define StringCchVPrintf StringCchVPrintfW

#endif
