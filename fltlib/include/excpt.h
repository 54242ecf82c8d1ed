/* SPDX-License-Identifier: MIT */
/*
 * excpt.h: the structured exception handling keywords of C programs written for MSVC, as far as they can be
 * without structured exceptions. windows.h includes it, as the Windows SDK's does.
 *
 * `__try { ... __leave; ... } __finally { ... }` (and `try`, `leave`, `finally`, the SDK's C spellings) runs the
 * finally block after the try block ends or leaves, as MSVC does, for the uses Win32 samples make of it. It is
 * `do { ... break; ... } while (0); { ... }`, so, unlike MSVC:
 * - __leave inside a loop or a switch within the try block ends that loop or switch, not the try block;
 * - return, goto and a longjmp out of the try block skip the finally block;
 * - nothing catches a hardware fault (a bad pointer still raises SIGSEGV).
 * __except is not defined (a program that needs it does not compile), nor are these in C++, where try is a keyword.
 * Define FLTLIB_NO_SEH before including windows.h to leave all these names alone.
 */
#ifndef FLTLIB_EXCPT_H
#define FLTLIB_EXCPT_H

#if !defined(__cplusplus) && !defined(FLTLIB_NO_SEH)
#ifndef __try
#define __try do
#endif
#ifndef __leave
#define __leave break
#endif
#ifndef __finally
#define __finally while (0);
#endif
#ifndef try
#define try __try
#endif
#ifndef leave
#define leave __leave
#endif
#ifndef finally
#define finally __finally
#endif
#endif

#endif
