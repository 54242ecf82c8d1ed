/* SPDX-License-Identifier: MIT */
/*
 * crtdbg.h: the MSVC debug runtime's assertion macros, mapped to assert(3) (so NDEBUG turns them off, as a release
 * build turns them off on Windows), for programs that include it.
 */
#ifndef FLTLIB_CRTDBG_H
#define FLTLIB_CRTDBG_H

#include <assert.h>

#ifndef _ASSERT
#define _ASSERT(expression) assert(expression)
#endif
#ifndef _ASSERTE
#define _ASSERTE(expression) assert(expression)
#endif
#ifndef _ASSERT_EXPR
#define _ASSERT_EXPR(expression, message) assert(expression)
#endif

#endif
