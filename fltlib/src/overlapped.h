/* SPDX-License-Identifier: MIT */
/* How an overlapped request ends: its OVERLAPPED gets the status and the byte count, then its event is set and
 * its completion packet queued. */
#ifndef FLTLIB_OVERLAPPED_H
#define FLTLIB_OVERLAPPED_H

#include <stdint.h>

struct flt_waitable;
struct flt_completion;

/* Where a request reports: captured when it is issued, as Windows references the event and the completion port
 * then (closing the event handle before completion does not lose the signal). */
struct flt_overlapped_target {
    void *overlapped;
    struct flt_waitable *event;
    struct flt_completion *completion;
    uintptr_t key;
};

/* The NTSTATUS a request ends with when a call would have failed with `hresult`: STATUS_PORT_DISCONNECTED for
 * E_HANDLE, else the FACILITY_NTWIN32 status of a Win32 HRESULT (0xC007xxxx), which Windows maps back to the
 * error xxxx. */
uint32_t flt_status_from_hresult(int32_t hresult);

/* The Win32 error GetLastError gives for a request that ended with `status` (RtlNtStatusToDosError). */
uint32_t flt_win32_error_from_status(uint32_t status);

/* Completes the request: Internal = status, InternalHigh = bytes, then the packet and the event; drops the
 * target's references. The OVERLAPPED is not touched after Internal is written. */
void flt_overlapped_deliver(struct flt_overlapped_target *target, uint32_t status, uint32_t bytes);

/* Drops the target's references without completing (a request that never started). */
void flt_overlapped_forget(struct flt_overlapped_target *target);

#endif
