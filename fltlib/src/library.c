/* SPDX-License-Identifier: MIT */
/* Libraries (LoadLibraryExW, LoadLibraryW, FreeLibrary) on dlopen, and GetSystemDirectory, which Linux has no
 * counterpart for. */
#include "fltUser.h"

#include <dlfcn.h>
#include <stdlib.h>

#include "export.h"
#include "win_error.h"

#define RESOURCE_ONLY_FLAGS \
    (LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_DATAFILE_EXCLUSIVE | LOAD_LIBRARY_AS_IMAGE_RESOURCE)

EXPORT HMODULE WINAPI LoadLibraryExW(LPCWSTR lpLibFileName, HANDLE hFile, DWORD dwFlags) {
    if (lpLibFileName == NULL || hFile != NULL) return (HMODULE)(uintptr_t)flt_win32_fail(ERROR_INVALID_PARAMETER);
    /* Resources and message tables are a PE file's; an ELF object has none to map. */
    if (dwFlags & RESOURCE_ONLY_FLAGS) return (HMODULE)(uintptr_t)flt_win32_fail(ERROR_NOT_SUPPORTED);
    size_t length = 0;
    HRESULT measured = FilterWidePathToBytes(lpLibFileName, NULL, 0, &length);
    if (measured != HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) && FAILED(measured)) {
        return (HMODULE)(uintptr_t)flt_win32_fail(ERROR_INVALID_PARAMETER);
    }
    char *path = malloc(length + 1);
    if (path == NULL) return (HMODULE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    void *library = NULL;
    if (SUCCEEDED(FilterWidePathToBytes(lpLibFileName, path, length + 1, NULL))) {
        library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    }
    free(path);
    if (library == NULL) return (HMODULE)(uintptr_t)flt_win32_fail(ERROR_MOD_NOT_FOUND);
    return library;
}

EXPORT HMODULE WINAPI LoadLibraryW(LPCWSTR lpLibFileName) { return LoadLibraryExW(lpLibFileName, NULL, 0); }

EXPORT BOOL WINAPI FreeLibrary(HMODULE hLibModule) {
    if (hLibModule == NULL || dlclose(hLibModule) != 0) return flt_win32_fail(ERROR_INVALID_HANDLE);
    return TRUE;
}

EXPORT UINT WINAPI GetSystemDirectoryW(LPWSTR lpBuffer, UINT uSize) {
    if (lpBuffer != NULL && uSize > 0) lpBuffer[0] = 0;
    return (UINT)flt_win32_fail(ERROR_NOT_SUPPORTED);
}

EXPORT UINT WINAPI GetSystemDirectoryA(LPSTR lpBuffer, UINT uSize) {
    if (lpBuffer != NULL && uSize > 0) lpBuffer[0] = 0;
    return (UINT)flt_win32_fail(ERROR_NOT_SUPPORTED);
}
