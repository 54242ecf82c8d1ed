/* SPDX-License-Identifier: MIT */
/*
 * DriverSpecs.h: in the Windows Driver Kit, the driver annotations for code analysis, which samples include first
 * and follow with _Analysis_mode_(_Analysis_code_type_user_code_). Empty annotations here (fltSal.h), as the
 * compiler does not read them.
 */
#ifndef FLTLIB_DRIVERSPECS_H
#define FLTLIB_DRIVERSPECS_H

#include "fltSal.h"

#endif
