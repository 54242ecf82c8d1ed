/* SPDX-License-Identifier: MIT */
/* Semaphores (CreateSemaphore, ReleaseSemaphore): waitable objects signalled while their count is above 0; a
 * satisfied wait takes one (waitable.c). A name is looked up among this process's events and semaphores. */
#define _GNU_SOURCE
#include "fltUser.h"

#include <stdlib.h>
#include <wchar.h>

#include "export.h"
#include "handle_table.h"
#include "waitable.h"
#include "win_error.h"

/* Takes `name` (malloc'd, or NULL). */
static HANDLE create_semaphore(LONG initial, LONG maximum, wchar_t *name) {
    if (maximum <= 0 || initial < 0 || initial > maximum) {
        free(name);
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_INVALID_PARAMETER);
    }
    struct flt_waitable *semaphore = name != NULL ? flt_waitable_find_named(name) : NULL;
    if (semaphore != NULL) {
        free(name);
        /* The name is an event's. */
        if (semaphore->object.kind != FLT_OBJECT_SEMAPHORE) {
            flt_object_release(&semaphore->object);
            return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_INVALID_HANDLE);
        }
        uintptr_t handle = flt_handle_register(&semaphore->object);
        if (handle == 0) {
            flt_object_release(&semaphore->object);
            return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
        }
        flt_set_win32_error(ERROR_ALREADY_EXISTS);
        return (HANDLE)handle;
    }
    if ((semaphore = calloc(1, sizeof *semaphore)) == NULL) {
        free(name);
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    flt_object_init(&semaphore->object, FLT_OBJECT_SEMAPHORE);
    semaphore->count = initial;
    semaphore->maximum = maximum;
    semaphore->signalled = initial > 0;
    uintptr_t handle = flt_handle_register(&semaphore->object);
    if (handle == 0) {
        free(name);
        free(semaphore);
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    if (name != NULL) flt_waitable_name(semaphore, name);
    flt_set_win32_error(ERROR_SUCCESS);
    return (HANDLE)handle;
}

EXPORT HANDLE WINAPI CreateSemaphoreW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                                      LONG lMaximumCount, LPCWSTR lpName) {
    wchar_t *name = NULL;
    if (lpName != NULL && (name = wcsdup(lpName)) == NULL) {
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    return create_semaphore(lInitialCount, lMaximumCount, name);
}

EXPORT HANDLE WINAPI CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                                      LONG lMaximumCount, LPCSTR lpName) {
    wchar_t *name = NULL;
    if (lpName != NULL && (name = flt_name_from_bytes(lpName)) == NULL) {
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    return create_semaphore(lInitialCount, lMaximumCount, name);
}

EXPORT BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount) {
    struct flt_object *object = flt_handle_acquire((uintptr_t)hSemaphore, FLT_OBJECT_SEMAPHORE);
    if (object == NULL) return flt_win32_fail(ERROR_INVALID_HANDLE);
    struct flt_waitable *semaphore = (struct flt_waitable *)object;
    BOOL released = FALSE;
    flt_sync_lock();
    /* Past the maximum, nothing changes (ERROR_TOO_MANY_POSTS), as on Windows. */
    if (lReleaseCount > 0 && semaphore->count <= semaphore->maximum - lReleaseCount) {
        if (lpPreviousCount != NULL) *lpPreviousCount = semaphore->count;
        semaphore->count += lReleaseCount;
        semaphore->signalled = true;
        flt_sync_broadcast();
        released = TRUE;
    }
    flt_sync_unlock();
    flt_object_release(object);
    if (!released) return flt_win32_fail(lReleaseCount > 0 ? ERROR_TOO_MANY_POSTS : ERROR_INVALID_PARAMETER);
    flt_set_win32_error(ERROR_SUCCESS);
    return TRUE;
}
