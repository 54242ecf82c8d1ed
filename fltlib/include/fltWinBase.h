/* SPDX-License-Identifier: MIT */
/*
 * fltWinBase.h: the kernel32 calls that programs written for fltlib make around it (events, waits, overlapped
 * results, I/O completion ports, threads, the last error), in libfltlib, where MinGW-w64 has them in winbase.h
 * and the headers it includes (synchapi.h, ioapiset.h, processthreadsapi.h). fltUser.h and windows.h include
 * it. Besides those: critical sections, the process heap, ExitProcess, views and VirtualQuery, FormatMessage and
 * LoadLibraryExW, semaphores, FILETIME conversions and MultiByteToWideChar, as avscan's and minispy's user programs
 * call them.
 *
 * Each call keeps Windows' signature and, where programs rely on it, its semantics (see fltlib(3), "Win32 calls").
 * What differs, on purpose:
 * - Handles are process-local; an event's or a semaphore's name is looked up in this process only.
 * - Waitable objects are events, semaphores and threads. Waits are not alertable: bAlertable is accepted and no
 *   APC runs, so WAIT_IO_COMPLETION is never returned.
 * - NumberOfConcurrentThreads of a completion port is recorded, not enforced: any thread waiting in
 *   GetQueuedCompletionStatus may take a packet (Windows' limit counts threads that do not block, which a
 *   library cannot see). Packets leave in the order they were queued.
 *
 * # Thread safety
 * Every call may be made from any thread, on any handle, at once. CloseHandle on a completion port releases the
 * threads waiting on it with ERROR_ABANDONED_WAIT_0.
 *
 * A program with versions of its own: a macro of one of these names defined before the include hides the
 * declaration (CreateEvent and the other A/W names are macros here too); FLTLIB_NO_WINBASE hides them all.
 */
#ifndef FLTLIB_FLTWINBASE_H
#define FLTLIB_FLTWINBASE_H

#include "fltWinTypes.h"

#include <pthread.h>
#include <stdarg.h>

#ifndef FLTLIB_NO_WINBASE

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Macros (winnt.h, winbase.h, minwinbase.h) ------------------------------------------------------------ */

#ifndef INFINITE
#define INFINITE 0xFFFFFFFF
#endif
#ifndef FIELD_OFFSET
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#endif
#ifndef CONTAINING_RECORD
#define CONTAINING_RECORD(address, type, field) ((type *)((PCHAR)(address) - (ULONG_PTR)offsetof(type, field)))
#endif
#ifndef RtlEqualMemory
#define RtlEqualMemory(destination, source, length) (!memcmp((destination), (source), (length)))
#endif
#ifndef RtlCopyMemory
#define RtlCopyMemory(destination, source, length) memcpy((destination), (source), (length))
#endif
#ifndef RtlMoveMemory
#define RtlMoveMemory(destination, source, length) memmove((destination), (source), (length))
#endif
#ifndef RtlFillMemory
#define RtlFillMemory(destination, length, fill) memset((destination), (fill), (length))
#endif
#ifndef RtlZeroMemory
#define RtlZeroMemory(destination, length) memset((destination), 0, (length))
#endif
#ifndef EqualMemory
#define EqualMemory RtlEqualMemory
#endif
#ifndef MoveMemory
#define MoveMemory RtlMoveMemory
#endif
#ifndef FillMemory
#define FillMemory RtlFillMemory
#endif

#define WAIT_OBJECT_0 0x00000000L
#define WAIT_ABANDONED_0 0x00000080L
#define WAIT_IO_COMPLETION 0x000000C0L
#ifndef WAIT_TIMEOUT
#define WAIT_TIMEOUT 258L
#endif
#define WAIT_FAILED ((DWORD)0xFFFFFFFF)
#define MAXIMUM_WAIT_OBJECTS 64
#define STATUS_WAIT_0 ((DWORD)0x00000000L)
#define STATUS_PENDING ((DWORD)0x00000103L)
#define STATUS_CANCELLED ((DWORD)0xC0000120L)
#define STILL_ACTIVE STATUS_PENDING
#define CREATE_SUSPENDED 0x00000004
#define STACK_SIZE_PARAM_IS_A_RESERVATION 0x00010000

/* True once the request of an OVERLAPPED has completed (Internal is no longer STATUS_PENDING). */
#ifndef HasOverlappedIoCompleted
#define HasOverlappedIoCompleted(lpOverlapped) \
    (__atomic_load_n(&(lpOverlapped)->Internal, __ATOMIC_ACQUIRE) != STATUS_PENDING)
#endif

typedef DWORD(WINAPI *PTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef PTHREAD_START_ROUTINE LPTHREAD_START_ROUTINE;

/* ---- The last error (errhandlingapi.h) ------------------------------------------------------------------- */

#ifndef GetLastError
/** The calling thread's last error, as the Win32 calls below set it (fltlib's Filter* calls return HRESULTs). */
DWORD WINAPI GetLastError(void);
#endif
#ifndef SetLastError
VOID WINAPI SetLastError(DWORD dwErrCode);
#endif

/* ---- Handles (handleapi.h) ------------------------------------------------------------------------------- */

#ifndef CloseHandle
/**
 * Closes a handle of any kind: a port handle (as FilterClose: its pending requests complete with
 * ERROR_INVALID_HANDLE), an event, a thread (the thread runs on) or a completion port (threads waiting on it
 * return FALSE with ERROR_ABANDONED_WAIT_0). FALSE with ERROR_INVALID_HANDLE for anything else.
 */
BOOL WINAPI CloseHandle(HANDLE hObject);
#endif

/* ---- Events and waits (synchapi.h) ----------------------------------------------------------------------- */

#ifndef CreateEventA
/** An event; a named one is shared with the events of the same name in this process (ERROR_ALREADY_EXISTS). */
HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                           LPCSTR lpName);
#endif
#ifndef CreateEventW
HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                           LPCWSTR lpName);
#endif
/* fltlib's API takes wide strings (a UNICODE build, as TEXT is). */
#ifndef CreateEvent
#define CreateEvent CreateEventW
#endif
#ifndef SetEvent
BOOL WINAPI SetEvent(HANDLE hEvent);
#endif
#ifndef ResetEvent
BOOL WINAPI ResetEvent(HANDLE hEvent);
#endif
#ifndef WaitForSingleObject
/** WAIT_OBJECT_0, WAIT_TIMEOUT, or WAIT_FAILED (GetLastError says why) for an event or a thread. */
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
#endif
#ifndef WaitForSingleObjectEx
DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable);
#endif
#ifndef WaitForMultipleObjects
/** WAIT_OBJECT_0 + the lowest index signalled (or WAIT_OBJECT_0 once all are, with bWaitAll), WAIT_TIMEOUT or
 * WAIT_FAILED; nCount is 1 to MAXIMUM_WAIT_OBJECTS. */
DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds);
#endif
#ifndef WaitForMultipleObjectsEx
DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds,
                                      BOOL bAlertable);
#endif
#ifndef Sleep
VOID WINAPI Sleep(DWORD dwMilliseconds);
#endif
#ifndef SleepEx
DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable);
#endif
#ifndef GetTickCount64
/** Milliseconds of CLOCK_MONOTONIC (since boot, as on Windows); GetTickCount wraps after 49.7 days. */
ULONGLONG WINAPI GetTickCount64(void);
#endif
#ifndef GetTickCount
DWORD WINAPI GetTickCount(void);
#endif

/* ---- Overlapped requests (ioapiset.h) -------------------------------------------------------------------- */

#ifndef GetOverlappedResult
/**
 * The result of an overlapped request on port handle hFile: TRUE with *lpNumberOfBytesTransferred once it
 * succeeded; FALSE with GetLastError() ERROR_IO_INCOMPLETE while it is pending and bWait is FALSE, or the
 * request's error (ERROR_INVALID_HANDLE after a close or a disconnect, ERROR_OPERATION_ABORTED after a cancel).
 * With bWait it waits on the OVERLAPPED's event, or on the request itself when hEvent is NULL.
 */
BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred,
                                BOOL bWait);
#endif
#ifndef CancelIo
/** Cancels the calling thread's pending requests on hFile: each completes with ERROR_OPERATION_ABORTED. */
BOOL WINAPI CancelIo(HANDLE hFile);
#endif
#ifndef CancelIoEx
/** Cancels the request of lpOverlapped on hFile, or all of them (any thread's) when it is NULL; FALSE with
 * ERROR_NOT_FOUND when there is none. */
BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);
#endif
#ifndef CreateIoCompletionPort
/**
 * With FileHandle INVALID_HANDLE_VALUE, creates a completion port. With a port handle, associates it with
 * ExistingCompletionPort (or a new one when that is NULL) and CompletionKey: each of its overlapped requests
 * then queues a packet there as it completes, unless the low bit of the OVERLAPPED's hEvent is set. Returns the
 * completion port, or NULL (GetLastError says why).
 */
HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort, ULONG_PTR CompletionKey,
                                     DWORD NumberOfConcurrentThreads);
#endif
#ifndef GetQueuedCompletionStatus
/**
 * Takes the oldest packet: TRUE for a request that succeeded (or a posted packet); FALSE with *lpOverlapped set
 * for one that failed (GetLastError is its error); FALSE with *lpOverlapped NULL and WAIT_TIMEOUT after
 * dwMilliseconds, or ERROR_ABANDONED_WAIT_0 when the completion port is closed while waiting.
 */
BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
                                      PULONG_PTR lpCompletionKey, LPOVERLAPPED *lpOverlapped, DWORD dwMilliseconds);
#endif
#ifndef PostQueuedCompletionStatus
BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
                                       ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped);
#endif

/* ---- Threads (processthreadsapi.h) ----------------------------------------------------------------------- */

#ifndef CreateThread
/** A thread running lpStartAddress(lpParameter); with CREATE_SUSPENDED it starts at ResumeThread. The handle is
 * signalled when the thread ends; dwStackSize 0 takes the default. */
HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                           LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter, DWORD dwCreationFlags,
                           LPDWORD lpThreadId);
#endif
#ifndef ResumeThread
/** The previous suspend count, or (DWORD)-1 with GetLastError; the thread starts when it reaches 0. */
DWORD WINAPI ResumeThread(HANDLE hThread);
#endif
#ifndef ExitThread
__attribute__((noreturn)) VOID WINAPI ExitThread(DWORD dwExitCode);
#endif
#ifndef GetExitCodeThread
BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
#endif
#ifndef GetCurrentThreadId
/** The kernel's thread id (gettid), the value CreateThread gives in *lpThreadId. */
DWORD WINAPI GetCurrentThreadId(void);
#endif
#ifndef GetCurrentProcessId
DWORD WINAPI GetCurrentProcessId(void);
#endif


/* ---- Critical sections (synchapi.h) ---------------------------------------------------------------------- */

/* A recursive mutex, as a critical section is: the owning thread may enter it again, and leaves it as often. */
typedef struct _RTL_CRITICAL_SECTION {
    pthread_mutex_t Mutex;
} RTL_CRITICAL_SECTION, CRITICAL_SECTION, *PRTL_CRITICAL_SECTION, *PCRITICAL_SECTION, *LPCRITICAL_SECTION;

#ifndef InitializeCriticalSection
VOID WINAPI InitializeCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
#endif
#ifndef InitializeCriticalSectionAndSpinCount
/** TRUE; dwSpinCount is ignored (glibc's mutex spins on its own). */
BOOL WINAPI InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount);
#endif
#ifndef EnterCriticalSection
VOID WINAPI EnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
#endif
#ifndef TryEnterCriticalSection
BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
#endif
#ifndef LeaveCriticalSection
VOID WINAPI LeaveCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
#endif
#ifndef DeleteCriticalSection
VOID WINAPI DeleteCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
#endif

/* ---- The process heap (heapapi.h) ------------------------------------------------------------------------ */

#define HEAP_NO_SERIALIZE 0x00000001
#define HEAP_GENERATE_EXCEPTIONS 0x00000004
#define HEAP_ZERO_MEMORY 0x00000008
#define HEAP_REALLOC_IN_PLACE_ONLY 0x00000010

#ifndef GetProcessHeap
/** The process heap: malloc's. There is no HeapCreate; it is the only heap. */
HANDLE WINAPI GetProcessHeap(void);
#endif
#ifndef HeapAlloc
/** malloc, or calloc with HEAP_ZERO_MEMORY; NULL when out of memory or hHeap is not GetProcessHeap(). */
LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes);
#endif
#ifndef HeapReAlloc
/** realloc (the new bytes zeroed with HEAP_ZERO_MEMORY); NULL with HEAP_REALLOC_IN_PLACE_ONLY when it would move. */
LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes);
#endif
#ifndef HeapSize
SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);
#endif
#ifndef HeapFree
BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem);
#endif

#ifndef ExitProcess
/** exit(uExitCode): atexit handlers run and stdio is flushed, as the C runtime does on Windows. */
__attribute__((noreturn)) VOID WINAPI ExitProcess(UINT uExitCode);
#endif

/* ---- Views and the address space (memoryapi.h) ----------------------------------------------------------- */

#define FILE_MAP_COPY 0x00000001
#define FILE_MAP_WRITE 0x00000002
#define FILE_MAP_READ 0x00000004
#define FILE_MAP_ALL_ACCESS 0x000F001F
#define FILE_MAP_EXECUTE 0x00000020
#define MEM_UNMAP_WITH_TRANSIENT_BOOST 0x00000001
#define MEM_PRESERVE_PLACEHOLDER 0x00000002
#define MEM_COMMIT 0x00001000
#define MEM_RESERVE 0x00002000
#define MEM_FREE 0x00010000
#define MEM_PRIVATE 0x00020000
#define MEM_MAPPED 0x00040000
#define MEM_IMAGE 0x01000000
#define PAGE_NOACCESS 0x01
#define PAGE_READONLY 0x02
#define PAGE_READWRITE 0x04
#define PAGE_WRITECOPY 0x08
#define PAGE_EXECUTE 0x10
#define PAGE_EXECUTE_READ 0x20
#define PAGE_EXECUTE_READWRITE 0x40

typedef struct _MEMORY_BASIC_INFORMATION {
    PVOID BaseAddress;
    PVOID AllocationBase;
    DWORD AllocationProtect;
    WORD PartitionId;
    SIZE_T RegionSize;
    DWORD State;
    DWORD Protect;
    DWORD Type;
} MEMORY_BASIC_INFORMATION, *PMEMORY_BASIC_INFORMATION;

#ifndef MapViewOfFile
/**
 * NULL with ERROR_INVALID_HANDLE, always: a view maps a file-mapping (section) object, and libfltlib has
 * none (no CreateFileMapping; a section handle a Windows filter makes with FltCreateSectionForDataScan and sends
 * exists only in its kernel). fltlib(3), NOT PROVIDED.
 */
LPVOID WINAPI MapViewOfFile(HANDLE hFileMappingObject, DWORD dwDesiredAccess, DWORD dwFileOffsetHigh,
                            DWORD dwFileOffsetLow, SIZE_T dwNumberOfBytesToMap);
#endif
#ifndef UnmapViewOfFile
/** FALSE with ERROR_INVALID_ADDRESS: no view is ever mapped (MapViewOfFile). */
BOOL WINAPI UnmapViewOfFile(LPCVOID lpBaseAddress);
#endif
#ifndef UnmapViewOfFileEx
BOOL WINAPI UnmapViewOfFileEx(PVOID BaseAddress, ULONG UnmapFlags);
#endif
#ifndef VirtualQuery
/**
 * The region of this process's address space holding lpAddress, from /proc/self/maps: BaseAddress is its page,
 * RegionSize runs to the end of the mapping, State MEM_COMMIT (or MEM_FREE up to the next mapping), Protect from
 * its permissions, Type MEM_MAPPED for a file's pages, else MEM_PRIVATE. Returns sizeof the structure written,
 * or 0 with ERROR_INVALID_PARAMETER (dwLength too small) or ERROR_INVALID_ADDRESS.
 */
SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength);
#endif

/* ---- Semaphores (synchapi.h) ----------------------------------------------------------------------------- */

#ifndef CreateSemaphoreW
/** A semaphore, waitable like an event: signalled while its count is above 0, and each satisfied wait takes one.
 * NULL with ERROR_INVALID_PARAMETER unless 0 <= lInitialCount <= lMaximumCount and lMaximumCount > 0. A name is
 * looked up among this process's events and semaphores: the same semaphore again (ERROR_ALREADY_EXISTS), or NULL
 * with ERROR_INVALID_HANDLE when an event has it. */
HANDLE WINAPI CreateSemaphoreW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount, LONG lMaximumCount,
                               LPCWSTR lpName);
#endif
#ifndef CreateSemaphoreA
HANDLE WINAPI CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount, LONG lMaximumCount,
                               LPCSTR lpName);
#endif
#ifndef CreateSemaphore
#define CreateSemaphore CreateSemaphoreW
#endif
#ifndef ReleaseSemaphore
/** Adds lReleaseCount; FALSE with ERROR_TOO_MANY_POSTS (and no change) past the maximum. */
BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount);
#endif

/* ---- Time (sysinfoapi.h, timezoneapi.h) ------------------------------------------------------------------ */

#ifndef GetSystemTimeAsFileTime
VOID WINAPI GetSystemTimeAsFileTime(LPFILETIME lpSystemTimeAsFileTime);
#endif
#ifndef FileTimeToSystemTime
/** The calendar date and time (UTC) of a FILETIME; FALSE with ERROR_INVALID_PARAMETER past 0x7FFFFFFFFFFFFFFF. */
BOOL WINAPI FileTimeToSystemTime(const FILETIME *lpFileTime, LPSYSTEMTIME lpSystemTime);
#endif
#ifndef SystemTimeToFileTime
/** FALSE with ERROR_INVALID_PARAMETER for a field out of range or a date before 1601. */
BOOL WINAPI SystemTimeToFileTime(const SYSTEMTIME *lpSystemTime, LPFILETIME lpFileTime);
#endif
#ifndef FileTimeToLocalFileTime
/** Adds the local time zone's current offset from UTC (TZ, /etc/localtime), as Windows applies its current bias. */
BOOL WINAPI FileTimeToLocalFileTime(const FILETIME *lpFileTime, LPFILETIME lpLocalFileTime);
#endif

/* ---- Text (stringapiset.h) ------------------------------------------------------------------------------- */

#define CP_ACP 0
#define CP_OEMCP 1
#define CP_THREAD_ACP 3
#define CP_UTF8 65001
#define MB_PRECOMPOSED 0x00000001
#define MB_ERR_INVALID_CHARS 0x00000008

#ifndef MultiByteToWideChar
/**
 * Decodes cbMultiByte bytes (-1: up to and with the NUL) into lpWideCharStr, which holds cchWideChar characters;
 * with cchWideChar 0, returns the characters needed. CP_UTF8 decodes UTF-8; CP_ACP, CP_OEMCP and CP_THREAD_ACP
 * use the C library's current locale (LC_CTYPE), the Linux counterpart of the ANSI code page. A byte sequence that
 * is not valid becomes U+FFFD, or fails with ERROR_NO_UNICODE_TRANSLATION under MB_ERR_INVALID_CHARS. 0 with
 * ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_PARAMETER or ERROR_NOT_SUPPORTED (another code page) on failure.
 */
int WINAPI MultiByteToWideChar(UINT CodePage, DWORD dwFlags, LPCSTR lpMultiByteStr, int cbMultiByte,
                               LPWSTR lpWideCharStr, int cchWideChar);
#endif

/* ---- Libraries and messages (libloaderapi.h, sysinfoapi.h, winbase.h) ------------------------------------ */

#define DONT_RESOLVE_DLL_REFERENCES 0x00000001
#define LOAD_LIBRARY_AS_DATAFILE 0x00000002
#define LOAD_LIBRARY_AS_IMAGE_RESOURCE 0x00000020
#define LOAD_LIBRARY_AS_DATAFILE_EXCLUSIVE 0x00000040

#ifndef LoadLibraryExW
/**
 * dlopen of the library at lpLibFileName (a shared object: a name like "fltlib.dll" is looked up as dlopen looks
 * up that name). NULL with ERROR_MOD_NOT_FOUND when it cannot be loaded, and with ERROR_NOT_SUPPORTED for the
 * data-file and resource flags (LOAD_LIBRARY_AS_DATAFILE and friends): an ELF object has no message tables or
 * resources to map.
 */
HMODULE WINAPI LoadLibraryExW(LPCWSTR lpLibFileName, HANDLE hFile, DWORD dwFlags);
#endif
#ifndef LoadLibraryW
HMODULE WINAPI LoadLibraryW(LPCWSTR lpLibFileName);
#endif
#ifndef LoadLibrary
#define LoadLibrary LoadLibraryW
#endif
#ifndef FreeLibrary
BOOL WINAPI FreeLibrary(HMODULE hLibModule);
#endif
#ifndef GetSystemDirectoryW
/** 0 with ERROR_NOT_SUPPORTED: Linux has no Windows system directory (no system32 holding fltlib.dll). */
UINT WINAPI GetSystemDirectoryW(LPWSTR lpBuffer, UINT uSize);
#endif
#ifndef GetSystemDirectoryA
UINT WINAPI GetSystemDirectoryA(LPSTR lpBuffer, UINT uSize);
#endif
#ifndef GetSystemDirectory
#define GetSystemDirectory GetSystemDirectoryW
#endif

#define FORMAT_MESSAGE_ALLOCATE_BUFFER 0x00000100
#define FORMAT_MESSAGE_IGNORE_INSERTS 0x00000200
#define FORMAT_MESSAGE_FROM_STRING 0x00000400
#define FORMAT_MESSAGE_FROM_HMODULE 0x00000800
#define FORMAT_MESSAGE_FROM_SYSTEM 0x00001000
#define FORMAT_MESSAGE_ARGUMENT_ARRAY 0x00002000
#define FORMAT_MESSAGE_MAX_WIDTH_MASK 0x000000FF

#ifndef FormatMessageW
/**
 * With FORMAT_MESSAGE_FROM_SYSTEM, the text of a Win32 error or an HRESULT (a FACILITY_WIN32 one, or one that
 * libfltlib returns) into lpBuffer (nSize characters), ending in "\r\n" as Windows' do; returns its length
 * without the NUL. 0 with ERROR_MR_MID_NOT_FOUND for a code it has no text for (and for FROM_HMODULE alone: ELF
 * objects have no message tables), ERROR_INSUFFICIENT_BUFFER when nSize is too small, ERROR_NOT_SUPPORTED for
 * FROM_STRING and ALLOCATE_BUFFER. Inserts are never expanded; dwLanguageId and Arguments are ignored.
 */
DWORD WINAPI FormatMessageW(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId, LPWSTR lpBuffer,
                            DWORD nSize, va_list *Arguments);
#endif
#ifndef FormatMessageA
DWORD WINAPI FormatMessageA(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId, LPSTR lpBuffer,
                            DWORD nSize, va_list *Arguments);
#endif
#ifndef FormatMessage
#define FormatMessage FormatMessageW
#endif

#ifdef __cplusplus
}
#endif

#endif /* FLTLIB_NO_WINBASE */

#endif /* FLTLIB_FLTWINBASE_H */
