/* SPDX-License-Identifier: MIT */
/* The kernel32 and SDK calls that avscan's and minispy's user programs make besides fltlib's (symbol version
 * FLTLIB_1.3): critical sections, the process heap, ExitProcess, views and VirtualQuery, libraries, FormatMessage,
 * semaphores, FILETIME, MultiByteToWideChar, strsafe.h, min and __try/__finally/__leave, with the headers
 * included as those programs write them. Prints one line per check and "N failed";
 * exits 1 if any failed. Run by make fltlib-tests. */
/* setenv and tzset, for the time zone check. */
#define _DEFAULT_SOURCE
#include <DriverSpecs.h>
_Analysis_mode_(_Analysis_code_type_user_code_)

#include <windows.h>
#include <Strsafe.h>
#include <fltUser.h>
#include <strsafe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void expect(const char *what, int condition) {
    printf("%s %s\n", condition ? "ok  " : "FAIL", what);
    failures += !condition;
}

static CRITICAL_SECTION lock;
static volatile LONG counter;

static DWORD WINAPI try_enter(LPVOID unused) {
    (void)unused;
    BOOL entered = TryEnterCriticalSection(&lock);
    if (entered) LeaveCriticalSection(&lock);
    return (DWORD)entered;
}

static DWORD WINAPI add_many(LPVOID unused) {
    (void)unused;
    for (int i = 0; i < 100000; i++) {
        EnterCriticalSection(&lock);
        counter = counter + 1;
        LeaveCriticalSection(&lock);
    }
    return 0;
}

static DWORD thread_result(LPTHREAD_START_ROUTINE routine) {
    DWORD code = 99;
    HANDLE thread = CreateThread(NULL, 0, routine, NULL, 0, NULL);
    WaitForSingleObject(thread, INFINITE);
    GetExitCodeThread(thread, &code);
    CloseHandle(thread);
    return code;
}

static void critical_sections(void) {
    InitializeCriticalSection(&lock);
    EnterCriticalSection(&lock);
    EnterCriticalSection(&lock);
    expect("a critical section is recursive: its owner enters it twice", TRUE);
    expect("another thread cannot enter it while it is held", thread_result(try_enter) == FALSE);
    LeaveCriticalSection(&lock);
    expect("nor after one of two leaves", thread_result(try_enter) == FALSE);
    LeaveCriticalSection(&lock);
    expect("it can once the owner left as often as it entered", thread_result(try_enter) == TRUE);
    HANDLE threads[2] = {CreateThread(NULL, 0, add_many, NULL, 0, NULL), CreateThread(NULL, 0, add_many, NULL, 0, NULL)};
    WaitForMultipleObjects(2, threads, TRUE, INFINITE);
    CloseHandle(threads[0]);
    CloseHandle(threads[1]);
    expect("two threads adding 100,000 times each under it count 200,000", counter == 200000);
    DeleteCriticalSection(&lock);
    expect("InitializeCriticalSectionAndSpinCount succeeds", InitializeCriticalSectionAndSpinCount(&lock, 4000));
    DeleteCriticalSection(&lock);
}

static void heap(void) {
    HANDLE process_heap = GetProcessHeap();
    expect("GetProcessHeap is a handle, the same each time", process_heap != NULL && process_heap == GetProcessHeap());
    BYTE *zeroed = HeapAlloc(process_heap, HEAP_ZERO_MEMORY, 4096);
    int all_zero = zeroed != NULL;
    for (int i = 0; zeroed != NULL && i < 4096; i++) all_zero &= zeroed[i] == 0;
    expect("HeapAlloc with HEAP_ZERO_MEMORY gives zeroed bytes", all_zero);
    expect("HeapSize is at least the size asked for", HeapSize(process_heap, 0, zeroed) >= 4096);
    memset(zeroed, 0xAB, 4096);
    BYTE *grown = HeapReAlloc(process_heap, HEAP_ZERO_MEMORY, zeroed, 65536);
    int kept = grown != NULL && grown[0] == 0xAB && grown[4095] == 0xAB && grown[65535] == 0;
    expect("HeapReAlloc keeps the bytes and zeroes the new ones with HEAP_ZERO_MEMORY", kept);
    expect("HeapReAlloc with HEAP_REALLOC_IN_PLACE_ONLY does not move a block", grown == NULL ||
               HeapReAlloc(process_heap, HEAP_REALLOC_IN_PLACE_ONLY, grown, 16) == grown);
    expect("HeapFree frees it", HeapFree(process_heap, 0, grown));
    expect("HeapAlloc of 0 bytes gives a block", (zeroed = HeapAlloc(process_heap, 0, 0)) != NULL);
    HeapFree(process_heap, 0, zeroed);
    SetLastError(0);
    expect("HeapAlloc on another handle fails with ERROR_INVALID_HANDLE",
           HeapAlloc((HANDLE)&counter, 0, 16) == NULL && GetLastError() == ERROR_INVALID_HANDLE);
    expect("HeapFree on another handle fails with ERROR_INVALID_HANDLE",
           !HeapFree((HANDLE)&counter, 0, NULL) && GetLastError() == ERROR_INVALID_HANDLE);
}

static void exit_process(void) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) ExitProcess(7);
    int status = 0;
    waitpid(child, &status, 0);
    expect("ExitProcess(7) ends the process with 7", WIFEXITED(status) && WEXITSTATUS(status) == 7);
}

static void views(void) {
    SetLastError(0);
    expect("MapViewOfFile fails with ERROR_INVALID_HANDLE (no section objects)",
           MapViewOfFile((HANDLE)(ULONG_PTR)0x44, FILE_MAP_READ, 0, 0, 0) == NULL &&
               GetLastError() == ERROR_INVALID_HANDLE);
    int local = 0;
    SetLastError(0);
    expect("UnmapViewOfFileEx fails with ERROR_INVALID_ADDRESS (no view is mapped)",
           !UnmapViewOfFileEx(&local, MEM_UNMAP_WITH_TRANSIENT_BOOST) && GetLastError() == ERROR_INVALID_ADDRESS);
    expect("UnmapViewOfFile too", !UnmapViewOfFile(&local) && GetLastError() == ERROR_INVALID_ADDRESS);

    MEMORY_BASIC_INFORMATION info;
    long page = sysconf(_SC_PAGESIZE);
    expect("VirtualQuery of a stack variable writes the structure", VirtualQuery(&local, &info, sizeof info) == sizeof info);
    expect("it is committed, read-write, private",
           info.State == MEM_COMMIT && info.Protect == PAGE_READWRITE && info.Type == MEM_PRIVATE);
    expect("BaseAddress is the variable's page and RegionSize runs past the variable",
           (ULONG_PTR)info.BaseAddress == ((ULONG_PTR)&local & ~(ULONG_PTR)(page - 1)) &&
               (ULONG_PTR)info.BaseAddress + info.RegionSize > (ULONG_PTR)&local && info.RegionSize % page == 0);
    expect("VirtualQuery of a function: executable, a file's pages",
           VirtualQuery((LPCVOID)(ULONG_PTR)&expect, &info, sizeof info) == sizeof info &&
               (info.Protect == PAGE_EXECUTE_READ || info.Protect == PAGE_EXECUTE_READWRITE) &&
               info.Type == MEM_MAPPED);
    expect("VirtualQuery of page 0: free", VirtualQuery(NULL, &info, sizeof info) == sizeof info &&
                                               info.State == MEM_FREE && info.BaseAddress == NULL);
    SetLastError(0);
    expect("VirtualQuery with a short buffer fails with ERROR_INVALID_PARAMETER",
           VirtualQuery(&local, &info, sizeof info - 1) == 0 && GetLastError() == ERROR_INVALID_PARAMETER);
}

static void libraries(void) {
    HMODULE libc = LoadLibraryExW(L"libc.so.6", NULL, 0);
    expect("LoadLibraryExW loads a shared object", libc != NULL);
    expect("FreeLibrary releases it", libc != NULL && FreeLibrary(libc));
    SetLastError(0);
    expect("LoadLibraryW of a missing library fails with ERROR_MOD_NOT_FOUND",
           LoadLibraryW(L"/nonexistent/fltlib.dll") == NULL && GetLastError() == ERROR_MOD_NOT_FOUND);
    SetLastError(0);
    expect("LoadLibraryExW as a data file fails with ERROR_NOT_SUPPORTED (no resources in ELF)",
           LoadLibraryExW(L"libc.so.6", NULL, LOAD_LIBRARY_AS_DATAFILE) == NULL &&
               GetLastError() == ERROR_NOT_SUPPORTED);
    WCHAR directory[MAX_PATH] = L"stale";
    SetLastError(0);
    expect("GetSystemDirectory gives 0, an empty string and ERROR_NOT_SUPPORTED",
           GetSystemDirectory(directory, MAX_PATH) == 0 && directory[0] == 0 && GetLastError() == ERROR_NOT_SUPPORTED);
}

static void format_message(void) {
    WCHAR wide[MAX_PATH];
    DWORD count = FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM, NULL, 0x80070002, 0, wide, MAX_PATH, NULL);
    expect("FormatMessage(0x80070002) is the text of ERROR_FILE_NOT_FOUND, ending in \\r\\n",
           count == wcslen(wide) && count > 2 && wcscmp(wide, L"The file or port was not found.\r\n") == 0);
    char narrow[MAX_PATH];
    count = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, ERROR_INVALID_HANDLE, 0,
                           narrow, sizeof narrow, NULL);
    expect("FormatMessageA(ERROR_INVALID_HANDLE) too", count == strlen(narrow) && strstr(narrow, "handle") != NULL);
    expect("FormatMessage(ERROR_FLT_FILTER_NOT_FOUND) names the missing Filter Manager",
           FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, (DWORD)ERROR_FLT_FILTER_NOT_FOUND, 0, narrow,
                          sizeof narrow, NULL) > 0 && strstr(narrow, "Filter Manager") != NULL);
    SetLastError(0);
    expect("a code without text: 0 and ERROR_MR_MID_NOT_FOUND",
           FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM, NULL, 0x12345, 0, wide, MAX_PATH, NULL) == 0 &&
               GetLastError() == ERROR_MR_MID_NOT_FOUND);
    SetLastError(0);
    expect("FROM_HMODULE alone: 0 and ERROR_MR_MID_NOT_FOUND",
           FormatMessage(FORMAT_MESSAGE_FROM_HMODULE, NULL, 2, 0, wide, MAX_PATH, NULL) == 0 &&
               GetLastError() == ERROR_MR_MID_NOT_FOUND);
    SetLastError(0);
    expect("a buffer too small: 0 and ERROR_INSUFFICIENT_BUFFER",
           FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM, NULL, 2, 0, wide, 5, NULL) == 0 &&
               GetLastError() == ERROR_INSUFFICIENT_BUFFER);
}

static void string_safe(void) {
    WCHAR buffer[12] = L"C:\\";
    expect("StringCchCat appends", StringCchCat(buffer, ARRAYSIZE(buffer), L"Win") == S_OK &&
                                       wcscmp(buffer, L"C:\\Win") == 0);
    expect("StringCchCat cuts short and says so",
           StringCchCat(buffer, ARRAYSIZE(buffer), L"dows\\system32") == STRSAFE_E_INSUFFICIENT_BUFFER &&
               wcscmp(buffer, L"C:\\Windows\\") == 0);
    expect("StringCchCopy of an exact fit", StringCchCopy(buffer, 4, L"abc") == S_OK && wcscmp(buffer, L"abc") == 0);
    expect("StringCchPrintf formats", StringCchPrintf(buffer, ARRAYSIZE(buffer), L"%d-%ls", 42, L"ok") == S_OK &&
                                          wcscmp(buffer, L"42-ok") == 0);
    expect("StringCchPrintf cuts short and says so",
           StringCchPrintf(buffer, 6, L"%ls", L"abcdefgh") == STRSAFE_E_INSUFFICIENT_BUFFER &&
               wcscmp(buffer, L"abcde") == 0);
    char narrow[8];
    expect("StringCchPrintfA cuts short and says so",
           StringCchPrintfA(narrow, sizeof narrow, "%s", "0123456789") == STRSAFE_E_INSUFFICIENT_BUFFER &&
               strcmp(narrow, "0123456") == 0);
    size_t length = 99;
    expect("StringCchLength of an unterminated buffer fails", StringCchLengthA("abcd", 3, &length) ==
                                                                  STRSAFE_E_INVALID_PARAMETER && length == 0);
    expect("E_POINTER, SEVERITY_ERROR and MAKE_HRESULT as winerror.h has them",
           E_POINTER == (HRESULT)0x80004003 && MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIN32, 2) == (HRESULT)0x80070002);
}

static HANDLE semaphore;

static DWORD WINAPI release_later(LPVOID unused) {
    (void)unused;
    Sleep(50);
    return ReleaseSemaphore(semaphore, 1, NULL);
}

static void semaphores(void) {
    semaphore = CreateSemaphore(NULL, 2, 3, NULL);
    expect("CreateSemaphore(2 of 3)", semaphore != NULL);
    expect("two waits take the two counts at once", WaitForSingleObject(semaphore, 0) == WAIT_OBJECT_0 &&
                                                       WaitForSingleObject(semaphore, 0) == WAIT_OBJECT_0);
    expect("a third times out", WaitForSingleObject(semaphore, 20) == WAIT_TIMEOUT);
    HANDLE thread = CreateThread(NULL, 0, release_later, NULL, 0, NULL);
    expect("ReleaseSemaphore from another thread ends a wait", WaitForSingleObject(semaphore, 5000) == WAIT_OBJECT_0);
    WaitForSingleObject(thread, INFINITE);
    CloseHandle(thread);
    LONG previous = -1;
    expect("ReleaseSemaphore(3) gives the previous count", ReleaseSemaphore(semaphore, 3, &previous) && previous == 0);
    SetLastError(0);
    expect("past the maximum: FALSE, ERROR_TOO_MANY_POSTS, and no change",
           !ReleaseSemaphore(semaphore, 1, &previous) && GetLastError() == ERROR_TOO_MANY_POSTS);
    HANDLE both[2] = {semaphore, CreateEvent(NULL, TRUE, FALSE, NULL)};
    expect("WaitForMultipleObjects counts it among the objects", WaitForMultipleObjects(2, both, FALSE, 0) == WAIT_OBJECT_0);
    CloseHandle(both[1]);
    expect("CloseHandle closes it", CloseHandle(semaphore));
    SetLastError(0);
    expect("CreateSemaphore with more initial than maximum fails with ERROR_INVALID_PARAMETER",
           CreateSemaphore(NULL, 2, 1, NULL) == NULL && GetLastError() == ERROR_INVALID_PARAMETER);

    HANDLE named = CreateSemaphore(NULL, 0, 1, L"MiniSpy shut down");
    expect("a named semaphore is new", named != NULL && GetLastError() == ERROR_SUCCESS);
    HANDLE again = CreateSemaphoreA(NULL, 0, 1, "MiniSpy shut down");
    expect("the same name (A or W) opens the same semaphore: ERROR_ALREADY_EXISTS",
           again != NULL && GetLastError() == ERROR_ALREADY_EXISTS);
    ReleaseSemaphore(again, 1, NULL);
    expect("a release on one handle signals the other", WaitForSingleObject(named, 0) == WAIT_OBJECT_0);
    SetLastError(0);
    expect("an event cannot take a semaphore's name: ERROR_INVALID_HANDLE",
           CreateEvent(NULL, FALSE, FALSE, L"MiniSpy shut down") == NULL && GetLastError() == ERROR_INVALID_HANDLE);
    CloseHandle(again);
    CloseHandle(named);
    HANDLE fresh = CreateSemaphore(NULL, 0, 1, L"MiniSpy shut down");
    expect("once every handle is closed, the name is free again", fresh != NULL && GetLastError() == ERROR_SUCCESS);
    CloseHandle(fresh);
}

static void file_times(void) {
    /* 2024-02-29 12:34:56.789 UTC, a Thursday. */
    SYSTEMTIME when = {.wYear = 2024, .wMonth = 2, .wDay = 29, .wHour = 12, .wMinute = 34, .wSecond = 56,
                       .wMilliseconds = 789};
    FILETIME file_time;
    expect("SystemTimeToFileTime", SystemTimeToFileTime(&when, &file_time));
    ULONGLONG ticks = ((ULONGLONG)file_time.dwHighDateTime << 32) | file_time.dwLowDateTime;
    expect("it counts 100 ns from 1601 (133536836967890000)", ticks == 133536836967890000ULL);
    SYSTEMTIME back;
    expect("FileTimeToSystemTime gives it back, with the day of the week",
           FileTimeToSystemTime(&file_time, &back) && back.wYear == 2024 && back.wMonth == 2 && back.wDay == 29 &&
               back.wHour == 12 && back.wMinute == 34 && back.wSecond == 56 && back.wMilliseconds == 789 &&
               back.wDayOfWeek == 4);
    FILETIME epoch = {0, 0};
    expect("FILETIME 0 is 1601-01-01", FileTimeToSystemTime(&epoch, &back) && back.wYear == 1601 &&
                                            back.wMonth == 1 && back.wDay == 1 && back.wDayOfWeek == 1);
    SYSTEMTIME bad = when;
    bad.wMonth = 4;
    bad.wDay = 31;
    SetLastError(0);
    expect("31 April: ERROR_INVALID_PARAMETER", !SystemTimeToFileTime(&bad, &file_time) &&
                                                    GetLastError() == ERROR_INVALID_PARAMETER);
    FILETIME now, local;
    GetSystemTimeAsFileTime(&now);
    expect("GetSystemTimeAsFileTime is after 2024", ((ULONGLONG)now.dwHighDateTime << 32 | now.dwLowDateTime) > ticks);
    setenv("TZ", "UTC-2", 1);
    tzset();
    expect("FileTimeToLocalFileTime adds the zone's offset (TZ=UTC-2: 2 hours)",
           FileTimeToLocalFileTime(&now, &local) &&
               ((ULONGLONG)local.dwHighDateTime << 32 | local.dwLowDateTime) -
                       ((ULONGLONG)now.dwHighDateTime << 32 | now.dwLowDateTime) ==
                   2ULL * 3600 * 10000000);
    unsetenv("TZ");
    tzset();
}

static void multibyte(void) {
    WCHAR wide[16];
    int count = MultiByteToWideChar(CP_UTF8, 0, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", -1, wide, ARRAYSIZE(wide));
    expect("MultiByteToWideChar(CP_UTF8) decodes 1- to 4-byte sequences and the NUL",
           count == 5 && wide[0] == L'A' && wide[1] == 0xE9 && wide[2] == 0x20AC && wide[3] == 0x1F600 && wide[4] == 0);
    expect("with cchWideChar 0 it counts", MultiByteToWideChar(CP_UTF8, 0, "abc", 3, NULL, 0) == 3);
    count = MultiByteToWideChar(CP_UTF8, 0, "a\xff" "b", 3, wide, ARRAYSIZE(wide));
    expect("an invalid byte becomes U+FFFD", count == 3 && wide[1] == 0xFFFD && wide[2] == L'b');
    SetLastError(0);
    expect("under MB_ERR_INVALID_CHARS it fails with ERROR_NO_UNICODE_TRANSLATION",
           MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, "a\xff" "b", 3, wide, ARRAYSIZE(wide)) == 0 &&
               GetLastError() == ERROR_NO_UNICODE_TRANSLATION);
    SetLastError(0);
    expect("a buffer too small: ERROR_INSUFFICIENT_BUFFER",
           MultiByteToWideChar(CP_ACP, 0, "abcdef", -1, wide, 3) == 0 && GetLastError() == ERROR_INSUFFICIENT_BUFFER);
    expect("CP_ACP decodes ASCII in the C locale", MultiByteToWideChar(CP_ACP, 0, "hi", -1, wide, ARRAYSIZE(wide)) == 3 &&
                                                       wcscmp(wide, L"hi") == 0);
}

/* The SEH keywords as minispy's ListDevices uses them: __leave goes to the __finally block. */
static int seh(int leave_early, int *finally_ran) {
    int reached_end = 0;
    try {
        if (leave_early) leave;
        reached_end = 1;
    } finally {
        *finally_ran = 1;
    }
    return reached_end;
}

static void keywords(void) {
    int finally_ran = 0;
    expect("try/leave/finally: leave skips the rest of the try block and runs finally",
           seh(1, &finally_ran) == 0 && finally_ran);
    finally_ran = 0;
    expect("without leave, both blocks run", seh(0, &finally_ran) == 1 && finally_ran);
    expect("min and max, as windef.h has them in C", min(3, 5) == 3 && max(3u, 5u) == 5u);
    expect("GUID is 16 bytes, LARGE_INTEGER 8, FILETIME 8, SYSTEMTIME 16",
           sizeof(GUID) == 16 && sizeof(LARGE_INTEGER) == 8 && sizeof(FILETIME) == 8 && sizeof(SYSTEMTIME) == 16);
}

int main(void) {
    critical_sections();
    heap();
    exit_process();
    views();
    libraries();
    format_message();
    string_safe();
    semaphores();
    file_times();
    multibyte();
    keywords();
    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
