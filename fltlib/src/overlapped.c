/* SPDX-License-Identifier: MIT */
/* Completion of overlapped requests, and the calls about them: GetOverlappedResult, CancelIo, CancelIoEx. */
#define _GNU_SOURCE
#include "overlapped.h"

#include "completion.h"
#include "export.h"
#include "fltUser.h"
#include "handle_table.h"
#include "port.h"
#include "status.h"
#include "waitable.h"
#include "win_error.h"

#define STATUS_NO_MEMORY 0xC0000017u

uint32_t flt_status_from_hresult(int32_t hresult) {
    uint32_t value = (uint32_t)hresult;
    if (hresult == E_HANDLE) return FLT_STATUS_PORT_DISCONNECTED;
    if (hresult == E_OUTOFMEMORY) return STATUS_NO_MEMORY;
    if (HRESULT_FACILITY(hresult) == FACILITY_WIN32) return 0xC0070000u | (value & 0xFFFFu);
    /* Filter Manager HRESULTs (facility 0x1F) come from statuses of facility 0x1C. */
    if (HRESULT_FACILITY(hresult) == 0x1F) return 0xC01C0000u | (value & 0xFFFFu);
    return 0xC0000001u; /* STATUS_UNSUCCESSFUL */
}

uint32_t flt_win32_error_from_status(uint32_t status) {
    if (status == 0) return ERROR_SUCCESS;
    if (status == STATUS_CANCELLED) return ERROR_OPERATION_ABORTED;
    if (status == STATUS_NO_MEMORY) return ERROR_NOT_ENOUGH_MEMORY;
    if ((status & 0xFFFF0000u) == 0xC0070000u) return status & 0xFFFFu;
    int32_t hresult = flt_hresult_from_status(status);
    if (HRESULT_FACILITY(hresult) == FACILITY_WIN32) return (uint32_t)HRESULT_CODE(hresult);
    /* Windows' error values for Filter Manager statuses are the HRESULTs themselves (ERROR_FLT_*). */
    if (HRESULT_FACILITY(hresult) == 0x1F) return (uint32_t)hresult;
    return ERROR_MR_MID_NOT_FOUND;
}

void flt_overlapped_deliver(struct flt_overlapped_target *target, uint32_t status, uint32_t bytes) {
    OVERLAPPED *overlapped = target->overlapped;
    __atomic_store_n(&overlapped->InternalHigh, (ULONG_PTR)bytes, __ATOMIC_RELAXED);
    /* After this store the program may reuse the OVERLAPPED: only the values captured at issue are used. */
    __atomic_store_n(&overlapped->Internal, (ULONG_PTR)status, __ATOMIC_RELEASE);
    if (target->completion != NULL) flt_completion_post(target->completion, bytes, target->key, overlapped, status);
    if (target->event != NULL) flt_waitable_signal(target->event);
    flt_overlapped_forget(target);
}

void flt_overlapped_forget(struct flt_overlapped_target *target) {
    if (target->completion != NULL) flt_object_release((struct flt_object *)target->completion);
    if (target->event != NULL) flt_object_release(&target->event->object);
    target->completion = NULL;
    target->event = NULL;
}

EXPORT BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred,
                                       BOOL bWait) {
    if (lpOverlapped == NULL || lpNumberOfBytesTransferred == NULL) return flt_win32_fail(ERROR_INVALID_PARAMETER);
    if (!HasOverlappedIoCompleted(lpOverlapped)) {
        if (!bWait) return flt_win32_fail(ERROR_IO_INCOMPLETE);
        if (lpOverlapped->hEvent != NULL) {
            /* The low bit only says "no completion packet"; the handle is the rest. */
            HANDLE event = (HANDLE)((uintptr_t)lpOverlapped->hEvent & ~(uintptr_t)1);
            if (WaitForSingleObject(event, INFINITE) == WAIT_FAILED) return FALSE;
        } else {
            struct flt_object *object = flt_handle_acquire((uintptr_t)hFile, FLT_OBJECT_PORT);
            if (object == NULL) return flt_win32_fail(ERROR_INVALID_HANDLE);
            flt_port_wait_overlapped((struct flt_port *)object, lpOverlapped);
            flt_object_release(object);
        }
        if (!HasOverlappedIoCompleted(lpOverlapped)) return flt_win32_fail(ERROR_IO_INCOMPLETE);
    }
    *lpNumberOfBytesTransferred = (DWORD)lpOverlapped->InternalHigh;
    uint32_t status = (uint32_t)__atomic_load_n(&lpOverlapped->Internal, __ATOMIC_ACQUIRE);
    if (status != 0) return flt_win32_fail(flt_win32_error_from_status(status));
    flt_set_win32_error(ERROR_SUCCESS);
    return TRUE;
}

static BOOL cancel(HANDLE hFile, LPOVERLAPPED lpOverlapped, uint32_t thread_id) {
    struct flt_object *object = flt_handle_acquire((uintptr_t)hFile, FLT_OBJECT_PORT);
    if (object == NULL) return flt_win32_fail(ERROR_INVALID_HANDLE);
    unsigned cancelled = flt_port_cancel((struct flt_port *)object, lpOverlapped, thread_id);
    flt_object_release(object);
    /* CancelIo succeeds with nothing to cancel; CancelIoEx says so. */
    if (cancelled == 0 && thread_id == 0) return flt_win32_fail(ERROR_NOT_FOUND);
    flt_set_win32_error(ERROR_SUCCESS);
    return TRUE;
}

EXPORT BOOL WINAPI CancelIo(HANDLE hFile) { return cancel(hFile, NULL, GetCurrentThreadId()); }

EXPORT BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped) { return cancel(hFile, lpOverlapped, 0); }
