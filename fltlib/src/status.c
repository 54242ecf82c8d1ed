/* SPDX-License-Identifier: MIT */
#include "status.h"

#include <stddef.h>

/* The Win32 error of each status whose mapping minifltd knows; the same table as MiniFltWire's
 * NTStatus.win32Errors, and both are checked against Tests/WireVectors/wire-vectors.txt. */
static const struct {
    uint32_t status;
    uint32_t win32;
} win32_errors[] = {
    {0x00000102u, 258},  /* STATUS_TIMEOUT: WAIT_TIMEOUT */
    {0x80000005u, 234},  /* STATUS_BUFFER_OVERFLOW: ERROR_MORE_DATA */
    {0x8000001Au, 259},  /* STATUS_NO_MORE_ENTRIES: ERROR_NO_MORE_ITEMS */
    {0xC0000001u, 31},   /* STATUS_UNSUCCESSFUL: ERROR_GEN_FAILURE */
    {0xC000000Du, 87},   /* STATUS_INVALID_PARAMETER: ERROR_INVALID_PARAMETER */
    {0xC0000010u, 1},    /* STATUS_INVALID_DEVICE_REQUEST: ERROR_INVALID_FUNCTION */
    {0xC0000022u, 5},    /* STATUS_ACCESS_DENIED: ERROR_ACCESS_DENIED */
    {0xC0000023u, 122},  /* STATUS_BUFFER_TOO_SMALL: ERROR_INSUFFICIENT_BUFFER */
    {0xC0000033u, 123},  /* STATUS_OBJECT_NAME_INVALID: ERROR_INVALID_NAME */
    {0xC0000034u, 2},    /* STATUS_OBJECT_NAME_NOT_FOUND: ERROR_FILE_NOT_FOUND */
    {0xC0000035u, 183},  /* STATUS_OBJECT_NAME_COLLISION: ERROR_ALREADY_EXISTS */
    {0xC0000037u, 6},    /* STATUS_PORT_DISCONNECTED: ERROR_INVALID_HANDLE */
    {0xC000009Au, 1450}, /* STATUS_INSUFFICIENT_RESOURCES: ERROR_NO_SYSTEM_RESOURCES */
    {0xC00000B5u, 121},  /* STATUS_IO_TIMEOUT: ERROR_SEM_TIMEOUT */
    {0xC00000BBu, 50},   /* STATUS_NOT_SUPPORTED: ERROR_NOT_SUPPORTED */
    {0xC0000246u, 1238}, /* STATUS_CONNECTION_COUNT_LIMIT: ERROR_CONNECTION_COUNT_LIMIT */
};

int32_t flt_hresult_from_status(uint32_t status) {
    if (status == FLT_STATUS_SUCCESS) return 0;
    /* Filter Manager statuses (facility 0x1C) keep their code in facility 0x1F. */
    if (((status >> 16) & 0x0FFF) == 0x1C) return (int32_t)((status & 0x8000FFFFu) | 0x001F0000u);
    for (size_t i = 0; i < sizeof win32_errors / sizeof win32_errors[0]; i++) {
        if (win32_errors[i].status == status) return (int32_t)(0x80070000u | win32_errors[i].win32);
    }
    return (int32_t)(status | 0x10000000u);
}

int32_t flt_failure_from_status(uint32_t status) {
    int32_t hresult = flt_hresult_from_status(status);
    return hresult < 0 ? hresult : (int32_t)0x80004005u; /* E_FAIL */
}

const char *flt_status_advice(uint32_t status) {
    switch (status) {
    case FLT_STATUS_ACCESS_DENIED:
        return "the port's permission descriptor does not admit this process's uid or groups; run as a user it "
               "admits or extend it (minifltd --allow-user, --allow-group or --sddl)";
    case FLT_STATUS_CONNECTION_COUNT_LIMIT:
        return "the port already has its maximum number of connections; close another client or raise minifltd "
               "--max-connections";
    case FLT_STATUS_PORT_DISCONNECTED: return "the server closed this connection; connect again";
    case FLT_STATUS_INVALID_PARAMETER: return "the server rejected the request as malformed";
    case FLT_STATUS_IO_TIMEOUT: return "the server gave up waiting for the handshake";
    case FLT_STATUS_INSUFFICIENT_RESOURCES:
        return "the server is out of resources or this connection has too many requests outstanding";
    case FLT_STATUS_FLT_NO_WAITER_FOR_REPLY:
        return "nobody waits for a reply to that message any more (the filter's timeout passed, or the id is "
               "unknown)";
    case FLT_STATUS_BUFFER_OVERFLOW:
        return "the answer did not fit its buffer: the port's message routine returned more than the output buffer "
               "holds, or the reply is longer than the ReplyLength the filter gave (FILTER_MESSAGE_HEADER)";
    case FLT_STATUS_INVALID_DEVICE_REQUEST: return "the port has no message routine";
    default: return NULL;
    }
}
