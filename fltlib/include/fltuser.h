/* SPDX-License-Identifier: MIT */
/* fltuser.h: fltUser.h under the name Microsoft's samples write (Windows' includes are case-insensitive). */
#include "fltUser.h"
