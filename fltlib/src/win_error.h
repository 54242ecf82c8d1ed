/* SPDX-License-Identifier: MIT */
/* The calling thread's Win32 last error (GetLastError, SetLastError), kept apart from FilterGetLastErrorText. */
#ifndef FLTLIB_WIN_ERROR_H
#define FLTLIB_WIN_ERROR_H

#include <stdint.h>

void flt_set_win32_error(uint32_t error);

/* Sets the last error and returns 0 (FALSE, NULL), so that calls can `return flt_win32_fail(...)`. */
int flt_win32_fail(uint32_t error);

#endif
