/* SPDX-License-Identifier: MIT */
/* Maps HANDLE values to objects, so that a closed, stale or made-up handle fails with E_HANDLE (or
 * ERROR_INVALID_HANDLE) instead of touching freed memory: a value is an index and a generation that changes each
 * time the slot is freed. Values are multiples of 4, as Windows' are: the low bit of an OVERLAPPED's hEvent is
 * free to mean "no completion packet". */
#ifndef FLTLIB_HANDLE_TABLE_H
#define FLTLIB_HANDLE_TABLE_H

#include <stdint.h>

#include "object.h"

/* Files `object` (taking over the caller's reference) and returns its handle value, or 0 when memory ran out. */
uintptr_t flt_handle_register(struct flt_object *object);

/* The object behind `handle`, if it is of `kind` (or any kind for FLT_OBJECT_ANY), with a reference the caller
 * must drop with flt_object_release; NULL otherwise. */
struct flt_object *flt_handle_acquire(uintptr_t handle, enum flt_object_kind kind);

/* Removes `handle` and returns the table's reference to its object, or NULL when it is not a handle. */
struct flt_object *flt_handle_remove(uintptr_t handle);

#endif
