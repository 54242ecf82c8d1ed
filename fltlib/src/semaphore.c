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

struct semaphore_counts {
    LONG initial;
    LONG maximum;
};

static void initialize_semaphore(struct flt_waitable *semaphore, const void *arguments) {
    const struct semaphore_counts *counts = arguments;
    semaphore->count = counts->initial;
    semaphore->maximum = counts->maximum;
    semaphore->signalled = counts->initial > 0;
}

/* Takes `name` (malloc'd, or NULL). */
static HANDLE create_semaphore(LONG initial, LONG maximum, wchar_t *name) {
    if (maximum <= 0 || initial < 0 || initial > maximum) {
        free(name);
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_INVALID_PARAMETER);
    }
    struct semaphore_counts counts = {.initial = initial, .maximum = maximum};
    return flt_waitable_create(FLT_OBJECT_SEMAPHORE, name, initialize_semaphore, &counts);
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
