/* SPDX-License-Identifier: MIT */
/*
 * The Filter Manager's management calls (FilterLoad, FilterFindFirst, FilterAttach and the rest): declared in
 * fltUser.h so that Windows programs that make them build, and failing here, because minifltd has no kernel
 * Filter Manager: there are no filter drivers, volumes or instances, and no handle of theirs. Each call sets
 * GetLastError to its Win32 error and FilterGetLastErrorText to a sentence, and returns the HRESULT that
 * fltUser.h and fltlib(3) give for it.
 */
#include "fltUser.h"

#include "export.h"
#include "last_error.h"
#include "win_error.h"

#define NO_FILTER_MANAGER "minifltd has no kernel Filter Manager on Linux"

static HRESULT not_supported(const char *call) {
    flt_set_win32_error(ERROR_NOT_SUPPORTED);
    return flt_fail(HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED),
                    "%s is not supported: " NO_FILTER_MANAGER ", so there are no filter drivers to load, attach or "
                    "detach; the filter is minifltd (start it, or its systemd unit) and a client only connects to its "
                    "port with FilterConnectCommunicationPort",
                    call);
}

/* An enumeration with nothing in it: the find handle is invalid and no bytes are returned. */
static HRESULT nothing_to_find(const char *call, LPDWORD lpBytesReturned, LPHANDLE lpFind) {
    if (lpBytesReturned != NULL) *lpBytesReturned = 0;
    if (lpFind != NULL) *lpFind = INVALID_HANDLE_VALUE;
    flt_set_win32_error(ERROR_NO_MORE_ITEMS);
    return flt_fail(HRESULT_FROM_WIN32(ERROR_NO_MORE_ITEMS),
                    "%s found nothing: " NO_FILTER_MANAGER ", so no filter driver, volume or instance is listed",
                    call);
}

/* A handle only the Filter Manager could have returned: none exists here. */
static HRESULT no_such_handle(const char *call, HANDLE handle, LPDWORD lpBytesReturned) {
    if (lpBytesReturned != NULL) *lpBytesReturned = 0;
    flt_set_win32_error(ERROR_INVALID_HANDLE);
    return flt_fail(E_HANDLE,
                    "%s: %p is not a handle of this library: " NO_FILTER_MANAGER ", so no filter, instance or find "
                    "handle is ever returned",
                    call, handle);
}

EXPORT HRESULT WINAPI FilterLoad(LPCWSTR lpFilterName) { return not_supported("FilterLoad"); }

EXPORT HRESULT WINAPI FilterUnload(LPCWSTR lpFilterName) { return not_supported("FilterUnload"); }

EXPORT HRESULT WINAPI FilterCreate(LPCWSTR lpFilterName, HFILTER *hFilter) {
    if (hFilter != NULL) *hFilter = NULL;
    return not_supported("FilterCreate");
}

EXPORT HRESULT WINAPI FilterGetInformation(HFILTER hFilter, FILTER_INFORMATION_CLASS dwInformationClass,
                                           LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned) {
    return no_such_handle("FilterGetInformation", hFilter, lpBytesReturned);
}

EXPORT HRESULT WINAPI FilterFindFirst(FILTER_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer,
                                      DWORD dwBufferSize, LPDWORD lpBytesReturned, LPHANDLE lpFilterFind) {
    return nothing_to_find("FilterFindFirst", lpBytesReturned, lpFilterFind);
}

EXPORT HRESULT WINAPI FilterFindNext(HANDLE hFilterFind, FILTER_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer,
                                     DWORD dwBufferSize, LPDWORD lpBytesReturned) {
    return no_such_handle("FilterFindNext", hFilterFind, lpBytesReturned);
}

EXPORT HRESULT WINAPI FilterFindClose(HANDLE hFilterFind) {
    return no_such_handle("FilterFindClose", hFilterFind, NULL);
}

EXPORT HRESULT WINAPI FilterVolumeFindFirst(FILTER_VOLUME_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer,
                                            DWORD dwBufferSize, LPDWORD lpBytesReturned, PHANDLE lpVolumeFind) {
    return nothing_to_find("FilterVolumeFindFirst", lpBytesReturned, lpVolumeFind);
}

EXPORT HRESULT WINAPI FilterVolumeFindNext(HANDLE hVolumeFind, FILTER_VOLUME_INFORMATION_CLASS dwInformationClass,
                                           LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned) {
    return no_such_handle("FilterVolumeFindNext", hVolumeFind, lpBytesReturned);
}

EXPORT HRESULT WINAPI FilterVolumeFindClose(HANDLE hVolumeFind) {
    return no_such_handle("FilterVolumeFindClose", hVolumeFind, NULL);
}

EXPORT HRESULT WINAPI FilterInstanceFindFirst(LPCWSTR lpFilterName, INSTANCE_INFORMATION_CLASS dwInformationClass,
                                              LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned,
                                              LPHANDLE lpFilterInstanceFind) {
    if (lpBytesReturned != NULL) *lpBytesReturned = 0;
    if (lpFilterInstanceFind != NULL) *lpFilterInstanceFind = INVALID_HANDLE_VALUE;
    /* Windows' answer for a filter that is not loaded, and no filter driver is ever loaded here. */
    flt_set_win32_error((uint32_t)ERROR_FLT_FILTER_NOT_FOUND);
    return flt_fail(ERROR_FLT_FILTER_NOT_FOUND,
                    "FilterInstanceFindFirst: the filter is not loaded: " NO_FILTER_MANAGER ", so no filter driver "
                    "has instances");
}

EXPORT HRESULT WINAPI FilterInstanceFindNext(HANDLE hFilterInstanceFind, INSTANCE_INFORMATION_CLASS dwInformationClass,
                                             LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned) {
    return no_such_handle("FilterInstanceFindNext", hFilterInstanceFind, lpBytesReturned);
}

EXPORT HRESULT WINAPI FilterInstanceFindClose(HANDLE hFilterInstanceFind) {
    return no_such_handle("FilterInstanceFindClose", hFilterInstanceFind, NULL);
}

EXPORT HRESULT WINAPI FilterVolumeInstanceFindFirst(LPCWSTR lpVolumeName, INSTANCE_INFORMATION_CLASS dwInformationClass,
                                                    LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned,
                                                    LPHANDLE lpVolumeInstanceFind) {
    return nothing_to_find("FilterVolumeInstanceFindFirst", lpBytesReturned, lpVolumeInstanceFind);
}

EXPORT HRESULT WINAPI FilterVolumeInstanceFindNext(HANDLE hVolumeInstanceFind,
                                                   INSTANCE_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer,
                                                   DWORD dwBufferSize, LPDWORD lpBytesReturned) {
    return no_such_handle("FilterVolumeInstanceFindNext", hVolumeInstanceFind, lpBytesReturned);
}

EXPORT HRESULT WINAPI FilterVolumeInstanceFindClose(HANDLE hVolumeInstanceFind) {
    return no_such_handle("FilterVolumeInstanceFindClose", hVolumeInstanceFind, NULL);
}

EXPORT HRESULT WINAPI FilterInstanceCreate(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpInstanceName,
                                           HFILTER_INSTANCE *hInstance) {
    if (hInstance != NULL) *hInstance = NULL;
    return not_supported("FilterInstanceCreate");
}

EXPORT HRESULT WINAPI FilterInstanceClose(HFILTER_INSTANCE hInstance) {
    return no_such_handle("FilterInstanceClose", hInstance, NULL);
}

EXPORT HRESULT WINAPI FilterInstanceGetInformation(HFILTER_INSTANCE hInstance,
                                                   INSTANCE_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer,
                                                   DWORD dwBufferSize, LPDWORD lpBytesReturned) {
    return no_such_handle("FilterInstanceGetInformation", hInstance, lpBytesReturned);
}

EXPORT HRESULT WINAPI FilterAttach(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpInstanceName,
                                   DWORD dwCreatedInstanceNameLength, LPWSTR lpCreatedInstanceName) {
    if (lpCreatedInstanceName != NULL && dwCreatedInstanceNameLength >= sizeof(WCHAR)) lpCreatedInstanceName[0] = 0;
    return not_supported("FilterAttach");
}

EXPORT HRESULT WINAPI FilterAttachAtAltitude(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpAltitude,
                                             LPCWSTR lpInstanceName, DWORD dwCreatedInstanceNameLength,
                                             LPWSTR lpCreatedInstanceName) {
    if (lpCreatedInstanceName != NULL && dwCreatedInstanceNameLength >= sizeof(WCHAR)) lpCreatedInstanceName[0] = 0;
    return not_supported("FilterAttachAtAltitude");
}

EXPORT HRESULT WINAPI FilterDetach(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpInstanceName) {
    return not_supported("FilterDetach");
}

EXPORT HRESULT WINAPI FilterGetDosName(LPCWSTR lpVolumeName, LPWSTR lpDosName, DWORD dwDosNameBufferSize) {
    /* dwDosNameBufferSize counts characters. */
    if (lpDosName != NULL && dwDosNameBufferSize > 0) lpDosName[0] = 0;
    return not_supported("FilterGetDosName");
}
