/* SPDX-License-Identifier: MIT */
#include "last_error.h"

#include <stdarg.h>
#include <stdio.h>

static __thread char last_error[512];

int32_t flt_fail(int32_t hresult, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(last_error, sizeof last_error, format, arguments);
    va_end(arguments);
    return hresult;
}

const char *flt_last_error_text(void) { return last_error; }
