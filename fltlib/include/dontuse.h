/* SPDX-License-Identifier: MIT */
/*
 * dontuse.h: in the Windows Driver Kit it marks the C runtime's unsafe string calls deprecated. Here it is empty:
 * glibc's own checks (_FORTIFY_SOURCE) do that work. It exists so that programs that include it build.
 */
#ifndef FLTLIB_DONTUSE_H
#define FLTLIB_DONTUSE_H
#endif
