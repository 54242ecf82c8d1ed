/* SPDX-License-Identifier: MIT */
/* Maps HANDLE values to connections, so that a closed, stale or made-up handle fails with E_HANDLE instead
 * of touching freed memory: a value is an index and a generation that changes each time the slot is freed. */
#ifndef FLTLIB_HANDLE_TABLE_H
#define FLTLIB_HANDLE_TABLE_H

#include <stdint.h>

struct flt_port;

/* Files `port` (taking over the caller's reference) and returns its handle value, or 0 when memory ran out. */
uintptr_t flt_handle_register(struct flt_port *port);

/* The connection behind `handle` with a reference the caller must drop with flt_port_release, or NULL. */
struct flt_port *flt_handle_acquire(uintptr_t handle);

/* Removes `handle` and returns the table's reference to the connection, or NULL when it is not a handle. */
struct flt_port *flt_handle_remove(uintptr_t handle);

#endif
