/* SPDX-License-Identifier: MIT */
/* Strsafe.h: the same header as strsafe.h (Windows includes are case-insensitive). */
#include "strsafe.h"
