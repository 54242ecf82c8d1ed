/* SPDX-License-Identifier: MIT */
/*
 * FormatMessage with FORMAT_MESSAGE_FROM_SYSTEM: a line of text for the Win32 errors and HRESULTs that libfltlib's
 * calls report, in this library's own words. Windows' message tables are not here; a code without a line fails
 * with ERROR_MR_MID_NOT_FOUND, as it does on Windows.
 */
#include "fltUser.h"

#include <stdio.h>
#include <string.h>

#include "export.h"
#include "win_error.h"

static const struct {
    uint32_t code;
    const char *text;
} messages[] = {
    {0, "The operation completed."},
    {ERROR_INVALID_FUNCTION, "The function is not valid here."},
    {ERROR_FILE_NOT_FOUND, "The file or port was not found."},
    {ERROR_ACCESS_DENIED, "Access is denied."},
    {ERROR_INVALID_HANDLE, "The handle is not valid (it was closed, or the connection ended)."},
    {ERROR_NOT_ENOUGH_MEMORY, "There is not enough memory for this operation."},
    {ERROR_GEN_FAILURE, "A device or server reported a failure."},
    {ERROR_NOT_SUPPORTED, "The request is not supported."},
    {ERROR_INVALID_PARAMETER, "A parameter is not valid."},
    {ERROR_SEM_TIMEOUT, "The wait timed out."},
    {ERROR_INSUFFICIENT_BUFFER, "The buffer is too small for the data."},
    {ERROR_INVALID_NAME, "The name is not valid."},
    {ERROR_MOD_NOT_FOUND, "The library was not found."},
    {ERROR_ALREADY_EXISTS, "The object already exists."},
    {ERROR_MORE_DATA, "More data is available than the buffer holds."},
    {ERROR_NO_MORE_ITEMS, "There are no more items."},
    {ERROR_MR_MID_NOT_FOUND, "There is no message text for this code."},
    {ERROR_INVALID_ADDRESS, "The address is not valid."},
    {ERROR_SERVER_SID_MISMATCH, "The server is not the one expected (it runs as a user that is not trusted)."},
    {ERROR_ABANDONED_WAIT_0, "The wait was abandoned: the completion port was closed."},
    {ERROR_OPERATION_ABORTED, "The I/O operation was cancelled."},
    {ERROR_IO_INCOMPLETE, "The I/O operation has not completed yet."},
    {ERROR_IO_PENDING, "The I/O operation is in progress."},
    {ERROR_NOT_FOUND, "The element was not found."},
    {ERROR_CANCELLED, "The operation was cancelled."},
    {ERROR_CONNECTION_COUNT_LIMIT, "The port has reached its connection limit."},
    {ERROR_NO_SYSTEM_RESOURCES, "The server does not have the resources to complete the request."},
    {(uint32_t)E_NOTIMPL, "The call is not implemented."},
    {(uint32_t)E_POINTER, "A pointer is not valid."},
    {(uint32_t)E_FAIL, "The call failed."},
    {(uint32_t)ERROR_FLT_FILTER_NOT_FOUND, "The filter is not loaded (minifltd has no kernel Filter Manager)."},
    {(uint32_t)ERROR_FLT_NO_WAITER_FOR_REPLY, "Nobody waits for a reply to that message any more."},
};

/* The line for `code`: a Win32 error, or an HRESULT (those of FACILITY_WIN32 by their Win32 error). */
static const char *message_for(uint32_t code) {
    if ((code & 0xFFFF0000u) == 0x80070000u) code &= 0xFFFFu;
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++) {
        if (messages[i].code == code) return messages[i].text;
    }
    return NULL;
}

/* The text Windows' FormatMessage would write, with its "\r\n", or 0 with the last error set. */
static const char *message_text(DWORD flags, DWORD message_id) {
    if (flags & (FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ALLOCATE_BUFFER)) {
        flt_set_win32_error(ERROR_NOT_SUPPORTED);
        return NULL;
    }
    const char *text = (flags & FORMAT_MESSAGE_FROM_SYSTEM) ? message_for(message_id) : NULL;
    if (text == NULL) flt_set_win32_error(ERROR_MR_MID_NOT_FOUND);
    return text;
}

/* The text and its length with "\r\n", once it fits in `size` characters with its NUL; NULL with the last error set
 * otherwise. */
static const char *fitting_text(DWORD flags, DWORD message_id, const void *buffer, DWORD size, size_t *length) {
    const char *text = message_text(flags, message_id);
    if (text == NULL) return NULL;
    *length = strlen(text) + 2;
    if (buffer == NULL || *length >= size) {
        flt_set_win32_error(ERROR_INSUFFICIENT_BUFFER);
        return NULL;
    }
    return text;
}

EXPORT DWORD WINAPI FormatMessageA(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
                                   LPSTR lpBuffer, DWORD nSize, va_list *Arguments) {
    size_t length;
    const char *text = fitting_text(dwFlags, dwMessageId, lpBuffer, nSize, &length);
    if (text == NULL) return 0;
    snprintf(lpBuffer, nSize, "%s\r\n", text);
    return (DWORD)length;
}

EXPORT DWORD WINAPI FormatMessageW(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
                                   LPWSTR lpBuffer, DWORD nSize, va_list *Arguments) {
    size_t length;
    const char *text = fitting_text(dwFlags, dwMessageId, lpBuffer, nSize, &length);
    if (text == NULL) return 0;
    /* The texts are ASCII. */
    for (size_t i = 0; text[i] != 0; i++) lpBuffer[i] = (WCHAR)(unsigned char)text[i];
    lpBuffer[length - 2] = L'\r';
    lpBuffer[length - 1] = L'\n';
    lpBuffer[length] = 0;
    return (DWORD)length;
}
