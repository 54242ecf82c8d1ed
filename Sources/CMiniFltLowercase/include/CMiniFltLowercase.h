/* SPDX-License-Identifier: MIT */
/* The lowercase mapping that turns a port name into its socket address (docs/protocol.md section 1), in C so
 * that the Swift libraries (MiniFltWire) and libfltlib (fltlib/src/port_name.c) fold with one table. */
#ifndef CMINIFLTLOWERCASE_H
#define CMINIFLTLOWERCASE_H

#include <stdint.h>

/// `scalar`'s simple lowercase mapping in the Unicode version `CMiniFltLowercase_unicodeVersion()` names;
/// `scalar` itself when it has none (unassigned code points included). Never a context rule, never two scalars.
uint32_t CMiniFltLowercase_simpleLowercase(uint32_t scalar);

/// The Unicode version the table was generated from, such as "17.0.0".
const char *CMiniFltLowercase_unicodeVersion(void);

#endif
