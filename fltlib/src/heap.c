/* SPDX-License-Identifier: MIT */
/* The process heap (GetProcessHeap, HeapAlloc, HeapReAlloc, HeapSize, HeapFree) on malloc, the only heap there is
 * (no HeapCreate), and ExitProcess. */
#define _GNU_SOURCE
#include "fltUser.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "win_error.h"

/* A value no other handle takes (handles are small table indexes), the way Windows' process heap is a fixed
 * address. */
static char process_heap;

static int is_process_heap(HANDLE heap) { return heap == (HANDLE)&process_heap; }

EXPORT HANDLE WINAPI GetProcessHeap(void) { return (HANDLE)&process_heap; }

EXPORT LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes) {
    if (!is_process_heap(hHeap)) return (LPVOID)(uintptr_t)flt_win32_fail(ERROR_INVALID_HANDLE);
    /* Windows gives a distinct block for 0 bytes too. */
    size_t size = dwBytes > 0 ? dwBytes : 1;
    return (dwFlags & HEAP_ZERO_MEMORY) ? calloc(1, size) : malloc(size);
}

EXPORT SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem) {
    if (!is_process_heap(hHeap) || lpMem == NULL) return (SIZE_T)-1;
    return malloc_usable_size((void *)(uintptr_t)lpMem);
}

EXPORT LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes) {
    if (!is_process_heap(hHeap)) return (LPVOID)(uintptr_t)flt_win32_fail(ERROR_INVALID_HANDLE);
    if (lpMem == NULL) return (LPVOID)(uintptr_t)flt_win32_fail(ERROR_INVALID_PARAMETER);
    size_t old_size = malloc_usable_size(lpMem);
    size_t size = dwBytes > 0 ? dwBytes : 1;
    if (dwFlags & HEAP_REALLOC_IN_PLACE_ONLY) {
        if (size > old_size) return (LPVOID)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
        return lpMem;
    }
    void *moved = realloc(lpMem, size);
    if (moved != NULL && (dwFlags & HEAP_ZERO_MEMORY) && size > old_size) {
        memset((char *)moved + old_size, 0, size - old_size);
    }
    return moved;
}

EXPORT BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem) {
    if (!is_process_heap(hHeap)) return flt_win32_fail(ERROR_INVALID_HANDLE);
    free(lpMem);
    return TRUE;
}

EXPORT __attribute__((noreturn)) VOID WINAPI ExitProcess(UINT uExitCode) { exit((int)uExitCode); }
