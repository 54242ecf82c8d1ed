/* SPDX-License-Identifier: MIT */
/*
 * Views and the address space: MapViewOfFile and UnmapViewOfFile(Ex) fail, because libfltlib has no file-mapping
 * (section) objects to map (a Windows filter's FltCreateSectionForDataScan section lives in its kernel); VirtualQuery
 * describes this process's pages from /proc/self/maps.
 */
#define _GNU_SOURCE
#include "fltUser.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "win_error.h"

EXPORT LPVOID WINAPI MapViewOfFile(HANDLE hFileMappingObject, DWORD dwDesiredAccess, DWORD dwFileOffsetHigh,
                                   DWORD dwFileOffsetLow, SIZE_T dwNumberOfBytesToMap) {
    flt_win32_fail(ERROR_INVALID_HANDLE);
    return NULL;
}

EXPORT BOOL WINAPI UnmapViewOfFile(LPCVOID lpBaseAddress) { return flt_win32_fail(ERROR_INVALID_ADDRESS); }

EXPORT BOOL WINAPI UnmapViewOfFileEx(PVOID BaseAddress, ULONG UnmapFlags) {
    return flt_win32_fail(ERROR_INVALID_ADDRESS);
}

static DWORD protection(const char *permissions) {
    int read = permissions[0] == 'r', write = permissions[1] == 'w', execute = permissions[2] == 'x';
    if (execute) return write ? PAGE_EXECUTE_READWRITE : read ? PAGE_EXECUTE_READ : PAGE_EXECUTE;
    if (write) return PAGE_READWRITE;
    return read ? PAGE_READONLY : PAGE_NOACCESS;
}

EXPORT SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength) {
    if (lpBuffer == NULL || dwLength < sizeof(MEMORY_BASIC_INFORMATION)) {
        return (SIZE_T)flt_win32_fail(ERROR_INVALID_PARAMETER);
    }
    uintptr_t page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t address = (uintptr_t)lpAddress & ~(page_size - 1);
    FILE *maps = fopen("/proc/self/maps", "re");
    if (maps == NULL) return (SIZE_T)flt_win32_fail(ERROR_INVALID_ADDRESS);
    /* The gap before the first mapping at or above the address is free; the mapping holding it is committed. */
    char line[512];
    int found = 0;
    memset(lpBuffer, 0, sizeof *lpBuffer);
    while (fgets(line, sizeof line, maps) != NULL) {
        uintptr_t start, end;
        char permissions[5] = {0};
        unsigned long long offset;
        unsigned long inode;
        char device[16];
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s %llx %15s %lu", &start, &end, permissions, &offset, device,
                   &inode) != 6) {
            continue;
        }
        if (address < start) {
            lpBuffer->BaseAddress = (PVOID)address;
            lpBuffer->RegionSize = start - address;
            lpBuffer->State = MEM_FREE;
            lpBuffer->Protect = PAGE_NOACCESS;
            found = 1;
            break;
        }
        if (address < end) {
            lpBuffer->BaseAddress = (PVOID)address;
            lpBuffer->AllocationBase = (PVOID)start;
            lpBuffer->AllocationProtect = protection(permissions);
            lpBuffer->RegionSize = end - address;
            lpBuffer->State = MEM_COMMIT;
            lpBuffer->Protect = lpBuffer->AllocationProtect;
            lpBuffer->Type = inode != 0 ? MEM_MAPPED : MEM_PRIVATE;
            found = 1;
            break;
        }
    }
    fclose(maps);
    if (!found) return (SIZE_T)flt_win32_fail(ERROR_INVALID_ADDRESS);
    return sizeof(MEMORY_BASIC_INFORMATION);
}
