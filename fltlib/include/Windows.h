/* SPDX-License-Identifier: MIT */
/* Windows.h: windows.h under the spelling many programs use (Windows' includes are case-insensitive). */
#include "windows.h"
