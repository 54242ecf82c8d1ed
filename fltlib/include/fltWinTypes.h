/* SPDX-License-Identifier: MIT */
/*
 * fltWinTypes.h: the Windows names that fltUser.h and the code written against it use, for Linux.
 *
 * Sizes follow Windows (LLP64), as Wine and MinGW-w64 lay them out: DWORD, ULONG and LONG are 32 bits even
 * though `long` is 64 bits on Linux, so structures shared with a filter keep their Windows layout.
 * WCHAR is the platform's wchar_t (4 bytes, UTF-32 on Linux); the library tells the server so when it
 * connects, and text routines answer in it.
 *
 * Define FLTLIB_NO_WINTYPES before including fltUser.h when another header (Wine's, say) already provides
 * these names.
 */
#ifndef FLTLIB_FLTWINTYPES_H
#define FLTLIB_FLTWINTYPES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "fltSal.h"

/* Calling conventions and annotations: nothing on Linux. */
#ifndef WINAPI
#define WINAPI
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef FAR
#define FAR
#endif
#ifndef CONST
#define CONST const
#endif
#ifndef VOID
#define VOID void
#endif
#ifndef APIENTRY
#define APIENTRY
#endif
#ifndef NTAPI
#define NTAPI
#endif
#ifndef __cdecl
#define __cdecl
#endif
#ifndef _cdecl
#define _cdecl
#endif
#ifndef __stdcall
#define __stdcall
#endif
#ifndef _stdcall
#define _stdcall
#endif

/* MSVC's sized integer keywords, as MinGW defines them: `unsigned __int32` works. */
#ifndef __int8
#define __int8 char
#endif
#ifndef __int16
#define __int16 short
#endif
#ifndef __int32
#define __int32 int
#endif
#ifndef __int64
#define __int64 long long
#endif

typedef int BOOL;
typedef unsigned char BYTE, UCHAR, BOOLEAN;
typedef BOOLEAN *PBOOLEAN;
typedef char CHAR;
typedef unsigned short WORD, USHORT;
typedef short SHORT;
typedef int32_t LONG, INT;
typedef uint32_t DWORD, ULONG, UINT;
/* As MinGW-w64 and Wine define them, so that %llu and %lld print them without a cast. */
typedef long long LONGLONG;
typedef unsigned long long ULONGLONG, DWORD64;
typedef intptr_t LONG_PTR, INT_PTR;
typedef uintptr_t ULONG_PTR, UINT_PTR, DWORD_PTR, SIZE_T;
typedef wchar_t WCHAR;

typedef void *PVOID, *LPVOID, *HANDLE;
typedef const void *LPCVOID, *PCVOID;
typedef HANDLE *PHANDLE, *LPHANDLE;
typedef BYTE *PBYTE, *LPBYTE;
typedef UCHAR *PUCHAR;
typedef CHAR *PCHAR;
typedef BOOL *PBOOL, *LPBOOL;
typedef ULONG_PTR *PULONG_PTR;
typedef SIZE_T *PSIZE_T;
typedef WORD *PWORD, *LPWORD;
typedef DWORD *PDWORD, *LPDWORD;
typedef ULONG *PULONG;
typedef LONG *PLONG, *LPLONG;
typedef ULONGLONG *PULONGLONG;
typedef CHAR *PSTR, *LPSTR;
typedef const CHAR *PCSTR, *LPCSTR;
typedef WCHAR *PWSTR, *LPWSTR, *PWCHAR;
typedef const WCHAR *PCWSTR, *LPCWSTR;

typedef LONG HRESULT;
typedef LONG NTSTATUS;

/* A loaded library (LoadLibraryExW): what dlopen returns. */
typedef void *HMODULE, *HINSTANCE;

/* The longest path Win32 programs size their buffers for. */
#ifndef MAX_PATH
#define MAX_PATH 260
#endif

#ifndef UNICODE_NULL
#define UNICODE_NULL ((WCHAR)0)
#endif

/* A 64-bit integer with its halves (winnt.h), 8-byte aligned as on Windows. */
typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    };
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        DWORD LowPart;
        DWORD HighPart;
    };
    struct {
        DWORD LowPart;
        DWORD HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

/* A GUID (guiddef.h), 16 bytes as on Windows. */
#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    DWORD Data1;
    WORD Data2;
    WORD Data3;
    BYTE Data4[8];
} GUID, *PGUID, *LPGUID;
#endif

/* A time in 100-nanosecond intervals since 1601-01-01 UTC, and its calendar form (minwinbase.h). */
typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;

typedef struct _SYSTEMTIME {
    WORD wYear;
    WORD wMonth;
    WORD wDayOfWeek;
    WORD wDay;
    WORD wHour;
    WORD wMinute;
    WORD wSecond;
    WORD wMilliseconds;
} SYSTEMTIME, *PSYSTEMTIME, *LPSYSTEMTIME;

/* Reparse point tags (winnt.h). */
#define IO_REPARSE_TAG_MOUNT_POINT 0xA0000003L
#define IO_REPARSE_TAG_SYMLINK 0xA000000CL

/* A doubly linked list's links (winnt.h); the list macros are the program's, or the DDK's. */
typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)

/* TEXT("x") is a wide literal: the fltlib API takes wide strings only (a UNICODE build on Windows). The
 * two levels let a macro argument expand first, so TEXT(MY_PORT_NAME) works. */
#define __TEXT(quote) L##quote
#ifndef TEXT
#define TEXT(quote) __TEXT(quote)
#endif

#define ZeroMemory(destination, length) memset((destination), 0, (length))
#define CopyMemory(destination, source, length) memcpy((destination), (source), (length))
#define ARRAYSIZE(array) (sizeof(array) / sizeof((array)[0]))
#define UNREFERENCED_PARAMETER(parameter) ((void)(parameter))

/* HRESULTs (winerror.h). */
#define FACILITY_WIN32 7
#define SEVERITY_SUCCESS 0
#define SEVERITY_ERROR 1
#define MAKE_HRESULT(severity, facility, code) \
    ((HRESULT)(((uint32_t)(severity) << 31) | ((uint32_t)(facility) << 16) | ((uint32_t)(code))))
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define IS_ERROR(status) (((uint32_t)(status)) >> 31 == 1)
#define HRESULT_CODE(hr) ((hr) & 0xFFFF)
#define HRESULT_FACILITY(hr) (((hr) >> 16) & 0x1FFF)
#define HRESULT_FROM_WIN32(x) \
    ((HRESULT)(x) <= 0 ? ((HRESULT)(x)) : ((HRESULT)(((uint32_t)(x) & 0x0000FFFF) | (FACILITY_WIN32 << 16) | 0x80000000)))
#define HRESULT_FROM_NT(x) ((HRESULT)((uint32_t)(x) | 0x10000000))

#define S_OK ((HRESULT)0x00000000)
#define S_FALSE ((HRESULT)0x00000001)
#define E_INVALIDARG ((HRESULT)0x80070057)
#define E_HANDLE ((HRESULT)0x80070006)
#define E_ACCESSDENIED ((HRESULT)0x80070005)
#define E_OUTOFMEMORY ((HRESULT)0x8007000E)
#define E_NOTIMPL ((HRESULT)0x80004001)
#define E_POINTER ((HRESULT)0x80004003)
#define E_FAIL ((HRESULT)0x80004005)

/* Win32 errors the fltlib calls report, for HRESULT_FROM_WIN32. */
#define ERROR_SUCCESS 0L
#define NO_ERROR 0L
#define ERROR_INVALID_FUNCTION 1L
#define ERROR_FILE_NOT_FOUND 2L
#define ERROR_ACCESS_DENIED 5L
#define ERROR_TOO_MANY_OPEN_FILES 4L
#define ERROR_INVALID_HANDLE 6L
#define ERROR_NOT_ENOUGH_MEMORY 8L
#define ERROR_GEN_FAILURE 31L
#define ERROR_NOT_SUPPORTED 50L
#define ERROR_INVALID_PARAMETER 87L
#define ERROR_SEM_TIMEOUT 121L
#define ERROR_INSUFFICIENT_BUFFER 122L
#define ERROR_INVALID_NAME 123L
#define ERROR_MOD_NOT_FOUND 126L
#define ERROR_ALREADY_EXISTS 183L
#define ERROR_MORE_DATA 234L
#define ERROR_NO_MORE_ITEMS 259L
#define ERROR_TOO_MANY_POSTS 298L
#define ERROR_MR_MID_NOT_FOUND 317L
#define ERROR_INVALID_ADDRESS 487L
#define ERROR_ABANDONED_WAIT_0 735L
#define ERROR_OPERATION_ABORTED 995L
#define ERROR_IO_INCOMPLETE 996L
#define ERROR_SERVER_SID_MISMATCH 628L
#define ERROR_IO_PENDING 997L
#define ERROR_CANCELLED 1223L
#define ERROR_NO_UNICODE_TRANSLATION 1113L
#define ERROR_NOT_FOUND 1168L
#define ERROR_CONNECTION_COUNT_LIMIT 1238L
#define ERROR_NO_SYSTEM_RESOURCES 1450L
#define ERROR_FLT_FILTER_NOT_FOUND ((HRESULT)0x801F0013)
#define ERROR_FLT_NO_WAITER_FOR_REPLY ((HRESULT)0x801F0020)

/* Kernel32's I/O structures. An OVERLAPPED is 32 bytes, as on Windows x64: Internal holds the NTSTATUS of the
 * request (STATUS_PENDING until it completes), InternalHigh the bytes transferred (fltWinBase.h).
 * SECURITY_ATTRIBUTES is accepted and ignored. */
typedef struct _OVERLAPPED {
    ULONG_PTR Internal;
    ULONG_PTR InternalHigh;
    DWORD Offset;
    DWORD OffsetHigh;
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

#endif /* FLTLIB_FLTWINTYPES_H */
