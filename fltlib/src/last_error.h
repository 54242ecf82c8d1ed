/* SPDX-License-Identifier: MIT */
/* The calling thread's explanation of its last failed call (FilterGetLastErrorText). */
#ifndef FLTLIB_LAST_ERROR_H
#define FLTLIB_LAST_ERROR_H

#include <stdint.h>

/* Records why a call failed, as printf would format it, and returns `hresult` so that callers can write
 * `return flt_fail(E_INVALIDARG, "...")`. */
int32_t flt_fail(int32_t hresult, const char *format, ...) __attribute__((format(printf, 2, 3)));

const char *flt_last_error_text(void);

#endif
