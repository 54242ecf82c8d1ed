/* SPDX-License-Identifier: MIT */
#include "handle_table.h"

#include <pthread.h>
#include <stdlib.h>

#include "port.h"

struct slot {
    struct flt_port *port;
    /* Odd while the slot is in use; bumped when it is filled and when it is freed. */
    uint32_t generation;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static uint32_t slot_count;
static uint32_t first_free_hint;

/* A handle is (generation << 32) | (index + 1): never 0 (NULL) nor all ones (INVALID_HANDLE_VALUE). */
static uintptr_t make_handle(uint32_t index, uint32_t generation) {
    return ((uintptr_t)generation << 32) | ((uintptr_t)index + 1);
}

static struct slot *find(uintptr_t handle) {
    uint32_t index = (uint32_t)(handle & 0xFFFFFFFFu) - 1;
    uint32_t generation = (uint32_t)((uint64_t)handle >> 32);
    if (index >= slot_count || slots[index].port == NULL || slots[index].generation != generation) return NULL;
    return &slots[index];
}

uintptr_t flt_handle_register(struct flt_port *port) {
    pthread_mutex_lock(&table_lock);
    uint32_t index = first_free_hint;
    while (index < slot_count && slots[index].port != NULL) index++;
    if (index == slot_count) {
        uint32_t grown = slot_count == 0 ? 16 : slot_count * 2;
        struct slot *larger = grown > 0x7FFFFFFFu ? NULL : realloc(slots, grown * sizeof *slots);
        if (larger == NULL) {
            pthread_mutex_unlock(&table_lock);
            return 0;
        }
        for (uint32_t i = slot_count; i < grown; i++) larger[i] = (struct slot){NULL, 0};
        slots = larger;
        slot_count = grown;
    }
    slots[index].port = port;
    slots[index].generation += 1;
    first_free_hint = index + 1;
    uintptr_t handle = make_handle(index, slots[index].generation);
    pthread_mutex_unlock(&table_lock);
    return handle;
}

struct flt_port *flt_handle_acquire(uintptr_t handle) {
    pthread_mutex_lock(&table_lock);
    struct slot *slot = find(handle);
    struct flt_port *port = slot != NULL ? slot->port : NULL;
    if (port != NULL) flt_port_retain(port);
    pthread_mutex_unlock(&table_lock);
    return port;
}

struct flt_port *flt_handle_remove(uintptr_t handle) {
    pthread_mutex_lock(&table_lock);
    struct slot *slot = find(handle);
    struct flt_port *port = NULL;
    if (slot != NULL) {
        port = slot->port;
        slot->port = NULL;
        /* Skip the value that would make a handle equal INVALID_HANDLE_VALUE's upper half. */
        slot->generation += slot->generation == 0xFFFFFFFDu ? 3 : 1;
        uint32_t index = (uint32_t)(slot - slots);
        if (index < first_free_hint) first_free_hint = index;
    }
    pthread_mutex_unlock(&table_lock);
    return port;
}
