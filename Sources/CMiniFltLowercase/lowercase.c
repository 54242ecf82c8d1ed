/* SPDX-License-Identifier: MIT */
#include "CMiniFltLowercase.h"

#include "lowercase_table.h"

uint32_t CMiniFltLowercase_simpleLowercase(uint32_t scalar) {
    /* Port names are mostly ASCII: fold it without a search. */
    if (scalar < 0x80) return (scalar >= 'A' && scalar <= 'Z') ? scalar + 32 : scalar;
    size_t low = 0, high = CMiniFltLowercase_pairCount;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        uint32_t candidate = CMiniFltLowercase_pairs[middle].scalar;
        if (candidate == scalar) return CMiniFltLowercase_pairs[middle].lowercase;
        if (candidate < scalar) low = middle + 1;
        else high = middle;
    }
    return scalar;
}

const char *CMiniFltLowercase_unicodeVersion(void) { return CMiniFltLowercase_tableVersion; }
