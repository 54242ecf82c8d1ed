/* SPDX-License-Identifier: MIT */
/* The Filter Manager's management calls (fltUser.h, symbol version FLTLIB_1.3) without a server: each builds as
 * Windows programs call it, returns the HRESULT fltlib(3) gives, sets GetLastError, clears its outputs and
 * explains itself in FilterGetLastErrorText. Prints one line per check and "N failed"; exits 1 if any failed. Run
 * by make fltlib-tests. */
#include <windows.h>
#include <fltUser.h>

#include <stdio.h>
#include <string.h>

static int failures;

static void expect(const char *what, int condition) {
    printf("%s %s\n", condition ? "ok  " : "FAIL", what);
    failures += !condition;
}

/* The HRESULT, the last error and the sentence of one call. */
static void expect_failure(const char *call, HRESULT result, HRESULT expected, DWORD last_error) {
    char what[256];
    snprintf(what, sizeof what, "%s returns 0x%08X (got 0x%08X) and GetLastError %u (got %u)", call,
             (unsigned)expected, (unsigned)result, (unsigned)last_error, (unsigned)GetLastError());
    expect(what, result == expected && GetLastError() == last_error);
    snprintf(what, sizeof what, "%s: FilterGetLastErrorText names the call and the missing Filter Manager", call);
    expect(what, strstr(FilterGetLastErrorText(), call) != NULL &&
                     strstr(FilterGetLastErrorText(), "no kernel Filter Manager on Linux") != NULL);
}

#define NOT_SUPPORTED HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)
#define NO_MORE_ITEMS HRESULT_FROM_WIN32(ERROR_NO_MORE_ITEMS)

int main(void) {
    expect("ERROR_NOT_SUPPORTED is 0x80070032", NOT_SUPPORTED == (HRESULT)0x80070032);
    expect("ERROR_NO_MORE_ITEMS is 0x80070103", NO_MORE_ITEMS == (HRESULT)0x80070103);

    SetLastError(0);
    expect_failure("FilterLoad", FilterLoad(L"minispy"), NOT_SUPPORTED, ERROR_NOT_SUPPORTED);
    SetLastError(0);
    expect_failure("FilterUnload", FilterUnload(L"minispy"), NOT_SUPPORTED, ERROR_NOT_SUPPORTED);

    HFILTER filter = INVALID_HANDLE_VALUE;
    SetLastError(0);
    expect_failure("FilterCreate", FilterCreate(L"minispy", &filter), NOT_SUPPORTED, ERROR_NOT_SUPPORTED);
    expect("FilterCreate leaves no filter handle", filter == NULL);

    BYTE buffer[1024];
    DWORD bytes = 99;
    SetLastError(0);
    expect_failure("FilterGetInformation",
                   FilterGetInformation(filter, FilterFullInformation, buffer, sizeof buffer, &bytes), E_HANDLE,
                   ERROR_INVALID_HANDLE);
    expect("FilterGetInformation returns no bytes", bytes == 0);

    /* The enumerations, as minispy's ListDevices and IsAttachedToVolume run them. */
    HANDLE find = NULL;
    bytes = 99;
    SetLastError(0);
    expect_failure("FilterFindFirst",
                   FilterFindFirst(FilterAggregateStandardInformation, buffer, sizeof buffer, &bytes, &find),
                   NO_MORE_ITEMS, ERROR_NO_MORE_ITEMS);
    expect("FilterFindFirst: no find handle, no bytes", find == INVALID_HANDLE_VALUE && bytes == 0);
    SetLastError(0);
    expect_failure("FilterFindNext",
                   FilterFindNext(find, FilterAggregateStandardInformation, buffer, sizeof buffer, &bytes), E_HANDLE,
                   ERROR_INVALID_HANDLE);
    SetLastError(0);
    expect_failure("FilterFindClose", FilterFindClose(find), E_HANDLE, ERROR_INVALID_HANDLE);

    find = NULL;
    bytes = 99;
    SetLastError(0);
    expect_failure("FilterVolumeFindFirst",
                   FilterVolumeFindFirst(FilterVolumeBasicInformation, buffer, sizeof buffer, &bytes, &find),
                   NO_MORE_ITEMS, ERROR_NO_MORE_ITEMS);
    expect("FilterVolumeFindFirst: no find handle, no bytes", find == INVALID_HANDLE_VALUE && bytes == 0);
    SetLastError(0);
    expect_failure("FilterVolumeFindNext",
                   FilterVolumeFindNext(find, FilterVolumeBasicInformation, buffer, sizeof buffer, &bytes), E_HANDLE,
                   ERROR_INVALID_HANDLE);
    SetLastError(0);
    expect_failure("FilterVolumeFindClose", FilterVolumeFindClose(find), E_HANDLE, ERROR_INVALID_HANDLE);

    find = NULL;
    bytes = 99;
    SetLastError(0);
    expect_failure("FilterVolumeInstanceFindFirst",
                   FilterVolumeInstanceFindFirst(L"\\Device\\HarddiskVolume1", InstanceFullInformation, buffer,
                                                 sizeof buffer, &bytes, &find),
                   NO_MORE_ITEMS, ERROR_NO_MORE_ITEMS);
    expect("FilterVolumeInstanceFindFirst: no find handle, no bytes", find == INVALID_HANDLE_VALUE && bytes == 0);
    SetLastError(0);
    expect_failure("FilterVolumeInstanceFindNext",
                   FilterVolumeInstanceFindNext(find, InstanceFullInformation, buffer, sizeof buffer, &bytes),
                   E_HANDLE, ERROR_INVALID_HANDLE);
    SetLastError(0);
    expect_failure("FilterVolumeInstanceFindClose", FilterVolumeInstanceFindClose(find), E_HANDLE,
                   ERROR_INVALID_HANDLE);

    find = NULL;
    bytes = 99;
    SetLastError(0);
    expect_failure("FilterInstanceFindFirst",
                   FilterInstanceFindFirst(L"minispy", InstanceBasicInformation, buffer, sizeof buffer, &bytes, &find),
                   ERROR_FLT_FILTER_NOT_FOUND, (DWORD)ERROR_FLT_FILTER_NOT_FOUND);
    expect("ERROR_FLT_FILTER_NOT_FOUND is 0x801F0013", ERROR_FLT_FILTER_NOT_FOUND == (HRESULT)0x801F0013);
    expect("FilterInstanceFindFirst: no find handle, no bytes", find == INVALID_HANDLE_VALUE && bytes == 0);
    SetLastError(0);
    expect_failure("FilterInstanceFindNext",
                   FilterInstanceFindNext(find, InstanceBasicInformation, buffer, sizeof buffer, &bytes), E_HANDLE,
                   ERROR_INVALID_HANDLE);
    SetLastError(0);
    expect_failure("FilterInstanceFindClose", FilterInstanceFindClose(find), E_HANDLE, ERROR_INVALID_HANDLE);

    HFILTER_INSTANCE instance = INVALID_HANDLE_VALUE;
    SetLastError(0);
    expect_failure("FilterInstanceCreate", FilterInstanceCreate(L"minispy", L"C:", NULL, &instance), NOT_SUPPORTED,
                   ERROR_NOT_SUPPORTED);
    expect("FilterInstanceCreate leaves no instance handle", instance == NULL);
    SetLastError(0);
    expect_failure("FilterInstanceGetInformation",
                   FilterInstanceGetInformation(instance, InstancePartialInformation, buffer, sizeof buffer, &bytes),
                   E_HANDLE, ERROR_INVALID_HANDLE);
    SetLastError(0);
    expect_failure("FilterInstanceClose", FilterInstanceClose(instance), E_HANDLE, ERROR_INVALID_HANDLE);

    WCHAR name[INSTANCE_NAME_MAX_CHARS + 1] = L"stale";
    SetLastError(0);
    expect_failure("FilterAttach", FilterAttach(L"minispy", L"C:", NULL, sizeof name, name), NOT_SUPPORTED,
                   ERROR_NOT_SUPPORTED);
    expect("FilterAttach: the created instance name is empty", name[0] == 0);
    wcscpy(name, L"stale");
    SetLastError(0);
    expect_failure("FilterAttachAtAltitude",
                   FilterAttachAtAltitude(L"minispy", L"C:", L"385100", NULL, sizeof name, name), NOT_SUPPORTED,
                   ERROR_NOT_SUPPORTED);
    expect("FilterAttachAtAltitude: the created instance name is empty", name[0] == 0);
    SetLastError(0);
    expect_failure("FilterDetach", FilterDetach(L"minispy", L"C:", L"Minispy Instance"), NOT_SUPPORTED,
                   ERROR_NOT_SUPPORTED);
    wcscpy(name, L"stale");
    SetLastError(0);
    expect_failure("FilterGetDosName", FilterGetDosName(L"\\Device\\HarddiskVolume1", name, ARRAYSIZE(name)),
                   NOT_SUPPORTED, ERROR_NOT_SUPPORTED);
    expect("FilterGetDosName: the DOS name is empty", name[0] == 0);

    /* No HFILTER exists, and FilterClose (a port handle's close) says so for any other value. */
    expect("FilterClose of a value FilterCreate could have returned is E_HANDLE", FilterClose(filter) == E_HANDLE);
    expect("the types have Windows' layout: INSTANCE_FULL_INFORMATION is 20 bytes",
           sizeof(INSTANCE_FULL_INFORMATION) == 20);
    expect("FILTER_AGGREGATE_STANDARD_INFORMATION is 28 bytes", sizeof(FILTER_AGGREGATE_STANDARD_INFORMATION) == 28);

    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
