/* SPDX-License-Identifier: MIT */
#include "win_error.h"

#include "export.h"
#include "fltUser.h"

static __thread DWORD last_error;

void flt_set_win32_error(uint32_t error) { last_error = error; }

int flt_win32_fail(uint32_t error) {
    last_error = error;
    return 0;
}

EXPORT DWORD WINAPI GetLastError(void) { return last_error; }

EXPORT VOID WINAPI SetLastError(DWORD dwErrCode) { last_error = dwErrCode; }
