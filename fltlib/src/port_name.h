/* SPDX-License-Identifier: MIT */
/* A port name (a Windows object name) and the abstract socket address it maps to (docs/protocol.md section 1). */
#ifndef FLTLIB_PORT_NAME_H
#define FLTLIB_PORT_NAME_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/* The most bytes an abstract socket name holds: sun_path's 108 less the leading NUL. */
#define FLT_MAX_ADDRESS_LENGTH 107

/* Lowercases `name` scalar by scalar (Unicode's simple mapping, docs/protocol.md section 1) and encodes it as
 * UTF-8 into `address` (no NUL, no terminator). Returns the address length, or -1 with `*why` set when `name`
 * is not a port name: it does not start with a backslash, holds a value that is not a Unicode scalar, or needs
 * more than FLT_MAX_ADDRESS_LENGTH bytes. */
int flt_port_address(const wchar_t *name, uint8_t address[FLT_MAX_ADDRESS_LENGTH], const char **why);

/* The socket file's path when `name` has the socket-file form (`/path`, or `unix:/path`), else NULL; for such
 * a name flt_port_address gives the path's UTF-8 bytes, not lowercased (docs/protocol.md section 1). */
const wchar_t *flt_port_socket_path(const wchar_t *name);
/* `name` as UTF-8 for messages, truncated to fit `size` (with its terminator); values that are not Unicode
 * characters show as '?'. */
void flt_port_name_utf8(const wchar_t *name, char *out, size_t size);

#endif
