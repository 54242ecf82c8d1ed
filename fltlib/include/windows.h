/* SPDX-License-Identifier: MIT */
/*
 * windows.h: what a program written for fltlib takes from <windows.h>, as MinGW-w64's and Wine's headers lay it
 * out: the types, SAL annotations and HRESULTs (fltWinTypes.h), the kernel32 calls (fltWinBase.h) and, in C, the
 * __try/__finally/__leave keywords as far as they go without structured exceptions (excpt.h), min and max. It is
 * not the Windows SDK: fltlib(3) lists what is provided. Windows.h is the same header.
 */
#ifndef FLTLIB_WINDOWS_H
#define FLTLIB_WINDOWS_H

#include "fltWinTypes.h"
#include "fltWinBase.h"
#include "excpt.h"

/* windef.h's min and max, in C only (a C++ program has std::min), unless NOMINMAX, as on Windows. Here rather than
 * in fltUser.h, so that a Linux program including only fltUser.h keeps those names. */
#if !defined(NOMINMAX) && !defined(__cplusplus)
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#endif

#endif
