/* SPDX-License-Identifier: MIT */
#include "handle_table.h"

#include <pthread.h>
#include <stdlib.h>

struct slot {
    struct flt_object *object;
    /* Odd while the slot is in use; bumped when it is filled and when it is freed. */
    uint32_t generation;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static uint32_t slot_count;
static uint32_t first_free_hint;

/* The most slots: the index must fit in bits 2..31 of the value. */
#define MAX_SLOTS 0x3FFFFFFFu

/* A handle is (generation << 32) | ((index + 1) << 2): never 0 (NULL) nor all ones (INVALID_HANDLE_VALUE). */
static uintptr_t make_handle(uint32_t index, uint32_t generation) {
    return ((uintptr_t)generation << 32) | (((uintptr_t)index + 1) << 2);
}

static struct slot *find(uintptr_t handle) {
    if ((handle & 3) != 0) return NULL;
    uint32_t index = (uint32_t)((handle & 0xFFFFFFFFu) >> 2) - 1;
    uint32_t generation = (uint32_t)((uint64_t)handle >> 32);
    if (index >= slot_count || slots[index].object == NULL || slots[index].generation != generation) return NULL;
    return &slots[index];
}

uintptr_t flt_handle_register(struct flt_object *object) {
    pthread_mutex_lock(&table_lock);
    uint32_t index = first_free_hint;
    while (index < slot_count && slots[index].object != NULL) index++;
    if (index == slot_count) {
        uint32_t grown = slot_count == 0 ? 16 : slot_count * 2;
        struct slot *larger = grown > MAX_SLOTS ? NULL : realloc(slots, grown * sizeof *slots);
        if (larger == NULL) {
            pthread_mutex_unlock(&table_lock);
            return 0;
        }
        for (uint32_t i = slot_count; i < grown; i++) larger[i] = (struct slot){NULL, 0};
        slots = larger;
        slot_count = grown;
    }
    slots[index].object = object;
    slots[index].generation += 1;
    first_free_hint = index + 1;
    uintptr_t handle = make_handle(index, slots[index].generation);
    pthread_mutex_unlock(&table_lock);
    return handle;
}

struct flt_object *flt_handle_acquire(uintptr_t handle, enum flt_object_kind kind) {
    pthread_mutex_lock(&table_lock);
    struct slot *slot = find(handle);
    struct flt_object *object = slot != NULL ? slot->object : NULL;
    if (object != NULL && kind != FLT_OBJECT_ANY && object->kind != kind) object = NULL;
    if (object != NULL) flt_object_retain(object);
    pthread_mutex_unlock(&table_lock);
    return object;
}

struct flt_object *flt_handle_remove(uintptr_t handle) {
    pthread_mutex_lock(&table_lock);
    struct slot *slot = find(handle);
    struct flt_object *object = NULL;
    if (slot != NULL) {
        object = slot->object;
        slot->object = NULL;
        /* Skip the value that would make a handle equal INVALID_HANDLE_VALUE's upper half. */
        slot->generation += slot->generation == 0xFFFFFFFDu ? 3 : 1;
        uint32_t index = (uint32_t)(slot - slots);
        if (index < first_free_hint) first_free_hint = index;
    }
    pthread_mutex_unlock(&table_lock);
    return object;
}
