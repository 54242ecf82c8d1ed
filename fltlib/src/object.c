/* SPDX-License-Identifier: MIT */
#include "object.h"

#include "completion.h"
#include "port.h"
#include "waitable.h"

void flt_object_init(struct flt_object *object, enum flt_object_kind kind) {
    atomic_init(&object->references, 1);
    object->kind = kind;
}

void flt_object_retain(struct flt_object *object) {
    atomic_fetch_add_explicit(&object->references, 1, memory_order_relaxed);
}

void flt_object_release(struct flt_object *object) {
    if (atomic_fetch_sub_explicit(&object->references, 1, memory_order_acq_rel) != 1) return;
    switch (object->kind) {
    case FLT_OBJECT_PORT: flt_port_destroy((struct flt_port *)object); break;
    case FLT_OBJECT_EVENT:
    case FLT_OBJECT_THREAD:
    case FLT_OBJECT_SEMAPHORE: flt_waitable_destroy((struct flt_waitable *)object); break;
    case FLT_OBJECT_COMPLETION: flt_completion_destroy((struct flt_completion *)object); break;
    case FLT_OBJECT_ANY: break;
    }
}
