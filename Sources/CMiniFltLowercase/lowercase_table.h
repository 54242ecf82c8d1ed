/* SPDX-License-Identifier: MIT */
/* The generated table's layout (lowercase_table.c, written by Tools/generate-lowercase-table.swift). */
#ifndef CMINIFLTLOWERCASE_TABLE_H
#define CMINIFLTLOWERCASE_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct CMiniFltLowercase_Pair {
    uint32_t scalar;
    uint32_t lowercase;
};

/* Sorted by scalar, so that a lookup is a binary search. */
extern const struct CMiniFltLowercase_Pair CMiniFltLowercase_pairs[];
extern const size_t CMiniFltLowercase_pairCount;
/* The version the generator took the mappings from. */
extern const char CMiniFltLowercase_tableVersion[];

#endif
