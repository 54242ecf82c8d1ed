/* SPDX-License-Identifier: MIT */
/* What every HANDLE stands for: a reference-counted object of one kind (a port connection, an event, a thread,
 * an I/O completion port, a semaphore). CloseHandle drops the handle's reference; the last reference destroys the object. */
#ifndef FLTLIB_OBJECT_H
#define FLTLIB_OBJECT_H

#include <stdatomic.h>

enum flt_object_kind {
    FLT_OBJECT_ANY = 0,
    FLT_OBJECT_PORT,
    FLT_OBJECT_EVENT,
    FLT_OBJECT_THREAD,
    FLT_OBJECT_COMPLETION,
    FLT_OBJECT_SEMAPHORE,
};

/* The first member of every object. */
struct flt_object {
    atomic_uint references;
    enum flt_object_kind kind;
};

/* One reference, held by the caller. */
void flt_object_init(struct flt_object *object, enum flt_object_kind kind);
void flt_object_retain(struct flt_object *object);
/* Drops a reference; the last one destroys the object as its kind requires. */
void flt_object_release(struct flt_object *object);

#endif
