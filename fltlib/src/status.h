/* SPDX-License-Identifier: MIT */
/* NTSTATUS to HRESULT, as docs/protocol.md section 7 gives it. */
#ifndef FLTLIB_STATUS_H
#define FLTLIB_STATUS_H

#include <stdint.h>

#define FLT_STATUS_SUCCESS 0x00000000u
#define FLT_STATUS_ACCESS_DENIED 0xC0000022u
#define FLT_STATUS_PORT_DISCONNECTED 0xC0000037u
#define FLT_STATUS_CONNECTION_COUNT_LIMIT 0xC0000246u
#define FLT_STATUS_INVALID_PARAMETER 0xC000000Du
#define FLT_STATUS_INVALID_DEVICE_REQUEST 0xC0000010u
#define FLT_STATUS_INSUFFICIENT_RESOURCES 0xC000009Au
#define FLT_STATUS_IO_TIMEOUT 0xC00000B5u
#define FLT_STATUS_FLT_NO_WAITER_FOR_REPLY 0xC01C0020u
#define FLT_STATUS_BUFFER_OVERFLOW 0x80000005u

/* The HRESULT a client reports for `status`. */
int32_t flt_hresult_from_status(uint32_t status);

/* The HRESULT of a call that `status` (not STATUS_SUCCESS) fails: flt_hresult_from_status, or E_FAIL where
 * that is not a failure value (a success or informational status the table does not know), so that
 * FAILED() holds for every failed call. */
int32_t flt_failure_from_status(uint32_t status);

/* What a person should do about `status` when the server sent it, for the statuses a client meets in
 * practice; NULL for the others. The same sentences as MiniFltWire's NTStatus.clientAdvice, and both are
 * checked against Tests/WireVectors/wire-vectors.txt. */
const char *flt_status_advice(uint32_t status);

#endif
