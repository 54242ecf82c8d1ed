/* SPDX-License-Identifier: MIT */
/* The kernel32 and SDK calls that avscan's and minispy's user programs make besides fltlib's (symbol version
 * FLTLIB_1.3): critical sections, the process heap, ExitProcess, views and VirtualQuery, libraries, FormatMessage,
 * strsafe.h, with the headers included as those programs write them. Prints one line per check and "N failed";
 * exits 1 if any failed. Run by make fltlib-tests. */
#include <DriverSpecs.h>
_Analysis_mode_(_Analysis_code_type_user_code_)

#include <windows.h>
#include <Strsafe.h>
#include <fltUser.h>
#include <strsafe.h>

#include <stdio.h>
#include <string.h>
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

int main(void) {
    critical_sections();
    heap();
    exit_process();
    views();
    libraries();
    format_message();
    string_safe();
    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
